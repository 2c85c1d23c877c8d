"""Captured DICOM connections to records: association events, messages, problems.

Each TCP connection found to carry DICOM (by port, or by an A-ASSOCIATE-RQ at the start
of a stream) is one association. Its two byte streams go through a
:class:`~dimsewire.Reassembler` each and its PDUs through an
:class:`~dimsewire.Association`, so that Identifiers decode in the negotiated transfer
syntax. Every decoded event becomes a record (a JSON-ready dict, schema in the README).

Damage is reported, never fatal: after a broken PDU, a lost segment, or at the start of
a capture that begins mid-association, decoding resumes at the next PDU boundary it can
prove (:mod:`dimsewire.capture.boundary`). Every byte of a stream is counted as framed
in a PDU, skipped inside a reported problem, or lost in a gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..association import Association, Side, State
from ..codec.dicom_json import identifier_json
from ..codec.events import MessageReceived, PDUReceived
from ..codec.stream import Reassembler
from ..codec.upper_layer import (
    Abort,
    AssociateAC,
    AssociateRJ,
    AssociateRQ,
    PDataTF,
    ReleaseRP,
    ReleaseRQ,
)
from ..errors import DecodeError
from .boundary import MAX_CONTROL, MAX_MESSAGE, find_boundary, plausible
from .packets import ACK, FIN, RST, SYN, Segment
from .records import Record, data_set, message_fields, uid_name, user_information_fields
from .tcp import Gap, HalfStream

__all__ = ["DEFAULT_PORTS", "CaptureDecoder", "Counts", "Record", "iter_records"]

DEFAULT_PORTS = (104, 11112, 4242)


@dataclass
class Counts:
    """What became of the bytes of one direction of a connection."""

    framed: int = 0  # in PDUs that were framed (decoded or reported)
    skipped: int = 0  # skipped while looking for a PDU boundary, inside a problem
    lost: int = 0  # never captured (gaps)
    left: int = 0  # at the end, inside a PDU that never completed

    @property
    def total(self) -> int:
        return self.framed + self.skipped + self.lost + self.left


@dataclass
class _Direction:
    """One side's byte stream: reassembly to events, resynchronised after damage."""

    side: Side
    tcp: HalfStream = field(default_factory=HalfStream)
    counts: Counts = field(default_factory=Counts)
    buffer: bytearray = field(default_factory=bytearray)  # bytes not yet framed
    start: int = 0  # stream offset of buffer[0]
    synced: bool = True  # the reassembler is on a PDU boundary
    search_from: int = 0  # where in `buffer` to look for a boundary when not synced
    eof: bool = False
    pdata_events: bool = False
    base: int = 0  # stream offset of the reassembler's offset 0
    reassembler: Reassembler = field(init=False)

    def __post_init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        """A new reassembler from `start`, fed what is buffered."""
        self.reassembler = Reassembler(
            max_pdu_length=0,
            max_message_size=MAX_MESSAGE,
            max_control_pdu_length=MAX_CONTROL,
            pdata_events=self.pdata_events,
        )
        self.base = self.start
        if self.buffer:
            self.reassembler.receive_data(bytes(self.buffer))


@dataclass
class _Connection:
    index: int
    endpoints: dict[tuple[str, int], Side]
    association: Association = field(default_factory=Association)
    directions: dict[Side, _Direction] = field(default_factory=dict)
    closed: str | None = None
    fin: set[Side] = field(default_factory=set)
    raw: bool = False  # one stream holding both sides' PDUs
    pdus: bool = False  # pdu records wanted
    segments: int = 0  # seen so far, for the reordering allowance

    def __post_init__(self) -> None:
        sides: tuple[Side, Side] = ("requestor", "acceptor")
        for side in sides:
            self.directions[side] = _Direction(side, pdata_events=self.pdus)


