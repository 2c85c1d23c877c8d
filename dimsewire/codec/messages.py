"""Primitives to command sets and back, by the message declarations (PS3.7 9.3, 10.3).

Encoding writes exactly the elements whose parameter is set, in ascending tag order;
decoding maps every element back to its parameter and reports what does not belong.
The declarations themselves are in :mod:`dimsewire.codec.message_table`.
"""

from __future__ import annotations

import functools
from io import BytesIO
from typing import Any

from pydicom import config
from pydicom.tag import BaseTag
from pydicom.uid import UID

from ..errors import CommandSetError, Deviation
from ..primitives import DimsePrimitive, OtherCommand
from ..primitives._validate import check_ae_title, check_lo_text, check_priority, uid_problem
from .command_dictionary import command_name
from .command_set import CommandSet, report, shape_struct, shapes_of
from .message_table import (
    DATA_SET_PRESENT,
    NO_DATA_SET,
    M,
    Message,
    message_for,
    message_for_field,
)
from .tags import tag_text
from .vr import pad

__all__ = [
    "STREAMED",
    "attach_data_set",
    "command_primitive",
    "decode_shaped",
    "from_primitive",
    "has_data_set",
    "streams_to_parameter",
    "to_primitive",
]

_PRIORITIES = frozenset({0, 1, 2})  # PS3.7 9.1.1.1.6


# -- encoding ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _text_wire(vr: str, text: str) -> bytes:
    """A UI or text value on the wire: ASCII, padded to even length (PS3.5 6.2)."""
    return pad(vr, text.encode("ascii"))


_STRUCTS_PER_MESSAGE = 256


def _struct_for(message: Message, layout: tuple[int, ...]) -> Any:
    """The packer for a layout of `message`, derived and cached on first use."""
    packer = message.structs.get(layout)
    if packer is None:
        shape = [("UL", 4)]
        shape += [
            (vr, n) for (_slot, _tag, vr), n in zip(message.plan, layout, strict=True) if n >= 0
        ]
        packer = shape_struct(tuple(shape))
        if len(message.structs) < _STRUCTS_PER_MESSAGE:
            message.structs[layout] = packer
    return packer


def generated_encoder(message: Message) -> Any:
    """The command set encoder of one message, as straight-line code built once.

    CommandGroupLength, then every element whose parameter is set, with the message's
    constants (tags, CommandField) written in and no loop; one ``struct`` per layout
    (which elements, how long), derived from the element declarations and cached per
    message, packs it whole. ``tests/test_fast_paths.py`` proves it gives the bytes of
    the general :func:`~dimsewire.codec.command_set.encode_command_set`.
    """
    lines = [
        "def encode(p, d):",
        "    a = [0, 0, 4, 0]",
        "    k = []",
        "    t = 0",
    ]
    for slot, tag, vr in message.plan:
        if slot is None:
            value = (
                str(message.field)
                if tag == 0x0100
                else f"({DATA_SET_PRESENT} if d else {NO_DATA_SET})"
            )
            lines += [f"    a += (0, {tag}, 2, {value})", "    k.append(2)", "    t += 10"]
            continue
        assert slot.isidentifier()
        lines += [f"    v = p.{slot}", "    if v is None:", "        k.append(-1)", "    else:"]
        if vr == "US":
            lines += [f"        a += (0, {tag}, 2, v)", "        k.append(2)", "        t += 10"]
        elif vr == "AT":
            lines += [
                "        f = [x for g in v for x in (g >> 16, g & 0xFFFF)]",
                "        n = 2 * len(f)",
                f"        a += (0, {tag}, n, *f)",
                "        k.append(n)",
                "        t += 8 + n",
            ]
        else:
            lines += [
                f"        r = text_wire({vr!r}, v)",
                "        n = len(r)",
                f"        a += (0, {tag}, n, r)",
                "        k.append(n)",
                "        t += 8 + n",
            ]
    lines += [
        "    a[3] = t",
        "    key = tuple(k)",
        "    packer = structs.get(key)",
        "    if packer is None:",
        "        packer = struct_for(message, key)",
        "    return packer.pack(*a)",
    ]
    namespace: dict[str, Any] = {
        "text_wire": _text_wire,
        "structs": message.structs,
        "struct_for": _struct_for,
        "message": message,
    }
    exec("\n".join(lines), namespace)  # built from the message's own declaration
    return namespace["encode"]


