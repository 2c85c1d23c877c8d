"""Which TCP connection a segment belongs to, and which connections carry DICOM.

A connection is taken as DICOM when a side's first data is on one of the ports, or is an
A-ASSOCIATE-RQ on any port; its number (the association's, from 1) is given when that
first data is seen, in capture order. A SYN after a connection ended starts a new one on
the same ports. All of this is decided from TCP headers and the first bytes alone, so
the whole capture can be routed before (or apart from) any decoding: ``--jobs N``
routes in one process and decodes connections in others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..association import Side
from .boundary import plausible
from .packets import ACK, FIN, RST, SYN, Segment

__all__ = ["ConnectionRouter", "NewConnection", "Route"]

_Endpoint = tuple[str, int]
_Key = frozenset[_Endpoint]


@dataclass(frozen=True, slots=True)
class NewConnection:
    """A connection found to carry DICOM: what its decoder starts from."""

    index: int  # the association's number, from 1
    endpoints: dict[_Endpoint, Side]
    late: bool  # the capture starts after the negotiation
    isn: dict[Side, int]  # initial sequence numbers of the SYNs seen before its first data


#: (association number, the connection if this segment starts it)
Route = tuple[int, NewConnection | None]


@dataclass
class _Tracked:
    index: int
    endpoints: dict[_Endpoint, Side]
    fin: set[Side] = field(default_factory=set)
    closed: bool = False  # after RST, or after both FINs


class ConnectionRouter:
    """Feed every TCP segment in capture order; learn which connection it belongs to."""

    def __init__(self, ports: Iterable[int]) -> None:
        self.ports = set(ports)
        self._connections: dict[_Key, _Tracked | None] = {}
        self._syn: dict[_Key, _Endpoint] = {}
        self._isn: dict[tuple[_Key, _Endpoint], int] = {}
        self.count = 0  # connections numbered so far

    def next_index(self) -> int:
        """Number one more association (a raw PDU file's)."""
        self.count += 1
        return self.count

    def route(self, seg: Segment) -> Route | None:
        """The connection `seg` belongs to; None for a segment with nothing to decode
        (not DICOM, a handshake before the first data, nothing after the close)."""
        src, dst = (seg.src, seg.sport), (seg.dst, seg.dport)
        key = frozenset((src, dst))
        new: NewConnection | None = None
        if key in self._connections:
            tracked = self._connections[key]
            if tracked is None:
                return None
            if tracked.closed and seg.flags & SYN:
                del self._connections[key]  # a new connection on the same ports
        if key not in self._connections:
            new = self._new(seg, key, src, dst)
            if new is None:
                return None
        tracked = self._connections[key]
        assert tracked is not None
        if tracked.closed:  # its data is reported as sent after the close
            return (tracked.index, None) if seg.data else None
        if seg.flags & (FIN | RST):
            tracked.fin.add(tracked.endpoints[src])
            tracked.closed = bool(seg.flags & RST) or len(tracked.fin) == 2
        return tracked.index, new

    def _new(self, seg: Segment, key: _Key, src: _Endpoint, dst: _Endpoint) -> NewConnection | None:
        if seg.flags & SYN:
            self._isn[(key, src)] = seg.seq  # where this side's stream starts
            if not seg.flags & ACK:
                self._syn[key] = src  # the client, if this becomes DICOM
        if not seg.data:
            return None  # decide on the first data
        looks_rq = plausible(seg.data, 0) is not None and seg.data[0] == 1
        if looks_rq:
            requestor = src
        elif seg.sport in self.ports or seg.dport in self.ports:
            # the client that sent the SYN; else whoever sends to the DICOM port
            requestor = self._syn.get(key) or (src if seg.dport in self.ports else dst)
        else:
            self._connections[key] = None
            return None
        acceptor = dst if requestor == src else src
        endpoints: dict[_Endpoint, Side] = {requestor: "requestor", acceptor: "acceptor"}
        isn = {}
        for endpoint, side in endpoints.items():
            number = self._isn.pop((key, endpoint), None)
            if number is not None:
                isn[side] = number
        new = NewConnection(
            self.next_index(), endpoints, not looks_rq and key not in self._syn, isn
        )
        self._connections[key] = _Tracked(new.index, endpoints)
        return new