class CaptureDecoder:
    """Feed TCP segments in capture order; take records.

    Parameters
    ----------
    ports : iterable of int
        TCP ports taken to carry DICOM; any other connection counts only if one side
        starts with an A-ASSOCIATE-RQ.
    pdus : bool
        Also give a ``pdu`` record for every PDU, with its PDV items.
    """

    def __init__(self, ports: Iterable[int] = DEFAULT_PORTS, *, pdus: bool = False) -> None:
        self.ports = set(ports)
        self.pdus = pdus
        self._connections: dict[frozenset[tuple[str, int]], _Connection | None] = {}
        self._syn: dict[frozenset[tuple[str, int]], tuple[str, int]] = {}
        self._isn: dict[tuple[frozenset[tuple[str, int]], tuple[str, int]], int] = {}
        self.connections: list[_Connection] = []
        self.problems = 0

    # -- connections ---------------------------------------------------------------

    def _connection(self, seg: Segment) -> _Connection | None:
        src, dst = (seg.src, seg.sport), (seg.dst, seg.dport)
        key = frozenset((src, dst))
        if key in self._connections:
            conn = self._connections[key]
            if conn is None or conn.closed is None or not seg.flags & SYN:
                return conn
            del self._connections[key]  # a new connection on the same ports
        if seg.flags & SYN:
            self._isn[(key, src)] = seg.seq  # where this side's stream starts
            if not seg.flags & 0x10:
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
        late = not looks_rq and key not in self._syn
        conn = _Connection(
            len(self.connections) + 1,
            {requestor: "requestor", acceptor: "acceptor"},
            pdus=self.pdus,
        )
        if late:  # the capture starts after the negotiation: take it as done, unseen
            conn.association.state = State.ESTABLISHED
        for endpoint, side in conn.endpoints.items():
            isn = self._isn.pop((key, endpoint), None)
            if isn is not None:
                conn.directions[side].tcp.add(isn, b"", syn=True)
        self.connections.append(conn)
        self._connections[key] = conn
        return conn

    def segment(self, seg: Segment) -> list[Record]:
        """The records one segment completes."""
        conn = self._connection(seg)
        if conn is None:
            return []
        side = conn.endpoints[(seg.src, seg.sport)]
        direction = conn.directions[side]
        records: list[Record] = []
        if conn.closed is not None:  # after RST, or after both FINs
            if seg.data:
                records.append(
                    self._problem(
                        conn,
                        side,
                        seg,
                        "after-close",
                        f"{len(seg.data)} bytes sent after the connection ended ({conn.closed})",
                        None,
                        len(seg.data),
                    )
                )
            return records
        if not direction.tcp.started and seg.data and plausible(seg.data, 0) is None:
            direction.synced = False  # the capture starts mid-stream, inside a PDU
        conn.segments += 1
        other = conn.directions["acceptor" if side == "requestor" else "requestor"]
        if seg.flags & ACK:  # the other side's bytes before seg.ack were received
            other.tcp.acked(seg.ack, seg.time, conn.segments)
        for d in (other, direction):
            for piece in d.tcp.expire(seg.time, conn.segments):
                records += self._deliver(conn, d, piece, seg)
        pieces = direction.tcp.add(
            seg.seq, seg.data, syn=bool(seg.flags & SYN), fin=bool(seg.flags & FIN)
        )
        for piece in pieces:
            records += self._deliver(conn, direction, piece, seg)
        if seg.flags & (FIN | RST):
            conn.fin.add(side)
            if seg.flags & RST or len(conn.fin) == 2:
                records += self._close(conn, seg, "RST" if seg.flags & RST else "FIN")
        return records

    def raw(self, data: bytes) -> list[Record]:
        """The records of a file of concatenated PDUs (one stream, both sides mixed).

        Who sent what is inferred: A-ASSOCIATE-RQ, A-RELEASE-RQ and requests from the
        requestor; A-ASSOCIATE-AC/-RJ, A-RELEASE-RP and responses from the acceptor.
        """
        conn = _Connection(
            len(self.connections) + 1, {("raw", 0): "requestor"}, raw=True, pdus=self.pdus
        )
        self.connections.append(conn)
        d = conn.directions["requestor"]
        records = self._deliver(conn, d, data, None)
        return records + self._close(conn, None, "end of file")

    def finish(self) -> list[Record]:
        """End of the capture: flush every connection still open."""
        records: list[Record] = []
        for conn in self.connections:
            if conn.closed is None:
                records += self._close(conn, None, "end of capture")
        return records

    def _close(self, conn: _Connection, seg: Segment | None, how: str) -> list[Record]:
        records: list[Record] = []
        for direction in conn.directions.values():
            for piece in direction.tcp.finish():
                records += self._deliver(conn, direction, piece, seg)
            records += self._end_stream(conn, direction, seg)
        conn.closed = how
        state = conn.association.state.value
        record = self._base(conn, "connection-end", None, seg)
        record.update(how=how, state=state)
        if state in ("requested", "established", "releasing"):
            record["note"] = f"connection ended ({how}) without A-RELEASE or A-ABORT"
        records.append(record)
        for direction in conn.directions.values():
            record["bytes_" + direction.side] = {
                "framed": direction.counts.framed,
                "skipped": direction.counts.skipped,
                "lost": direction.counts.lost,
                "left": direction.counts.left,
            }
        return records

    # -- bytes to events -------------------------------------------------------------

    def _deliver(
        self, conn: _Connection, d: _Direction, piece: bytes | Gap, seg: Segment | None
    ) -> list[Record]:
        if isinstance(piece, Gap):
            d.counts.lost += piece.length
            records = [
                self._problem(
                    conn,
                    d.side,
                    seg,
                    "lost-segment",
                    f"{piece.length} bytes missing from the capture",
                    piece.offset,
                    piece.length,
                )
            ]
            # what is buffered before the gap can no longer complete
            records += self._skip(conn, d, len(d.buffer), seg, "bytes before a lost segment")
            d.start = piece.offset + piece.length
            d.synced, d.search_from = False, 0
            return records
        d.buffer += piece
        if d.synced:
            d.reassembler.receive_data(piece)
        return self._process(conn, d, seg, final=False)

    def _skip(
        self, conn: _Connection, d: _Direction, n: int, seg: Segment | None, why: str
    ) -> list[Record]:
        if n <= 0:
            return []
        offset = d.start
        del d.buffer[:n]
        d.start += n
        d.counts.skipped += n
        return [self._problem(conn, d.side, seg, "skipped", f"{n} {why}", offset, n)]

    def _process(
        self, conn: _Connection, d: _Direction, seg: Segment | None, *, final: bool
    ) -> list[Record]:
        """Decode what the buffer holds, finding a PDU boundary first where needed."""
        records: list[Record] = []
        while True:
            if not d.synced:
                pos = find_boundary(d.buffer, d.search_from, final=final)
                if pos is None:
                    if final:
                        records += self._skip(
                            conn, d, len(d.buffer), seg, "bytes with no PDU boundary"
                        )
                    return records
                records += self._skip(conn, d, pos, seg, "bytes skipped to a PDU boundary")
                d.synced, d.search_from = True, 0
                d.restart()
            records += self._pump(conn, d, seg)
            if d.synced or d.eof:
                return records

    def _pump(self, conn: _Connection, d: _Direction, seg: Segment | None) -> list[Record]:
        """Take the reassembler's events; on lost framing, mark the direction unsynced."""
        records: list[Record] = []
        reassembler = d.reassembler
        while True:
            try:
                event = reassembler.next_event()
            except DecodeError as err:
                self._consume(d)
                records.append(self._decode_problem(conn, d, seg, err))
                if not reassembler.broken:
                    continue  # the PDU at fault was framed by its length: go on
                if not d.eof:
                    # a bad header at the current position: look past its first byte
                    at_header = err.offset is not None and d.base + err.offset >= d.start
                    d.synced, d.search_from = False, 1 if at_header else 0
                return records
            self._consume(d)
            if event is None:
                return records
            if isinstance(event, PDUReceived):
                if conn.pdus:
                    records.append(self._pdu_record(conn, d, event, seg))
                if not isinstance(event.pdu, PDataTF):
                    records += self._pdu(conn, d, event, seg)
            else:
                records.append(self._message(conn, d, event, seg))

    def _consume(self, d: _Direction) -> None:
        """Drop from the buffer what the reassembler has framed."""
        n = d.base + d.reassembler.offset - d.start
        if n > 0:
            del d.buffer[:n]
            d.start += n
            d.counts.framed += n

    def _end_stream(self, conn: _Connection, d: _Direction, seg: Segment | None) -> list[Record]:
        records = self._process(conn, d, seg, final=True)
        d.eof = True
        if d.synced:
            d.reassembler.receive_eof()
            records += self._pump(conn, d, seg)
        d.counts.left += len(d.buffer)
        d.buffer.clear()
        return records

    # -- records ---------------------------------------------------------------------

    def _base(self, conn: _Connection, kind: str, side: Side | None, seg: Segment | None) -> Record:
        record: Record = {"type": kind, "assoc": conn.index}
        if side is not None:
            record["direction"] = side
        if seg is not None:
            record["time"] = seg.time
            record["frame"] = seg.frame
        return record

    def _problem(
        self,
        conn: _Connection,
        side: Side,
        seg: Segment | None,
        rule: str,
        reason: str,
        offset: int | None,
        length: int | None = None,
    ) -> Record:
        self.problems += 1
        record = self._base(conn, "problem", side, seg)
        record.update(rule=rule, reason=reason, offset=offset)
        if length is not None:
            record["length"] = length
        return record

    def _decode_problem(
        self, conn: _Connection, d: _Direction, seg: Segment | None, err: DecodeError
    ) -> Record:
        # the error's offset counts from where this reassembler started: make it absolute
        offset = None if err.offset is None else d.base + err.offset
        rule = getattr(err, "rule", None) or type(err).__name__
        return self._problem(conn, d.side, seg, rule, f"{err.where}: {err.reason}", offset)

    def _pdu_record(
        self, conn: _Connection, d: _Direction, event: PDUReceived, seg: Segment | None
    ) -> Record:
        record = self._base(conn, "pdu", d.side, seg)
        record.update(
            offset=d.base + event.offset,
            pdu_type=event.pdu_type,
            name=event.name,
            length=len(event.raw) - 6,
        )
        if isinstance(event.pdu, PDataTF):
            record["pdvs"] = [
                {
                    "context_id": pdv.context_id,
                    "control_header": pdv.control_header,
                    "command": pdv.is_command,
                    "last": pdv.is_last,
                    "length": len(pdv.fragment),
                }
                for pdv in event.pdu.pdvs
            ]
        return record

    def _pdu(
        self, conn: _Connection, d: _Direction, event: PDUReceived, seg: Segment | None
    ) -> list[Record]:
        pdu = event.pdu
        side = d.side
        if conn.raw and isinstance(pdu, (AssociateAC, AssociateRJ, ReleaseRP)):
            side = "acceptor"
        records: list[Record] = []
        try:
            conn.association.observe(pdu, side, offset=d.base + event.offset)
        except DecodeError as err:
            records.append(self._decode_problem(conn, d, seg, err))
        record = self._base(conn, event.name.lower(), side, seg)
        record["offset"] = d.base + event.offset
        if isinstance(pdu, (AssociateRQ, AssociateAC)):
            record.update(
                calling_ae=pdu.calling_ae_title,
                called_ae=pdu.called_ae_title,
                **user_information_fields(pdu.user_information),
            )
            if not conn.raw:
                for endpoint, role in conn.endpoints.items():
                    record[role] = f"{endpoint[0]}:{endpoint[1]}"
        if isinstance(pdu, AssociateRQ):
            record["contexts"] = [
                {
                    "id": ctx.context_id,
                    "abstract_syntax": ctx.abstract_syntax,
                    "abstract_syntax_name": uid_name(ctx.abstract_syntax),
                    "transfer_syntaxes": list(ctx.transfer_syntaxes),
                    "transfer_syntax_names": [uid_name(ts) for ts in ctx.transfer_syntaxes],
                }
                for ctx in pdu.presentation_contexts
            ]
        elif isinstance(pdu, AssociateAC):
            record["contexts"] = [
                {
                    "id": ctx.context_id,
                    "result": ctx.result,
                    "result_name": ctx.result_name,
                    "transfer_syntax": ctx.transfer_syntax if ctx.accepted else None,
                    "transfer_syntax_name": uid_name(ctx.transfer_syntax) if ctx.accepted else None,
                }
                for ctx in pdu.presentation_contexts
            ]
            record["deviations"] = [str(d) for d in conn.association.deviations]
        elif isinstance(pdu, AssociateRJ):
            record.update(
                result=pdu.result,
                result_name=pdu.result_name,
                source=pdu.source,
                source_name=pdu.source_name,
                reason=pdu.reason,
                reason_name=pdu.reason_name,
            )
        elif isinstance(pdu, Abort):
            record.update(
                source=pdu.source,
                source_name=pdu.source_name,
                reason=pdu.reason,
                reason_name=pdu.reason_name,
            )
        else:
            assert isinstance(pdu, (ReleaseRQ, ReleaseRP))
        records.append(record)
        return records

    def _message(
        self, conn: _Connection, d: _Direction, event: MessageReceived, seg: Segment | None
    ) -> Record:
        prim = event.primitive
        side = d.side
        if conn.raw and isinstance(prim.command_elements, dict):
            command_field = prim.command_elements.get(0x0100)
            if isinstance(command_field, int) and command_field & 0x8000:
                side = "acceptor"
        record = self._base(conn, "message", side, seg)
        record["offset"] = d.base + event.offset
        record["context_id"] = event.context_id
        record.update(message_fields(prim))
        ctx = conn.association.contexts.get(event.context_id)
        data = data_set(prim)
        if ctx is None:
            record["transfer_syntax"] = None
            if data is not None:
                record["identifier"] = None
                record["identifier_note"] = (
                    "transfer syntax unknown: the association's negotiation is not in the capture"
                    if conn.association.request is None
                    else f"presentation context {event.context_id} was not accepted"
                )
                record["identifier_length"] = len(data)
        else:
            record["transfer_syntax"] = ctx.transfer_syntax
            if data is not None:
                try:
                    record["identifier"] = identifier_json(data, ctx.transfer_syntax)
                    record["_identifier"] = (data, ctx.transfer_syntax)  # for text output
                except (DecodeError, ValueError, TypeError) as err:
                    record["identifier"] = None
                    record["identifier_note"] = f"does not decode: {err}"
        if prim.deviations:
            record["deviations"] = [str(dev) for dev in prim.deviations]
        return record


def iter_records(decoder: CaptureDecoder, segments: Iterable[Segment]) -> Iterator[Record]:
    """Every record of a capture, in order."""
    for seg in segments:
        yield from decoder.segment(seg)
    yield from decoder.finish()