_ENCODERS: dict[str, Any] = {}


def from_primitive(primitive: DimsePrimitive) -> tuple[bytes, Any]:
    """The command set of `primitive` and the data set that follows it, if any.

    Raises
    ------
    ValueError
        If the primitive is not a complete, conformant message (sending is strict).
    """
    message = message_for(primitive)
    problems = (
        primitive.response_problems() if message.is_response else primitive.request_problems()
    )
    if problems:
        raise ValueError(f"cannot send {message.name}: " + "; ".join(problems))
    parameter = message.data_set_parameter
    data_set = None if parameter is None else getattr(primitive, "_" + parameter)
    encoder = _ENCODERS.get(message.name)
    if encoder is None:
        encoder = _ENCODERS[message.name] = generated_encoder(message)
    return encoder(primitive, data_set is not None), data_set


# -- decoding ---------------------------------------------------------------------------


def has_data_set(cs: CommandSet) -> bool:
    """Whether a data set follows: any CommandDataSetType but 0x0101 (PS3.7 E.1-1).

    dcm4che writes 0x0000 and fo-dicom 0x0202 for "present"; both mean a data set.
    """
    value = cs.values.get(0x0800)
    if value is None:
        raise CommandSetError(
            "element (0000,0800) CommandDataSetType is missing: whether a data set "
            "follows is unknown",
            offset=0,  # a missing element is a fault of the whole command set
            tag=0x0800,
        )
    return value != NO_DATA_SET


@functools.lru_cache(maxsize=1024)
def _wire_uid(text: str) -> tuple[UID, str | None]:
    """A decoded UID and what is wrong with it; SOP Class UIDs repeat, so cache them."""
    # pydicom would warn about an invalid UID; here it is reported as a deviation instead.
    return UID(text, validation_mode=config.IGNORE), uid_problem(text)


def _value(
    keyword: str, vr: str, value: Any, devs: list[Deviation], strict: bool, offset: int, tag: int
) -> Any:
    """A decoded element as its parameter holds it; doubtful values are kept and reported."""
    if vr == "US":
        if keyword == "Priority":
            try:
                return check_priority(value)
            except ValueError as err:
                raise CommandSetError(
                    f"element (0000,0700) Priority is {value}: must be 0, 1 or 2",
                    offset=offset,
                    tag=tag,
                ) from err
        return value
    if vr == "AT":
        if not value and keyword == "OffendingElement":
            report(devs, strict, "empty-value", f"{keyword} is empty", offset, tag)
            return None
        return tuple(value)
    assert isinstance(value, str)
    if vr == "UI":
        if value == "":
            report(devs, strict, "empty-value", f"{keyword} is empty", offset, tag)
            return None
        uid, problem = _wire_uid(value)
        if problem is not None:
            report(
                devs,
                strict,
                "uid-syntax",
                f"{keyword} {value!r} is not a valid UID: {problem}",
                offset,
                tag,
            )
        return uid
    if vr == "AE":
        title = value.strip(" ")
        try:
            check_ae_title(title, keyword)
        except ValueError as err:
            report(devs, strict, "value-not-ae", str(err), offset, tag)
            return title or None
        return title
    try:  # LO: ErrorComment
        check_lo_text(value, keyword)
    except ValueError as err:
        report(devs, strict, "value-not-lo", str(err), offset, tag)
    return value


#: Passed as `data_set` when the data set was handed out in fragments, not kept.
STREAMED = BytesIO()


