"""C-FIND Identifiers: a data set (PS3.5 7) to and from its bytes in a transfer syntax.

pydicom writes and parses the data elements. Its reader is lenient, though: in pydicom
3.0.2 a value cut short is returned short and a header cut short is dropped, both
without a warning. So :func:`decode_identifier` first walks the element structure
itself (PS3.5 7.1 element headers, 7.5 sequence items and delimiters), checking every
length against the bytes left, and only then lets pydicom read the values.
"""

from __future__ import annotations

import functools
import io
import struct
import warnings
import zlib

from pydicom import config
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset
from pydicom.filewriter import write_dataset
from pydicom.multival import MultiValue
from pydicom.uid import UID
from pydicom.valuerep import STANDARD_VR, PersonName

from ..errors import IdentifierError, nbytes
from .tags import tag_text
from .vr import LONG_VRS

__all__ = [
    "DEFAULT_MAX_INFLATED",
    "check_lengths",
    "decode_identifier",
    "encode_identifier",
    "syntax_flags",
]

DEFAULT_MAX_INFLATED = 64 * 1024 * 1024
"""Default cap, in bytes, on an inflated data set (Deflated Explicit VR Little Endian)."""

# PS3.5 A.5, A.7 and A.12: the data set is deflated (pydicom 3.0.2 knows only A.5).
_DEFLATED = frozenset(
    {"1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.95", "1.2.840.10008.1.2.4.205"}
)
_ITEM, _ITEM_END, _SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD  # PS3.5 7.5
_UNDEFINED = 0xFFFFFFFF
_MAX_DEPTH = 64  # sequence nesting: input must not drive recursion to RecursionError


def syntax_flags(transfer_syntax: object) -> tuple[bool, bool, bool]:
    """``(implicit VR, little endian, deflated)`` of a transfer syntax (PS3.5 A.1-A.5)."""
    if not isinstance(transfer_syntax, str):
        raise TypeError(
            f"transfer_syntax must be a UID string, not {type(transfer_syntax).__name__}"
        )
    return _syntax_of(str(transfer_syntax))


@functools.lru_cache(maxsize=64)
def _syntax_of(transfer_syntax: str) -> tuple[bool, bool, bool]:
    uid = UID(transfer_syntax, validation_mode=config.IGNORE)
    if not uid.is_transfer_syntax:
        raise ValueError(f"{transfer_syntax!r} is not a transfer syntax known to pydicom")
    return uid.is_implicit_VR, uid.is_little_endian, uid.is_deflated or uid in _DEFLATED


def _dictionary_vr(tag: int) -> str | None:
    try:
        return str(dictionary_VR(tag))
    except KeyError:
        return None


class _Walk:
    """Check that every length in an encoded data set fits (PS3.5 7.1, 7.5)."""

    def __init__(self, data: bytes, little: bool) -> None:
        order = "<" if little else ">"
        self.data = data
        self.head = struct.Struct(order + "HHL")  # implicit VR elements, and all items
        self.explicit = struct.Struct(order + "HH2sH")
        self.long = struct.Struct(order + "L")

    @staticmethod
    def need(what: str, size: int, pos: int, end: int, start: int) -> None:
        if size > end - pos:
            raise IdentifierError(f"{what} needs {nbytes(size)}, {end - pos} left", offset=start)

    def data_set(self, pos: int, end: int, implicit: bool, delimited: bool, depth: int) -> int:
        """Walk elements from ``pos`` to ``end``, or to an item delimiter if ``delimited``."""
        if depth > _MAX_DEPTH:
            raise IdentifierError(f"sequences nest deeper than {_MAX_DEPTH} levels", offset=pos)
        seen: set[int] = set()
        while pos < end:
            start = pos
            self.need("element header", 8, pos, end, start)
            group, element, length = self.head.unpack_from(self.data, pos)
            tag, vr, pos = group << 16 | element, None, pos + 8
            if tag == _ITEM_END and delimited:
                return pos
            if group == 0xFFFE:
                raise IdentifierError(f"unexpected {tag_text(tag)} in a data set", offset=start)
            if not implicit:
                _, _, code, length = self.explicit.unpack_from(self.data, start)
                vr = code.decode("latin-1")
                if vr not in STANDARD_VR:
                    raise IdentifierError(
                        f"element {tag_text(tag)} has no valid VR: {code!r}", offset=start
                    )
                if vr in LONG_VRS:
                    self.need("element header", 12, start, end, start)
                    (length,), pos = self.long.unpack_from(self.data, pos), pos + 4
            if tag in seen:
                raise IdentifierError(f"element {tag_text(tag)} appears twice", offset=start)
            seen.add(tag)
            # Implicit VR and UN (PS3.5 6.2.2): the data dictionary tells a sequence.
            known = _dictionary_vr(tag) if vr in (None, "UN") else vr
            inner = implicit or vr == "UN"
            if length == _UNDEFINED:  # a sequence, or encapsulated fragments (PS3.5 A.4)
                fragments = vr not in ("SQ", "UN") and known not in (None, "SQ")
                pos = self.items(pos, end, inner, True, fragments, depth)
            else:
                self.need(f"element {tag_text(tag)}", length, pos, end, start)
                if known == "SQ":
                    self.items(pos, pos + length, inner, False, False, depth)
                pos += length
        if delimited:
            raise IdentifierError("item ends without an item delimitation item", offset=end)
        return pos

    def items(
        self, pos: int, end: int, implicit: bool, delimited: bool, fragments: bool, depth: int
    ) -> int:
        """Walk sequence items to ``end``, or to a sequence delimiter if ``delimited``."""
        while pos < end:
            start = pos
            self.need("item header", 8, pos, end, start)
            group, element, length = self.head.unpack_from(self.data, pos)
            tag, pos = group << 16 | element, pos + 8
            if tag == _SEQUENCE_END and delimited:
                return pos
            if tag != _ITEM:
                raise IdentifierError(
                    f"expected an item (FFFE,E000), not {tag_text(tag)}", offset=start
                )
            if length == _UNDEFINED and not fragments:
                pos = self.data_set(pos, end, implicit, True, depth + 1)
            else:
                self.need("item (FFFE,E000)", length, pos, end, start)
                if not fragments:
                    self.data_set(pos, pos + length, implicit, False, depth + 1)
                pos += length
        if delimited:
            raise IdentifierError("sequence ends without a sequence delimitation item", offset=end)
        return pos


