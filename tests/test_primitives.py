"""The primitives of every DIMSE service: names, validation, validity (PS3.7 9.1, 10.1).

The parameter tables of PS3.7 9.1/10.1 (on the primitive classes) and the message tables
of 9.3/10.3 (in :mod:`dimsewire.codec.messages`) are two tables of the standard; the
cross-check here holds them in step.
"""

from __future__ import annotations

import inspect
from io import BytesIO
from typing import Any

import pytest
from pydicom.tag import BaseTag
from pynetdicom import dimse_primitives as theirs

import dimsewire
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
    decode_message,
    encode_message,
)
from dimsewire.codec.message_table import MESSAGES

CLASSES: tuple[type[DimsePrimitive], ...] = (
    C_ECHO,
    C_STORE,
    C_FIND,
    C_GET,
    C_MOVE,
    C_CANCEL,
    N_EVENT_REPORT,
    N_GET,
    N_SET,
    N_ACTION,
    N_CREATE,
    N_DELETE,
)
_NOT_PARAMETERS = {"is_valid_request", "is_valid_response", "msg_type"}


def _pynetdicom_parameters(cls: type[DimsePrimitive]) -> set[str]:
    twin = getattr(theirs, cls.__name__)
    names = {k for k, v in inspect.getmembers(twin) if isinstance(v, property)}
    names |= {k for k in vars(twin()) if not k.startswith("_")}
    return {n for n in names if not n.startswith("_")} - _NOT_PARAMETERS


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_parameters_and_constants_are_pynetdicoms(cls: type[DimsePrimitive]) -> None:
    assert set(cls._PARAMETERS) >= _pynetdicom_parameters(cls)
    assert getattr(dimsewire, cls.__name__) is cls
    twin = getattr(theirs, cls.__name__)
    if cls is C_CANCEL:  # pynetdicom's C_CANCEL has no keyword constants
        assert cls.REQUEST_KEYWORDS == ("MessageIDBeingRespondedTo",)
        return
    assert set(cls.REQUEST_KEYWORDS) == set(twin.REQUEST_KEYWORDS)
    assert set(cls.RESPONSE_KEYWORDS) == set(twin.RESPONSE_KEYWORDS)
    assert cls().msg_type == twin().msg_type


@pytest.mark.parametrize(
    ("cls", "request_data_set", "response_data_set"),
    [
        (C_ECHO, None, None),
        (C_STORE, "DataSet", None),
        (C_FIND, "Identifier", "Identifier"),
        (C_GET, "Identifier", "Identifier"),
        (C_MOVE, "Identifier", "Identifier"),
        (C_CANCEL, None, None),
        (N_EVENT_REPORT, "EventInformation", "EventReply"),
        (N_GET, None, "AttributeList"),
        (N_SET, "ModificationList", "AttributeList"),
        (N_ACTION, "ActionInformation", "ActionReply"),
        (N_CREATE, "AttributeList", "AttributeList"),
        (N_DELETE, None, None),
    ],
)
def test_data_set_parameter_of_each_direction(
    cls: type[DimsePrimitive], request_data_set: str | None, response_data_set: str | None
) -> None:
    assert (request_data_set, response_data_set) == (cls.REQUEST_DATA_SET, cls.RESPONSE_DATA_SET)


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m.name)
def test_message_tables_agree_with_parameter_tables(message: Any) -> None:
    """PS3.7 9.3/10.3 elements are the 9.1/10.1 parameters of that direction."""
    column = 2 if message.is_response else 1
    usage = {row[0]: row[column] for row in message.primitive._TABLE}
    elements = dict(message.elements)
    for keyword, need in elements.items():
        if keyword in ("CommandField", "CommandDataSetType"):
            continue
        assert usage[keyword] != "-", f"{message.name}: {keyword}"
        assert (need == "M") == (usage[keyword] == "M"), f"{message.name}: {keyword}"
    sent = {k for k, use in usage.items() if use != "-"}
    data_sets = {message.primitive.REQUEST_DATA_SET, message.primitive.RESPONSE_DATA_SET}
    # C-FIND's Message ID is "U" in the response (Table 9.1-2) but Table 9.3-4 has no
    # element for it: the one parameter without a place on the wire.
    unsent = {"MessageID"} if message.name == "C-FIND-RSP" else set()
    assert sent - data_sets - elements.keys() == unsent
    assert (message.data_set == "-") == (message.data_set_parameter is None)


def test_every_command_field_has_one_message() -> None:
    fields = [m.field for m in MESSAGES]
    assert len(fields) == len(set(fields)) == 23  # 11 services x 2, plus C-CANCEL-RQ
    assert all(m.is_response == bool(m.field & 0x8000) for m in MESSAGES)


