"""Hypothesis strategies for valid primitives of every DIMSE service, and pynetdicom twins.

What a valid message carries is written out here from the standard (PS3.7 9.3 and 10.3
message tables, the Annex C related fields, the PS3.4 status rules), not read from
dimsewire's own tables, so that a mistake there shows up as a failing test.

pynetdicom 3.0.4 helpers: :func:`pynetdicom_twin` builds the same primitive with
pynetdicom's classes, :func:`pynetdicom_encode` / :func:`pynetdicom_decode` run its
codec, and :func:`pynetdicom_view` / :func:`pynetdicom_expected` put a pynetdicom
primitive and one of ours in one comparable form, with each place where pynetdicom
cannot follow the standard named (``PYNETDICOM_*`` below).
"""

from __future__ import annotations

import copy
import functools
import io
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st
from pydicom.tag import BaseTag
from pynetdicom import dimse_messages, dimse_primitives
from pynetdicom.dimse_messages import DIMSEMessage
from pynetdicom.pdu import P_DATA_TF

from dimsewire import (
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

#: Even max PDU lengths the issue names, plus edge values.
NAMED_MAXIMA = (0, 8, 10, 12, 14, 32, 100, 4096, 16382, 16384, 65536, 1024 * 1024)

# -- values -------------------------------------------------------------------------------

_component = st.one_of(st.just("0"), st.integers(1, 10**12).map(str))
uids = (
    st.lists(_component, min_size=2, max_size=12).map(".".join).filter(lambda uid: len(uid) <= 64)
)
unsigned_shorts = st.integers(0, 0xFFFF)
_printable = st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="\\")
comments = st.text(_printable, max_size=64).map(
    str.rstrip  # LO trailing spaces are not significant: the decoders drop them
)
#: AE titles (PS3.5 6.2): 1 to 16 characters, no backslash; leading and trailing spaces
#: are not significant, so none are drawn (both libraries strip them).
ae_titles = st.text(_printable, min_size=1, max_size=16).map(str.strip).filter(bool)
tags = st.one_of(
    st.integers(0, 0xFFFFFFFF),
    st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)),
)


def _even(data: bytes) -> bytes:
    return data if len(data) % 2 == 0 else data + b"\x00"


#: The C-FIND data sets of the older tests: random bytes, mostly small.
identifiers = st.one_of(
    st.binary(min_size=1, max_size=300),
    st.binary(min_size=1, max_size=20_000),
).map(_even)

_PATTERN = bytes(range(256)) * 260  # 66,560 bytes: any misplaced fragment changes the bytes


