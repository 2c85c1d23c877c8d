"""An Identifier's bytes straight to the DICOM JSON model (PS3.18 F), as pydicom writes it.

Reading a C-FIND Identifier with pydicom and then calling ``to_json_dict()`` costs about
half a millisecond; a capture holds hundreds of thousands of them. :func:`identifier_json`
walks the common case itself (PS3.5 7.1 element headers, text, numbers, sequences) and
gives exactly the dict pydicom gives, or, at the first thing it is not sure to render as
pydicom does (a private or ambiguous tag, text outside ASCII, a deflated data set, any
structural fault), hands the whole data set to :func:`~dimsewire.decode_identifier` and
pydicom. ``tests/test_dicom_json.py`` checks the two agree. A value pydicom's validators
would warn about (a bad UID, a too-long LO) also goes to pydicom, so that the warning is
never lost.

:func:`identifier_json` fails on such a warning (as :func:`~dimsewire.decode_identifier`
does); :func:`data_set_json`, for ``dimsewire decode``, shows the data set and returns
the warnings beside it.
"""

from __future__ import annotations

import base64
import functools
import io
import struct
import warnings
import zlib
from functools import lru_cache
from typing import Any

from pydicom.datadict import dictionary_VR
from pydicom.filereader import read_dataset
from pydicom.valuerep import VALIDATORS

from ..codec.identifier import DEFAULT_MAX_INFLATED, check_lengths, decode_identifier, syntax_flags
from ..errors import IdentifierError

__all__ = ["data_set_json", "identifier_json"]

_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_LONG = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV"})
_TEXT = frozenset({"AE", "AS", "CS", "DA", "DT", "LO", "SH", "TM", "UC", "UI", "PN", "IS", "DS"})
_ONE_VALUE = frozenset({"LT", "ST", "UT", "UR"})  # the backslash is not a delimiter
_NUMBERS = {"US": "H", "SS": "h", "UL": "L", "SL": "l", "FL": "f", "FD": "d", "SV": "q", "UV": "Q"}
_BYTES = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
_MAX_DEPTH = 16


class _UnsureError(Exception):
    """The fast path does not know how pydicom would render this: use pydicom."""


@lru_cache(maxsize=4096)
def _vrs_of(tag: int) -> frozenset[str]:
    """The VRs an explicit VR element of `tag` may have and be read as pydicom reads it:
    the dictionary's, or one of its alternatives ("OB or OW": explicit VR says which,
    and pydicom keeps what it says)."""
    try:
        vr = str(dictionary_VR(tag))
    except KeyError:
        raise _UnsureError from None
    return frozenset(vr.split(" or "))


@lru_cache(maxsize=4096)
def _vr_of(tag: int) -> str:
    """The VR an implicit VR element of `tag` has: the dictionary's, if it gives one."""
    vrs = _vrs_of(tag)
    if len(vrs) != 1:  # "US or SS", "OB or OW": pydicom decides from context
        raise _UnsureError
    return next(iter(vrs))


_PRINTABLE = bytes(range(0x20, 0x7F)) + b"\x00"


def _valid(vr: str, parts: list[str]) -> list[str]:
    """`parts`, if pydicom's validator of `vr` passes each; else pydicom must read them
    (and warn)."""
    validator = VALIDATORS.get(vr)
    if validator is not None:
        for part in parts:
            if not validator(vr, part)[0]:  # type: ignore[no-untyped-call]
                raise _UnsureError
    return parts