def to_primitive(
    cs: CommandSet, data_set: BytesIO | None, context_id: int, *, strict: bool = False
) -> DimsePrimitive:
    """The primitive for a decoded command set and its data set.

    Deviations of the command set and of the message (missing mandatory elements,
    elements that do not belong, a data set where the message has none, the status rules
    of PS3.7 Annex C and PS3.4 broken) are collected on ``primitive.deviations``; with
    `strict` they raise CommandSetError.
    """
    prim = command_primitive(cs, context_id, strict=strict)
    attach_data_set(prim, data_set, strict=strict)
    return prim


def command_primitive(cs: CommandSet, context_id: int, *, strict: bool = False) -> DimsePrimitive:
    """The primitive of a command set, before its data set is known.

    Finish it with :func:`attach_data_set` (which applies the data set and status rules).
    """
    devs = list(cs.deviations)
    values = cs.values
    field_value = values.get(0x0100)
    if field_value is None:
        raise CommandSetError("element (0000,0100) CommandField is missing", offset=0, tag=0x0100)
    assert isinstance(field_value, int)
    message = message_for_field(field_value)
    prim: DimsePrimitive
    if message is None:
        named: dict[BaseTag, object] = {BaseTag(t): v for t, v in values.items()}
        named.update({BaseTag(t): v for t, v in cs.unknown.items()})
        prim = OtherCommand(field_value, command_name(field_value), named, None)
    else:
        prim = _known(message, cs, devs, strict)
    prim.context_id = context_id
    prim.deviations = tuple(devs)
    prim.command_elements = values
    return prim


def streams_to_parameter(prim: DimsePrimitive) -> bool:
    """Whether the data set of `prim`'s message has a parameter to be handed out as."""
    if isinstance(prim, OtherCommand):
        return True
    return message_for(prim).data_set_parameter is not None


def attach_data_set(
    prim: DimsePrimitive, data_set: BytesIO | None, *, strict: bool = False
) -> None:
    """Give `prim` its data set (or :data:`STREAMED`) and check the rules that need it.

    The deviations found are added to ``prim.deviations``; with `strict` they raise.
    """
    if isinstance(prim, OtherCommand):
        if data_set is not STREAMED:
            prim.DataSet = data_set
        return
    devs = list(prim.deviations)
    message = message_for(prim)
    name, parameter = message.name, message.data_set_parameter
    if data_set is not None:
        if parameter is None:
            report(
                devs,
                strict,
                "data-set-not-allowed",
                f"{name} carries a data set ({message.source}: it has none)",
                None,
                0x0800,
            )
            prim.extra_data_set = None if data_set is STREAMED else data_set
        elif data_set is not STREAMED:
            setattr(prim, "_" + parameter, data_set)
    elif message.data_set == M:
        report(
            devs,
            strict,
            "missing-data-set",
            f"{name} has no {parameter} ({message.source})",
            None,
            0x0800,
        )
    if message.is_response:
        streamed = data_set is STREAMED and parameter is not None
        if streamed:  # the rules look at whether the data set is there
            setattr(prim, "_" + parameter, STREAMED)  # type: ignore[operator]
        try:
            for problem in prim.status_problems():
                report(devs, strict, "conditional-rule", f"{name}: {problem}", None, None)
        finally:
            if streamed:
                setattr(prim, "_" + parameter, None)  # type: ignore[operator]
    prim.deviations = tuple(devs)


_AS_IS, _PRIORITY, _UID, _GENERAL = range(4)  # how a plan sets a parameter


def _plan(message: Message, cs: CommandSet) -> Any:
    """How to build `message`'s primitive from command sets of `cs`'s cached shape.

    (message, a tuple of (slot, position in the shape, how)) when every
    mandatory element is there and none that does not belong (then no report can arise
    from the layout); False otherwise, for the general path.
    """
    tags = list(cs.offsets)
    if not cs.values.keys() >= message.mandatory_set or not set(tags) <= message.allowed_tags:
        return False
    plan = []
    for _keyword, slot, tag, vr in message.parameter_elements:
        if tag in cs.values:
            how = (
                _PRIORITY
                if tag == 0x0700
                else _AS_IS
                if vr == "US"
                else _UID
                if vr == "UI"
                else _GENERAL
            )
            plan.append((slot, tags.index(tag), how))
    return message, tuple(plan)


