"""Every DecodeError path of the core codec, with its type, offset, field and whole message."""

from __future__ import annotations

import pickle
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import primitives
from wire import IDENTIFIER, RELEASE_RQ, command_set, element, find_rq, pdata, pdv, us

from dimsewire import (
    C_CANCEL,
    C_FIND,
    CommandSetError,
    DecodeError,
    FragmentError,
    MessageTooLargeError,
    PDUError,
    PDUTooLargeError,
    Reassembler,
    TruncatedError,
    decode_message,
    encode_message,
)


def _raises(
    exc: type[DecodeError], pdus: list[bytes], message: str, **fields: object
) -> DecodeError:
    with pytest.raises(exc) as info:
        decode_message(pdus)
    assert type(info.value) is exc
    assert str(info.value) == message
    for name, value in fields.items():
        assert getattr(info.value, name) == value, name
    return info.value


# -- PDU level ----------------------------------------------------------------------------


def test_not_a_p_data_tf() -> None:
    _raises(
        PDUError,
        [RELEASE_RQ],
        "PDU: expected a P-DATA-TF PDU (type 04H), got A-RELEASE-RQ (offset 0)",
        offset=0,
    )


def test_unknown_pdu_type() -> None:
    _raises(
        PDUError,
        [b"\x09\x00\x00\x00\x00\x00"],
        "PDU: unknown PDU type 0x09 (PS3.8 9.3: 01H to 07H) (offset 0)",
    )


def test_pdu_shorter_than_its_header() -> None:
    _raises(
        TruncatedError,
        [b"\x04\x00\x00"],
        "truncated: PDU of 3 bytes is shorter than the 6-byte PDU header (offset 0)",
    )


def test_pdu_length_field_larger_than_the_bytes() -> None:
    pdu = pdata(pdv(1, 3, find_rq()))
    _raises(
        TruncatedError,
        [pdu[:-1]],
        f"truncated: PDU length field says {len(pdu) - 6} bytes follow the header, {len(pdu) - 7} do (offset 0)",
    )


def test_pdu_length_field_smaller_than_the_bytes() -> None:
    pdu = pdata(pdv(1, 3, find_rq(data_set_type=0x0101)))
    _raises(
        PDUError,
        [pdu + b"\x00\x00"],
        f"PDU: PDU length field says {len(pdu) - 6} bytes follow the header, {len(pdu) - 4} do (offset 0)",
    )


def test_pdv_item_length_below_two() -> None:
    body = struct.pack(">IBB", 1, 1, 3)
    _raises(
        PDUError,
        [struct.pack(">BBI", 4, 0, len(body)) + body],
        "PDU: PDV item length 1 is less than 2 (context ID and message control header, PS3.8 9.3.5.1) (offset 6)",
        offset=6,
    )


def test_pdv_item_running_past_the_pdu() -> None:
    body = struct.pack(">IBB", 40, 1, 3) + b"\x00" * 4
    _raises(
        PDUError,
        [struct.pack(">BBI", 4, 0, len(body)) + body],
        "PDU: PDV item length 40 runs past the end of the P-DATA-TF PDU (6 bytes left) (offset 6)",
    )


def test_pdv_item_header_cut_short() -> None:
    first = pdv(1, 3, find_rq(data_set_type=0x0101))
    body = first + b"\x00\x00\x00"
    _raises(
        PDUError,
        [struct.pack(">BBI", 4, 0, len(body)) + body],
        f"PDU: PDV item header needs 6 bytes, 3 left in the P-DATA-TF PDU (offset {6 + len(first)})",
    )


# -- fragment rules (PS3.8 Annex E) --------------------------------------------------------


def test_data_set_before_the_last_command_fragment() -> None:
    cmd = find_rq()
    pdus = [pdata(pdv(1, 1, cmd[:20])), pdata(pdv(1, 2, IDENTIFIER))]
    _raises(
        FragmentError,
        pdus,
        "fragment: data set fragment before the last command fragment (PS3.8 E.2) (offset 38)",
        rule="command-before-data",
    )