def _components(vr: str, raw: bytes) -> list[Any]:
    if raw.translate(None, _PRINTABLE):  # anything but printable ASCII (and NUL padding)
        raise _UnsureError
    text = raw.decode("ascii")
    if vr in _ONE_VALUE:
        value = text.rstrip(" \x00")
        return _valid(vr, [value]) if value else []
    if "\\" in text:
        parts = [part.rstrip(" \x00") for part in text.split("\\")]
        if any(not part or part[0] == " " or "\x00" in part for part in parts):
            raise _UnsureError  # empty or space-led components, inner NULs: pydicom's rules
    else:
        part = text.rstrip(" \x00")
        if not part:
            return []
        if part[0] == " " or "\x00" in part:
            raise _UnsureError
        parts = [part]
    _valid(vr, parts)
    if vr == "PN":
        if any("=" in part for part in parts):
            raise _UnsureError
        return [{"Alphabetic": part} for part in parts]
    if vr == "IS":
        if not all(part.lstrip("-").isdigit() for part in parts):
            raise _UnsureError
        return [int(part) for part in parts]
    if vr == "DS":
        if not all(part.replace(".", "", 1).lstrip("-").isdigit() for part in parts):
            raise _UnsureError
        return [float(part) for part in parts]
    return parts


@lru_cache(maxsize=4096)
def _key(tag: int) -> str:
    return f"{tag:08X}"


@functools.lru_cache(maxsize=1024)
def _packer(fmt: str) -> struct.Struct:
    """A compiled format: struct's module-level functions cache formats by value, and a str
    format beside pydicom's equal bytes one makes a BytesWarning under python -bb."""
    return struct.Struct(fmt)


class _Walker:
    def __init__(self, data: bytes, implicit: bool, little: bool) -> None:
        self.data = data
        self.implicit = implicit
        self.order = "<" if little else ">"
        self.head = struct.Struct(self.order + "HHL")
        self.explicit = struct.Struct(self.order + "HH2sH")
        self.long = struct.Struct(self.order + "L")

    def data_set(self, pos: int, end: int, depth: int) -> tuple[dict[str, Any], int]:
        """Elements from `pos` to `end` (or to an item delimitation item)."""
        if depth > _MAX_DEPTH:
            raise _UnsureError
        out: dict[str, Any] = {}
        last = -1
        data = self.data
        while pos < end:
            group, element, length = self.head.unpack_from(data, pos)
            tag = group << 16 | element
            if tag == _ITEM_END:
                return out, pos + 8
            if tag <= last or group & 1 or group == 0xFFFE or not element:
                raise _UnsureError  # out of order, private, item tags, group lengths
            last = tag
            if self.implicit:
                vr, pos = _vr_of(tag), pos + 8
            else:
                _, _, code, length = self.explicit.unpack_from(data, pos)
                vr = code.decode("latin-1")
                if vr in _LONG:
                    (length,) = self.long.unpack_from(data, pos + 8)
                    pos += 12
                else:
                    pos += 8
                if vr not in _vrs_of(tag):
                    raise _UnsureError
            if vr == "SQ":
                items, pos = self.items(pos, length, end, depth)
                out[_key(tag)] = {"vr": "SQ", "Value": items}
                continue
            if length == _UNDEFINED or pos + length > end:
                raise _UnsureError
            raw = data[pos : pos + length]
            if vr in _TEXT:  # the common case, inline
                values = _components(vr, raw)
                out[_key(tag)] = {"vr": vr, "Value": values} if values else {"vr": vr}
            else:
                out[_key(tag)] = self.element(vr, raw)
            pos += length
        return out, pos

    def items(self, pos: int, length: int, end: int, depth: int) -> tuple[list[Any], int]:
        stop = end if length == _UNDEFINED else pos + length
        if stop > end:
            raise _UnsureError
        items: list[Any] = []
        while pos < stop:
            group, element, item_length = self.head.unpack_from(self.data, pos)
            tag = group << 16 | element
            pos += 8
            if tag == _SEQUENCE_END and length == _UNDEFINED:
                return items, pos
            if tag != _ITEM:
                raise _UnsureError
            if item_length == _UNDEFINED:
                item, pos = self.data_set(pos, stop, depth + 1)
            else:
                if pos + item_length > stop:
                    raise _UnsureError
                item, after = self.data_set(pos, pos + item_length, depth + 1)
                if after != pos + item_length:
                    raise _UnsureError
                pos = after
            items.append(item)
        if length == _UNDEFINED:
            raise _UnsureError  # no sequence delimitation item
        return items, pos

    def element(self, vr: str, raw: bytes) -> dict[str, Any]:
        if vr in _TEXT or vr in _ONE_VALUE:
            values = _components(vr, raw)
        elif vr in _NUMBERS:
            code = _NUMBERS[vr]
            size = _packer(self.order + code).size
            if len(raw) % size:
                raise _UnsureError
            values = list(_packer(f"{self.order}{len(raw) // size}{code}").unpack(raw))
            if vr in ("FL", "FD"):
                values = [float(v) for v in values]
        elif vr == "AT":
            if len(raw) % 4:
                raise _UnsureError
            pairs = _packer(f"{self.order}{len(raw) // 2}H").unpack(raw)
            values = [f"{pairs[i] << 16 | pairs[i + 1]:08X}" for i in range(0, len(pairs), 2)]
        elif vr in _BYTES and self.order == "<":
            if not raw:
                return {"vr": vr}
            return {"vr": vr, "InlineBinary": base64.b64encode(raw).decode("ascii")}
        else:
            raise _UnsureError
        if not values:
            return {"vr": vr}
        return {"vr": vr, "Value": values}


