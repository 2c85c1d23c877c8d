"""Primitives to command sets and back, by the message declarations (PS3.7 9.3, 10.3).

Encoding writes exactly the elements whose parameter is set, in ascending tag order;
decoding maps every element back to its parameter and reports what does not belong.
The declarations themselves are in :mod:`dimsewire.codec.message_table`.
"""

from __future__ import annotations

import functools
import struct
from io import BytesIO
from typing import Any

from pydicom import config
from pydicom.tag import BaseTag
from pydicom.uid import UID

from ..errors import CommandSetError, Deviation
from ..primitives import DimsePrimitive, OtherCommand
from ..primitives._validate import check_ae_title, check_lo_text, check_priority, uid_problem
from .command_dictionary import command_name
from .command_set import CommandSet, clean_uid, decode_command_set, report, shape_struct, shapes_of
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


#: Text and UI values on the wire by VR, filled as used (bounded): a dict lookup is the
#: cheapest way to a padded value, and the few distinct SOP Class UIDs recur.
_WIRE_TEXT: dict[str, dict[str, bytes]] = {"UI": {}, "AE": {}, "LO": {}}
_WIRE_TEXT_LIMIT = 4096


def _text_wire(vr: str, text: str) -> bytes:
    """A UI or text value on the wire: ASCII, padded to even length (PS3.5 6.2)."""
    raw = pad(vr, text.encode("ascii"))
    known = _WIRE_TEXT[vr]
    if len(known) < _WIRE_TEXT_LIMIT:
        known[str(text)] = raw
    return raw


_STRUCTS_PER_MESSAGE = 256


#: Optional elements usually present: the Affected SOP Class and Instance UIDs of a
#: response (pynetdicom and DCMTK send them). Other optional elements (Move Originator,
#: the status details, counts) are usually absent.
_USUALLY_PRESENT = frozenset({"_AffectedSOPClassUID", "_AffectedSOPInstanceUID"})