def test_data_set_when_none_was_announced() -> None:
    pdus = [pdata(pdv(1, 3, find_rq(data_set_type=0x0101))), pdata(pdv(1, 2, IDENTIFIER))]
    err = _raises(
        FragmentError,
        pdus,
        "fragment: data set fragment with no message in progress: a command set must come first, "
        f"and one with CommandDataSetType 0101H is followed by none (offset {len(pdus[0]) + 6})",
    )
    assert err.rule == "unexpected-data-set"


def test_announced_data_set_never_sent() -> None:
    # What pynetdicom sends for an empty Identifier: 0x0001, then the next message.
    pdus = [pdata(pdv(1, 3, find_rq())), pdata(pdv(1, 3, find_rq(8)))]
    _raises(
        FragmentError,
        pdus,
        "fragment: command fragment while the data set announced by CommandDataSetType is still "
        f"expected (offset {len(pdus[0]) + 6})",
        rule="data-set-missing",
    )


def test_command_inside_a_data_set() -> None:
    pdus = [
        pdata(pdv(1, 3, find_rq())),
        pdata(pdv(1, 0, IDENTIFIER[:8])),
        pdata(pdv(1, 3, find_rq(8))),
    ]
    _raises(
        FragmentError,
        pdus,
        "fragment: command fragment inside the data set of the current message (PS3.8 9.3.5.1: "
        f"no interleaving) (offset {len(pdus[0]) + len(pdus[1]) + 6})",
        rule="no-interleaving",
    )


def test_context_change_inside_a_message() -> None:
    pdus = [pdata(pdv(1, 3, find_rq())), pdata(pdv(3, 2, IDENTIFIER))]
    _raises(
        FragmentError,
        pdus,
        f"fragment: fragment on presentation context 3 inside a message on context 1 (PS3.8 9.3.5.1) (offset {len(pdus[0]) + 6})",
        rule="one-context",
    )


def test_two_messages() -> None:
    one = pdata(pdv(1, 3, find_rq(data_set_type=0x0101)))
    _raises(
        FragmentError,
        [one, one],
        f"fragment: the PDUs hold more than one message (offset {len(one)})",
        rule="one-message",
    )


def test_message_incomplete() -> None:
    _raises(
        TruncatedError,
        [pdata(pdv(1, 1, find_rq()[:10]))],
        "truncated: PDUs end before the message is complete: its last fragment never came (offset 22)",
    )


def test_no_pdus() -> None:
    _raises(TruncatedError, [], "truncated: no PDV items: the PDUs hold no message (offset 0)")


def test_message_size_cap() -> None:
    pdus = [pdata(pdv(1, 3, find_rq())), pdata(pdv(1, 0, b"\x00" * 100))]
    with pytest.raises(MessageTooLargeError) as info:
        decode_message(pdus, max_message_size=120)
    err = info.value
    assert (err.size, err.limit, err.rule, err.offset) == (
        len(find_rq()) + 100,
        120,
        "message-size-cap",
        len(pdus[0]) + 6,
    )
    assert (
        str(err)
        == f"fragment: message of at least {len(find_rq()) + 100} bytes exceeds the cap of 120 bytes (offset {len(pdus[0]) + 6})"
    )


# -- command set --------------------------------------------------------------------------


def _cmd(data: bytes) -> list[bytes]:
    return [pdata(pdv(1, 3, data))]


def test_element_outside_group_0000() -> None:
    _raises(
        CommandSetError,
        _cmd(command_set(element(0x00080005, b"ISO_IR 100"))),
        "command set: element (0008,0005) SpecificCharacterSet is not in group 0000: a command set holds only command elements (PS3.7 6.3.1) (offset 12)",
        tag=0x00080005,
        offset=12,
    )


def test_element_running_past_the_end() -> None:
    data = command_set(us(0x0100, 0x0020)) + struct.pack("<HHI", 0, 0x0110, 2) + b"\x07"
    _raises(
        CommandSetError,
        _cmd(data),
        "command set: element (0000,0110) MessageID needs 2 bytes, 1 left (offset 22)",
        tag=0x0110,
        offset=22,
    )


def test_element_header_cut_short() -> None:
    _raises(
        CommandSetError,
        _cmd(command_set(us(0x0100, 0x0020)) + b"\x00\x00"),
        "command set: element header needs 8 bytes, 2 left (offset 22)",
    )