def identifier_json(data: bytes, transfer_syntax: str) -> dict[str, Any]:
    """The Identifier `data` in the DICOM JSON model, equal to pydicom's ``to_json_dict()``.

    Raises
    ------
    IdentifierError
        The data set does not decode (from :func:`~dimsewire.decode_identifier`), or
        pydicom cannot write what it read as JSON (an empty Person Name among several).
    """
    implicit, little, deflated = syntax_flags(transfer_syntax)
    if not deflated:
        try:
            walker = _Walker(data, implicit, little)
            result, end = walker.data_set(0, len(data), 0)
            if end == len(data):
                return result
        except (_UnsureError, struct.error, UnicodeDecodeError, ValueError, OverflowError):
            pass
    dataset = decode_identifier(data, transfer_syntax)
    try:
        return dataset.to_json_dict()
    except Exception as err:  # pydicom 3.0 fails on some values it reads (an empty PN)
        raise IdentifierError(
            f"pydicom cannot write it in the JSON model: {type(err).__name__}: {err}"
        ) from err


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj(-15)
    try:
        inflated = inflater.decompress(data, DEFAULT_MAX_INFLATED)
    except zlib.error as err:
        raise IdentifierError(f"deflate stream is corrupt: {err}") from err
    if not inflater.eof:
        raise IdentifierError("deflate stream ends early, or inflates to too much")
    return inflated


def data_set_json(data: bytes, transfer_syntax: str) -> tuple[dict[str, Any], list[str]]:
    """The data set `data` in the DICOM JSON model, and what pydicom warned about it.

    As :func:`identifier_json`, but a value pydicom reads only with a warning (a bad
    UID, a value too long for its VR) is shown as pydicom reads it, the warning
    returned instead of raised.

    Raises
    ------
    IdentifierError
        The bytes are not a data set (a length past its bounds, PS3.5 7.1, 7.5), or
        pydicom cannot read or write them.
    """
    implicit, little, deflated = syntax_flags(transfer_syntax)
    raw = _inflate(data) if deflated else data
    try:
        walker = _Walker(raw, implicit, little)
        result, end = walker.data_set(0, len(raw), 0)
        if end == len(raw):
            return result, []
    except (_UnsureError, struct.error, UnicodeDecodeError, ValueError, OverflowError):
        pass
    if not raw:
        raise IdentifierError("empty data set")
    check_lengths(raw, implicit=implicit, little=little)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # a tag newer than pydicom's dictionary (implicit VR) is kept, as UN bytes
        warnings.filterwarnings("ignore", "VR lookup failed", UserWarning)
        try:
            dataset = read_dataset(io.BytesIO(raw), implicit, little)
            shown = dataset.to_json_dict()
        except Exception as err:  # pydicom raises many types (KeyError, IndexError, ...)
            raise IdentifierError(f"pydicom cannot read it: {type(err).__name__}: {err}") from err
    said: list[str] = []
    for warning in caught:
        text = f"pydicom: {warning.message}"
        if text not in said:
            said.append(text)
    return shown, said
