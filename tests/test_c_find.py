"""C_FIND and C_CANCEL: every setter's checks, the validity rules, pynetdicom parity."""

from __future__ import annotations

import io

import pytest
from pydicom.tag import BaseTag
from pydicom.uid import UID
from pynetdicom import dimse_primitives as pyn

from dimsewire import C_CANCEL, C_FIND, encode_message

UID_TEXT = "1.2.840.10008.5.1.4.1.2.1.1"


def _error(exc: type[Exception], name: str, value: object, message: str) -> None:
    prim = C_FIND()
    with pytest.raises(exc) as info:
        setattr(prim, name, value)
    assert str(info.value) == message


# -- setters ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["MessageID", "MessageIDBeingRespondedTo"])
def test_message_ids(name: str) -> None:
    prim = C_FIND()
    for value in (0, 1, 65535, None):
        setattr(prim, name, value)
        assert getattr(prim, name) == value
    _error(ValueError, name, 65536, f"{name} must be an int from 0 to 65535, not 65536")
    _error(ValueError, name, -1, f"{name} must be an int from 0 to 65535, not -1")
    _error(TypeError, name, True, f"{name} must be an int from 0 to 65535, not bool")
    _error(TypeError, name, 1.0, f"{name} must be an int from 0 to 65535, not float")
    _error(TypeError, name, "1", f"{name} must be an int from 0 to 65535, not str")


@pytest.mark.parametrize(
    "value", [UID_TEXT, UID_TEXT.encode(), UID(UID_TEXT)], ids=["str", "bytes", "UID"]
)
def test_uid_forms(value: object) -> None:
    prim = C_FIND()
    prim.AffectedSOPClassUID = value  # type: ignore[assignment]
    assert prim.AffectedSOPClassUID == UID_TEXT
    assert isinstance(prim.AffectedSOPClassUID, UID)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "it is empty"),
        ("1." + "2" * 63, "it is 65 characters long, more than the 64 allowed"),
        ("1.2.abc", "only digits and dots are allowed"),
        ("1..2", "it has an empty component"),
        ("1.2.", "it has an empty component"),
        ("1.02", "component '02' has a leading zero"),
    ],
)
def test_uid_errors(value: str, problem: str) -> None:
    _error(
        ValueError,
        "AffectedSOPClassUID",
        value,
        f"AffectedSOPClassUID {value!r} is not a valid UID (PS3.5 9.1): {problem}",
    )


def test_uid_wrong_types() -> None:
    _error(
        TypeError,
        "AffectedSOPClassUID",
        1.2,
        "AffectedSOPClassUID must be a str, bytes or pydicom UID, not float",
    )
    _error(
        ValueError,
        "AffectedSOPClassUID",
        b"1.2\xe9",
        "AffectedSOPClassUID must be a UID of digits and dots, not b'1.2\\xe9'",
    )


def test_priority() -> None:
    prim = C_FIND()
    assert prim.Priority == 2
    for value in (0, 1, 2):
        prim.Priority = value
        assert prim.Priority == value
    _error(ValueError, "Priority", 3, "Priority must be 0 (medium), 1 (high) or 2 (low), not 3")
    _error(ValueError, "Priority", -1, "Priority must be 0 (medium), 1 (high) or 2 (low), not -1")
    _error(
        TypeError, "Priority", True, "Priority must be 0 (medium), 1 (high) or 2 (low), not True"
    )
    _error(TypeError, "Priority", "1", "Priority must be 0 (medium), 1 (high) or 2 (low), not '1'")
    _error(
        TypeError, "Priority", None, "Priority must be 0 (medium), 1 (high) or 2 (low), not None"
    )


def test_status() -> None:
    prim = C_FIND()
    for value in (0, 0xFF00, 0xFFFF, None):
        prim.Status = value
        assert prim.Status == value
    _error(
        ValueError, "Status", 0x10000, "Status must be an int from 0 to 65535 (0xFFFF), not 65536"
    )
    _error(ValueError, "Status", -1, "Status must be an int from 0 to 65535 (0xFFFF), not -1")
    _error(TypeError, "Status", False, "Status must be an int from 0 to 65535 (0xFFFF), not bool")
    _error(TypeError, "Status", "0", "Status must be an int from 0 to 65535 (0xFFFF), not str")


def test_error_comment() -> None:
    prim = C_FIND()
    prim.ErrorComment = "x" * 64
    assert prim.ErrorComment == "x" * 64
    _error(
        ValueError,
        "ErrorComment",
        "x" * 65,
        "ErrorComment is 65 characters long, more than the 64 allowed for VR LO",
    )
    _error(
        ValueError,
        "ErrorComment",
        "a\\b",
        "ErrorComment has '\\\\' at position 1: VR LO allows printable ASCII without backslash",
    )
    _error(
        ValueError,
        "ErrorComment",
        "ab\n",
        "ErrorComment has '\\n' at position 2: VR LO allows printable ASCII without backslash",
    )
    _error(
        ValueError,
        "ErrorComment",
        "\u00e9",
        "ErrorComment has 'é' at position 0: VR LO allows printable ASCII without backslash",
    )
    _error(TypeError, "ErrorComment", b"abc", "ErrorComment must be a str, not bytes")