@functools.cache
def data_sets(max_size: int = 50_000) -> st.SearchStrategy[bytes]:
    """Encoded data sets: even, non-empty, from 2 bytes to `max_size` (tens of kB).

    Small ones are random bytes; large ones a slice of a repeating 0..255 ramp starting
    anywhere, so that a fragment lost, repeated or out of order cannot go unnoticed.
    """
    assert 2 <= max_size <= len(_PATTERN) - 256
    small = st.binary(min_size=1, max_size=min(300, max_size - 1)).map(_even)
    large = st.builds(
        lambda half, start: _PATTERN[start : start + 2 * half],
        st.integers(1, max_size // 2),
        st.integers(0, 255),
    )
    return st.one_of(small, large)


max_pdu_lengths = st.one_of(
    st.sampled_from(NAMED_MAXIMA),
    st.integers(4, 40_000).map(lambda half: 2 * half),
)
odd_max_pdu_lengths = st.integers(4, 20_000).map(lambda half: 2 * half + 1)
any_max_pdu_lengths = st.one_of(max_pdu_lengths, odd_max_pdu_lengths)

# -- statuses -----------------------------------------------------------------------------

SUCCESS, PENDING, CANCEL, WARNING, FAILURE = "Success", "Pending", "Cancel", "Warning", "Failure"
#: Status codes of each family (PS3.7 Annex C): named codes and whole ranges.
STATUS_FAMILIES: dict[str, st.SearchStrategy[int]] = {
    SUCCESS: st.just(0x0000),
    PENDING: st.sampled_from((0xFF00, 0xFF01)),
    CANCEL: st.just(0xFE00),
    WARNING: st.one_of(
        st.sampled_from((0x0001, 0x0107, 0x0116, 0xB000, 0xB001, 0xB006, 0xB007)),
        st.integers(0xB000, 0xBFFF),
    ),
    FAILURE: st.one_of(
        st.sampled_from((0xA700, 0xA701, 0xA702, 0xA900, 0xAA00, 0xC000, 0x0110, 0x0122, 0x0213)),
        st.integers(0xA000, 0xAFFF),
        st.integers(0xC000, 0xCFFF),
        st.integers(0x0100, 0x02FF).filter(lambda code: code not in (0x0107, 0x0116)),
    ),
}
_DETAIL_FAMILIES = (WARNING, FAILURE)
# Pending and Cancel belong to the services with sub-operations or matches that a
# C-CANCEL can stop (PS3.7 9.3.2.3): C-FIND, C-GET, C-MOVE.
_CANCELLABLE = (C_FIND, C_GET, C_MOVE)


def families(cls: type[DimsePrimitive]) -> tuple[str, ...]:
    """The status families a response of `cls` may have."""
    if cls in _CANCELLABLE:
        return (SUCCESS, PENDING, CANCEL, WARNING, FAILURE)
    return (SUCCESS, WARNING, FAILURE)


# -- what each message carries ------------------------------------------------------------

M, U, NEVER = "M", "U", "-"
#: A response parameter whose presence depends on the status family: family -> M or U.
Rule = Mapping[str, str]
#: PS3.7 Annex C related fields (C.4, C.5): only with a Warning or Failure, then optional.
DETAIL: Rule = {WARNING: U, FAILURE: U}
_DATA_SET_UNLESS_FAILED: Rule = {SUCCESS: U, WARNING: U}

#: What a valid request carries: M always, U drawn present or absent.
REQUESTS: dict[type[DimsePrimitive], dict[str, str]] = {
    C_ECHO: {"MessageID": M, "AffectedSOPClassUID": M},  # PS3.7 Table 9.3-12
    C_STORE: {  # PS3.7 Table 9.3-1
        "MessageID": M,
        "AffectedSOPClassUID": M,
        "AffectedSOPInstanceUID": M,
        "Priority": M,
        "MoveOriginatorApplicationEntityTitle": U,
        "MoveOriginatorMessageID": U,
        "DataSet": M,
    },
    C_FIND: {"MessageID": M, "AffectedSOPClassUID": M, "Priority": M, "Identifier": M},
    C_GET: {"MessageID": M, "AffectedSOPClassUID": M, "Priority": M, "Identifier": M},
    C_MOVE: {  # PS3.7 Table 9.3-9
        "MessageID": M,
        "AffectedSOPClassUID": M,
        "Priority": M,
        "MoveDestination": M,
        "Identifier": M,
    },
    C_CANCEL: {"MessageIDBeingRespondedTo": M},  # PS3.7 Table 9.3-5
    N_EVENT_REPORT: {  # PS3.7 Table 10.3-1
        "MessageID": M,
        "AffectedSOPClassUID": M,
        "AffectedSOPInstanceUID": M,
        "EventTypeID": M,
        "EventInformation": U,
    },
    N_GET: {  # PS3.7 Table 10.3-3; an empty list asks for all attributes (10.1.2.1.3)
        "MessageID": M,
        "RequestedSOPClassUID": M,
        "RequestedSOPInstanceUID": M,
        "AttributeIdentifierList": U,
    },
    N_SET: {  # PS3.7 Table 10.3-5
        "MessageID": M,
        "RequestedSOPClassUID": M,
        "RequestedSOPInstanceUID": M,
        "ModificationList": M,
    },
    N_ACTION: {  # PS3.7 Table 10.3-7
        "MessageID": M,
        "RequestedSOPClassUID": M,
        "RequestedSOPInstanceUID": M,
        "ActionTypeID": M,
        "ActionInformation": U,
    },
    N_CREATE: {  # PS3.7 Table 10.3-9
        "MessageID": M,
        "AffectedSOPClassUID": M,
        "AffectedSOPInstanceUID": U,
        "AttributeList": U,
    },
    N_DELETE: {"MessageID": M, "RequestedSOPClassUID": M, "RequestedSOPInstanceUID": M},
}

_RSP = {"MessageIDBeingRespondedTo": M, "AffectedSOPClassUID": U}
_COUNTS: dict[str, str | Rule] = {  # PS3.7 9.1.3.1.5-8, 9.1.4.1.6-9
    "NumberOfRemainingSuboperations": {PENDING: M, CANCEL: U, WARNING: U, FAILURE: U, SUCCESS: U},
    "NumberOfCompletedSuboperations": U,
    "NumberOfFailedSuboperations": U,
    "NumberOfWarningSuboperations": U,
}
# PS3.4 C.4.2.1.5, C.4.3.1.4: a C-MOVE/C-GET response's Identifier holds the Failed SOP
# Instance UID List, sent with Cancel, Warning and Failure.
_RETRIEVE_IDENTIFIER: Rule = {CANCEL: U, WARNING: U, FAILURE: U}

#: What a valid response carries: M, U, or a rule by status family (absent: never).
RESPONSES: dict[type[DimsePrimitive], dict[str, str | Rule]] = {
    C_ECHO: {**_RSP, "ErrorComment": DETAIL},  # PS3.7 Table 9.3-13
    C_STORE: {  # PS3.7 Table 9.3-2
        **_RSP,
        "AffectedSOPInstanceUID": U,
        "OffendingElement": DETAIL,
        "ErrorComment": DETAIL,
    },
    C_FIND: {  # PS3.7 Table 9.3-4; PS3.4 C.4.1.1.4: an Identifier with Pending only
        **_RSP,
        "Identifier": {PENDING: M},
        "OffendingElement": DETAIL,
        "ErrorComment": DETAIL,
    },
    C_GET: {  # PS3.7 Table 9.3-7
        **_RSP,
        "Identifier": _RETRIEVE_IDENTIFIER,
        **_COUNTS,
        "OffendingElement": DETAIL,
        "ErrorComment": DETAIL,
    },
    C_MOVE: {  # PS3.7 Table 9.3-10
        **_RSP,
        "Identifier": _RETRIEVE_IDENTIFIER,
        **_COUNTS,
        "OffendingElement": DETAIL,
        "ErrorComment": DETAIL,
    },
    N_EVENT_REPORT: {  # PS3.7 Table 10.3-2
        **_RSP,
        "AffectedSOPInstanceUID": U,
        "EventTypeID": U,
        "EventReply": _DATA_SET_UNLESS_FAILED,
        "ErrorID": DETAIL,
        "ErrorComment": DETAIL,
    },
    N_GET: {  # PS3.7 Table 10.3-4
        **_RSP,
        "AffectedSOPInstanceUID": U,
        "AttributeList": _DATA_SET_UNLESS_FAILED,
        "AttributeIdentifierList": DETAIL,
        "ErrorID": DETAIL,
        "ErrorComment": DETAIL,
    },
    N_SET: {  # PS3.7 Table 10.3-6
        **_RSP,
        "AffectedSOPInstanceUID": U,
        "AttributeList": _DATA_SET_UNLESS_FAILED,
        "AttributeIdentifierList": DETAIL,
        "ErrorID": DETAIL,
        "ErrorComment": DETAIL,
    },
    N_ACTION: {  # PS3.7 Table 10.3-8
        **_RSP,
        "AffectedSOPInstanceUID": U,
        "ActionTypeID": U,
        "ActionReply": _DATA_SET_UNLESS_FAILED,
        "ErrorID": DETAIL,
        "ErrorComment": DETAIL,
    },
    N_CREATE: {  # PS3.7 Table 10.3-10; Annex C.4.2 adds AttributeIdentifierList
        **_RSP,
        "AffectedSOPInstanceUID": U,
        "AttributeList": _DATA_SET_UNLESS_FAILED,
        "AttributeIdentifierList": DETAIL,
        "ErrorID": DETAIL,
        "ErrorComment": DETAIL,
    },
    N_DELETE: {  # PS3.7 Table 10.3-12
        **_RSP,
        "AffectedSOPInstanceUID": U,
        "ErrorID": DETAIL,
        "ErrorComment": DETAIL,
    },
}
SERVICES = tuple(REQUESTS)

DATA_SET_PARAMETERS = frozenset(
    {
        "DataSet",
        "Identifier",
        "EventInformation",
        "EventReply",
        "AttributeList",
        "ModificationList",
        "ActionInformation",
        "ActionReply",
    }
)
_AE = frozenset({"MoveDestination", "MoveOriginatorApplicationEntityTitle"})
_UID = frozenset(
    {
        "AffectedSOPClassUID",
        "AffectedSOPInstanceUID",
        "RequestedSOPClassUID",
        "RequestedSOPInstanceUID",
    }
)
_TAG_LISTS = frozenset({"OffendingElement", "AttributeIdentifierList"})


def _values(name: str, *, request: bool, data: st.SearchStrategy[bytes]) -> st.SearchStrategy[Any]:
    if name in DATA_SET_PARAMETERS:
        return data
    if name in _UID:
        return uids
    if name in _AE:
        return ae_titles
    if name == "Priority":
        return st.sampled_from((0, 1, 2))
    if name == "ErrorComment":
        return comments
    if name in _TAG_LISTS:  # N-GET-RQ may send an empty list: all attributes
        return st.lists(tags, min_size=0 if request else 1, max_size=8)
    return unsigned_shorts  # Message IDs, type IDs, ErrorID, sub-operation counts


def _need(rule: str | Rule, family: str) -> str:
    return rule if isinstance(rule, str) else rule.get(family, NEVER)


@st.composite
def request_of(
    draw: st.DrawFn, cls: type[DimsePrimitive], data: st.SearchStrategy[bytes]
) -> DimsePrimitive:
    """A valid request of `cls`: every M parameter, each U one present or absent."""
    prim = cls()
    for name, need in REQUESTS[cls].items():
        if need == M or draw(st.booleans()):
            setattr(prim, name, draw(_values(name, request=True, data=data)))
    assert prim.is_valid_request, prim.request_problems()
    return prim


@st.composite
def response_of(
    draw: st.DrawFn,
    cls: type[DimsePrimitive],
    data: st.SearchStrategy[bytes],
    family: str | None = None,
) -> DimsePrimitive:
    """A valid response of `cls` with a status of `family` (any it may have if None), each
    parameter that family allows present or absent."""
    prim = cls()
    if family is None:
        family = draw(st.sampled_from(families(cls)))
    prim.Status = draw(STATUS_FAMILIES[family])
    for name, rule in RESPONSES[cls].items():
        need = _need(rule, family)
        if need == M or (need == U and draw(st.booleans())):
            setattr(prim, name, draw(_values(name, request=False, data=data)))
    assert prim.is_valid_response, prim.response_problems()
    return prim


#: Every DIMSE message: (name, primitive class, is a response); 12 requests, 11 responses.
MESSAGES: tuple[tuple[str, type[DimsePrimitive], bool], ...] = (
    *((cls.__name__.replace("_", "-") + "-RQ", cls, False) for cls in SERVICES),
    *(
        (cls.__name__.replace("_", "-") + "-RSP", cls, True)
        for cls in SERVICES
        if cls is not C_CANCEL
    ),
)


#: Every message, the responses once per status family their service has:
#: (name, primitive class, is a response, family or None).
MESSAGE_FAMILIES: tuple[tuple[str, type[DimsePrimitive], bool, str | None], ...] = tuple(
    (name, cls, response, family)
    for name, cls, response in MESSAGES
    for family in (families(cls) if response else (None,))
)


@functools.cache
def message_primitives(
    cls: type[DimsePrimitive],
    response: bool,
    max_data_set: int = 50_000,
    family: str | None = None,
) -> st.SearchStrategy[DimsePrimitive]:
    """Valid primitives of one message: `cls`'s responses (of `family`) or its requests."""
    if response:
        return response_of(cls, data_sets(max_data_set), family)
    return request_of(cls, data_sets(max_data_set))


@functools.cache
def all_primitives(max_data_set: int = 50_000) -> st.SearchStrategy[DimsePrimitive]:
    """Valid requests and responses of every DIMSE service, C-CANCEL included."""
    return st.one_of(
        *(message_primitives(cls, response, max_data_set) for _name, cls, response in MESSAGES)
    )


def data_set_cap(max_pdu: int) -> int:
    """The largest data set to draw for `max_pdu`: at most about 200 fragments."""
    return 50_000 if max_pdu == 0 else max(2, min(50_000, 200 * (max_pdu - 6) // 2 * 2))


@st.composite
def with_maximum(
    draw: st.DrawFn,
    maxima: st.SearchStrategy[int] = any_max_pdu_lengths,
    message: tuple[type[DimsePrimitive], bool, str | None] | None = None,
) -> tuple[DimsePrimitive, int]:
    """A maximum PDU length and a primitive with few PDUs at it.

    `message` is (class, is a response, status family or None); None for any message.
    """
    max_pdu = draw(maxima)
    cap = data_set_cap(max_pdu)
    if message is None:
        kind = all_primitives(cap)
    else:
        cls, response, family = message
        kind = message_primitives(cls, response, cap, family)
    return draw(kind), max_pdu


# The C-FIND family alone, as the older tests use it.
primitives = st.one_of(
    request_of(C_FIND, identifiers),
    response_of(C_FIND, identifiers),
    request_of(C_CANCEL, identifiers),
)


def presence(prim: DimsePrimitive) -> set[tuple[str, ...]]:
    """What a primitive exercises: (message, parameter, present or absent), status family.

    Used to prove that a fixed-seed run covers every optional parameter both ways and
    every status family of every service.
    """
    message = message_name(prim)
    table: Mapping[str, object] = (
        RESPONSES[type(prim)] if prim.is_response else REQUESTS[type(prim)]
    )
    seen = {
        (message, name, "absent" if getattr(prim, name) is None else "present") for name in table
    }
    if prim.is_response:
        seen.add((message, "Status", status_family(prim.Status)))
    if isinstance(prim, N_GET) and prim.AttributeIdentifierList == []:
        seen.add((message, "AttributeIdentifierList", "empty"))
    return seen


def expected_presence(
    message: str | None = None, family: str | None = None
) -> set[tuple[str, ...]]:
    """Every case :func:`presence` can report for valid primitives.

    Of one `message` if given, and of responses with a status of `family` if given.
    """
    expected = set()
    for name, cls, response in MESSAGES:
        if message not in (None, name):
            continue
        if not response:
            for parameter, need in REQUESTS[cls].items():
                expected.add((name, parameter, "present"))
                if need != M:
                    expected.add((name, parameter, "absent"))
            if cls is N_GET:
                expected.add((name, "AttributeIdentifierList", "empty"))
            continue
        status_families = families(cls) if family is None else (family,)
        expected |= {(name, "Status", each) for each in status_families}
        for parameter, rule in RESPONSES[cls].items():
            needs = {_need(rule, each) for each in status_families}
            if needs & {M, U}:
                expected.add((name, parameter, "present"))
            if needs != {M}:
                expected.add((name, parameter, "absent"))
    return expected


def status_family(code: int) -> str:
    """The Annex C family of a status code, by its range (PS3.7 C.1 to C.5)."""
    if code == 0:
        return SUCCESS
    if code in (0xFF00, 0xFF01):
        return PENDING
    if code == 0xFE00:
        return CANCEL
    if code in (0x0001, 0x0107, 0x0116) or 0xB000 <= code <= 0xBFFF:
        return WARNING
    return FAILURE


def message_name(prim: DimsePrimitive) -> str:
    """E.g. ``"N-EVENT-REPORT-RSP"``."""
    return prim.msg_type + ("-RSP" if prim.is_response else "-RQ")


# -- pynetdicom ---------------------------------------------------------------------------

#: Parameters pynetdicom 3.0.4 cannot send. Its N-CREATE-RSP command set has no
#: (0000,1005) Attribute Identifier List and its N_CREATE no such attribute, though
#: PS3.7 Annex C.4.2 (status 0107, Attribute List warning, a status of N-CREATE in
#: 10.1.5.1.6) makes it a field of the response: "an Attribute Tag for each Attribute
#: that was not recognized".
PYNETDICOM_CANNOT_SEND = {("N-CREATE-RSP", "AttributeIdentifierList")}


def pynetdicom_can_send(prim: DimsePrimitive) -> bool:
    """False when `prim` sets a parameter pynetdicom cannot put on the wire."""
    message = message_name(prim)
    return not any(
        getattr(prim, name) is not None for msg, name in PYNETDICOM_CANNOT_SEND if msg == message
    )


def without_unsendable(prim: DimsePrimitive) -> DimsePrimitive:
    """`prim` without what pynetdicom cannot send: what its bytes carry."""
    message = message_name(prim)
    out = copy.copy(prim)
    for msg, name in PYNETDICOM_CANNOT_SEND:
        if msg == message:
            setattr(out, name, None)
    return out


def pynetdicom_twin(prim: DimsePrimitive) -> Any:
    """The same primitive built with pynetdicom's classes (what it can hold)."""
    twin = getattr(dimse_primitives, type(prim).__name__)()
    message = message_name(prim)
    for name in comparison_names(prim):
        value = getattr(prim, name)
        if value is None or (message, name) in PYNETDICOM_CANNOT_SEND:
            continue
        assert hasattr(twin, name), f"pynetdicom's {type(twin).__name__} lacks {name}"
        if isinstance(value, io.BytesIO):
            value = io.BytesIO(value.getvalue())
        elif name in _TAG_LISTS:
            value = [int(tag) for tag in value]
        elif name in _UID:
            value = str(value)
        setattr(twin, name, value)
    return twin


def _pynetdicom_message(prim: DimsePrimitive) -> DIMSEMessage:
    suffix = "RSP" if prim.is_response else "RQ"
    message: DIMSEMessage = getattr(dimse_messages, f"{type(prim).__name__}_{suffix}")()
    return message


def pynetdicom_encode(prim: DimsePrimitive, context_id: int, max_pdu_length: int) -> list[bytes]:
    """pynetdicom 3.0.4's PDUs for `prim`: primitive_to_message, encode_msg, P_DATA_TF."""
    message = _pynetdicom_message(prim)
    message.primitive_to_message(pynetdicom_twin(prim))
    return [P_DATA_TF(pdata).encode() for pdata in message.encode_msg(context_id, max_pdu_length)]


def pynetdicom_decode(pdus: list[bytes]) -> Any:
    """pynetdicom 3.0.4's primitive for whole P-DATA-TF PDUs."""
    message = DIMSEMessage()
    done = False
    for raw in pdus:
        pdu = P_DATA_TF()
        pdu.decode(raw)
        done = message.decode_msg(pdu.to_primitive())
    assert done, "pynetdicom did not complete the message"
    return message.message_to_primitive()


def _plain(name: str, value: Any) -> Any:
    """A parameter value in a form both libraries' values compare in."""
    if value is None:
        return None
    if isinstance(value, io.BytesIO):
        return value.getvalue() or None  # pynetdicom: an empty BytesIO for "no data set"
    if name in _TAG_LISTS:
        # pynetdicom gives one tag as a bare BaseTag, several as a list
        return [int(tag) for tag in ([value] if isinstance(value, BaseTag) else value)]
    if name in _UID:
        return str(value)
    return value


def pynetdicom_view(theirs: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The values of a pynetdicom primitive, by parameter name."""
    return {name: _plain(name, getattr(theirs, name, None)) for name in names}


def pynetdicom_expected(prim: DimsePrimitive) -> dict[str, Any]:
    """What pynetdicom decodes from our bytes for `prim`: its values, by parameter name.

    The standard's values, changed only where pynetdicom cannot hold them:

    * N-CREATE-RSP (0000,1005) Attribute Identifier List is dropped (see
      ``PYNETDICOM_CANNOT_SEND``);
    * an empty Attribute Identifier List (a zero-length element, PS3.7 10.1.2.1.3: all
      attributes) comes back as None, as if the element were absent;
    * pynetdicom keeps one data set per primitive whatever its name (``_dataset``), so
      every data set parameter of the class reads the message's data set: a decoded
      N-EVENT-REPORT-RQ has EventReply equal to its EventInformation.
    """
    names = comparison_names(prim)
    view = {name: _plain(name, getattr(prim, name)) for name in names}
    message = message_name(prim)
    for msg, name in PYNETDICOM_CANNOT_SEND:
        if msg == message:
            view[name] = None
    if view.get("AttributeIdentifierList") == []:
        view["AttributeIdentifierList"] = None
    shared = next((view[n] for n in names if n in DATA_SET_PARAMETERS and view[n]), None)
    for name in names:
        if name in DATA_SET_PARAMETERS:
            view[name] = shared
    return view


def comparison_names(prim: DimsePrimitive) -> tuple[str, ...]:
    """Every parameter of the primitive class (both tables), Status for responses."""
    cls = type(prim)
    names = dict.fromkeys([*REQUESTS[cls], *RESPONSES.get(cls, {})])
    if cls is not C_CANCEL:
        names["Status"] = M
    return tuple(names)
