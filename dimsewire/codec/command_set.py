"""DIMSE command sets: group-0000 elements in Implicit VR Little Endian.

PS3.7 6.3.1: the command set is encoded Implicit VR Little Endian, elements in
ascending tag order, starting with CommandGroupLength (0000,0000), the number of bytes
that follow it. PS3.5 7.1.3 (Table 7.1-3) gives the element layout.

The element layouts are declared here with construct, one per VR; the encoder and the
decoder run on ``struct`` formats derived from these declarations
(:mod:`dimsewire.codec._derive`), cached per command-set shape for encoding.
"""

from __future__ import annotations

import functools
import operator
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import construct as c
from pydicom.tag import BaseTag

from ..errors import CommandSetError, Deviation, nbytes
from ._derive import derive_struct, struct_format
from .command_dictionary import COMMAND_ELEMENTS
from .tags import tag_text
from .vr import FIXED_LENGTH, LONG_VRS, VALUE

__all__ = [
    "ELEMENT",
    "CommandSet",
    "ElementHeader",
    "ExplicitLongHeader",
    "ExplicitShortHeader",
    "WireValue",
    "clean_uid",
    "decode_command_set",
    "encode_command_set",
    "report",
    "shape_struct",
    "shapes_of",
]

# PS3.5 Table 7.1-3: Data Element with Implicit VR (the command set encoding).
ElementHeader = c.Struct(
    "group" / c.Int16ul,  # Data Element Tag: group number
    "element" / c.Int16ul,  # Data Element Tag: element number
    "length" / c.Int32ul,  # Value Length: even, bytes of the value field
)

# PS3.5 Table 7.1-2: Data Element with Explicit VR and a 16-bit length. Only old
# devices write a command set this way; it is decoded and reported.
ExplicitShortHeader = c.Struct(
    "group" / c.Int16ul,
    "element" / c.Int16ul,
    "vr" / c.Bytes(2),  # two upper-case letters
    "length" / c.Int16ul,
)

# PS3.5 Table 7.1-1: Data Element with Explicit VR and a 32-bit length (OB, SQ, UT, ...).
ExplicitLongHeader = c.Struct(
    "group" / c.Int16ul,
    "element" / c.Int16ul,
    "vr" / c.Bytes(2),
    "reserved" / c.Padding(2),  # 0x0000
    "length" / c.Int32ul,
)

#: A whole command element per VR: header then value (PS3.5 7.1.3).
ELEMENT: dict[str, c.Struct] = {
    vr: c.Struct(*ElementHeader.subcons, "value" / value) for vr, value in VALUE.items()
}

_HEADER = derive_struct(ElementHeader)
_EXPLICIT = derive_struct(ExplicitShortHeader)
_EXPLICIT_LONG = derive_struct(ExplicitLongHeader)
_US = derive_struct(VALUE["US"])
_UL = derive_struct(VALUE["UL"])
# Compiled formats only: struct's module-level functions cache formats by value, and a str
# format beside pydicom's equal bytes one makes a BytesWarning under python -bb.
_AT_PAIR = derive_struct(VALUE["AT"], {"length": 4})
_LONG_VRS = frozenset(vr.encode("ascii") for vr in LONG_VRS)
_VR_CODE = re.compile(rb"[A-Z]{2}\Z")
_UID_BYTES = re.compile(rb"[0-9.]*\Z")
_UID_CHARS_ONLY = re.compile(rb"[0-9.]+\Z")

#: The key into VALUE for each command element: its VR, or "US*" for a multi-valued US.
_TAG_VR: dict[int, str] = {
    tag: ("US*" if row.vr == "US" and row.vm != "1" else row.vr)
    for tag, row in COMMAND_ELEMENTS.items()
}

#: A value ready for the wire: int (US, UL), padded bytes (text, UI), flat ints (AT).
WireValue = int | bytes | tuple[int, ...]


# -- encoding ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def shape_struct(shape: tuple[tuple[str, int], ...]) -> struct.Struct:
    """One struct for a whole command set of this shape: (VR, value length) per element.

    Derived from the :data:`ELEMENT` declarations (PS3.5 Table 7.1-3), cached.
    """
    return struct.Struct(
        "<" + "".join(struct_format(ELEMENT[vr], {"length": n})[1:] for vr, n in shape)
    )