# -- setters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "name", "value", "error", "message"),
    [
        (C_MOVE, "MoveDestination", "", ValueError, "MoveDestination is empty or all spaces: an AE title needs 1 to 16 characters"),
        (C_MOVE, "MoveDestination", "    ", ValueError, "MoveDestination is empty or all spaces: an AE title needs 1 to 16 characters"),
        (C_MOVE, "MoveDestination", "A" * 17, ValueError, "MoveDestination is 17 characters long, more than the 16 allowed for VR AE"),
        (C_MOVE, "MoveDestination", "A\\B", ValueError, "MoveDestination has '\\\\' at position 1: VR AE allows printable ASCII without backslash"),
        (C_MOVE, "MoveDestination", 5, TypeError, "MoveDestination must be a str or bytes AE title, not int"),
        (C_STORE, "MoveOriginatorApplicationEntityTitle", b"\xff", ValueError, "MoveOriginatorApplicationEntityTitle must be ASCII text, not b'\\xff'"),
        (C_STORE, "MoveOriginatorMessageID", 65536, ValueError, "MoveOriginatorMessageID must be an int from 0 to 65535, not 65536"),
        (C_GET, "NumberOfRemainingSuboperations", -1, ValueError, "NumberOfRemainingSuboperations must be an int from 0 to 65535, not -1"),
        (C_GET, "NumberOfFailedSuboperations", True, TypeError, "NumberOfFailedSuboperations must be an int from 0 to 65535, not bool"),
        (N_EVENT_REPORT, "EventTypeID", 1.0, TypeError, "EventTypeID must be an int from 0 to 65535, not float"),
        (N_ACTION, "ActionTypeID", 70000, ValueError, "ActionTypeID must be an int from 0 to 65535, not 70000"),
        (N_SET, "ErrorID", "1", TypeError, "ErrorID must be an int from 0 to 65535, not str"),
        (N_GET, "RequestedSOPClassUID", "1.02", ValueError, "RequestedSOPClassUID '1.02' is not a valid UID (PS3.5 9.1): component '02' has a leading zero"),
        (N_DELETE, "RequestedSOPInstanceUID", 1, TypeError, "RequestedSOPInstanceUID must be a str, bytes or pydicom UID, not int"),
        (N_GET, "AttributeIdentifierList", 0x00100010, TypeError, "AttributeIdentifierList must be a list of tags, not int"),
        (N_GET, "AttributeIdentifierList", [(0x10, 0x10000)], ValueError, "AttributeIdentifierList[0] must be a tag: an int 0..0xFFFFFFFF, a pydicom Tag or a (group, element) pair, not (16, 65536)"),
        (C_STORE, "OffendingElement", [], ValueError, "OffendingElement must hold at least one tag; use None for no value"),
        (N_CREATE, "AttributeList", ["text"], TypeError, "AttributeList must be an io.BytesIO or bytes-like encoded data set, a binary file object or an os.PathLike path, not list"),
        (N_EVENT_REPORT, "EventReply", 3, TypeError, "EventReply must be an io.BytesIO or bytes-like encoded data set, a binary file object or an os.PathLike path, not int"),
        (C_ECHO, "ErrorComment", "x" * 65, ValueError, "ErrorComment is 65 characters long, more than the 64 allowed for VR LO"),
        (C_STORE, "Priority", 3, ValueError, "Priority must be 0 (medium), 1 (high) or 2 (low), not 3"),
    ],
)  # fmt: skip
def test_setters_validate_and_name_the_parameter(
    cls: type[DimsePrimitive], name: str, value: object, error: type[Exception], message: str
) -> None:
    prim = cls()
    before = getattr(prim, name)
    with pytest.raises(error) as info:
        setattr(prim, name, value)
    assert str(info.value) == message
    assert getattr(prim, name) == before  # a refused value changes nothing


def test_ae_titles_lose_their_non_significant_spaces() -> None:
    prim = C_MOVE()
    prim.MoveDestination = "  STORE SCP  "
    assert prim.MoveDestination == "STORE SCP"
    prim.MoveDestination = b"ARCHIVE "
    assert prim.MoveDestination == "ARCHIVE"


def test_tag_lists_are_lists_of_tags_and_copies() -> None:
    prim = N_GET()
    prim.AttributeIdentifierList = []  # all attributes (PS3.7 10.1.2.1.3)
    assert prim.AttributeIdentifierList == []
    prim.AttributeIdentifierList = [0x00100010, (0x0010, 0x0020), BaseTag(0x00080018)]
    tags = prim.AttributeIdentifierList
    assert tags == [0x00100010, 0x00100020, 0x00080018]
    assert all(isinstance(tag, BaseTag) for tag in tags)
    tags.append(1)
    assert len(prim.AttributeIdentifierList) == 3


def test_data_sets_are_wrapped_bytes() -> None:
    prim = N_ACTION()
    prim.ActionInformation = b"\x08\x00\x16\x00\x00\x00\x00\x00"
    assert isinstance(prim.ActionInformation, BytesIO)
    assert prim.ActionReply is None


# -- validity ----------------------------------------------------------------------------