def _encoder_lines(message: Message, result: str) -> tuple[list[str], list[int | None]]:
    """The body of a message's command set encoder, and what its packer key holds.

    The code reads the primitive ``p`` and ``d`` (whether a data set follows) and
    returns `result` with ``{}`` replaced by the command set. Elements the primitive's
    table makes mandatory in this direction are there once the validity checks passed;
    a US one has a fixed layout. The key of the packer cache holds the value length of
    each other element (-1 when absent): the second list gives, per element of
    ``message.plan``, its place in the key, or None for a fixed length of 2. When the
    optional elements are present or absent as usual (:data:`_USUALLY_PRESENT`), one
    branch packs them without a test per element.
    """
    column = 2 if message.is_response else 1
    need = {row[0]: row[column] for row in message.primitive._TABLE}
    loads: list[str] = []
    places: list[int | None] = []
    # per element: (pack arguments, the lines computing its value, its slot if it is
    # optional, else None); one of a fixed length (2) needs no lines
    elements: list[tuple[str, list[str], str | None]] = []
    for slot, tag, vr in message.plan:
        if slot is None:  # CommandField or CommandDataSetType: the codec's own
            follows = f"({DATA_SET_PRESENT} if d else {NO_DATA_SET})"
            value = str(message.field) if tag == 0x0100 else follows
            elements.append((f"0, {tag}, 2, {value}", [], None))
            places.append(None)
            continue
        assert slot.isidentifier()
        mandatory = need[slot[1:]] == M
        if mandatory and vr == "US":
            elements.append((f"0, {tag}, 2, p.{slot}", [], None))
            places.append(None)
            continue
        k = sum(place is not None for place in places)
        places.append(k)
        v, r, n = f"v{k}", f"r{k}", f"n{k}"
        loads.append(f"    {v} = p.{slot}")
        if vr == "US":
            body, element = [f"{r} = {v}", f"{n} = 2"], f"0, {tag}, 2, {r}"
        elif vr == "AT":
            body = [f"{r} = [x for g in {v} for x in (g >> 16, g & 0xFFFF)]", f"{n} = 2 * len({r})"]
            element = f"0, {tag}, {n}, *{r}"
        else:
            body = [
                f"{r} = wire_{vr}.get({v})",
                f"if {r} is None:",
                f"    {r} = text_wire({vr!r}, {v})",
                f"{n} = len({r})",
            ]
            element = f"0, {tag}, {n}, {r}"
        elements.append((element, body, None if mandatory else slot))

    def packed(indent: str, key: list[str], terms: list[str], args: list[str]) -> list[str]:
        """The lines packing `args` by the packer of `key`, group length `terms`."""
        index = key[0] if len(key) == 1 else f"({', '.join(key)}{',' if key else ''})"
        pack = f"packer.pack(0, 0, 4, {' + '.join(terms)}, {', '.join(args)})"
        return [
            f"{indent}key = {index}",
            f"{indent}packer = structs.get(key)",
            f"{indent}if packer is None:",
            f"{indent}    packer = struct_for(key)",
            f"{indent}return " + result.format(pack),
        ]

    def packing(present: list[bool], indent: str) -> list[str]:
        """Lines packing the elements, each present or absent as `present` says."""
        lines: list[str] = []
        args: list[str] = []
        key: list[str] = []
        terms: list[str] = []
        constant = 0  # of the group length: 10 per element of fixed length, 8 per header
        for (element, body, _optional), there in zip(elements, present, strict=True):
            if there:
                lines += [indent + line for line in body]
                args.append(element)
                constant += 8 if body else 10
            if body:
                key.append(f"n{len(key)}" if there else "-1")
                if there:
                    terms.append(key[-1])
        return [*lines, *packed(indent, key, [str(constant), *terms], args)]

    optional = [k for k, (_e, _b, slot) in enumerate(elements) if slot is not None]
    if not optional:
        return [*loads, *packing([True] * len(elements), "    ")], places
    usual = [slot is None or slot in _USUALLY_PRESENT for _e, _b, slot in elements]
    tests = [f"v{places[k]} is {'not ' if usual[k] else ''}None" for k in optional]
    lines = [*loads, f"    if {' and '.join(tests)}:", *packing(usual, "        ")]
    # otherwise each optional element is tested
    constant = sum(8 if body else 10 for _e, body, slot in elements if slot is None)
    terms, args = [str(constant)], []
    for k, (element, body, slot) in enumerate(elements):
        if slot is None:
            lines += [f"    {line}" for line in body]
            if body:
                terms.append(f"n{places[k]}")
            args.append(element)
        else:
            v, n = f"v{places[k]}", f"n{places[k]}"
            lines += [f"    if {v} is None:", f"        {n} = -1", "    else:"]
            lines += [f"        {line}" for line in body]
            terms.append(f"({n} + 8 if {v} is not None else 0)")
            args.append(f"*(({element}) if {v} is not None else ())")
    names = [f"n{k}" for k in range(sum(place is not None for place in places))]
    return [*lines, *packed("    ", names, terms, args)], places


def _generated(message: Message, head: list[str], result: str, name: str) -> Any:
    """A function of `message`: `head`, then its encoder body returning `result`."""
    body, places = _encoder_lines(message, result)
    structs = message.structs

    def struct_for(key: Any) -> Any:
        """The packer of a key (see _encoder_lines), derived and cached on first use."""
        lengths = key if isinstance(key, tuple) else (key,)
        shape = [("UL", 4)]
        for (_slot, _tag, vr), place in zip(message.plan, places, strict=True):
            n = 2 if place is None else lengths[place]
            if n >= 0:
                shape.append((vr, n))
        packer = shape_struct(tuple(shape))
        if len(structs) < _STRUCTS_PER_MESSAGE:
            structs[key] = packer
        return packer

    namespace: dict[str, Any] = {
        "text_wire": _text_wire,
        "structs": structs,
        "struct_for": struct_for,
        **{f"wire_{vr}": known for vr, known in _WIRE_TEXT.items()},
    }
    exec("\n".join([*head, *body]), namespace)  # built from the message's declaration
    return namespace[name]


