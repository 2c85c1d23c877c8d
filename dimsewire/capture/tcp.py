"""TCP reassembly of one direction of a connection, by sequence number (RFC 9293 3.10.7).

Segments may come retransmitted, overlapping or out of order: each byte is delivered once,
in stream order, so a damaged capture gives the same bytes as a clean one. A hole that
never fills (a segment the capture lost) is declared once the peer has acknowledged data
beyond it for a while (captures reorder a little), when more than a window of data waits
behind it, or when the stream ends; the caller learns its offset and length.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Gap", "HalfStream"]

_MOD = 1 << 32
#: Data held behind a hole before the hole is declared lost.
DEFAULT_WINDOW = 4 * 1024 * 1024
#: How long an acknowledged hole may wait for a segment the capture shows late.
REORDER_SECONDS = 0.5
REORDER_SEGMENTS = 16


@dataclass(frozen=True, slots=True)
class Gap:
    """`length` bytes at stream `offset` that the capture does not hold."""

    offset: int
    length: int


@dataclass
class HalfStream:
    """The bytes one side sent, rebuilt from its segments.

    Attributes
    ----------
    delivered : int
        Stream offset of the next byte to deliver (bytes before it were handed out).
    duplicates : int
        Bytes seen again (retransmissions), dropped.
    """

    window: int = DEFAULT_WINDOW
    delivered: int = 0
    duplicates: int = 0
    _base: int | None = None
    _pending: dict[int, bytes] = field(default_factory=dict)
    _pending_bytes: int = 0
    _fin_at: int | None = None  # stream offset where the FIN says the data ends
    _acked: int = 0  # the peer has received everything before this offset
    _acked_at: tuple[float, int] = (0.0, 0)  # when that was first seen

    @property
    def started(self) -> bool:
        """Whether a segment (or the SYN) has fixed where the stream starts."""
        return self._base is not None

    def _offset(self, seq: int) -> int:
        """The stream offset of sequence number `seq`, unwrapped near `delivered`."""
        assert self._base is not None
        rel = (seq - self._base) % _MOD
        # choose the value of rel + k * 2**32 nearest to what was delivered
        k = (self.delivered - rel + _MOD // 2) // _MOD
        return rel + k * _MOD

    def add(
        self, seq: int, data: bytes, *, syn: bool = False, fin: bool = False
    ) -> list[bytes | Gap]:
        """Take one segment; return what can now be delivered, in order.

        Gaps appear in the list only when the held-back data exceeds the window.
        """
        if self._base is None:
            self._base = (seq + 1) % _MOD if syn else seq
            if syn:
                return []
        elif syn:
            return []  # a retransmitted SYN
        if fin:
            self._fin_at = self._offset(seq) + len(data)
        if not data:
            return []
        start = self._offset(seq)
        end = start + len(data)
        if end <= self.delivered:
            self.duplicates += len(data)
            return []
        if start < self.delivered:
            self.duplicates += self.delivered - start
            data = data[self.delivered - start :]
            start = self.delivered
        if start > self.delivered:
            held = self._pending.get(start)
            if held is None or len(held) < len(data):
                self._pending_bytes += len(data) - (len(held) if held else 0)
                self._pending[start] = data
            else:
                self.duplicates += len(data)
            if self._pending_bytes > self.window:
                return self._skip_gap()
            return []
        out: list[bytes | Gap] = [data]
        self.delivered = end
        out += self._drain()
        return out

    def _drain(self) -> list[bytes | Gap]:
        out: list[bytes | Gap] = []
        while self._pending:
            first = min(self._pending)
            if first > self.delivered:
                break
            data = self._pending.pop(first)
            self._pending_bytes -= len(data)
            end = first + len(data)
            if end <= self.delivered:
                self.duplicates += len(data)
                continue
            self.duplicates += self.delivered - first
            out.append(data[self.delivered - first :])
            self.delivered = end
        return out

    def _skip_gap(self) -> list[bytes | Gap]:
        first = min(self._pending)
        gap = Gap(self.delivered, first - self.delivered)
        self.delivered = first
        return [gap, *self._drain()]

    def acked(self, ack: int, now: float, count: int) -> None:
        """The peer acknowledged everything before `ack` (at time `now`, the connection's
        segment number `count`). TCP acknowledgments are cumulative and acknowledged
        data is never sent again, so bytes below it that the capture still lacks once
        the acknowledgment is old (see :meth:`expire`) are lost for good.
        """
        if self._base is None:
            return
        upto = self._offset(ack)
        if self._fin_at is not None:
            upto = min(upto, self._fin_at)  # the FIN takes a sequence number, not data
        elif upto == self.delivered + 1 and not self._pending:
            return  # most likely the ACK of a FIN the capture has not shown yet
        if upto > self._acked:
            self._acked, self._acked_at = upto, (now, count)

    def expire(self, now: float, count: int) -> list[bytes | Gap]:
        """Gaps below an acknowledgment older than the reordering allowance: half a second of
        capture time or 16 segments of the connection (captures reorder a little)."""
        if self._acked <= self.delivered:
            return []
        then, then_count = self._acked_at
        if now - then < REORDER_SECONDS and count - then_count < REORDER_SEGMENTS:
            return []
        return self._gaps_upto(self._acked)

    def _gaps_upto(self, upto: int) -> list[bytes | Gap]:
        out: list[bytes | Gap] = []
        while upto > self.delivered:
            first = min(self._pending) if self._pending else upto
            end = min(first, upto)
            if end > self.delivered:
                out.append(Gap(self.delivered, end - self.delivered))
                self.delivered = end
            out += self._drain()
        return out

    def finish(self) -> list[bytes | Gap]:
        """The stream has ended: every hole is a gap; deliver what was held behind.

        Data missing between the last byte seen and the FIN's sequence number is a gap
        too (a lost last segment).
        """
        out: list[bytes | Gap] = []
        while self._pending:
            out += self._skip_gap()
        end = max(self._fin_at or 0, self._acked)
        if end > self.delivered:
            out.append(Gap(self.delivered, end - self.delivered))
            self.delivered = end
        return out