def check_lengths(raw: bytes, *, implicit: bool, little: bool) -> None:
    """Check that every element and item length in an encoded data set fits inside it
    and its sequences nest no deeper than 64 (PS3.5 7.1, 7.5): what must hold before
    pydicom reads it. Raises IdentifierError naming the tag and byte offset."""
    _Walk(raw, little).data_set(0, len(raw), implicit, False, 0)


def _inflate(data: bytes, limit: int) -> bytes:
    """Inflate a raw deflate stream (PS3.5 A.5) of at most ``limit`` bytes."""
    inflater = zlib.decompressobj(-15)
    try:
        inflated = inflater.decompress(data, limit)
        # At the limit, one more byte tells a bigger data set from one that is exactly full.
        if not inflater.eof and inflater.decompress(inflater.unconsumed_tail, 1):
            raise IdentifierError(f"deflated data set inflates to more than {limit} bytes")
    except zlib.error as err:
        raise IdentifierError(f"deflate stream is corrupt: {err}") from err
    if not inflater.eof:
        raise IdentifierError("deflate stream ends before its last block", offset=len(data))
    # Bytes after the end of the deflate stream (inflater.unused_data) are ignored: DCMTK
    # pads an odd-length stream with one 0x00 to keep the fragment even (PS3.8 Annex E).
    return inflated


def _force(element: DataElement) -> None:
    """Convert a value pydicom would otherwise decode on first use, items and names too."""
    value = element.value
    if element.VR == "SQ":
        for item in value:
            for nested in item:  # iterating a Dataset converts its raw elements
                _force(nested)
    elif element.VR == "PN":
        for name in value if isinstance(value, MultiValue) else [value]:
            if isinstance(name, PersonName):
                _ = name.components  # decoded lazily, in the Specific Character Set


def _parse(data: bytes, implicit: bool, little: bool) -> Dataset:
    """Read a structurally checked data set with pydicom, every value converted."""
    where, offset = "data set", None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # a pydicom warning marks a guess: fail instead
        # ... but a tag newer than pydicom's dictionary (implicit VR) is kept, as UN bytes
        warnings.filterwarnings("ignore", "VR lookup failed", UserWarning)
        try:
            dataset = read_dataset(io.BytesIO(data), implicit, little)
            for raw in list(dataset.elements()):
                where = f"element {tag_text(raw.tag)}"
                tell = raw.value_tell if isinstance(raw, RawDataElement) else raw.file_tell
                long_header = not implicit and raw.VR in LONG_VRS
                offset = None if tell is None else tell - (12 if long_header else 8)
                _force(dataset[raw.tag])
                if caught:  # pydicom warned while reading this element, or the data set
                    raise IdentifierError(f"{where}: {caught[0].message}", offset=offset)
        except IdentifierError:
            raise
        except Exception as err:  # pydicom raises many types (KeyError, OSError, ...)
            text = f"{where}: {type(err).__name__}: {err}"
            raise IdentifierError(text, offset=offset) from err
    return dataset