@pytest.mark.parametrize(
    ("data", "message", "tag"),
    [
        (
            element(0x0110, b"\x07\x00\x00\x00"),
            "element (0000,0110) MessageID has value length 4, VR US needs 2",
            0x0110,
        ),
        (
            element(0x0901, b"\x10\x00\x10\x00\x20\x00"),
            "element (0000,0901) OffendingElement has value length 6, VR AT needs a multiple of 4",
            0x0901,
        ),
        (
            element(0x0002, b"1.2.abc\x00"),
            "element (0000,0002) AffectedSOPClassUID value b'1.2.abc\\x00' is not a UID: only digits and dots are allowed (PS3.5 9.1)",
            0x0002,
        ),
    ],
    ids=["US-length", "AT-length", "UI-letters"],
)
def test_value_that_does_not_fit_its_vr(data: bytes, message: str, tag: int) -> None:
    _raises(
        CommandSetError, _cmd(command_set(data)), f"command set: {message} (offset 12)", tag=tag
    )


def test_missing_command_field() -> None:
    _raises(
        CommandSetError,
        _cmd(command_set(us(0x0800, 0x0101))),
        "command set: element (0000,0100) CommandField is missing (offset 0)",
        tag=0x0100,
    )


def test_missing_command_data_set_type() -> None:
    _raises(
        CommandSetError,
        _cmd(command_set(us(0x0100, 0x0FFF), us(0x0120, 1))),
        "command set: element (0000,0800) CommandDataSetType is missing: whether a data set follows is unknown (offset 0)",
    )


def test_priority_out_of_range() -> None:
    data = command_set(
        element(0x0002, b"1.2\x00"),
        us(0x0100, 0x0020),
        us(0x0110, 1),
        us(0x0700, 3),
        us(0x0800, 0x0101),
    )
    _raises(
        CommandSetError,
        _cmd(data),
        "command set: element (0000,0700) Priority is 3: must be 0, 1 or 2 (offset 44)",
        tag=0x0700,
    )


def test_errors_pickle() -> None:
    err = CommandSetError(
        "element (0000,0110) MessageID needs 2 bytes, 1 left", offset=46, tag=0x0110
    )
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), str(again), again.tag, again.offset) == (
        CommandSetError,
        str(err),
        0x0110,
        46,
    )


# -- the stream ---------------------------------------------------------------------------


def test_pdu_too_large_from_the_header_alone() -> None:
    reassembler = Reassembler(max_pdu_length=16382)
    reassembler.receive_data(b"\x04\x00\xff\xff\xff\xff")
    with pytest.raises(PDUTooLargeError) as info:
        reassembler.next_event()
    err = info.value
    assert (err.length, err.limit, err.offset) == (0xFFFFFFFF, 16382, 0)
    assert (
        str(err) == "PDU: PDU length 4294967295 exceeds the local maximum of 16382 bytes (offset 0)"
    )
    assert reassembler.buffered == 6
    with pytest.raises(PDUTooLargeError):  # the stream stays broken
        reassembler.next_event()


def test_control_pdus_have_their_own_limit() -> None:
    reassembler = Reassembler(max_control_pdu_length=1000)
    reassembler.receive_data(b"\x01\x00\x00\x00\x03\xe9")
    with pytest.raises(
        PDUTooLargeError, match="PDU length 1001 exceeds the local maximum of 1000 bytes"
    ):
        reassembler.next_event()


@pytest.mark.parametrize(
    ("cut", "reason"),
    [(3, "stream ends 3 bytes into a PDU"), (20, "stream ends 20 bytes into a PDU")],
)
def test_stream_ends_inside_a_pdu(cut: int, reason: str) -> None:
    reassembler = Reassembler()
    reassembler.receive_data(RELEASE_RQ + pdata(pdv(1, 3, find_rq()))[:cut])
    reassembler.receive_eof()
    assert next(reassembler.events()).name == "A-RELEASE-RQ"
    with pytest.raises(TruncatedError) as info:
        reassembler.next_event()
    assert str(info.value) == f"truncated: {reason} (offset 10)"


