"""Round trips: primitive -> PDUs -> primitive, whole and through the stream in any chunking.

Every DIMSE message (the 12 services' requests and 11 responses) on its own, with
hypothesis-chosen maxima, packing and splits; then streams mixing messages of every
service, byte by byte for a few.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    MESSAGES,
    all_primitives,
    any_max_pdu_lengths,
    data_set_cap,
    message_primitives,
    with_maximum,
)

from dimsewire import (
    C_FIND,
    DimsePrimitive,
    MessageReceived,
    Reassembler,
    decode_message,
    encode_message,
    encode_message_buffers,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _pdv_lengths(pdu: bytes) -> list[int]:
    lengths, pos = [], 6
    while pos < len(pdu):
        item = int.from_bytes(pdu[pos : pos + 4], "big")
        lengths.append(item - 2)
        pos += 4 + item
    assert pos == len(pdu)
    return lengths


def _feed(stream: bytes, cuts: list[int], max_pdu: int = 0) -> list[MessageReceived]:
    """Feed `stream` to a Reassembler in the pieces `cuts` makes; every event it gives."""
    reassembler = Reassembler(max_pdu_length=max_pdu)
    events = []
    start = 0
    for cut in [*sorted(cuts), len(stream)]:
        reassembler.receive_data(stream[start:cut])
        events.extend(reassembler.events())
        start = cut
    reassembler.receive_eof()
    events.extend(reassembler.events())
    assert reassembler.buffered == 0
    assert all(isinstance(event, MessageReceived) for event in events)
    return events  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("cls", "response"), [pytest.param(cls, rsp, id=name) for name, cls, rsp in MESSAGES]
)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_message_round_trips(
    cls: type[DimsePrimitive], response: bool, data: st.DataObject
) -> None:
    max_pdu = data.draw(any_max_pdu_lengths, label="max_pdu")
    prim = data.draw(message_primitives(cls, response, data_set_cap(max_pdu)), label="prim")
    pack = data.draw(st.booleans(), label="pack")
    pdus = list(encode_message(prim, 5, max_pdu, pack=pack))
    for pdu in pdus:
        assert pdu[:2] == b"\x04\x00"
        assert int.from_bytes(pdu[2:6], "big") == len(pdu) - 6
        assert max_pdu == 0 or len(pdu) - 6 <= max_pdu
        assert all(size > 0 and size % 2 == 0 for size in _pdv_lengths(pdu))
    decoded = decode_message(pdus)
    assert type(decoded) is cls
    assert decoded == prim
    assert (decoded.context_id, decoded.deviations, decoded.extra_elements) == (5, (), {})
    stream = b"".join(pdus)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=20), label="cuts")
    (event,) = _feed(stream, cuts, max_pdu)
    assert (event.primitive, event.context_id, event.deviations) == (prim, 5, ())


@SETTINGS
@given(case=with_maximum())
def test_packing_never_needs_more_pdus(case: tuple[DimsePrimitive, int]) -> None:
    prim, max_pdu = case
    packed = list(encode_message(prim, 1, max_pdu, pack=True))
    unpacked = list(encode_message(prim, 1, max_pdu))
    assert len(packed) <= len(unpacked)
    items = sum(len(_pdv_lengths(pdu)) for pdu in packed)
    assert items <= len(unpacked)  # packing never splits a part more than unpacked does
    whole = sum(len(pdu) - 6 for pdu in unpacked)  # the PDV items, if all in one PDU
    if max_pdu == 0 or whole <= max_pdu:
        assert len(packed) == 1


@SETTINGS
@given(case=with_maximum(), pack=st.booleans())
def test_buffers_form_is_the_same_bytes(case: tuple[DimsePrimitive, int], pack: bool) -> None:
    prim, max_pdu = case
    joined = [b"".join(bufs) for bufs in encode_message_buffers(prim, 1, max_pdu, pack=pack)]
    assert joined == list(encode_message(prim, 1, max_pdu, pack=pack))


@st.composite
def streams(draw: st.DrawFn, max_messages: int = 5) -> tuple[list[DimsePrimitive], int]:
    """Messages of any service, one after the other, and the maximum they are sent at."""
    max_pdu = draw(any_max_pdu_lengths)
    cap = max(2, data_set_cap(max_pdu) // max_messages)
    return draw(st.lists(all_primitives(cap), min_size=1, max_size=max_messages)), max_pdu


@SETTINGS
@given(case=streams(), pack=st.booleans(), data=st.data())
def test_stream_in_any_chunking(
    case: tuple[list[DimsePrimitive], int], pack: bool, data: st.DataObject
) -> None:
    messages, max_pdu = case
    stream = b"".join(
        pdu for prim in messages for pdu in encode_message(prim, 3, max_pdu, pack=pack)
    )
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=30))
    events = _feed(stream, cuts)
    assert [event.primitive for event in events] == messages
    assert all(event.context_id == 3 and event.deviations == () for event in events)


@settings(max_examples=20, deadline=None)
@given(
    messages=st.lists(all_primitives(64), min_size=1, max_size=3),
    max_pdu=st.sampled_from([8, 12, 0]),
)
def test_stream_one_byte_at_a_time(messages: list[DimsePrimitive], max_pdu: int) -> None:
    stream = b"".join(pdu for prim in messages for pdu in encode_message(prim, 1, max_pdu))
    events = _feed(stream, list(range(1, len(stream))), max_pdu)
    assert [event.primitive for event in events] == messages
    assert all(event.deviations == () for event in events)


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