def encode_command_set(elements: Sequence[tuple[int, str, WireValue]]) -> bytes:
    """Encode command elements, CommandGroupLength first and computed.

    Parameters
    ----------
    elements : sequence of (tag, VR, value)
        The elements after (0000,0000), in ascending tag order, values already in wire
        form: int for US and UL, even-length padded bytes for text and UI, a flat tuple
        of (group, element, group, element, ...) for AT.

    Returns
    -------
    bytes
        The command set (PS3.7 6.3.1).
    """
    shape: list[tuple[str, int]] = [("UL", 4)]
    args: list[int | bytes] = [0, 0, 4, 0]
    total = 0
    for tag, vr, value in elements:
        if isinstance(value, int):
            length = FIXED_LENGTH[vr]
            args += (0, tag, length, value)
        elif isinstance(value, bytes):
            length = len(value)
            args += (0, tag, length, value)
        else:
            length = 2 * len(value)
            args += (0, tag, length, *value)
        shape.append((vr, length))
        total += 8 + length
    args[3] = total
    return shape_struct(tuple(shape)).pack(*args)


# -- decoding ---------------------------------------------------------------------------


@dataclass(slots=True)
class CommandSet:
    """A decoded command set (internal to the codec).

    Attributes
    ----------
    values : dict
        Decoded values of the known elements by tag, first occurrence kept.
    offsets : dict
        Offset of each element in `values` and `unknown` within the command set.
    unknown : dict
        Raw value bytes of elements not in the command dictionary.
    spans : dict
        (start, end) of the value of every element kept, by tag.
    data : bytes
        The command set itself.
    deviations : list of Deviation
        What was tolerated.
    shape : _Shape or None
        The cached layout it was decoded by, if any (then it decoded cleanly).
    ordered : list or None
        With `shape`: the values in the shape's tag order.
    """

    data: bytes = b""
    values: dict[int, object] = field(default_factory=dict)
    offsets: dict[int, int] = field(default_factory=dict)
    unknown: dict[int, bytes] = field(default_factory=dict)
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)
    deviations: list[Deviation] = field(default_factory=list)
    shape: _Shape | None = None
    ordered: list[Any] | None = None

    def raw(self, tag: int) -> bytes:
        """The value bytes of an element that was kept."""
        start, end = self.spans[tag]
        return self.data[start:end]


def report(
    deviations: list[Deviation],
    strict: bool,
    rule: str,
    reason: str,
    offset: int | None,
    tag: int | None = None,
) -> None:
    """Record a deviation of a command set or its message, or raise it when `strict`.

    A fault with no element to point at (a missing element, a broken rule) is placed at
    the command set's start, offset 0, when raised.
    """
    if strict:
        raise CommandSetError(reason, offset=0 if offset is None else offset, tag=tag)
    deviations.append(Deviation(rule, f"command set: {reason}", offset))


