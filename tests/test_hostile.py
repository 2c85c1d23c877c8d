"""Whole association byte streams, mutated, through every public decoder.

The stream of one side (A-ASSOCIATE, P-DATA-TF, release) and the two sides mixed, with
bit flips, truncation, length fields set to 0, 1, odd values or 0xFFFFFFFF, PDUs
duplicated, dropped or reordered, fed whole and in random chunkings. The only exception
allowed out is a DecodeError subclass carrying a reason and an offset.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pcapgen import conversation

from dimsewire import AssociationEndpoint, DecodeError, Reassembler
from dimsewire.capture import CaptureDecoder
from dimsewire.pdus import decode_pdu

PDUS = conversation(matches=3, max_pdu=64)
SIDES = {
    "requestor": [pdu for from_client, pdu in PDUS if from_client],
    "acceptor": [pdu for from_client, pdu in PDUS if not from_client],
    "both": [pdu for _, pdu in PDUS],
}
EXTREMES = [0, 1, 3, 7, 0xFF, 0xFFFF, 0x10001, 0x7FFFFFFF, 0xFFFFFFFF]


@st.composite
def hostile_streams(draw: st.DrawFn) -> tuple[str, bytes]:
    side = draw(st.sampled_from(sorted(SIDES)))
    pdus = [bytearray(pdu) for pdu in SIDES[side]]
    for _ in range(draw(st.integers(0, 3))):  # whole PDUs duplicated, dropped, swapped
        i = draw(st.integers(0, len(pdus) - 1))
        action = draw(st.sampled_from(["dup", "drop", "swap"]))
        if action == "dup":
            pdus.insert(i, bytearray(pdus[i]))
        elif action == "drop" and len(pdus) > 1:
            del pdus[i]
        elif i + 1 < len(pdus):
            pdus[i], pdus[i + 1] = pdus[i + 1], pdus[i]
    for _ in range(draw(st.integers(1, 4))):  # inside one PDU
        pdu = pdus[draw(st.integers(0, len(pdus) - 1))]
        if not pdu:
            continue
        pos = draw(st.integers(0, len(pdu) - 1))
        action = draw(st.sampled_from(["flip", "length32", "length16", "cut", "repeat"]))
        if action == "flip":
            pdu[pos] ^= 1 << draw(st.integers(0, 7))
        elif action == "length32":  # PDU lengths, PDV item lengths, element lengths
            pdu[pos : pos + 4] = draw(st.sampled_from(EXTREMES)).to_bytes(4, "big")
        elif action == "length16":  # A-ASSOCIATE item lengths
            pdu[pos : pos + 2] = (draw(st.sampled_from(EXTREMES)) & 0xFFFF).to_bytes(2, "big")
        elif action == "cut":
            del pdu[pos:]
        else:  # an item or field repeated
            pdu[pos:pos] = pdu[pos : pos + draw(st.integers(1, 24))]
    return side, b"".join(pdus)


def check(err: DecodeError) -> None:
    assert err.reason
    assert err.offset is not None
    assert err.offset >= 0


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hostile_streams(), chunk=st.integers(1, 300))
def test_hostile_streams(case: tuple[str, bytes], chunk: int) -> None:
    side, stream = case
    reassembler = Reassembler(max_pdu_length=0, max_message_size=1 << 20, max_items=64)
    try:
        for start in range(0, len(stream), chunk):
            reassembler.receive_data(stream[start : start + chunk])
            while True:
                try:
                    if reassembler.next_event() is None:
                        break
                except DecodeError as err:
                    check(err)
                    if reassembler.broken:
                        raise
        reassembler.receive_eof()
        while reassembler.next_event() is not None:
            pass
    except DecodeError as err:
        check(err)

    if side != "both":  # an endpoint reads the other side's bytes
        endpoint = AssociationEndpoint("acceptor" if side == "requestor" else "requestor")
        endpoint.receive_data(stream)
        try:
            while endpoint.next_event() is not None:
                pass
        except DecodeError as err:
            check(err)

    pos = 0  # each framed PDU on its own
    while pos + 6 <= len(stream):
        end = pos + 6 + int.from_bytes(stream[pos + 2 : pos + 6], "big")
        try:
            decode_pdu(stream[pos:end], offset=pos)
        except DecodeError as err:
            check(err)
        pos = end

    CaptureDecoder(pdus=True).raw(stream)  # reports problems, raises nothing
