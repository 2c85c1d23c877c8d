"""The DIMSE messages: which command elements each carries, and the primitive it is.

One declaration per message, read next to PS3.7 Tables 9.3-1 to 9.3-13 (DIMSE-C) and
10.3-1 to 10.3-12 (DIMSE-N): the elements after CommandGroupLength in ascending tag
order, each ``M`` (always present), ``U`` (user option) or ``C`` (conditional), and
whether a data set is ``M``, ``U``/``C`` or never (``-``) present. A response's table ends
with the PS3.7 Annex C related fields its statuses may add (Error Comment, Error ID,
Offending Element, Attribute Identifier List), marked ``C``.

:mod:`dimsewire.codec.messages` encodes and decodes by these declarations.
"""

from __future__ import annotations

import dataclasses
import functools
import struct
from dataclasses import dataclass

from ..primitives import (
    C_CANCEL,
    C_ECHO,
    C_FIND,
    C_GET,
    C_MOVE,
    C_STORE,
    N_ACTION,
    N_CREATE,
    N_DELETE,
    N_EVENT_REPORT,
    N_GET,
    N_SET,
    DimsePrimitive,
)
from .command_dictionary import COMMAND_ELEMENTS, KEYWORD_TAGS

__all__ = [
    "DATA_SET_PRESENT",
    "FIXED",
    "MESSAGES",
    "NO_DATA_SET",
    "Message",
    "message_for",
    "message_for_field",
]

#: CommandDataSetType (0000,0800) for "no data set"; any other value means one follows.
NO_DATA_SET = 0x0101
#: What pynetdicom and DCMTK write when a data set follows (PS3.7 Table E.1-1).
DATA_SET_PRESENT = 0x0001

#: The elements the codec sets itself, not from a parameter.
FIXED = ("CommandField", "CommandDataSetType")


@dataclass(frozen=True)
class Message:
    """One DIMSE message: its command field, elements and data set (PS3.7 9.3, 10.3).

    Attributes
    ----------
    name : str
        E.g. ``"C-STORE-RQ"``.
    field : int
        The CommandField (0000,0100) value.
    primitive : type
        The primitive class it decodes to; a response when ``field`` has bit 15 set.
    elements : tuple of (keyword, need)
        The command elements after CommandGroupLength, in ascending tag order.
    data_set : str
        ``"M"`` a data set always follows, ``"U"``/``"C"`` it may, ``"-"`` it never does.
    source : str
        The PS3.7 table.
    """

    name: str
    field: int
    primitive: type[DimsePrimitive]
    elements: tuple[tuple[str, str], ...]
    data_set: str
    source: str
    wire: tuple[tuple[str, str, int, str], ...] = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        tags = [KEYWORD_TAGS[keyword] for keyword, _need in self.elements]
        if tags != sorted(set(tags)):
            raise ValueError(f"{self.name}: elements must be in ascending tag order")
        # (keyword, primitive slot, tag, VR) for each element: what encoding walks.
        wire = tuple(
            (keyword, "_" + keyword, tag, COMMAND_ELEMENTS[tag].vr)
            for (keyword, _need), tag in zip(self.elements, tags, strict=True)
        )
        object.__setattr__(self, "wire", wire)

    @functools.cached_property
    def is_response(self) -> bool:
        """Whether the message is a response (CommandField bit 15, PS3.7 Annex E)."""
        return bool(self.field & 0x8000)

    @functools.cached_property
    def parameter_elements(self) -> tuple[tuple[str, str, int, str], ...]:
        """:attr:`wire` without CommandField and CommandDataSetType: what decoding sets."""
        return tuple(row for row in self.wire if row[0] not in FIXED)

    @functools.cached_property
    def plan(self) -> tuple[tuple[str | None, int, str], ...]:
        """(primitive slot, tag, VR) per element; no slot for the codec's own two."""
        return tuple(
            (None if keyword in FIXED else slot, tag, vr) for keyword, slot, tag, vr in self.wire
        )

    @functools.cached_property
    def structs(self) -> dict[tuple[int, ...], struct.Struct]:
        """Packers of the message's generated encoders, filled as used: keyed by the value
        length of each element whose length varies (-1 for one absent)."""
        return {}

    @functools.cached_property
    def data_set_parameter(self) -> str | None:
        """The primitive's data set parameter for this message, e.g. ``"EventReply"``."""
        prim = self.primitive
        return prim.RESPONSE_DATA_SET if self.is_response else prim.REQUEST_DATA_SET

    @functools.cached_property
    def data_set_slot(self) -> str | None:
        """Where the primitive keeps :attr:`data_set_parameter`, e.g. ``"_EventReply"``."""
        parameter = self.data_set_parameter
        return None if parameter is None else "_" + parameter

    @functools.cached_property
    def allowed_tags(self) -> frozenset[int]:
        """Tags of every element the message may carry, CommandGroupLength included."""
        return frozenset({0, *(tag for _k, _s, tag, _vr in self.wire)})

    @functools.cached_property
    def mandatory_tags(self) -> tuple[int, ...]:
        """Tags of the mandatory elements, CommandGroupLength first."""
        return (0, *(KEYWORD_TAGS[k] for k, need in self.elements if need == "M"))

    @functools.cached_property
    def mandatory_set(self) -> frozenset[int]:
        """:attr:`mandatory_tags` as a set."""
        return frozenset(self.mandatory_tags)


