"""TCP reassembly of one direction (dimsewire.capture.tcp.HalfStream)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from dimsewire.capture.tcp import Gap, HalfStream

ISN = 0xFFFFFFF0  # sequence numbers wrap after 15 bytes


def joined(pieces: list[bytes | Gap]) -> bytes:
    assert all(isinstance(p, bytes) for p in pieces)
    return b"".join(p for p in pieces if isinstance(p, bytes))


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(min_size=1, max_size=400),
    cuts=st.lists(st.integers(0, 400), max_size=12),
    order=st.randoms(use_true_random=False),
    repeats=st.lists(st.integers(0, 20), max_size=5),
)
def test_any_order_and_repetition_gives_the_stream(
    data: bytes, cuts: list[int], order: object, repeats: list[int]
) -> None:
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    segments = [(a, data[a:b]) for a, b in itertools.pairwise(bounds)]
    segments += [segments[i % len(segments)] for i in repeats]
    order.shuffle(segments)  # type: ignore[attr-defined]
    stream = HalfStream()
    out = stream.add(ISN, b"", syn=True)
    for offset, chunk in segments:
        out += stream.add((ISN + 1 + offset) % 2**32, chunk)
    out += stream.finish()
    assert joined(out) == data
    assert stream.delivered == len(data)


def test_a_hole_acknowledged_long_enough_is_a_gap() -> None:
    stream = HalfStream()
    stream.add(100, b"", syn=True)
    assert stream.add(101, b"abc") == [b"abc"]
    assert stream.add(107, b"ghi") == []  # bytes 3..5 missing
    stream.acked(110, now=1.0, count=1)  # the peer got everything up to 9
    assert stream.expire(now=1.1, count=5) == []  # may still come, reordered
    assert stream.add(104, b"def") == [b"def", b"ghi"]  # it did
    assert stream.add(113, b"mno") == []  # bytes 9..11 missing
    stream.acked(116, now=2.0, count=6)
    assert stream.expire(now=2.6, count=7) == [Gap(9, 3), b"mno"]  # half a second later
    stream.acked(120, now=3.0, count=8)  # 15..18 acknowledged, never seen
    assert stream.expire(now=3.0, count=24) == [Gap(15, 4)]  # 16 segments later


def test_the_fin_marks_a_lost_last_segment() -> None:
    stream = HalfStream()
    stream.add(0, b"", syn=True)
    stream.add(1, b"abcd")
    stream.add(9, b"", fin=True)  # bytes 4..7 never seen
    assert stream.finish() == [Gap(4, 4)]
    stream.acked(10, now=0.0, count=0)  # the FIN's ACK is not data
    assert stream.expire(now=9.0, count=99) == []


def test_retransmission_overlapping_the_delivered_part() -> None:
    stream = HalfStream()
    stream.add(0, b"", syn=True)
    assert stream.add(1, b"abcd") == [b"abcd"]
    assert stream.add(3, b"cdef") == [b"ef"]
    assert stream.duplicates == 2