def test_offending_element_forms() -> None:
    prim = C_FIND()
    prim.OffendingElement = [0x00100010, BaseTag(0x00100020), (0x0008, 0x0052)]
    assert prim.OffendingElement == [0x00100010, 0x00100020, 0x00080052]
    assert all(isinstance(tag, BaseTag) for tag in prim.OffendingElement)
    copy = prim.OffendingElement
    copy.append(BaseTag(1))
    assert len(prim.OffendingElement) == 3  # the getter hands out a copy


@pytest.mark.parametrize(
    ("value", "exc", "message"),
    [
        (0x00100010, TypeError, "OffendingElement must be a list of tags, not int"),
        ((0x0010, 0x0010), TypeError, "OffendingElement must be a list of tags, not tuple"),
        ("(0010,0010)", TypeError, "OffendingElement must be a list of tags, not str"),
        ([], ValueError, "OffendingElement must hold at least one tag; use None for no value"),
        (
            [0x1_0000_0000],
            ValueError,
            "OffendingElement[0] must be a tag: an int 0..0xFFFFFFFF, a pydicom Tag or a (group, element) pair, not 4294967296",
        ),
        (
            [1, (1, 2, 3)],
            ValueError,
            "OffendingElement[1] must be a tag: an int 0..0xFFFFFFFF, a pydicom Tag or a (group, element) pair, not (1, 2, 3)",
        ),
        (
            [True],
            ValueError,
            "OffendingElement[0] must be a tag: an int 0..0xFFFFFFFF, a pydicom Tag or a (group, element) pair, not True",
        ),
    ],
    ids=["int", "tuple", "str", "empty", "too-big", "triple", "bool"],
)
def test_offending_element_errors(value: object, exc: type[Exception], message: str) -> None:
    _error(exc, "OffendingElement", value, message)


def test_identifier_forms() -> None:
    prim = C_FIND()
    stream = io.BytesIO(b"\x00\x00")
    prim.Identifier = stream
    assert prim.Identifier is stream
    for value in (b"ab", bytearray(b"ab"), memoryview(b"ab")):
        prim.Identifier = value
        assert isinstance(prim.Identifier, io.BytesIO)
        assert prim.Identifier.getvalue() == b"ab"
    prim.Identifier = None
    assert prim.Identifier is None
    _error(
        TypeError,
        "Identifier",
        "ab",
        "Identifier must be an io.BytesIO or bytes-like encoded data set, a binary file object or an os.PathLike path, not str",
    )


def test_slots_catch_misspelt_parameters() -> None:
    prim = C_FIND()
    with pytest.raises(AttributeError):
        prim.MessageId = 1  # type: ignore[attr-defined]


# -- validity -----------------------------------------------------------------------------


def _request(**changes: object) -> C_FIND:
    prim = C_FIND()
    prim.MessageID = 1
    prim.AffectedSOPClassUID = UID_TEXT
    prim.Identifier = b"\x08\x00\x52\x00\x00\x00\x00\x00"
    for name, value in changes.items():
        setattr(prim, name, value)
    return prim


def test_request_validity() -> None:
    assert _request().is_valid_request
    assert _request(MessageID=None).request_problems() == ["MessageID is missing"]
    assert _request(AffectedSOPClassUID=None, Identifier=None).request_problems() == [
        "AffectedSOPClassUID is missing",
        "Identifier is missing",
    ]
    assert _request(Identifier=b"").request_problems() == [
        "Identifier is empty (PS3.8 Annex E: no empty PDVs)"
    ]
    assert _request(Identifier=b"abc").request_problems() == [
        "Identifier has odd length 3 (PS3.5 7.1: data sets are even)"
    ]


def _response(
    status: int, *, identifier: bool = False, comment: bool = False, offending: bool = False
) -> C_FIND:
    prim = C_FIND()
    prim.MessageIDBeingRespondedTo = 1
    prim.Status = status
    if identifier:
        prim.Identifier = b"\x00\x00"
    if comment:
        prim.ErrorComment = "why"
    if offending:
        prim.OffendingElement = [0x00100010]
    return prim


