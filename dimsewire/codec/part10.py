"""Part 10 File Meta Information: build it, and read it from a file object (PS3.10 7.1).

A DICOM file is a 128-byte preamble, the prefix ``DICM``, the File Meta Information
(group 0002, always Explicit VR Little Endian, PS3.10 7.1) and then the data set in the
transfer syntax the meta names. This module knows that layout; it reads from a binary
file object it is given and opens no file itself (:mod:`dimsewire.part10` does).

The element layouts are the Explicit VR headers declared in
:mod:`dimsewire.codec.command_set` (PS3.5 Tables 7.1-1 and 7.1-2), through their derived
``struct`` formats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import BinaryIO

from ..errors import FileMetaError, nbytes
from ._derive import derive_struct
from .command_set import ExplicitLongHeader, ExplicitShortHeader
from .tags import tag_text
from .vr import LONG_VRS, pad

__all__ = [
    "MAX_FILE_META_LENGTH",
    "PREAMBLE_LENGTH",
    "FileMeta",
    "encode_file_meta",
    "read_file_meta",
]

PREAMBLE_LENGTH = 128  # PS3.10 7.1: the File Preamble
_PREFIX = b"DICM"  # PS3.10 7.1: the DICOM Prefix
#: Cap on the File Meta Information read from a file (real ones are a few hundred bytes).
MAX_FILE_META_LENGTH = 64 * 1024

_SHORT = derive_struct(ExplicitShortHeader)  # <HH2sH
_LONG = derive_struct(ExplicitLongHeader)  # <HH2s2xI
_LONG_CODES = frozenset(vr.encode("ascii") for vr in LONG_VRS)
_UID = re.compile(r"[0-9.]+\Z")

# PS3.10 Table 7.1-1, in tag order: element number -> (keyword, VR).
_ELEMENTS: dict[int, tuple[str, str]] = {
    0x0000: ("FileMetaInformationGroupLength", "UL"),
    0x0001: ("FileMetaInformationVersion", "OB"),
    0x0002: ("MediaStorageSOPClassUID", "UI"),
    0x0003: ("MediaStorageSOPInstanceUID", "UI"),
    0x0010: ("TransferSyntaxUID", "UI"),
    0x0012: ("ImplementationClassUID", "UI"),
    0x0013: ("ImplementationVersionName", "SH"),
    0x0016: ("SourceApplicationEntityTitle", "AE"),
    0x0017: ("SendingApplicationEntityTitle", "AE"),
    0x0018: ("ReceivingApplicationEntityTitle", "AE"),
    0x0026: ("SourcePresentationAddress", "UR"),
    0x0027: ("SendingPresentationAddress", "UR"),
    0x0028: ("ReceivingPresentationAddress", "UR"),
    0x0031: ("RTVMetaInformationVersion", "OB"),
    0x0032: ("RTVCommunicationSOPClassUID", "UI"),
    0x0033: ("RTVCommunicationSOPInstanceUID", "UI"),
    0x0035: ("RTVSourceIdentifier", "OB"),
    0x0036: ("RTVFlowIdentifier", "OB"),
    0x0037: ("RTVFlowRTPSamplingRate", "UL"),
    0x0038: ("RTVFlowActualFrameDuration", "FD"),
    0x0100: ("PrivateInformationCreatorUID", "UI"),
    0x0102: ("PrivateInformation", "OB"),
}


@dataclass(frozen=True, slots=True)
class FileMeta:
    """The File Meta Information of a Part 10 file, as read.

    Attributes
    ----------
    transfer_syntax : str
        (0002,0010) TransferSyntaxUID: the data set's transfer syntax.
    sop_class_uid, sop_instance_uid : str
        (0002,0002) MediaStorageSOPClassUID and (0002,0003) MediaStorageSOPInstanceUID.
    data_set_offset : int
        Where the data set starts in the file.
    elements : dict of str to str or bytes
        Every group-0002 element by keyword (or tag text when unknown): text values
        without padding, others as raw bytes.
    """

    transfer_syntax: str
    sop_class_uid: str
    sop_instance_uid: str
    data_set_offset: int
    elements: dict[str, str | bytes] = field(default_factory=dict)


def _element(group_element: int, vr: str, value: bytes) -> bytes:
    code = vr.encode("ascii")
    if code in _LONG_CODES:
        return _LONG.pack(0x0002, group_element, code, len(value)) + value
    return _SHORT.pack(0x0002, group_element, code, len(value)) + value


def encode_file_meta(
    *,
    sop_class_uid: str,
    sop_instance_uid: str,
    transfer_syntax: str,
    implementation_class_uid: str,
    implementation_version_name: str | None = None,
    source_ae_title: str | None = None,
) -> bytes:
    """The preamble, prefix and File Meta Information of a Part 10 file (PS3.10 7.1).

    Parameters
    ----------
    sop_class_uid, sop_instance_uid : str
        MediaStorageSOPClassUID and MediaStorageSOPInstanceUID (0002,0002/0003).
    transfer_syntax : str
        TransferSyntaxUID (0002,0010): the data set's, as negotiated.
    implementation_class_uid : str
        ImplementationClassUID (0002,0012) of the writer.
    implementation_version_name : str, optional
        ImplementationVersionName (0002,0013), at most 16 characters.
    source_ae_title : str, optional
        SourceApplicationEntityTitle (0002,0016): the AE that sent the object.

    Returns
    -------
    bytes
        128 zero bytes, ``DICM`` and group 0002 in Explicit VR Little Endian; the data
        set follows unchanged.

    Raises
    ------
    ValueError
        A UID that is not digits and dots, or text over its VR's length.
    """
    uids = {
        "sop_class_uid": sop_class_uid,
        "sop_instance_uid": sop_instance_uid,
        "transfer_syntax": transfer_syntax,
        "implementation_class_uid": implementation_class_uid,
    }
    for name, uid in uids.items():
        if not isinstance(uid, str) or not _UID.match(uid) or len(uid) > 64:
            raise ValueError(f"{name} must be a UID of at most 64 digits and dots, not {uid!r}")
    body = [
        _element(0x0001, "OB", b"\x00\x01"),  # version 1 (PS3.10 Table 7.1-1)
        _element(0x0002, "UI", pad("UI", sop_class_uid.encode("ascii"))),
        _element(0x0003, "UI", pad("UI", sop_instance_uid.encode("ascii"))),
        _element(0x0010, "UI", pad("UI", transfer_syntax.encode("ascii"))),
        _element(0x0012, "UI", pad("UI", implementation_class_uid.encode("ascii"))),
    ]
    for element, vr, text in (
        (0x0013, "SH", implementation_version_name),
        (0x0016, "AE", source_ae_title),
    ):
        if text:
            raw = text.encode("ascii")
            if len(raw) > 16:
                raise ValueError(f"{text!r} is longer than the 16 characters of VR {vr}")
            body.append(_element(element, vr, pad(vr, raw)))
    rest = b"".join(body)
    group_length = _element(0x0000, "UL", len(rest).to_bytes(4, "little"))
    return bytes(PREAMBLE_LENGTH) + _PREFIX + group_length + rest


def _read(source: BinaryIO, size: int, offset: int, what: str) -> bytes:
    data = source.read(size)
    if data is None or len(data) < size:
        got = 0 if not data else len(data)
        raise FileMetaError(f"file ends in {what}: needs {nbytes(size)}, {got} left", offset=offset)
    return data


def _text(raw: bytes, vr: str, offset: int, tag: int) -> str:
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise FileMetaError(
            f"element {tag_text(tag)} is not ASCII: {raw[:64]!r}", offset=offset
        ) from None
    return text.rstrip("\x00 ") if vr == "UI" else text.strip(" ")


def read_file_meta(source: BinaryIO) -> FileMeta:
    """Read the preamble and File Meta Information; leave `source` at the data set.

    Parameters
    ----------
    source : binary file object
        Positioned at the start of a Part 10 file.

    Returns
    -------
    FileMeta
        With the transfer syntax and the SOP Class and Instance UIDs.

    Raises
    ------
    FileMetaError
        No ``DICM`` prefix, an element running past the end, a group length over
        :data:`MAX_FILE_META_LENGTH`, or a missing (0002,0002), (0002,0003) or
        (0002,0010). Nothing is allocated beyond what the cap allows.
    """
    offset = PREAMBLE_LENGTH + len(_PREFIX)
    head = _read(source, offset, 0, "the preamble")
    if head[PREAMBLE_LENGTH:] != _PREFIX:
        raise FileMetaError(
            f"no DICM prefix after the 128-byte preamble (found {head[PREAMBLE_LENGTH:]!r}): "
            "not a Part 10 file (PS3.10 7.1)",
            offset=PREAMBLE_LENGTH,
        )
    elements: dict[str, str | bytes] = {}
    end: int | None = None
    while end is None or offset < end:
        start = offset
        header = source.read(8)
        if len(header) < 8 or header[:2] != b"\x02\x00":
            if end is not None or not header:
                raise FileMetaError(
                    "file ends inside the File Meta Information"
                    if len(header) < 8
                    else "an element of another group inside the File Meta group length",
                    offset=start,
                )
            source.seek(start)  # no group length: the data set starts here
            break
        group, element, code, length = _SHORT.unpack(header)
        offset += 8
        if code in _LONG_CODES:
            length = int.from_bytes(_read(source, 4, offset, "an element header"), "little")
            offset += 4
        tag = group << 16 | element
        if offset - PREAMBLE_LENGTH + length > MAX_FILE_META_LENGTH:
            raise FileMetaError(
                f"element {tag_text(tag)} of {nbytes(length)} passes the File Meta cap of "
                f"{MAX_FILE_META_LENGTH} bytes",
                offset=start,
            )
        raw = _read(source, length, offset, f"element {tag_text(tag)}")
        offset += length
        keyword, vr = _ELEMENTS.get(element, (tag_text(tag), code.decode("latin-1")))
        if element == 0x0000:
            if length != 4:
                raise FileMetaError(
                    f"element {tag_text(tag)} has value length {length}, VR UL needs 4",
                    offset=start,
                )
            stated = int.from_bytes(raw, "little")
            if stated > MAX_FILE_META_LENGTH:
                raise FileMetaError(
                    f"FileMetaInformationGroupLength {stated} passes the cap of "
                    f"{MAX_FILE_META_LENGTH} bytes",
                    offset=start,
                )
            end = offset + stated
        elif vr in ("UI", "SH", "AE", "UR"):
            elements[keyword] = _text(raw, vr, start, tag)
        else:
            elements[keyword] = raw
    found = {}
    for keyword, element in (
        ("TransferSyntaxUID", 0x0010),
        ("MediaStorageSOPClassUID", 0x0002),
        ("MediaStorageSOPInstanceUID", 0x0003),
    ):
        value = elements.get(keyword)
        if not isinstance(value, str) or not value:
            raise FileMetaError(
                f"the File Meta Information lacks {tag_text(0x00020000 | element)} "
                "(PS3.10 Table 7.1-1)",
                offset=PREAMBLE_LENGTH + len(_PREFIX),
            )
        found[keyword] = value
    return FileMeta(
        transfer_syntax=found["TransferSyntaxUID"],
        sop_class_uid=found["MediaStorageSOPClassUID"],
        sop_instance_uid=found["MediaStorageSOPInstanceUID"],
        data_set_offset=offset,
        elements=elements,
    )
