"""Limits against hostile lengths and counts: nothing is allocated before the bytes exist."""

from __future__ import annotations

import struct
import tracemalloc

import pytest

from dimsewire import ItemError, PDUTooLargeError, Reassembler
from dimsewire.pdus import AssociateRQ, UnknownItem, decode_pdu


def test_a_4_gib_pdu_header_allocates_nothing() -> None:
    for max_pdu_length in (16382, 0):  # 0: no P-DATA limit, the message cap applies
        reassembler = Reassembler(max_pdu_length=max_pdu_length)
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            reassembler.receive_data(b"\x04\x00\xff\xff\xff\xff" + b"\x00" * 10)
            with pytest.raises(PDUTooLargeError) as err:
                reassembler.next_event()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert err.value.length == 0xFFFFFFFF
        assert peak - before < 64 * 1024  # bytes, not the 4 GiB announced
    control = Reassembler(max_control_pdu_length=1 << 20)
    control.receive_data(b"\x01\x00\xff\xff\xff\xff")
    with pytest.raises(PDUTooLargeError, match="exceeds the local maximum of 1048576"):
        control.next_event()


def test_a_pdu_claiming_more_than_it_holds_is_buffered_as_it_comes() -> None:
    reassembler = Reassembler(max_pdu_length=0, max_message_size=1 << 30)
    tracemalloc.start()
    try:
        reassembler.receive_data(struct.pack(">BxI", 4, (1 << 30) - 16) + b"\x00" * 100)
        assert reassembler.next_event() is None  # waiting for the body
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024
    assert reassembler.buffered == 106


def test_too_many_items_are_refused() -> None:
    many = tuple(UnknownItem(b"\x60\x00\x00\x00") for _ in range(5000))
    data = AssociateRQ("A", "B", many).encode()
    with pytest.raises(ItemError) as err:
        decode_pdu(data)
    assert str(err.value) == (
        "PDU: item of unknown type 60H: more than 4096 items and sub-items in one PDU "
        f"(offset {6 + 68 + 4096 * 4})"
    )
    assert len(decode_pdu(data, max_items=5000).items) == 5000  # type: ignore[union-attr]
    reassembler = Reassembler(max_items=100)
    reassembler.receive_data(data)
    with pytest.raises(ItemError, match="more than 100 items"):
        reassembler.next_event()