def encode_identifier(dataset: Dataset, transfer_syntax: str) -> bytes:
    """Encode a data set as an Identifier in ``transfer_syntax``.

    Parameters
    ----------
    dataset : pydicom.dataset.Dataset
        The data set (PS3.5 7). As with any pydicom writer, elements of ambiguous VR
        (``US or SS``, ...) are resolved in place.
    transfer_syntax : str or pydicom.uid.UID
        A transfer syntax pydicom knows: Implicit VR Little Endian (PS3.5 A.1),
        Explicit VR Little Endian (A.2), Explicit VR Big Endian (A.3), encapsulated
        syntaxes (A.4, data set in Explicit VR Little Endian) or Deflated Explicit VR
        Little Endian (A.5).

    Returns
    -------
    bytes
        The data elements in ascending tag order (PS3.5 7.1). A deflated data set is
        the raw deflate stream, padded with one 0x00 to an even length (PS3.8 Annex E).

    Raises
    ------
    TypeError
        If ``dataset`` is not a Dataset or ``transfer_syntax`` not a string.
    ValueError
        If ``transfer_syntax`` is not a transfer syntax, or the data set encodes to
        no bytes (an empty Identifier is not a data set on the wire).
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"dataset must be a pydicom Dataset, not {type(dataset).__name__}")
    implicit, little, deflated = syntax_flags(transfer_syntax)
    fp = DicomBytesIO()
    fp.is_implicit_VR = implicit
    fp.is_little_endian = little
    write_dataset(fp, dataset)
    encoded = fp.getvalue()
    if not encoded:
        raise ValueError("an Identifier needs at least one data element")
    if deflated:
        deflater = zlib.compressobj(wbits=-15)
        encoded = deflater.compress(encoded) + deflater.flush()
        if len(encoded) % 2:
            encoded += b"\x00"
    return encoded


def decode_identifier(
    data: bytes | bytearray | memoryview | io.BytesIO,
    transfer_syntax: str,
    *,
    max_inflated: int = DEFAULT_MAX_INFLATED,
) -> Dataset:
    """Decode an Identifier in ``transfer_syntax`` to a data set.

    Parameters
    ----------
    data : bytes-like or io.BytesIO
        The encoded data set; of an ``io.BytesIO``, its whole buffer.
    transfer_syntax : str or pydicom.uid.UID
        As for :func:`encode_identifier` (PS3.5 A.1-A.5).
    max_inflated : int
        Cap on the inflated size of a deflated data set (PS3.5 A.5), checked while
        inflating: a deflate bomb fails before it is allocated.

    Returns
    -------
    pydicom.dataset.Dataset
        The data set, every value already converted.

    Raises
    ------
    IdentifierError
        If the bytes are not a data set in ``transfer_syntax``: an unknown transfer
        syntax, a length that runs past its bounds (PS3.5 7.1, 7.5), a corrupt,
        unfinished or too large deflate stream, or a value pydicom cannot convert or
        only converts with a warning. ``offset`` counts bytes from the start of the
        data set (after inflating, for a deflated one; a deflate fault counts bytes of
        ``data``) to the element at fault.
    TypeError, ValueError
        If ``data`` is not bytes-like, ``transfer_syntax`` not a string, or
        ``max_inflated`` not a positive integer.

    Notes
    -----
    Tolerated: elements out of tag order (PS3.5 7.1; returned sorted) and 0x00 bytes
    after a deflate stream. pydicom's warnings are caught with
    :class:`warnings.catch_warnings`, which swaps the process-wide filters while
    pydicom reads: do not decode in threads that rely on warning filters meanwhile.
    """
    if isinstance(data, io.BytesIO):
        data = data.getvalue()
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes-like or io.BytesIO, not {type(data).__name__}")
    if isinstance(max_inflated, bool) or not isinstance(max_inflated, int) or max_inflated < 1:
        raise ValueError(f"max_inflated must be a positive integer, not {max_inflated!r}")
    try:
        implicit, little, deflated = syntax_flags(transfer_syntax)
    except ValueError as err:
        raise IdentifierError(str(err)) from err
    raw = bytes(data)
    if raw and deflated:
        raw = _inflate(raw, max_inflated)
    if not raw:
        raise IdentifierError("empty data set")
    check_lengths(raw, implicit=implicit, little=little)
    return _parse(raw, implicit, little)
