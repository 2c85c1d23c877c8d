"""Deviations that leave the meaning clear: accepted, reported, and raised with strict=True."""

from __future__ import annotations

import io
import struct

import pytest
from pydicom.tag import BaseTag
from strategies import pynetdicom_encode
from wire import IDENTIFIER, SOP_CLASS, command_set, element, find_rq, find_rsp, pdata, pdv, us

from dimsewire import (
    C_ECHO,
    C_FIND,
    CommandSetError,
    DecodeError,
    DimsePrimitive,
    FragmentError,
    OtherCommand,
    decode_message,
)


def _request() -> C_FIND:
    prim = C_FIND()
    prim.MessageID = 7
    prim.AffectedSOPClassUID = SOP_CLASS.rstrip(b"\x00")
    prim.Priority = 0
    prim.Identifier = IDENTIFIER
    return prim


def _decode(
    pdus: list[bytes], rules: list[str], strict_error: type[DecodeError], message: str
) -> DimsePrimitive:
    prim = decode_message(pdus)
    assert [dev.rule for dev in prim.deviations] == rules
    assert str(prim.deviations[0]) == message
    with pytest.raises(strict_error) as info:
        decode_message(pdus, strict=True)
    assert message.split(": ", 1)[1].split(" (offset", maxsplit=1)[0] in str(info.value)
    return prim  # type: ignore[return-value]


def test_odd_fragments_from_pynetdicom_at_an_odd_maximum() -> None:
    pdus = pynetdicom_encode(_request(), 1, 33)
    prim = _decode(
        pdus,
        ["odd-fragment"] * 4,
        FragmentError,
        "odd-fragment: fragment of odd length 27 (PS3.8 E.1) (offset 6)",
    )
    assert prim == _request()


def test_reserved_control_bits_are_masked() -> None:
    pdus = [pdata(pdv(1, 0xFF, find_rq())), pdata(pdv(1, 0xFE, IDENTIFIER))]
    prim = _decode(
        pdus,
        ["reserved-bits", "reserved-bits"],
        FragmentError,
        "reserved-bits: message control header 0xFF has reserved bits set (PS3.8 E.2) (offset 6)",
    )
    assert prim == _request()


def test_empty_pdv_and_empty_p_data() -> None:
    pdus = [
        pdata(pdv(1, 1, b"")),
        pdata(),
        pdata(pdv(1, 3, find_rq())),
        pdata(pdv(1, 2, IDENTIFIER)),
    ]
    prim = _decode(
        pdus,
        ["empty-pdv", "empty-p-data"],
        FragmentError,
        "empty-pdv: PDV with an empty fragment (PS3.8 E.1) (offset 6)",
    )
    assert prim == _request()


def test_group_length_that_does_not_match() -> None:
    body = find_rq()[12:]
    pdus = [
        pdata(pdv(1, 3, command_set(body, group_length=len(body) + 2))),
        pdata(pdv(1, 2, IDENTIFIER)),
    ]
    prim = _decode(
        pdus,
        ["group-length"],
        CommandSetError,
        f"group-length: command set: CommandGroupLength says {len(body) + 2} bytes follow it, {len(body)} do (offset 0)",
    )
    assert prim == _request()


def test_duplicate_element_keeps_the_first() -> None:
    data = find_rsp(0xFF00, data_set_type=0x0001, extra=us(0x0900, 0x0000))
    pdus = [pdata(pdv(1, 3, data)), pdata(pdv(1, 2, IDENTIFIER))]
    prim = _decode(
        pdus,
        ["duplicate-element"],
        CommandSetError,
        f"duplicate-element: command set: element (0000,0900) Status appears twice; the first is kept (offset {len(data) - 10})",
    )
    assert prim.Status == 0xFF00
    assert prim.is_valid_response


