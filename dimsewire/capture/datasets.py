"""A message's data set, fragment by fragment, reduced to what a record shows.

:class:`DataSetScanner` reads a data set as it arrives (whole, or in the fragments of a
streamed C-STORE), walking its element headers (PS3.5 7.1, 7.5): what it keeps is the
data set without its bulk values, the binary values (OB, OD, OF, OL, OV, OW, UN, and the
encapsulated fragments of PS3.5 A.4) longer than a threshold. Each of those is kept as an
empty value of the same tag and VR, the lengths of the items and sequences around it made
to fit, and listed as a :class:`Bulk` with where it is in the data set. Memory stays
bounded by what is kept (the threshold applies to each value), whatever the data set's
size; the kept bytes are then decoded once, to the DICOM JSON model
(:func:`~dimsewire.capture.dicom_json.data_set_json`), and each bulk value shown there as
its length or a BulkDataURI into the exported file.

A deflated data set (PS3.5 A.5) is inflated as it comes; its kept bytes are Explicit VR
Little Endian, and its bulk values have no offset in the bytes that travelled.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydicom.datadict import dictionary_VR

from ..codec.identifier import syntax_flags
from ..errors import IdentifierError
from .dicom_json import data_set_json

__all__ = [
    "DEFAULT_BULK_THRESHOLD",
    "MAX_KEPT",
    "Bulk",
    "DataSetScanner",
    "DecodedDataSet",
    "SeenDataSet",
    "decode_data_set",
]

#: Binary values longer than this many bytes are not inlined by default.
DEFAULT_BULK_THRESHOLD = 1024
#: Cap on what is kept of one data set for showing (its bulk values aside).
MAX_KEPT = 64 * 1024 * 1024

EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"
_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD  # PS3.5 7.5
_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
_BINARY = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
_MAX_DEPTH = 64


@lru_cache(maxsize=4096)
def _implicit_vr(tag: int) -> str:
    """The dictionary VR of a tag for Implicit VR (UN when unknown); an ambiguous one
    ("OB or OW", "US or SS or OW") counts as binary if any choice is."""
    try:
        vr = str(dictionary_VR(tag))
    except KeyError:
        return "UN"
    if " " in vr:
        choices = vr.split(" or ")
        return next((v for v in choices if v in _BINARY), choices[0])
    return vr


@dataclass(frozen=True, slots=True)
class Bulk:
    """A value left out of the kept data set.

    Attributes
    ----------
    path : tuple of str and int
        Where it is in the DICOM JSON model: tags ``"GGGGEEEE"`` and item indices.
    vr : str
        Its VR as read (from the dictionary for Implicit VR).
    length : int
        Its length in bytes (item headers and delimiter included, for fragments).
    offset : int or None
        Where the value starts in the data set bytes as they travelled; None when the
        data set is deflated.
    """

    path: tuple[str | int, ...]
    vr: str
    length: int
    offset: int | None


@dataclass(slots=True)
class _Container:
    kind: str  # "sequence", "item", "fragments"
    key: str | int  # the sequence's tag, the item's index
    end: int | None  # data set offset of its end, None when delimited
    implicit: bool  # its elements' VR encoding (an explicit UN sequence holds implicit VR)
    length_at: int | None = None  # where its length field is in the kept bytes
    value_start: int = 0  # where its value starts in the kept bytes
    items: int = 0  # items seen, for a sequence
    header_at: int = 0  # fragments: where the element header is in the kept bytes
    value_offset: int = 0  # fragments: data set offset of the value
    dropped: bool = False  # fragments: no longer kept (over the threshold)
    tag: int = 0


@dataclass(slots=True)
class DecodedDataSet:
    """What a record shows of a data set: its DICOM JSON (or why there is none)."""

    json: dict[str, Any] | None
    note: str | None = None
    warnings: list[str] = field(default_factory=list)
    bulk: list[Bulk] = field(default_factory=list)


@dataclass(slots=True)
class SeenDataSet:
    """A message's data set as a record reports it.

    Attributes
    ----------
    length : int
        Its bytes as they travelled.
    shown : DecodedDataSet or None
        What was decoded of it; None when it was not decoded (see `note`, or not asked).
    note : str or None
        Why it is not shown.
    exported : str or None
        The file it was written to (``--export``).
    """

    length: int
    shown: DecodedDataSet | None = None
    note: str | None = None
    exported: str | None = None


def decode_data_set(data: bytes, transfer_syntax: str, threshold: int | None) -> DecodedDataSet:
    """A whole data set (not streamed) decoded for a record: straight to DICOM JSON when
    no value in it can be over the threshold, else through a :class:`DataSetScanner`."""
    if threshold is None or len(data) <= threshold:
        try:
            shown, warnings = data_set_json(data, transfer_syntax)
        except (IdentifierError, ValueError) as err:
            return DecodedDataSet(None, f"does not decode: {err}")
        return DecodedDataSet(shown, None, warnings)
    try:
        scanner = DataSetScanner(transfer_syntax, threshold)
    except ValueError as err:
        return DecodedDataSet(None, str(err))
    scanner.feed(data)
    return scanner.decoded()


class DataSetScanner:
    """Feed a data set's bytes in any chunking; take what a record shows of it.

    Parameters
    ----------
    transfer_syntax : str
        The data set's transfer syntax (PS3.5 A.1-A.5, and the encapsulated ones).
    threshold : int or None
        Binary values longer than this are left out (None: every value is kept).
    limit : int
        Cap on the bytes kept; a data set that needs more is not shown.

    Raises
    ------
    ValueError
        The transfer syntax is not one pydicom knows.
    """

    def __init__(
        self, transfer_syntax: str, threshold: int | None, *, limit: int = MAX_KEPT
    ) -> None:
        implicit, little, deflated = syntax_flags(transfer_syntax)
        self.transfer_syntax = transfer_syntax
        self.threshold = threshold
        self.limit = limit
        self.implicit = implicit
        self.deflated = deflated
        order = "<" if little else ">"
        self._head = struct.Struct(order + "HHL")
        self._explicit = struct.Struct(order + "HH2sH")
        self._long = struct.Struct(order + "L")
        self._inflater = zlib.decompressobj(-15) if deflated else None
        self.kept = bytearray()
        self.bulk: list[Bulk] = []
        self.length = 0  # bytes as travelled
        self.error: str | None = None
        self._pos = 0  # data set offset of the next byte to scan (inflated, if deflated)
        self._carry = b""  # an element or item header split between fragments
        self._copy = 0  # bytes of a kept value still to come
        self._skip = 0  # bytes of a bulk value still to come
        self._stack: list[_Container] = []

    # -- input ---------------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Scan the next bytes of the data set."""
        self.length += len(data)
        if self.error is not None:
            return
        if self.deflated:
            if self._inflater is None:
                return  # bytes after the deflate stream: DCMTK's 0x00 pad
            try:
                data = self._inflater.decompress(data)
            except zlib.error as err:
                self.error = f"deflate stream is corrupt: {err}"
                return
            if self._inflater.eof:
                self._inflater = None
        try:
            self._scan(memoryview(data))
        except IdentifierError as err:
            self.error = str(err)

    def decoded(self, *, uri: str | None = None, data_offset: int = 0) -> DecodedDataSet:
        """What the record shows: the kept data set as DICOM JSON, each bulk value as
        its length or, with `uri` (the exported file's), a BulkDataURI at its offset
        there (`data_offset` being where the data set starts in the file)."""
        if self.error is None:
            if self._carry or self._copy or self._skip or self._stack:
                self.error = f"data set ends inside an element ({self.length} bytes)"
            elif self._inflater is not None and self.length:
                self.error = "deflate stream ends before its last block"
        if self.error is not None:
            return DecodedDataSet(None, f"does not decode: {self.error}")
        if not self.kept:
            return DecodedDataSet(None, "empty data set")
        syntax = EXPLICIT_LITTLE if self.deflated else self.transfer_syntax
        try:
            shown, warnings = data_set_json(bytes(self.kept), syntax)
        except IdentifierError as err:
            return DecodedDataSet(None, f"does not decode: {err}")
        for bulk in self.bulk:
            _place(shown, bulk, uri, data_offset)
        return DecodedDataSet(shown, None, warnings, list(self.bulk))

    # -- the walk ------------------------------------------------------------------

    def _fail(self, reason: str, offset: int) -> IdentifierError:
        return IdentifierError(reason, offset=offset)

    def _scan(self, view: memoryview) -> None:
        i, n = 0, len(view)
        kept = self.kept
        while i < n:
            if self._copy:
                take = min(self._copy, n - i)
                kept += view[i : i + take]
                self._copy -= take
                i += take
                self._pos += take
                if len(kept) > self.limit:
                    raise self._fail(
                        f"over {self.limit} bytes without its bulk values: not shown", self._pos
                    )
                self._close_ended()
                continue
            if self._skip:
                take = min(self._skip, n - i)
                self._skip -= take
                i += take
                self._pos += take
                self._close_ended()
                continue
            need = self._header_size(view, i)
            if need is None or n - i + len(self._carry) < need:
                self._carry += bytes(view[i:])
                return
            if self._carry:
                take = need - len(self._carry)
                header = self._carry + bytes(view[i : i + take])
                self._carry = b""
                i += take
            else:
                header = bytes(view[i : i + need])
                i += need
            self._header(header)
            if len(kept) > self.limit:
                raise self._fail(
                    f"over {self.limit} bytes without its bulk values: not shown", self._pos
                )

    def _header_size(self, view: memoryview, i: int) -> int | None:
        """The size of the header at `i` (8 or 12), None until 6 bytes are known."""
        head = self._carry + bytes(view[i : i + 6 - len(self._carry)])
        if len(head) < 6:
            return None
        top = self._stack[-1] if self._stack else None
        implicit = self.implicit if top is None else top.implicit
        if implicit or (top is not None and top.kind in ("sequence", "fragments")):
            return 8
        if head[:4] in (b"\xfe\xff\x0d\xe0", b"\xff\xfe\xe0\x0d"):  # item delimitation
            return 8
        return 12 if head[4:6] in _LONG_VRS else 8

    def _header(self, header: bytes) -> None:
        start = self._pos
        self._pos += len(header)
        group, element, length = self._head.unpack_from(header)
        tag = group << 16 | element
        top = self._stack[-1] if self._stack else None
        kept = self.kept
        if top is not None and top.kind in ("sequence", "fragments"):
            self._item(tag, length, header, start, top)
            return
        if tag == _ITEM_END:
            if top is None or top.kind != "item" or top.end is not None:
                raise self._fail("item delimitation item outside an undefined-length item", start)
            kept += header
            self._stack.pop()
            self._close_ended()
            return
        if group == 0xFFFE:
            raise self._fail(f"unexpected ({group:04X},{element:04X}) in a data set", start)
        implicit = self.implicit if top is None else top.implicit
        if implicit:
            vr = _implicit_vr(tag)
        else:
            _, _, code, length = self._explicit.unpack_from(header)
            vr = code.decode("latin-1")
            if len(header) == 12:
                (length,) = self._long.unpack_from(header, 8)
        if len(self._stack) >= _MAX_DEPTH:
            raise self._fail(f"sequences nest deeper than {_MAX_DEPTH} levels", start)
        key = f"{tag:08X}"
        if vr == "SQ" or (
            length == _UNDEFINED and (vr == "UN" or (implicit and vr not in _BINARY))
        ):
            kept += header
            inner = implicit or vr == "UN"
            if length == _UNDEFINED:
                self._stack.append(_Container("sequence", key, None, inner, tag=tag))
            else:
                self._check_fits(start, length)
                self._stack.append(
                    _Container(
                        "sequence",
                        key,
                        self._pos + length,
                        inner,
                        length_at=len(kept) - 4,
                        value_start=len(kept),
                        tag=tag,
                    )
                )
                self._close_ended()
            return
        if length == _UNDEFINED:  # encapsulated fragments (PS3.5 A.4)
            at = len(kept)
            kept += header
            self._stack.append(
                _Container(
                    "fragments", key, None, implicit, header_at=at, value_offset=self._pos, tag=tag
                )
            )
            return
        self._check_fits(start, length)
        if vr in _BINARY and self.threshold is not None and length > self.threshold:
            kept += header[:-4] + b"\x00\x00\x00\x00"  # binary VRs have a 4-byte length
            self._add_bulk(key, vr, length, self._pos)
            self._skip = length
        else:
            kept += header
            self._copy = length
        if not length:
            self._close_ended()

    def _item(self, tag: int, length: int, header: bytes, start: int, top: _Container) -> None:
        kept = self.kept
        if tag == _SEQUENCE_END and top.end is None:
            self._stack.pop()
            if top.kind == "fragments" and top.dropped:
                self._add_bulk(top.key, "OB", self._pos - top.value_offset, top.value_offset)
            else:
                kept += header
            self._close_ended()
            return
        if tag != _ITEM:
            raise self._fail(
                f"expected an item (FFFE,E000), not ({tag >> 16:04X},{tag & 0xFFFF:04X})", start
            )
        if top.kind == "fragments":
            if length == _UNDEFINED:
                raise self._fail("a fragment item of undefined length", start)
            self._check_fits(start, length)
            over = self.threshold is not None and (
                self._pos + length - top.value_offset > self.threshold
            )
            if over and not top.dropped:
                top.dropped = True  # from here on a bulk value: keep an empty element
                del kept[top.header_at :]
                kept += self._empty_header(top.tag, top.implicit)
            if top.dropped:
                self._skip = length
            else:
                kept += header
                self._copy = length
            if not length:
                self._close_ended()
            return
        index = top.items
        top.items += 1
        kept += header
        if length == _UNDEFINED:
            self._stack.append(_Container("item", index, None, top.implicit))
        else:
            self._check_fits(start, length)
            self._stack.append(
                _Container(
                    "item",
                    index,
                    self._pos + length,
                    top.implicit,
                    length_at=len(kept) - 4,
                    value_start=len(kept),
                )
            )
            self._close_ended()

    def _empty_header(self, tag: int, implicit: bool) -> bytes:
        pair = self._head.pack(tag >> 16, tag & 0xFFFF, 0)[:4]
        if implicit:
            return pair + b"\x00\x00\x00\x00"
        return pair + b"OB\x00\x00" + b"\x00\x00\x00\x00"

    def _check_fits(self, start: int, length: int) -> None:
        for container in reversed(self._stack):
            if container.end is not None:
                if self._pos + length > container.end:
                    raise self._fail(
                        f"a value of {length} bytes runs past its item or sequence", start
                    )
                return

    def _add_bulk(self, key: str | int, vr: str, length: int, offset: int) -> None:
        path: list[str | int] = []
        for container in self._stack:
            if container.kind != "fragments":
                path.append(container.key)
        path.append(key)
        self.bulk.append(Bulk(tuple(path), vr, length, None if self.deflated else offset))

    def _close_ended(self) -> None:
        """Close the defined-length items and sequences that end here, their kept
        lengths made to fit what was kept of them."""
        stack = self._stack
        while stack and stack[-1].end is not None and self._pos >= stack[-1].end:
            container = stack.pop()
            if self._pos > container.end:  # type: ignore[operator]
                raise self._fail("an element runs past its item or sequence", self._pos)
            if container.length_at is not None:
                self._long.pack_into(
                    self.kept, container.length_at, len(self.kept) - container.value_start
                )


def _place(shown: dict[str, Any], bulk: Bulk, uri: str | None, data_offset: int) -> None:
    """Put a bulk value's length (or its BulkDataURI) where its empty element is."""
    node: Any = shown
    for step in bulk.path[:-1]:
        if isinstance(step, int):
            values = node.get("Value") if isinstance(node, dict) else None
            if not isinstance(values, list) or step >= len(values):
                return
            node = values[step]
        else:
            node = node.get(step) if isinstance(node, dict) else None
        if node is None:
            return
    key = bulk.path[-1]
    if not isinstance(node, dict) or not isinstance(key, str):
        return
    vr = str(node.get(key, {}).get("vr", bulk.vr))
    if uri is not None and bulk.offset is not None:
        where = f"{uri}?offset={data_offset + bulk.offset}&length={bulk.length}"
        node[key] = {"vr": vr, "BulkDataURI": where}
    else:
        node[key] = {"vr": vr, "length": bulk.length}