@pytest.mark.parametrize(
    ("status", "identifier", "comment", "offending", "problems"),
    [
        (0xFF00, True, False, False, []),
        (0xFF01, True, False, False, []),
        (
            0xFF00,
            False,
            False,
            False,
            ["a Pending status (0xFF00) needs an Identifier (PS3.4 C.4.1.1.4)"],
        ),
        (0x0000, False, False, False, []),
        (
            0x0000,
            True,
            False,
            False,
            ["an Identifier goes only with a Pending status, not 0x0000 (PS3.4 C.4.1.1.4)"],
        ),
        # PS3.7 C.4, C.5: ErrorComment and OffendingElement go with every Warning and
        # Failure status (0122, A700, B000 included), never with Success, Pending, Cancel.
        (
            0xFE00,
            False,
            True,
            False,
            ["ErrorComment goes only with a Warning or Failure status, not 0xFE00 (Cancel)"],
        ),
        (
            0x0000,
            False,
            False,
            True,
            ["OffendingElement goes only with a Warning or Failure status, not 0x0000 (Success)"],
        ),
        (
            0xFF00,
            True,
            True,
            False,
            ["ErrorComment goes only with a Warning or Failure status, not 0xFF00 (Pending)"],
        ),
        (0x0122, False, True, True, []),
        (0xA700, False, True, True, []),
        (0xA900, False, True, True, []),
        (0xC000, False, True, True, []),
        (0xCFFF, False, True, True, []),
        (0xB000, False, True, True, []),
        (0x0107, False, True, False, []),
    ],
)
def test_response_rules(
    status: int, identifier: bool, comment: bool, offending: bool, problems: list[str]
) -> None:
    prim = _response(status, identifier=identifier, comment=comment, offending=offending)
    assert prim.response_problems() == problems
    assert prim.is_valid_response is (not problems)


def test_response_needs_its_mandatory_parameters() -> None:
    assert C_FIND().response_problems() == [
        "MessageIDBeingRespondedTo is missing",
        "Status is missing",
    ]


def test_sending_is_strict() -> None:
    with pytest.raises(
        ValueError,
        match=r"^cannot send C-FIND-RSP: an Identifier goes only with a Pending status, not 0x0000 \(PS3.4 C.4.1.1.4\)$",
    ):
        encode_message(_response(0x0000, identifier=True), 1, 0)
    with pytest.raises(ValueError, match=r"^cannot send C-FIND-RQ: MessageID is missing$"):
        encode_message(_request(MessageID=None), 1, 0)
    with pytest.raises(
        ValueError, match=r"context_id must be an odd int from 1 to 255 \(PS3.8 9.3.2.2\), not 2"
    ):
        encode_message(_request(), 2, 0)
    with pytest.raises(
        ValueError, match=r"max_pdu_length must be 0 \(no limit\) or from 8 to 4294967295"
    ):
        encode_message(_request(), 1, 7)


# -- equality, repr, C_CANCEL ---------------------------------------------------------------


def test_equality_and_repr() -> None:
    a, b = _request(), _request()
    b.Identifier = io.BytesIO(a.Identifier.getvalue())  # type: ignore[union-attr]
    b.context_id = 9
    assert a == b
    assert a != _request(Priority=1)
    assert a != C_CANCEL()
    with pytest.raises(TypeError):
        hash(a)
    assert (
        repr(a)
        == "C_FIND(MessageID=1, AffectedSOPClassUID='1.2.840.10008.5.1.4.1.2.1.1', Priority=2, Identifier=<8 bytes>)"
    )
    assert (
        repr(_response(0xA900, comment=True))
        == "C_FIND(MessageIDBeingRespondedTo=1, Status=0xA900, ErrorComment='why')"
    )
    assert a.msg_type == "C-FIND"


def test_c_cancel() -> None:
    prim = C_CANCEL()
    assert not prim.is_valid_request
    assert prim.request_problems() == ["MessageIDBeingRespondedTo is missing"]
    prim.MessageIDBeingRespondedTo = 5
    assert prim.is_valid_request
    assert prim.msg_type == "C-CANCEL"
    for name in ("Priority", "MessageID", "AffectedSOPClassUID", "Identifier"):
        assert not hasattr(prim, name)


# -- pynetdicom parity -----------------------------------------------------------------------


def test_same_attributes_and_defaults_as_pynetdicom() -> None:
    ours, theirs = C_FIND(), pyn.C_FIND()
    for name in (
        "MessageID",
        "MessageIDBeingRespondedTo",
        "AffectedSOPClassUID",
        "Priority",
        "Identifier",
        "Status",
        "OffendingElement",
        "ErrorComment",
    ):
        assert getattr(ours, name) == getattr(theirs, name), name
    for name in ("REQUEST_KEYWORDS", "RESPONSE_KEYWORDS", "STATUS_OPTIONAL_KEYWORDS"):
        assert getattr(C_FIND, name) == getattr(pyn.C_FIND, name), name
    assert (ours.is_valid_request, ours.is_valid_response) == (
        theirs.is_valid_request,
        theirs.is_valid_response,
    )
    assert ours.msg_type == theirs.msg_type


def test_where_pynetdicom_is_lax_we_are_not() -> None:
    theirs = pyn.C_FIND()
    theirs.ErrorComment = "x" * 500
    theirs.OffendingElement = "nonsense"
    with pytest.raises(ValueError, match="more than the 64 allowed"):
        C_FIND().ErrorComment = "x" * 500
    with pytest.raises(TypeError, match="must be a list of tags"):
        C_FIND().OffendingElement = "nonsense"  # type: ignore[assignment]