M, U, C, NEVER = "M", "U", "C", "-"

# Rows shared by many tables: the first elements of every request and response.
_RQ = (("AffectedSOPClassUID", M), ("CommandField", M), ("MessageID", M))
_RSP = (
    ("AffectedSOPClassUID", U),
    ("CommandField", M),
    ("MessageIDBeingRespondedTo", M),
    ("CommandDataSetType", M),
    ("Status", M),
)
_N_RQ = (("RequestedSOPClassUID", M), ("CommandField", M), ("MessageID", M))
_SUBOPERATIONS = (
    ("NumberOfRemainingSuboperations", C),
    ("NumberOfCompletedSuboperations", C),
    ("NumberOfFailedSuboperations", C),
    ("NumberOfWarningSuboperations", C),
)
_C_DETAILS = (("OffendingElement", C), ("ErrorComment", C))  # PS3.7 C.4, C.5
_N_DETAILS = (("ErrorComment", C), ("ErrorID", C))  # PS3.7 C.4, C.5

MESSAGES: tuple[Message, ...] = (
    Message(
        "C-STORE-RQ",
        0x0001,
        C_STORE,
        (
            *_RQ,
            ("Priority", M),
            ("CommandDataSetType", M),
            ("AffectedSOPInstanceUID", M),
            ("MoveOriginatorApplicationEntityTitle", U),
            ("MoveOriginatorMessageID", U),
        ),
        M,
        "PS3.7 Table 9.3-1",
    ),
    Message(
        "C-STORE-RSP",
        0x8001,
        C_STORE,
        (*_RSP, *_C_DETAILS, ("AffectedSOPInstanceUID", U)),
        NEVER,
        "PS3.7 Table 9.3-2",
    ),
    Message(
        "C-FIND-RQ",
        0x0020,
        C_FIND,
        (*_RQ, ("Priority", M), ("CommandDataSetType", M)),
        M,
        "PS3.7 Table 9.3-3",
    ),
    Message("C-FIND-RSP", 0x8020, C_FIND, (*_RSP, *_C_DETAILS), C, "PS3.7 Table 9.3-4"),
    Message(
        "C-CANCEL-RQ",
        0x0FFF,
        C_CANCEL,
        (("CommandField", M), ("MessageIDBeingRespondedTo", M), ("CommandDataSetType", M)),
        NEVER,
        "PS3.7 Tables 9.3-5, 9.3-8, 9.3-11",
    ),
    Message(
        "C-GET-RQ",
        0x0010,
        C_GET,
        (*_RQ, ("Priority", M), ("CommandDataSetType", M)),
        M,
        "PS3.7 Table 9.3-6",
    ),
    Message(
        "C-GET-RSP",
        0x8010,
        C_GET,
        (*_RSP, *_C_DETAILS, *_SUBOPERATIONS),
        U,
        "PS3.7 Table 9.3-7",
    ),
    Message(
        "C-MOVE-RQ",
        0x0021,
        C_MOVE,
        (*_RQ, ("MoveDestination", M), ("Priority", M), ("CommandDataSetType", M)),
        M,
        "PS3.7 Table 9.3-9",
    ),
    Message(
        "C-MOVE-RSP",
        0x8021,
        C_MOVE,
        (*_RSP, *_C_DETAILS, *_SUBOPERATIONS),
        U,
        "PS3.7 Table 9.3-10",
    ),
    Message(
        "C-ECHO-RQ", 0x0030, C_ECHO, (*_RQ, ("CommandDataSetType", M)), NEVER, "PS3.7 Table 9.3-12"
    ),
    Message(
        "C-ECHO-RSP",
        0x8030,
        C_ECHO,
        (*_RSP, ("ErrorComment", C)),
        NEVER,
        "PS3.7 Table 9.3-13",
    ),
    Message(
        "N-EVENT-REPORT-RQ",
        0x0100,
        N_EVENT_REPORT,
        (
            ("AffectedSOPClassUID", M),
            ("CommandField", M),
            ("MessageID", M),
            ("CommandDataSetType", M),
            ("AffectedSOPInstanceUID", M),
            ("EventTypeID", M),
        ),
        U,
        "PS3.7 Table 10.3-1",
    ),
    Message(
        "N-EVENT-REPORT-RSP",
        0x8100,
        N_EVENT_REPORT,
        (*_RSP, *_N_DETAILS, ("AffectedSOPInstanceUID", U), ("EventTypeID", C)),
        C,
        "PS3.7 Table 10.3-2",
    ),
    Message(
        "N-GET-RQ",
        0x0110,
        N_GET,
        (
            *_N_RQ,
            ("CommandDataSetType", M),
            ("RequestedSOPInstanceUID", M),
            ("AttributeIdentifierList", U),
        ),
        NEVER,
        "PS3.7 Table 10.3-3",
    ),
    Message(
        "N-GET-RSP",
        0x8110,
        N_GET,
        (*_RSP, *_N_DETAILS, ("AffectedSOPInstanceUID", U), ("AttributeIdentifierList", C)),
        C,
        "PS3.7 Table 10.3-4",
    ),
    Message(
        "N-SET-RQ",
        0x0120,
        N_SET,
        (*_N_RQ, ("CommandDataSetType", M), ("RequestedSOPInstanceUID", M)),
        M,
        "PS3.7 Table 10.3-5",
    ),
    Message(
        "N-SET-RSP",
        0x8120,
        N_SET,
        (*_RSP, *_N_DETAILS, ("AffectedSOPInstanceUID", U), ("AttributeIdentifierList", C)),
        U,
        "PS3.7 Table 10.3-6",
    ),
    Message(
        "N-ACTION-RQ",
        0x0130,
        N_ACTION,
        (
            *_N_RQ,
            ("CommandDataSetType", M),
            ("RequestedSOPInstanceUID", M),
            ("ActionTypeID", M),
        ),
        U,
        "PS3.7 Table 10.3-7",
    ),
    Message(
        "N-ACTION-RSP",
        0x8130,
        N_ACTION,
        (*_RSP, *_N_DETAILS, ("AffectedSOPInstanceUID", U), ("ActionTypeID", C)),
        C,
        "PS3.7 Table 10.3-8",
    ),
    Message(
        "N-CREATE-RQ",
        0x0140,
        N_CREATE,
        (*_RQ, ("CommandDataSetType", M), ("AffectedSOPInstanceUID", U)),
        U,
        "PS3.7 Table 10.3-9",
    ),
    Message(
        "N-CREATE-RSP",
        0x8140,
        N_CREATE,
        (*_RSP, *_N_DETAILS, ("AffectedSOPInstanceUID", C), ("AttributeIdentifierList", C)),
        U,
        "PS3.7 Table 10.3-10",
    ),
    Message(
        "N-DELETE-RQ",
        0x0150,
        N_DELETE,
        (*_N_RQ, ("CommandDataSetType", M), ("RequestedSOPInstanceUID", M)),
        NEVER,
        "PS3.7 Table 10.3-11",
    ),
    Message(
        "N-DELETE-RSP",
        0x8150,
        N_DELETE,
        (*_RSP, *_N_DETAILS, ("AffectedSOPInstanceUID", U)),
        NEVER,
        "PS3.7 Table 10.3-12",
    ),
)
_BY_FIELD = {message.field: message for message in MESSAGES}
# Per primitive class: [request message, response message] (None where there is none).
_BY_CLASS: dict[type[DimsePrimitive], list[Message | None]] = {}
for _message in MESSAGES:
    _BY_CLASS.setdefault(_message.primitive, [None, None])[_message.is_response] = _message


def message_for_field(field: int) -> Message | None:
    """The message with this CommandField (0000,0100), None for one the standard lacks."""
    return _BY_FIELD.get(field)


def message_for(primitive: DimsePrimitive) -> Message:
    """The message a primitive is sent as: one with a Status is a response."""
    pair = _BY_CLASS.get(type(primitive))
    message = None if pair is None else pair[getattr(primitive, "_Status", None) is not None]
    if message is None:
        if type(primitive) is C_CANCEL:
            raise ValueError("cannot send a C-CANCEL with a Status: it has no response")
        raise TypeError(
            f"cannot encode {type(primitive).__name__}: only the DIMSE primitives "
            "(C_ECHO, C_STORE, C_FIND, C_GET, C_MOVE, C_CANCEL and the N_ services)"
        )
    return message