def generated_encoder(message: Message) -> Any:
    """The command set encoder of one message, ``encode(primitive, data_follows)``, as
    straight-line code built once.

    CommandGroupLength, then every element whose parameter is set, with the message's
    constants (tags, CommandField) written in and no loop; one ``struct`` per layout
    (which elements, how long), derived from the element declarations and cached per
    message, packs it whole. It expects a primitive that passed its validity checks (the
    mandatory parameters set). ``tests/test_fast_paths.py`` proves it gives the bytes of
    the general :func:`~dimsewire.codec.command_set.encode_command_set`.
    """
    return _generated(message, ["def encode(p, d):"], "{}", "encode")


def _generated_sender(message: Message) -> Any:
    """``from_primitive`` for one message: the validity checks, then the encoder inline."""
    check = "response_problems" if message.is_response else "request_problems"
    parameter = message.data_set_parameter
    head = [
        "def send(p):",
        f"    problems = p.{check}()",
        "    if problems:",
        f"        raise ValueError({'cannot send ' + message.name + ': '!r} + '; '.join(problems))",
        f"    data_set = p._{parameter}" if parameter is not None else "    data_set = None",
        "    d = data_set is not None",
    ]
    return _generated(message, head, "({}, data_set)", "send")


_SENDERS: dict[type[DimsePrimitive], list[Any]] = {}