def test_stream_ends_inside_a_message() -> None:
    reassembler = Reassembler()
    first = pdata(pdv(1, 3, find_rq()))  # announces a data set that never comes
    reassembler.receive_data(first)
    reassembler.receive_eof()
    with pytest.raises(TruncatedError) as info:
        reassembler.next_event()
    assert str(info.value) == (
        f"truncated: stream ends inside a message: its last fragment never came (offset {len(first)})"
    )


def test_events_before_a_fault_come_first_and_decoding_goes_on() -> None:
    good = b"".join(encode_message(_cancel(5), 1, 0))
    bad = pdata(pdv(1, 2, IDENTIFIER))  # a data set out of nowhere
    reassembler = Reassembler()
    reassembler.receive_data(good + bad + good)
    assert next(reassembler.events()).primitive == _cancel(5)
    with pytest.raises(FragmentError) as info:
        reassembler.next_event()
    assert (info.value.rule, info.value.offset) == ("unexpected-data-set", len(good) + 6)
    assert [e.primitive for e in reassembler.events()] == [_cancel(5)]


def test_a_pdu_error_breaks_the_stream_for_good() -> None:
    reassembler = Reassembler()
    reassembler.receive_data(b"\x0a\x00\x00\x00\x00\x00" + RELEASE_RQ)
    for _ in range(2):
        with pytest.raises(PDUError, match="unknown PDU type 0x0A"):
            reassembler.next_event()


def test_an_unknown_pdu_type_is_reported_at_its_stream_offset_after_compaction() -> None:
    # 10,000 A-RELEASE-RQs (100,000 bytes) push the buffer past its 64 KiB compaction
    # point, so the bad header sits at a buffer position far below its stream offset
    reassembler = Reassembler()
    reassembler.receive_data(RELEASE_RQ * 10_000)
    assert len(list(reassembler.events())) == 10_000
    reassembler.receive_data(b"\x0a\x00\x00\x00\x00\x00")
    with pytest.raises(PDUError) as info:
        reassembler.next_event()
    assert info.value.offset == 100_000


def test_decode_message_reports_an_unknown_pdu_type_at_its_offset() -> None:
    first = pdata(pdv(1, 0x01, command_set(us(0x0000_0100, 0x0FFF))))  # not last
    with pytest.raises(PDUError, match="unknown PDU type 0x0A") as info:
        decode_message([first, b"\x0a\x00\x00\x00\x00\x00"])
    assert info.value.offset == len(first)


def _cancel(message_id: int) -> C_CANCEL:
    prim = C_CANCEL()
    prim.MessageIDBeingRespondedTo = message_id
    return prim


# -- nothing but DecodeError --------------------------------------------------------------


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prim=primitives, data=st.data())
def test_mutated_pdus_raise_only_decode_errors(
    prim: C_FIND | C_CANCEL, data: st.DataObject
) -> None:
    stream = bytearray(
        b"".join(encode_message(prim, 1, data.draw(st.sampled_from([0, 16, 64, 4096]))))
    )
    for _ in range(data.draw(st.integers(1, 6))):
        action = data.draw(st.sampled_from(["flip", "set", "cut", "insert", "length"]))
        pos = data.draw(st.integers(0, max(0, len(stream) - 1)))
        if action == "flip" and stream:
            stream[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "set" and stream:
            stream[pos] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del stream[pos:]
        elif action == "insert":
            stream[pos:pos] = data.draw(st.binary(min_size=1, max_size=8))
        elif action == "length" and len(stream) >= pos + 4:
            stream[pos : pos + 4] = data.draw(
                st.sampled_from([0, 1, 3, 0xFFFFFFFF, 0x7FFFFFFF])
            ).to_bytes(4, "big")
    reassembler = Reassembler(max_pdu_length=0, max_message_size=1 << 20)
    chunk = data.draw(st.integers(1, 64))
    try:
        for start in range(0, len(stream), chunk):
            reassembler.receive_data(stream[start : start + chunk])
            for _event in reassembler.events():
                pass
        reassembler.receive_eof()
        for _event in reassembler.events():
            pass
    except DecodeError as err:
        assert isinstance(err.reason, str)
        assert err.reason
        assert err.offset is None or err.offset >= 0
    try:
        decode_message([bytes(stream)])
    except DecodeError as err:
        assert err.reason