def _echo_rsp(status: int) -> C_ECHO:
    prim = C_ECHO()
    prim.MessageIDBeingRespondedTo = 1
    prim.Status = status
    return prim


def test_request_and_response_problems_follow_the_tables() -> None:
    assert C_ECHO().request_problems() == ["MessageID is missing", "AffectedSOPClassUID is missing"]
    assert N_SET().request_problems() == [
        "MessageID is missing",
        "RequestedSOPClassUID is missing",
        "RequestedSOPInstanceUID is missing",
        "ModificationList is missing",
    ]
    rsp = _echo_rsp(0)
    assert rsp.is_valid_response
    rsp.MessageID = 4
    assert rsp.response_problems() == ["MessageID is not a parameter of a C-ECHO response"]
    rq = C_STORE()
    rq.MessageID, rq.AffectedSOPClassUID, rq.AffectedSOPInstanceUID = 1, "1.2", "1.2.3"
    rq.DataSet = b"\x00\x00"
    assert rq.is_valid_request
    rq.ErrorComment = "why"
    assert rq.request_problems() == ["ErrorComment is not a parameter of a C-STORE request"]
    assert C_CANCEL().response_problems() == ["C-CANCEL has no response (PS3.7 9.3.2.3)"]


@pytest.mark.parametrize(
    ("status", "problems"),
    [
        (0x0000, ["ErrorComment goes only with a Warning or Failure status, not 0x0000 (Success)"]),
        (0x0122, []),  # Failure: Refused: SOP Class not supported (PS3.7 C.5.6)
        (0x0211, []),  # Failure: Unrecognized operation
        (0x0001, []),  # Warning
    ],
)
def test_error_comment_goes_with_every_warning_and_failure(
    status: int, problems: list[str]
) -> None:
    prim = _echo_rsp(status)
    prim.ErrorComment = "no"
    assert prim.response_problems() == problems


def test_n_service_details_go_with_warnings_and_failures_only() -> None:
    prim = N_GET()
    prim.MessageIDBeingRespondedTo, prim.Status = 1, 0x0000
    prim.AttributeIdentifierList = [0x00100010]
    prim.ErrorID = 7
    assert prim.response_problems() == [
        "AttributeIdentifierList goes only with a Warning or Failure status, not 0x0000 (Success)",
        "ErrorID goes only with a Warning or Failure status, not 0x0000 (Success)",
    ]
    prim.Status = 0x0107  # Attribute List Warning (PS3.7 C.4.2)
    assert prim.is_valid_response


def test_a_pending_retrieve_gives_its_remaining_sub_operations() -> None:
    prim = C_MOVE()
    prim.MessageIDBeingRespondedTo, prim.Status = 1, 0xFF00
    assert prim.response_problems() == [
        "a Pending status (0xFF00) needs NumberOfRemainingSuboperations (PS3.7 9.1.3.1.5)"
    ]
    prim.NumberOfRemainingSuboperations = 3
    assert prim.is_valid_response


def test_an_empty_attribute_identifier_list_goes_on_the_wire_and_back() -> None:
    prim = N_GET()
    prim.MessageID = 5
    prim.RequestedSOPClassUID = "1.2.840.10008.5.1.1.16"
    prim.RequestedSOPInstanceUID = "1.2.840.10008.5.1.1.17"
    prim.AttributeIdentifierList = []
    pdus = list(encode_message(prim, 1, 16382))
    # (0000,1005) AttributeIdentifierList, length 0: the last 8 bytes of the command set
    assert pdus[0].endswith(bytes.fromhex("0000 0510 00000000"))
    back = decode_message(pdus)
    assert back == prim
    assert back.AttributeIdentifierList == []
    assert back.deviations == ()


def test_primitives_compare_every_parameter() -> None:
    a, b = _echo_rsp(0), _echo_rsp(0)
    assert a == b
    b.AffectedSOPClassUID = "1.2.840.10008.1.1"
    assert a != b
    assert a != C_FIND()
    assert repr(b) == (
        "C_ECHO(MessageIDBeingRespondedTo=1, AffectedSOPClassUID='1.2.840.10008.1.1', "
        "Status=0x0000)"
    )


def test_a_c_find_response_may_carry_a_message_id() -> None:
    """PS3.7 Table 9.1-2: Message ID is "M" in a C-FIND request and "U" in its response
    (not "-" as in C-GET and C-MOVE); Table 9.3-4 has no element for it, so it is not sent.
    """
    find, get = C_FIND(), C_GET()
    for prim in (find, get):
        prim.MessageIDBeingRespondedTo, prim.Status, prim.MessageID = 1, 0x0000, 1
    assert find.is_valid_response
    assert get.response_problems() == ["MessageID is not a parameter of a C-GET response"]
    (pdu,) = encode_message(find, 1, 16382)
    assert b"\x00\x00\x10\x01" not in pdu  # no (0000,0110) element
    assert decode_message([pdu]).MessageID is None  # type: ignore[attr-defined]