def from_primitive(primitive: DimsePrimitive) -> tuple[bytes, Any]:
    """The command set of `primitive` and the data set that follows it, if any.

    Raises
    ------
    ValueError
        If the primitive is not a complete, conformant message (sending is strict).
    """
    senders = _SENDERS.get(type(primitive))
    if senders is not None:
        sender = senders[getattr(primitive, "_Status", None) is not None]
        if sender is not None:
            return sender(primitive)  # type: ignore[no-any-return]
    message = message_for(primitive)  # raises when the primitive cannot be sent
    senders = _SENDERS.setdefault(type(primitive), [None, None])
    sender = senders[message.is_response] = _generated_sender(message)
    return sender(primitive)  # type: ignore[no-any-return]


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
    message = message_for(prim)
    slot = message.data_set_slot
    if data_set is None:
        usual = message.data_set != M
    else:
        usual = slot is not None and data_set is not STREAMED
        if usual:
            setattr(prim, slot, data_set)  # type: ignore[arg-type]
    if usual and (not message.is_response or not prim.status_problems()):
        return  # the usual case: nothing to report
    devs = list(prim.deviations)
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
    _learn(message, cs)
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
    A (shape, CommandField) seen before has a generated builder (:func:`_learn`), tried
    first.
    """
    layouts = _BUILDERS.get(len(raw))
    if layouts is not None:
        for unpack, builders in layouts:
            fields = unpack(raw)
            build = builders.get(fields[0::2])
            if build is not None:
                done = build(fields, raw, context_id)
                if done is not None:
                    return done  # type: ignore[no-any-return]
                break
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
        prim._command_elements = (_zipped, shape.tags, values)
        return prim, values[index[0x0800]] != NO_DATA_SET
    return None


def _zipped(tags: tuple[int, ...], values: list[Any]) -> dict[int, object]:
    return dict(zip(tags, values, strict=True))


def _elements_of(raw: bytes) -> dict[int, object]:
    """The command elements of a command set that decodes cleanly."""
    return decode_command_set(raw).values


#: Per command set length, per struct format of the values (see :func:`_learn`): its
#: unpack, and the generated builders by the fixed bytes.
_BUILDERS: dict[int, list[tuple[Any, dict[tuple[bytes, ...], Any]]]] = {}
_FORMATS: dict[str, dict[tuple[bytes, ...], Any]] = {}
_BUILDERS_LIMIT = 256
#: Valid UIDs by their bytes on the wire (NUL-padded), filled as met (bounded).
_WIRE_UIDS: dict[bytes, UID] = {}
_WIRE_UIDS_LIMIT = 4096


def _uid_of(raw: bytes) -> UID | None:
    """The UID of a UI value on the wire, None unless it is a valid UID decoded cleanly."""
    text = clean_uid(raw)
    if text is None:
        return None
    uid, problem = _wire_uid(text)
    if problem is not None:
        return None
    if len(_WIRE_UIDS) < _WIRE_UIDS_LIMIT:
        _WIRE_UIDS[raw] = uid
    return uid


def _learn(message: Message, cs: CommandSet) -> None:
    """Generate the builder of `message`'s primitive from command sets of `cs`'s layout.

    `cs` decoded cleanly by a cached shape and carries every mandatory element and
    none that does not belong. Every byte but the values of the parameters and of
    CommandDataSetType is then fixed: element headers, CommandGroupLength (the length
    is), CommandField. One struct unpacks a command set as (fixed bytes, value, fixed
    bytes, value, ...), once for every message of that layout; the fixed bytes, in one
    lookup, find the builder, which makes the primitive straight from the values. A
    value that would need a report (a UID that is not clean and valid, a Priority above
    2) makes it give None, for the general path; ``tests/test_fast_paths.py`` proves
    both paths agree.
    """
    raw = cs.data
    if sum(map(len, _FORMATS.values())) >= _BUILDERS_LIMIT:
        return
    parameters = {tag: (slot, vr) for _keyword, slot, tag, vr in message.parameter_elements}
    fmt, fixed, lines = ["<"], [], []
    position = 0
    for tag in cs.offsets:  # in the command set's (ascending) order
        if tag in (0x0000, 0x0100):  # fixed: the length is, and the message is
            continue
        start, end = cs.spans[tag]
        fmt.append(f"{start - position}s")
        fixed.append(raw[position:start])
        at = 2 * len(fixed) - 1  # where this value lands in the unpacked tuple
        slot, vr = parameters.get(tag, (None, "US"))  # CommandDataSetType: US, no slot
        if vr == "US":
            assert end - start == 2
            fmt.append("H")
            if slot is None:
                follows = at
            elif tag == 0x0700:  # Priority: 0, 1 or 2
                lines += [f"    if f[{at}] > 2:", "        return None"]
        else:
            assert vr == "UI"
            assert slot is not None
            fmt.append(f"{end - start}s")
            lines += [
                f"    u{at} = uids.get(f[{at}])",
                f"    if u{at} is None:",
                f"        u{at} = uid_of(f[{at}])",
                f"        if u{at} is None:",
                "            return None",
            ]
        position = end
    if position < len(raw):
        fmt.append(f"{len(raw) - position}s")
        fixed.append(raw[position:])
    lines += ["    p = primitive()"]
    for at, tag in enumerate(t for t in cs.offsets if t not in (0x0000, 0x0100)):
        slot, vr = parameters.get(tag, (None, "US"))
        if slot is not None:
            assert slot.isidentifier()
            lines.append(
                f"    p.{slot} = " + (f"f[{2 * at + 1}]" if vr == "US" else f"u{2 * at + 1}")
            )
    lines = [
        "def build(f, raw, context_id):",
        *lines,
        "    p.context_id = context_id",
        "    p._command_elements = (elements_of, raw)",
        f"    return p, f[{follows}] != {NO_DATA_SET}",
    ]
    namespace: dict[str, Any] = {
        "uids": _WIRE_UIDS,
        "uid_of": _uid_of,
        "primitive": message.primitive,
        "elements_of": _elements_of,
    }
    exec("\n".join(lines), namespace)  # built from the message's declaration and a layout
    layout = "".join(fmt)
    builders = _FORMATS.get(layout)
    if builders is None:  # a new layout: unpacked once for every message that has it
        builders = _FORMATS[layout] = {}
        _BUILDERS.setdefault(len(raw), []).append((struct.Struct(layout).unpack, builders))
    builders[tuple(fixed)] = namespace["build"]


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
