"""Which command elements each message carries, and the primitive each decodes to.

PS3.7 Table 9.3-3 (C-FIND-RQ), Table 9.3-4 (C-FIND-RSP) and Table 9.3-5 (C-CANCEL-RQ).
Encoding writes exactly the elements of the table whose parameter is set, in ascending
tag order; decoding maps every element back and reports what does not belong.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from io import BytesIO

from pydicom import config
from pydicom.tag import BaseTag
from pydicom.uid import UID

from ..errors import CommandSetError, Deviation
from ..primitives import C_CANCEL, C_FIND, DimsePrimitive, OtherCommand
from ..primitives._validate import check_lo_text, check_priority, uid_problem
from .command_dictionary import COMMAND_ELEMENTS, KEYWORD_TAGS, command_name
from .command_set import CommandSet, WireValue, encode_command_set
from .tags import tag_text
from .vr import pad

__all__ = ["NO_DATA_SET", "MessageSpec", "from_primitive", "spec_for", "to_primitive"]

#: CommandDataSetType (0000,0800) for "no data set"; any other value means one follows.
NO_DATA_SET = 0x0101
#: What pynetdicom and DCMTK write when a data set follows (PS3.7 Table E.1-1).
DATA_SET_PRESENT = 0x0001


@dataclass(frozen=True)
class MessageSpec:
    """One message type: its command field and its elements (after CommandGroupLength)."""

    name: str
    field: int
    elements: tuple[str, ...]
    mandatory: frozenset[str]

    @functools.cached_property
    def allowed_tags(self) -> frozenset[int]:
        """Tags of every element the message may carry, CommandGroupLength included."""
        return frozenset({0, *(KEYWORD_TAGS[k] for k in self.elements)})

    @functools.cached_property
    def mandatory_set(self) -> frozenset[int]:
        """Tags of the mandatory elements, CommandGroupLength included."""
        return frozenset(self.mandatory_tags)

    @functools.cached_property
    def mandatory_tags(self) -> tuple[int, ...]:
        """Tags of the mandatory elements, CommandGroupLength first."""
        return (0, *sorted(KEYWORD_TAGS[k] for k in self.mandatory))


C_FIND_RQ = MessageSpec(  # PS3.7 Table 9.3-3
    "C-FIND-RQ",
    0x0020,
    ("AffectedSOPClassUID", "CommandField", "MessageID", "Priority", "CommandDataSetType"),
    frozenset(
        ("AffectedSOPClassUID", "CommandField", "MessageID", "Priority", "CommandDataSetType")
    ),
)
C_FIND_RSP = MessageSpec(  # PS3.7 Table 9.3-4
    "C-FIND-RSP",
    0x8020,
    (
        "AffectedSOPClassUID",
        "CommandField",
        "MessageIDBeingRespondedTo",
        "CommandDataSetType",
        "Status",
        "OffendingElement",
        "ErrorComment",
    ),
    frozenset(("CommandField", "MessageIDBeingRespondedTo", "CommandDataSetType", "Status")),
)
C_CANCEL_RQ = MessageSpec(  # PS3.7 Table 9.3-5
    "C-CANCEL-RQ",
    0x0FFF,
    ("CommandField", "MessageIDBeingRespondedTo", "CommandDataSetType"),
    frozenset(("CommandField", "MessageIDBeingRespondedTo", "CommandDataSetType")),
)
_BY_FIELD = {spec.field: spec for spec in (C_FIND_RQ, C_FIND_RSP, C_CANCEL_RQ)}
_ELEMENT_VR = {keyword: COMMAND_ELEMENTS[tag].vr for keyword, tag in KEYWORD_TAGS.items()}


def spec_for(primitive: DimsePrimitive) -> MessageSpec:
    """The message a primitive is sent as: a C_FIND with a Status is a response."""
    if isinstance(primitive, C_FIND):
        return C_FIND_RQ if primitive.Status is None else C_FIND_RSP
    if isinstance(primitive, C_CANCEL):
        return C_CANCEL_RQ
    raise TypeError(f"cannot encode {type(primitive).__name__}: only C_FIND and C_CANCEL")


def _wire(keyword: str, value: object) -> WireValue:
    vr = _ELEMENT_VR[keyword]
    if vr == "AT":
        assert isinstance(value, list)
        return tuple(part for tag in value for part in (tag >> 16, tag & 0xFFFF))
    if isinstance(value, str):
        return pad(vr, value.encode("ascii"))
    assert isinstance(value, int)
    return value


def from_primitive(primitive: DimsePrimitive) -> tuple[bytes, BytesIO | None]:
    """The command set of `primitive` and the data set that follows it, if any.

    Raises
    ------
    ValueError
        If the primitive is not a complete, conformant message (sending is strict).
    """
    spec = spec_for(primitive)
    problems = (
        primitive.response_problems()  # type: ignore[attr-defined]
        if spec is C_FIND_RSP
        else primitive.request_problems()  # type: ignore[attr-defined]
    )
    if problems:
        raise ValueError(f"cannot send {spec.name}: " + "; ".join(problems))
    data_set: BytesIO | None = getattr(primitive, "Identifier", None)
    elements: list[tuple[int, str, WireValue]] = []
    for keyword in spec.elements:
        if keyword == "CommandField":
            value: object = spec.field
        elif keyword == "CommandDataSetType":
            value = NO_DATA_SET if data_set is None else DATA_SET_PRESENT
        else:
            value = getattr(primitive, keyword)
            if value is None:
                continue
        elements.append((KEYWORD_TAGS[keyword], _ELEMENT_VR[keyword], _wire(keyword, value)))
    return encode_command_set(elements), data_set


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


def _report(
    devs: list[Deviation], strict: bool, rule: str, reason: str, offset: int | None, tag: int | None
) -> None:
    if strict:  # no element to point at (a missing one, a rule): the command set's start
        raise CommandSetError(reason, offset=0 if offset is None else offset, tag=tag)
    devs.append(Deviation(rule, f"command set: {reason}", offset))


@functools.lru_cache(maxsize=1024)
def _wire_uid(text: str) -> tuple[UID, str | None]:
    """A decoded UID and what is wrong with it; SOP Class UIDs repeat, so cache them."""
    # pydicom would warn about an invalid UID; here it is reported as a deviation instead.
    return UID(text, validation_mode=config.IGNORE), uid_problem(text)


def _to_c_find(cs: CommandSet, spec: MessageSpec, devs: list[Deviation], strict: bool) -> C_FIND:
    """Build a C_FIND from decoded values; range checks raise, doubtful values are kept."""
    values, offsets = cs.values, cs.offsets
    prim = C_FIND()
    uid = values.get(0x0002)
    if uid is not None:
        assert isinstance(uid, str)
        if uid == "":
            _report(
                devs, strict, "empty-value", "AffectedSOPClassUID is empty", offsets[0x0002], 0x0002
            )
        else:
            value, problem = _wire_uid(uid)
            if problem is not None:
                _report(
                    devs,
                    strict,
                    "uid-syntax",
                    f"AffectedSOPClassUID {uid!r} is not a valid UID: {problem}",
                    offsets[0x0002],
                    0x0002,
                )
            prim._affected_sop_class_uid = value
    if spec is C_FIND_RQ:
        prim._message_id = values.get(0x0110)  # type: ignore[assignment]
        if 0x0700 in values:
            try:
                prim._priority = check_priority(values[0x0700])
            except ValueError as err:
                raise CommandSetError(
                    f"element (0000,0700) Priority is {values[0x0700]}: must be 0, 1 or 2",
                    offset=offsets[0x0700],
                    tag=0x0700,
                ) from err
        return prim
    prim._message_id_being_responded_to = values.get(0x0120)  # type: ignore[assignment]
    prim._status = values.get(0x0900)  # type: ignore[assignment]
    tags = values.get(0x0901)
    if tags is not None:
        prim._offending_element = tuple(tags)  # type: ignore[arg-type]
    comment = values.get(0x0902)
    if comment is not None:
        assert isinstance(comment, str)
        try:
            check_lo_text(comment, "ErrorComment")
        except ValueError as err:
            _report(devs, strict, "value-not-lo", str(err), offsets[0x0902], 0x0902)
        prim._error_comment = comment
    return prim


def to_primitive(
    cs: CommandSet, data_set: BytesIO | None, context_id: int, *, strict: bool = False
) -> DimsePrimitive:
    """The primitive for a decoded command set and its data set.

    Deviations of the command set and of the message (missing mandatory elements,
    elements that do not belong, conditional rules of PS3.4 C.4.1.1.4 broken) are
    collected on ``primitive.deviations``; with `strict` they raise CommandSetError.
    """
    devs = list(cs.deviations)
    field_value = cs.values.get(0x0100)
    if field_value is None:
        raise CommandSetError("element (0000,0100) CommandField is missing", offset=0, tag=0x0100)
    assert isinstance(field_value, int)
    spec = _BY_FIELD.get(field_value)
    prim: DimsePrimitive
    if spec is None:
        named: dict[BaseTag, object] = {BaseTag(t): v for t, v in cs.values.items()}
        named.update({BaseTag(t): v for t, v in cs.unknown.items()})
        prim = OtherCommand(
            field_value,
            command_name(field_value),
            named,
            data_set,
        )
    else:
        values, spans = cs.values, cs.spans
        if not values.keys() >= spec.mandatory_set:
            for tag in spec.mandatory_tags:
                if tag not in values:
                    _report(
                        devs,
                        strict,
                        "missing-element",
                        f"{spec.name} lacks mandatory element {tag_text(tag)}",
                        None,
                        tag,
                    )
        extras: dict[BaseTag, bytes] = {}
        if not spans.keys() <= spec.allowed_tags:
            for tag in sorted(spans.keys() - spec.allowed_tags):
                extras[BaseTag(tag)] = cs.raw(tag)
                if tag not in cs.unknown:  # unknown elements were reported by the decoder
                    _report(
                        devs,
                        strict,
                        "unexpected-element",
                        f"{spec.name} does not carry element {tag_text(tag)}",
                        cs.offsets[tag],
                        tag,
                    )
        if spec is C_CANCEL_RQ:
            prim = C_CANCEL()
            prim._message_id_being_responded_to = cs.values.get(0x0120)  # type: ignore[assignment]
            if data_set is not None:
                _report(
                    devs,
                    strict,
                    "cancel-data-set",
                    "C-CANCEL-RQ carries a data set (PS3.7 Table 9.3-5)",
                    None,
                    0x0800,
                )
        else:
            prim = _to_c_find(cs, spec, devs, strict)
            if data_set is not None:
                prim._identifier = data_set
            elif spec is C_FIND_RQ:
                _report(
                    devs,
                    strict,
                    "missing-identifier",
                    "C-FIND-RQ has no Identifier (PS3.7 9.1.2.1)",
                    None,
                    0x0800,
                )
            if spec is C_FIND_RSP:
                for problem in prim.status_problems():
                    _report(
                        devs,
                        strict,
                        "conditional-rule",
                        f"{spec.name}: {problem} (PS3.4 C.4.1.1.4)",
                        None,
                        None,
                    )
        prim.extra_elements = extras
    prim.context_id = context_id
    prim.deviations = tuple(devs)
    prim.command_elements = cs.values
    return prim