def _apply_plan(plan: Any, values: list[Any]) -> DimsePrimitive | None:
    """The primitive a shape's plan builds from its values; None when a value would need
    a report (an invalid UID, a Priority of 3, text): the general path words it."""
    prim: DimsePrimitive = plan[0].primitive()
    for slot, position, how in plan[1]:
        value = values[position]
        if how is _AS_IS or (how is _PRIORITY and value in _PRIORITIES):
            setattr(prim, slot, value)
        elif how is _UID and value and (uid := _wire_uid(value))[1] is None:
            setattr(prim, slot, uid[0])
        else:
            return None
    return prim


def decode_shaped(raw: bytes, context_id: int) -> tuple[DimsePrimitive, bool] | None:
    """The primitive of a command set of a cached shape, and whether a data set follows.

    None unless the command set has a layout seen before and decodes with no deviation
    at all (then :func:`command_primitive` gives the same primitive, as the tests check):
    no ``CommandSet`` is built and ``command_elements`` is made only when asked for.
    """
    for shape in shapes_of(len(raw)):
        values = shape.values(raw)
        if values is None:
            continue
        index = shape.index
        if 0x0100 not in index or 0x0800 not in index:
            return None
        field = values[index[0x0100]]
        plan = shape.plans.get(field)
        if plan is None:
            message = message_for_field(field)
            if message is None:
                return None
            plan = shape.plans[field] = _plan(message, shape.command_set(raw, values))
        prim = None if plan is False else _apply_plan(plan, values)
        if prim is None:
            return None
        prim.context_id = context_id
        prim._command_elements = (shape.tags, values)
        return prim, values[index[0x0800]] != NO_DATA_SET
    return None


def _known(
    message: Message,
    cs: CommandSet,
    devs: list[Deviation],
    strict: bool,
) -> DimsePrimitive:
    shape, ordered = cs.shape, cs.ordered
    if shape is not None and ordered is not None:
        plan = shape.plans.get(message.field)
        if plan is None:
            plan = shape.plans[message.field] = _plan(message, cs)
        prim = None if plan is False else _apply_plan(plan, ordered)
        if prim is not None:
            return prim
    # the general path: it finds and words every fault
    values, spans, offsets = cs.values, cs.spans, cs.offsets
    name = message.name
    if not values.keys() >= message.mandatory_set:
        for tag in message.mandatory_tags:
            if tag not in values:
                report(
                    devs,
                    strict,
                    "missing-element",
                    f"{name} lacks mandatory element {tag_text(tag)}",
                    None,
                    tag,
                )
    extras: dict[BaseTag, bytes] = {}
    if not spans.keys() <= message.allowed_tags:
        for tag in sorted(spans.keys() - message.allowed_tags):
            extras[BaseTag(tag)] = cs.raw(tag)
            if tag not in cs.unknown:  # unknown elements were reported by the decoder
                report(
                    devs,
                    strict,
                    "unexpected-element",
                    f"{name} does not carry element {tag_text(tag)}",
                    offsets[tag],
                    tag,
                )
    prim = message.primitive()
    for keyword, slot, tag, vr in message.parameter_elements:
        if tag in values:
            value = values[tag]
            if vr == "UI" and value:  # the common case inline: a SOP Class UID seen before
                uid, problem = _wire_uid(value)
                if problem is None:
                    setattr(prim, slot, uid)
                    continue
            elif vr == "US" and (tag != 0x0700 or value in _PRIORITIES):
                setattr(prim, slot, value)  # a US stands as it is; Priority is 0, 1 or 2
                continue
            setattr(prim, slot, _value(keyword, vr, value, devs, strict, offsets[tag], tag))
    if extras:
        prim.extra_elements = extras
    return prim