def test_missing_mandatory_element() -> None:
    data = command_set(us(0x0100, 0x0020), us(0x0110, 7), us(0x0700, 0), us(0x0800, 0x0001))
    pdus = [pdata(pdv(1, 3, data)), pdata(pdv(1, 2, IDENTIFIER))]
    prim = _decode(
        pdus,
        ["missing-element"],
        CommandSetError,
        "missing-element: command set: C-FIND-RQ lacks mandatory element (0000,0002) AffectedSOPClassUID",
    )
    assert prim.AffectedSOPClassUID is None
    assert not prim.is_valid_request
    assert prim.request_problems() == ["AffectedSOPClassUID is missing"]


def test_explicit_vr_command_set_from_an_old_device() -> None:
    def explicit(tag: int, vr: bytes, value: bytes) -> bytes:
        return struct.pack("<HH2sH", 0, tag, vr, len(value)) + value

    body = (
        explicit(0x0002, b"UI", SOP_CLASS)
        + explicit(0x0100, b"US", b"\x20\x00")
        + explicit(0x0110, b"US", b"\x07\x00")
        + explicit(0x0700, b"US", b"\x00\x00")
        + explicit(0x0800, b"US", b"\x01\x00")
    )
    data = explicit(0x0000, b"UL", struct.pack("<I", len(body))) + body
    pdus = [pdata(pdv(1, 3, data)), pdata(pdv(1, 2, IDENTIFIER))]
    prim = _decode(
        pdus,
        ["explicit-vr"],
        CommandSetError,
        "explicit-vr: command set: written in Explicit VR, not Implicit VR Little Endian (PS3.7 6.3.1) (offset 0)",
    )
    assert prim == _request()


def test_unknown_element_is_kept_raw() -> None:
    data = command_set(*_rq_elements(), element(0x0999, b"ab"))
    prim = _decode(
        [pdata(pdv(1, 3, data)), pdata(pdv(1, 2, IDENTIFIER))],
        ["unknown-element"],
        CommandSetError,
        f"unknown-element: command set: element (0000,0999) is not in the command dictionary (PS3.7 Annex E) (offset {len(data) - 10})",
    )
    assert prim.extra_elements == {BaseTag(0x0999): b"ab"}
    assert prim == _request()


def test_element_of_another_message() -> None:
    data = command_set(*_rq_elements()[:3], element(0x0600, b"DEST"), *_rq_elements()[3:])
    prim = _decode(
        [pdata(pdv(1, 3, data)), pdata(pdv(1, 2, IDENTIFIER))],
        ["unexpected-element"],
        CommandSetError,
        "unexpected-element: command set: C-FIND-RQ does not carry element (0000,0600) MoveDestination (offset 68)",
    )
    assert prim.extra_elements == {BaseTag(0x0600): b"DEST"}


def test_success_response_with_an_identifier() -> None:
    pdus = [pdata(pdv(1, 3, find_rsp(0x0000, data_set_type=0x0001))), pdata(pdv(1, 2, IDENTIFIER))]
    prim = _decode(
        pdus,
        ["conditional-rule"],
        CommandSetError,
        "conditional-rule: command set: C-FIND-RSP: an Identifier goes only with a Pending status, not 0x0000 (PS3.4 C.4.1.1.4)",
    )
    assert prim.Identifier is not None
    assert prim.Identifier.getvalue() == IDENTIFIER
    assert not prim.is_valid_response


def test_uid_padded_with_a_space() -> None:
    data = command_set(element(0x0002, SOP_CLASS[:-1] + b" "), *_rq_elements()[1:])
    prim = _decode(
        [pdata(pdv(1, 3, data)), pdata(pdv(1, 2, IDENTIFIER))],
        ["uid-padding"],
        CommandSetError,
        "uid-padding: command set: element (0000,0002) AffectedSOPClassUID is padded with spaces, not NUL (offset 12)",
    )
    assert prim == _request()


