"""Round trips: primitive -> PDUs -> primitive, whole and through the stream in any chunking."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import max_pdu_lengths, odd_max_pdu_lengths, primitives

from dimsewire import (
    C_CANCEL,
    C_FIND,
    MessageReceived,
    Reassembler,
    decode_message,
    encode_message,
    encode_message_buffers,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
any_max = st.one_of(max_pdu_lengths, odd_max_pdu_lengths)


def _pdv_lengths(pdu: bytes) -> list[int]:
    lengths, pos = [], 6
    while pos < len(pdu):
        item = int.from_bytes(pdu[pos : pos + 4], "big")
        lengths.append(item - 2)
        pos += 4 + item
    assert pos == len(pdu)
    return lengths


@SETTINGS
@given(prim=primitives, max_pdu=any_max, pack=st.booleans())
def test_round_trip(prim: C_FIND | C_CANCEL, max_pdu: int, pack: bool) -> None:
    pdus = list(encode_message(prim, 5, max_pdu, pack=pack))
    for pdu in pdus:
        assert pdu[:2] == b"\x04\x00"
        assert int.from_bytes(pdu[2:6], "big") == len(pdu) - 6
        assert max_pdu == 0 or len(pdu) - 6 <= max_pdu
        assert all(size > 0 and size % 2 == 0 for size in _pdv_lengths(pdu))
    decoded = decode_message(pdus)
    assert decoded == prim
    assert decoded.context_id == 5
    assert decoded.deviations == ()


@SETTINGS
@given(prim=primitives, max_pdu=any_max)
def test_packing_never_needs_more_pdus(prim: C_FIND | C_CANCEL, max_pdu: int) -> None:
    packed = list(encode_message(prim, 1, max_pdu, pack=True))
    unpacked = list(encode_message(prim, 1, max_pdu))
    assert len(packed) <= len(unpacked)
    items = sum(len(_pdv_lengths(pdu)) for pdu in packed)
    assert items <= len(unpacked)  # packing never splits a part more than unpacked does
    whole = sum(len(pdu) - 6 for pdu in unpacked)  # the PDV items, if all in one PDU
    if max_pdu == 0 or whole <= max_pdu:
        assert len(packed) == 1


@SETTINGS
@given(prim=primitives, max_pdu=any_max, pack=st.booleans())
def test_buffers_form_is_the_same_bytes(prim: C_FIND | C_CANCEL, max_pdu: int, pack: bool) -> None:
    joined = [b"".join(bufs) for bufs in encode_message_buffers(prim, 1, max_pdu, pack=pack)]
    assert joined == list(encode_message(prim, 1, max_pdu, pack=pack))


@SETTINGS
@given(
    messages=st.lists(primitives, min_size=1, max_size=5),
    max_pdu=any_max,
    pack=st.booleans(),
    data=st.data(),
)
def test_stream_in_any_chunking(
    messages: list[C_FIND | C_CANCEL], max_pdu: int, pack: bool, data: st.DataObject
) -> None:
    stream = b"".join(
        pdu for prim in messages for pdu in encode_message(prim, 3, max_pdu, pack=pack)
    )
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=30)))
    reassembler = Reassembler(max_pdu_length=0)
    events = []
    start = 0
    for cut in [*cuts, len(stream)]:
        reassembler.receive_data(stream[start:cut])
        events.extend(reassembler.events())
        start = cut
    reassembler.receive_eof()
    events.extend(reassembler.events())
    assert all(isinstance(event, MessageReceived) for event in events)
    assert [event.primitive for event in events] == messages
    assert all(event.context_id == 3 and event.deviations == () for event in events)


@settings(max_examples=25, deadline=None)
@given(messages=st.lists(primitives, min_size=1, max_size=3), max_pdu=st.sampled_from([8, 12, 0]))
def test_stream_one_byte_at_a_time(messages: list[C_FIND | C_CANCEL], max_pdu: int) -> None:
    stream = b"".join(pdu for prim in messages for pdu in encode_message(prim, 1, max_pdu))
    reassembler = Reassembler(max_pdu_length=max_pdu)
    got = []
    for i in range(len(stream)):
        reassembler.receive_data(stream[i : i + 1])
        got.extend(event.primitive for event in reassembler.events())
    assert got == messages
    assert reassembler.buffered == 0


def test_decode_message_copes_with_a_reused_pdu_buffer() -> None:
    """Fragments of a mutable buffer are copied at once: a caller may reuse it."""
    prim = C_FIND()
    prim.MessageID = 1
    prim.AffectedSOPClassUID = "1.2.3"
    prim.Identifier = b"\x10\x00\x10\x00\x02\x00\x00\x00AB" * 50
    pdus = list(encode_message(prim, 1, 64))

    def reused() -> Iterator[bytearray]:
        buffer = bytearray()
        for pdu in pdus:
            buffer[:] = pdu
            yield buffer

    assert decode_message(reused()) == prim