class _Shape:
    """A command-set layout seen before: one struct unpacks it whole.

    Built from a command set that decoded cleanly, of US, UL and UI elements only. It
    matches another command set when every element header (tag and length) is the
    same and the values pass the same checks; anything else takes the general path.
    """

    __slots__ = (
        "_headers",
        "_headers_of",
        "_struct",
        "_uis",
        "_values_of",
        "index",
        "offsets",
        "plans",
        "spans",
        "tags",
    )

    def __init__(self, cs: CommandSet) -> None:
        self.tags = tuple(cs.offsets)
        self.offsets = cs.offsets
        self.spans = cs.spans
        layout = tuple((_TAG_VR[t], cs.spans[t][1] - cs.spans[t][0]) for t in self.tags)
        self._struct = shape_struct(layout)
        per_element = [3 + (1 if vr != "AT" else n // 2) for vr, n in layout]
        starts = [sum(per_element[:k]) for k in range(len(layout))]
        self._headers_of = operator.itemgetter(*(s + k for s in starts for k in range(3)))
        self._values_of = operator.itemgetter(*(s + 3 for s in starts))
        self._headers = tuple(
            field for t, (_vr, n) in zip(self.tags, layout, strict=True) for field in (0, t, n)
        )
        self._uis = tuple(k for k, (vr, _n) in enumerate(layout) if vr == "UI")
        #: Per CommandField, how the codec's messages module builds a primitive from
        #: command sets of this shape (it fills this in; False: take the general path).
        self.plans: dict[int, Any] = {}
        #: Position of each tag's value in what :meth:`values` gives.
        self.index = {tag: k for k, tag in enumerate(self.tags)}

    def values(self, data: bytes) -> list[Any] | None:
        """The element values of `data` in tag order if it has this shape, else None."""
        fields = self._struct.unpack(data)
        if self._headers_of(fields) != self._headers:
            return None
        values = list(self._values_of(fields))
        if values[0] != len(data) - 12:  # CommandGroupLength (0000,0000) comes first
            return None
        for k in self._uis:
            text = clean_uid(values[k])
            if text is None:
                return None
            values[k] = text
        return values

    def command_set(self, data: bytes, values: list[Any]) -> CommandSet:
        """The CommandSet of `data`, whose :meth:`values` these are."""
        return CommandSet(
            data,
            dict(zip(self.tags, values, strict=True)),
            self.offsets,
            {},
            self.spans,
            shape=self,
            ordered=values,
        )

    def match(self, data: bytes) -> CommandSet | None:
        values = self.values(data)
        return None if values is None else self.command_set(data, values)


_SHAPES: dict[int, list[_Shape]] = {}


def shapes_of(length: int) -> list[_Shape]:
    """The cached layouts of command sets of this length (see :func:`decode_command_set`)."""
    return _SHAPES.get(length, [])


_SHAPE_LIMIT = 256


def _remember(cs: CommandSet) -> None:
    """Keep the layout of a clean command set of US/UL/UI elements for the fast path."""
    if not cs.offsets or next(iter(cs.offsets)) != 0:
        return
    if any(_TAG_VR[t] not in ("US", "UL", "UI") for t in cs.offsets):
        return
    if sum(len(shapes) for shapes in _SHAPES.values()) >= _SHAPE_LIMIT:
        return
    same_length = _SHAPES.setdefault(len(cs.data), [])
    if len(same_length) < 8:
        same_length.append(_Shape(cs))


@functools.lru_cache(maxsize=1024)
def clean_uid(raw: bytes) -> str | None:
    """A NUL-padded UI value as text, or None if the general path must look at it."""
    text = raw[:-1] if raw.endswith(b"\x00") else raw
    if not _UID_CHARS_ONLY.match(text):
        return None
    return text.decode("ascii")


def _decode_value(
    cs: CommandSet, strict: bool, tag: int, vr: str, raw: bytes, offset: int
) -> object:
    """The value of one known element; bad values raise, doubtful ones are reported."""
    size = len(raw)
    if vr in ("US", "UL"):
        if size != FIXED_LENGTH[vr]:
            raise CommandSetError(
                f"element {tag_text(tag)} has value length {size}, VR {vr} needs "
                f"{FIXED_LENGTH[vr]}",
                offset=offset,
                tag=tag,
            )
        return (_US if vr == "US" else _UL).unpack(raw)[0]
    if vr in ("AT", "US*"):
        unit = 4 if vr == "AT" else 2
        if size % unit:
            raise CommandSetError(
                f"element {tag_text(tag)} has value length {size}, VR {vr[:2]} needs a "
                f"multiple of {unit}",
                offset=offset,
                tag=tag,
            )
        if vr == "US*":
            return [v for (v,) in _US.iter_unpack(raw)]
        return [BaseTag(g << 16 | e) for g, e in _AT_PAIR.iter_unpack(raw)]
    if size % 2:
        report(
            cs.deviations,
            strict,
            "odd-value-length",
            f"element {tag_text(tag)} has odd length {size}",
            offset,
            tag,
        )
    if vr == "UI":
        text = raw.rstrip(b"\x00")
        if text.endswith(b" "):
            report(
                cs.deviations,
                strict,
                "uid-padding",
                f"element {tag_text(tag)} is padded with spaces, not NUL",
                offset,
                tag,
            )
            text = text.rstrip(b" \x00")
        if not _UID_BYTES.match(text):
            raise CommandSetError(
                f"element {tag_text(tag)} value {bytes(raw)!r} is not a UID: only digits and "
                "dots are allowed (PS3.5 9.1)",
                offset=offset,
                tag=tag,
            )
        return text.decode("ascii")
    text = raw.rstrip(b" \x00")
    try:
        return text.decode("ascii")
    except UnicodeDecodeError:
        report(
            cs.deviations,
            strict,
            "non-ascii-text",
            f"element {tag_text(tag)} has characters outside the default repertoire",
            offset,
            tag,
        )
        return text.decode("latin-1")


def _is_explicit(data: bytes) -> bool:
    """An Explicit VR command set shows a VR code where the implicit length would be."""
    return len(data) >= 8 and _VR_CODE.match(data[4:6]) is not None


def decode_command_set(data: bytes, *, strict: bool = False) -> CommandSet:
    """Decode a command set.

    Parameters
    ----------
    data : bytes
        The command set, reassembled from its fragments.
    strict : bool
        Raise :class:`CommandSetError` on every deviation instead of reporting it.

    Raises
    ------
    CommandSetError
        An element outside group 0000, an element running past the end, a value that
        does not fit its VR; with `strict`, also each deviation below.

    Notes
    -----
    Tolerated and reported: Explicit VR encoding, elements out of order or repeated
    (the first is kept), unknown group-0000 elements (kept raw), odd value lengths,
    UIDs padded with spaces, non-ASCII text, a CommandGroupLength that does not match.
    """
    for shape in _SHAPES.get(len(data), ()):
        cs = shape.match(data)
        if cs is not None:
            return cs
    cs = _decode_elements(data, strict)
    if not cs.deviations and not cs.unknown:
        _remember(cs)
    return cs


def _decode_elements(data: bytes, strict: bool) -> CommandSet:
    """Decode element by element: the general path, which finds and reports every fault."""
    cs = CommandSet(data)
    values, offsets, unknown, spans = cs.values, cs.offsets, cs.unknown, cs.spans
    end = len(data)
    explicit = _is_explicit(data)
    if explicit:
        report(
            cs.deviations,
            strict,
            "explicit-vr",
            "written in Explicit VR, not Implicit VR Little Endian (PS3.7 6.3.1)",
            0,
        )
    offset = 0
    last_tag = -1
    group_length_end = None
    unpack_us = _US.unpack_from
    while offset < end:
        start = offset
        if end - offset < 8:
            raise CommandSetError(
                f"element header needs 8 bytes, {end - offset} left", offset=offset
            )
        if explicit:
            group, elem, vr_code, length = _EXPLICIT.unpack_from(data, offset)
            offset += 8
            if vr_code in _LONG_VRS:
                if end - start < 12:
                    raise CommandSetError(
                        f"element header needs 12 bytes, {end - start} left", offset=start
                    )
                group, elem, vr_code, length = _EXPLICIT_LONG.unpack_from(data, start)
                offset = start + 12
        else:
            group, elem, length = _HEADER.unpack_from(data, offset)
            offset += 8
        tag = group << 16 | elem
        if group:
            raise CommandSetError(
                f"element {tag_text(tag)} is not in group 0000: a command set holds only "
                "command elements (PS3.7 6.3.1)",
                offset=start,
                tag=tag,
            )
        if length > end - offset:
            raise CommandSetError(
                f"element {tag_text(tag)} needs {nbytes(length)}, {end - offset} left",
                offset=start,
                tag=tag,
            )
        value_start = offset
        offset += length
        if tag <= last_tag:
            if tag in spans:
                report(
                    cs.deviations,
                    strict,
                    "duplicate-element",
                    f"element {tag_text(tag)} appears twice; the first is kept",
                    start,
                    tag,
                )
                continue
            report(
                cs.deviations,
                strict,
                "element-order",
                f"element {tag_text(tag)} is out of ascending tag order",
                start,
                tag,
            )
        else:
            last_tag = tag
        offsets[tag] = start
        spans[tag] = (value_start, offset)
        vr = _TAG_VR.get(tag)
        if vr == "US" and length == 2:  # the common case, inline
            values[tag] = unpack_us(data, value_start)[0]
        elif vr is None:
            report(
                cs.deviations,
                strict,
                "unknown-element",
                f"element {tag_text(tag)} is not in the command dictionary (PS3.7 Annex E)",
                start,
                tag,
            )
            unknown[tag] = data[value_start:offset]
        else:
            values[tag] = _decode_value(cs, strict, tag, vr, data[value_start:offset], start)
            if tag == 0:
                group_length_end = offset
    if group_length_end is not None:
        stated = cast(int, values[0])  # (0000,0000) is UL
        actual = end - group_length_end
        if stated != actual:
            report(
                cs.deviations,
                strict,
                "group-length",
                f"CommandGroupLength says {nbytes(stated)} follow it, {actual} do",
                offsets[0],
                0,
            )
    return cs