@pytest.mark.parametrize(
    "data_set_type", [0x0000, 0x0202, 0xFFFF], ids=["dcm4che", "fo-dicom", "other"]
)
def test_any_data_set_type_but_0101_means_a_data_set(data_set_type: int) -> None:
    pdus = [pdata(pdv(1, 3, find_rq(data_set_type=data_set_type))), pdata(pdv(1, 2, IDENTIFIER))]
    prim = decode_message(pdus, strict=True)
    assert prim == _request()


def test_an_echo_decodes_as_c_echo_with_its_elements() -> None:
    echo = command_set(
        element(0x0002, b"1.2.840.10008.1.1\x00"),
        us(0x0100, 0x0030),
        us(0x0110, 3),
        us(0x0800, 0x0101),
    )
    prim = decode_message([pdata(pdv(1, 3, echo))])
    assert isinstance(prim, C_ECHO)
    assert (prim.msg_type, prim.MessageID, prim.AffectedSOPClassUID) == (
        "C-ECHO",
        3,
        "1.2.840.10008.1.1",
    )
    assert prim.deviations == ()


def test_an_undefined_command_field_decodes_as_other_command_with_its_elements() -> None:
    data = command_set(
        element(0x0002, b"1.2.840.10008.1.1\x00"),
        us(0x0100, 0x0031),  # no such command field in PS3.7 Annex E
        us(0x0110, 3),
        us(0x0800, 0x0101),
    )
    prim = decode_message([pdata(pdv(1, 3, data))])
    assert isinstance(prim, OtherCommand)
    assert (prim.msg_type, prim.command_name, prim.CommandField) == (
        "unknown command 0x0031",
        "unknown command 0x0031",
        0x0031,
    )
    assert prim.elements[BaseTag(0x0110)] == 3
    assert prim.elements[BaseTag(0x0002)] == "1.2.840.10008.1.1"
    assert prim.DataSet is None


def test_other_command_keeps_its_data_set() -> None:
    data = command_set(us(0x0100, 0x0002), us(0x0110, 3), us(0x0800, 0x0000))
    prim = decode_message([pdata(pdv(1, 3, data)), pdata(pdv(1, 2, IDENTIFIER))])
    assert isinstance(prim, OtherCommand)
    assert isinstance(prim.DataSet, io.BytesIO)
    assert prim.DataSet.getvalue() == IDENTIFIER


def test_a_data_set_on_a_message_that_has_none_is_kept_and_reported() -> None:
    echo = command_set(
        element(0x0002, b"1.2.840.10008.1.1\x00"),
        us(0x0100, 0x0030),
        us(0x0110, 3),
        us(0x0800, 0x0001),
    )
    prim = _decode(
        [pdata(pdv(1, 3, echo)), pdata(pdv(1, 2, IDENTIFIER))],
        ["data-set-not-allowed"],
        CommandSetError,
        "data-set-not-allowed: command set: C-ECHO-RQ carries a data set (PS3.7 Table 9.3-12: it has none)",
    )
    assert isinstance(prim, C_ECHO)
    assert prim.extra_data_set is not None
    assert prim.extra_data_set.getvalue() == IDENTIFIER


def _rq_elements() -> list[bytes]:
    return [
        element(0x0002, SOP_CLASS),
        us(0x0100, 0x0020),
        us(0x0110, 7),
        us(0x0700, 0),
        us(0x0800, 0x0001),
    ]


def test_uid_breaking_ps3_5_syntax_is_kept_and_reported_without_a_python_warning() -> None:
    # Found by the mutation test: pydicom's UID() warned on such a value.
    data = command_set(element(0x0002, b"0.1000.\x00"), *_rq_elements()[1:])
    prim = _decode(
        [pdata(pdv(1, 3, data)), pdata(pdv(1, 2, IDENTIFIER))],
        ["uid-syntax"],
        CommandSetError,
        "uid-syntax: command set: AffectedSOPClassUID '0.1000.' is not a valid UID: it has an empty component (offset 12)",
    )
    assert prim.AffectedSOPClassUID == "0.1000."
    assert prim.request_problems() == [
        "AffectedSOPClassUID is not a valid UID: it has an empty component"
    ]
