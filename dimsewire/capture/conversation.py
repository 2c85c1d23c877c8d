"""Captured DICOM connections, resynchronised: TCP segments in, records out.

Each TCP connection found to carry DICOM (by port, or by an A-ASSOCIATE-RQ at the start
of a stream) is one association. Its two byte streams go through a
:class:`~dimsewire.Reassembler` each and its PDUs through an
:class:`~dimsewire.Association`, so that Identifiers decode in the negotiated transfer
syntax. Every decoded event becomes a record, built by :mod:`dimsewire.capture.records`.

Damage is reported, never fatal: after a broken PDU, a lost segment, or at the start of
a capture that begins mid-association, decoding resumes at the next PDU boundary it can
prove (:mod:`dimsewire.capture.boundary`). Every byte of a stream is counted as framed
in a PDU, skipped inside a reported problem, or lost in a gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..association import Association, Side, State
from ..codec.events import (
    DataSetFragmentReceived,
    MessageReceived,
    MessageStarted,
    PDUReceived,
)
from ..codec.stream import Reassembler
from ..codec.upper_layer import AssociateAC, AssociateRJ, PDataTF, ReleaseRP
from ..errors import DecodeError
from ..primitives import C_STORE, DimsePrimitive
from .boundary import MAX_CONTROL, MAX_MESSAGE, find_boundary, plausible
from .datasets import DEFAULT_BULK_THRESHOLD, DataSetScanner, SeenDataSet, decode_data_set
from .export import Exporter, ExportWriter
from .packets import ACK, FIN, RST, SYN, CaptureError, Segment
from .records import (
    Record,
    association_record,
    connection_end_record,
    data_set,
    message_record,
    pdu_record,
    problem_record,
    record_head,
    transfer_syntax_note,
)
from .routing import ConnectionRouter, NewConnection
from .tcp import Gap, HalfStream

__all__ = [
    "DEFAULT_PORTS",
    "CaptureDecoder",
    "Counts",
    "Record",
    "capture_error_record",
    "iter_records",
]

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


def _streamed(prim: DimsePrimitive) -> bool:
    """The messages whose data set comes in fragments: C-STORE's, whatever its size."""
    return isinstance(prim, C_STORE)


@dataclass
class _Streaming:
    """A C-STORE data set on its way: scanned for the record, exported, counted."""

    scanner: DataSetScanner | None
    note: str | None
    started: float | None = None  # time of the packet that completed its command set
    length: int = 0
    writer: ExportWriter | None = None
    label: str = ""  # the message, for a problem record

    def feed(self, data: memoryview) -> None:
        self.length += len(data)
        if self.scanner is not None:
            self.scanner.feed(data)
        if self.writer is not None:
            self.writer.write(data)


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
    streaming: _Streaming | None = None  # the streamed data set in progress
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
            stream_data_sets=_streamed,
        )
        self.streaming = None  # a data set in progress is lost with the old framing
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
    data_sets : bool
        Decode every message's data set for the records. False: only those of requests
        other than C-STORE (what ``--summary`` shows: query keys, event and action
        information); the others are only counted (``dataset_length``).
    bulk_threshold : int or None
        Binary values longer than this many bytes are not inlined in the records (their
        length is shown instead, or a BulkDataURI into the exported file); None inlines
        every value.
    export : Exporter, optional
        Write every C-STORE data set as a file (see :mod:`dimsewire.capture.export`).
    """

    def __init__(
        self,
        ports: Iterable[int] = DEFAULT_PORTS,
        *,
        pdus: bool = False,
        data_sets: bool = True,
        bulk_threshold: int | None = DEFAULT_BULK_THRESHOLD,
        export: Exporter | None = None,
    ) -> None:
        self.export = export
        self.ports = set(ports)
        self.pdus = pdus
        self.data_sets = data_sets
        self.bulk_threshold = bulk_threshold
        self.router = ConnectionRouter(self.ports)
        self._by_index: dict[int, _Connection] = {}
        self.connections: list[_Connection] = []
        self.problems = 0

    # -- connections ---------------------------------------------------------------

    def _connection(self, new: NewConnection) -> _Connection:
        conn = _Connection(new.index, dict(new.endpoints), pdus=self.pdus)
        if new.late:  # the capture starts after the negotiation: take it as done, unseen
            conn.association.state = State.ESTABLISHED
        for side, isn in new.isn.items():
            conn.directions[side].tcp.add(isn, b"", syn=True)
        self.connections.append(conn)
        self._by_index[conn.index] = conn
        return conn

    def segment(self, seg: Segment) -> list[Record]:
        """The records one segment completes."""
        route = self.router.route(seg)
        if route is None:
            return []
        return self.routed(seg, *route)

    def routed(self, seg: Segment, index: int, new: NewConnection | None) -> list[Record]:
        """The records one segment completes, its connection found by a
        :class:`~dimsewire.capture.routing.ConnectionRouter` (perhaps in another process)."""
        conn = self._connection(new) if new is not None else self._by_index[index]
        side = conn.endpoints[(seg.src, seg.sport)]
        direction = conn.directions[side]
        records: list[Record] = []
        if conn.closed is not None:  # after RST, or after both FINs
            if seg.data:
                records.append(
                    self._report(
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
            self.router.next_index(), {("raw", 0): "requestor"}, raw=True, pdus=self.pdus
        )
        self.connections.append(conn)
        d = conn.directions["requestor"]
        records = self._deliver(conn, d, data, None)
        return records + self._close(conn, None, "end of file")

    def capture_error(self, err: CaptureError) -> Record:
        """The problem record of a capture file that cannot be read on (counted)."""
        self.problems += 1
        return capture_error_record(err)

    def finish(self) -> list[Record]:
        """End of the capture: flush every connection still open."""
        return [record for _, records in self.finish_each() for record in records]

    def finish_each(self) -> Iterator[tuple[int, list[Record]]]:
        """End of the capture, connection by connection: (association number, records)."""
        for conn in self.connections:
            if conn.closed is None:
                yield conn.index, self._close(conn, None, "end of capture")

    def _close(self, conn: _Connection, seg: Segment | None, how: str) -> list[Record]:
        records: list[Record] = []
        for direction in conn.directions.values():
            for piece in direction.tcp.finish():
                records += self._deliver(conn, direction, piece, seg)
            records += self._end_stream(conn, direction, seg)
        conn.closed = how
        counts = {d.side: vars(d.counts) for d in conn.directions.values()}
        head = record_head(conn.index, "connection-end", None, seg)
        records.append(connection_end_record(head, how, conn.association.state.value, counts))
        return records

    # -- bytes to events -------------------------------------------------------------

    def _deliver(
        self, conn: _Connection, d: _Direction, piece: bytes | Gap, seg: Segment | None
    ) -> list[Record]:
        if isinstance(piece, Gap):
            d.counts.lost += piece.length
            records = [
                self._report(
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
            records += self._abort_streaming(conn, d, seg, "bytes lost from the capture")
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
        return [self._report(conn, d.side, seg, "skipped", f"{n} {why}", offset, n)]

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
                records += self._abort_streaming(conn, d, seg, "its framing was lost")
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
                records += self._abort_streaming(conn, d, seg, "its message was dropped")
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
                    head = record_head(conn.index, "pdu", d.side, seg)
                    records.append(pdu_record(head, d.base + event.offset, event))
                if not isinstance(event.pdu, PDataTF):
                    records += self._pdu(conn, d, event, seg)
            elif isinstance(event, DataSetFragmentReceived):
                if d.streaming is not None:
                    d.streaming.feed(event.data)
            elif isinstance(event, MessageStarted):
                d.streaming, started = self._start_streaming(conn, d, event, seg)
                records += started
            else:
                records.append(self._message(conn, d, event, seg))

    def _start_streaming(
        self, conn: _Connection, d: _Direction, event: MessageStarted, seg: Segment | None
    ) -> tuple[_Streaming, list[Record]]:
        records = self._abort_streaming(conn, d, seg, "another message started")
        ctx = conn.association.contexts.get(event.context_id)
        syntax = None if ctx is None else ctx.transfer_syntax
        prim = event.primitive
        streaming = _Streaming(None, None, None if seg is None else seg.time)
        streaming.label = (
            f"the data set of C-STORE-RQ {getattr(prim, 'MessageID', None)} "
            f"({getattr(prim, 'AffectedSOPInstanceUID', None)})"
        )
        if syntax is None:
            streaming.note = transfer_syntax_note(conn.association, event.context_id)
        elif self.data_sets:
            try:
                streaming.scanner = DataSetScanner(syntax, self.bulk_threshold)
            except ValueError as err:
                streaming.note = str(err)
        if self.export is not None and not prim.is_response:
            request = conn.association.request
            source = None
            if request is not None:
                sender = self._sender(conn, d, None)
                source = (
                    request.calling_ae_title if sender == "requestor" else request.called_ae_title
                )
            try:
                streaming.writer = self.export.open(
                    assoc=conn.index,
                    message_id=getattr(prim, "MessageID", None),
                    sop_class_uid=getattr(prim, "AffectedSOPClassUID", None),
                    sop_instance_uid=getattr(prim, "AffectedSOPInstanceUID", None),
                    transfer_syntax=syntax,
                    source_ae_title=source,
                )
            except OSError as err:
                records.append(
                    self._report(
                        conn, d.side, seg, "export", f"{streaming.label}: not exported: {err}"
                    )
                )
        return streaming, records

    def _abort_streaming(
        self, conn: _Connection, d: _Direction, seg: Segment | None, why: str
    ) -> list[Record]:
        """A streamed data set that will never complete: its export is removed."""
        streaming, d.streaming = d.streaming, None
        if streaming is None or streaming.writer is None:
            return []
        streaming.writer.abort()
        return [
            self._report(
                conn,
                d.side,
                seg,
                "export",
                f"{streaming.label} is incomplete ({streaming.length} bytes received): "
                f"{why}; not exported",
            )
        ]

    def _message(
        self, conn: _Connection, d: _Direction, event: MessageReceived, seg: Segment | None
    ) -> Record:
        head = record_head(conn.index, "message", self._sender(conn, d, event), seg)
        head["offset"] = d.base + event.offset
        ctx = conn.association.contexts.get(event.context_id)
        syntax = None if ctx is None else ctx.transfer_syntax
        seen: SeenDataSet | None = None
        if event.streamed:
            streaming, d.streaming = d.streaming, None
            if streaming is not None:
                if streaming.started is not None:
                    head["started"] = streaming.started
                seen = SeenDataSet(streaming.length, None, streaming.note)
                uri, data_offset = None, 0
                if streaming.writer is not None:
                    path, data_offset = streaming.writer.finish()
                    seen.exported = str(path)
                    uri = path.resolve().as_uri()
                if streaming.scanner is not None:
                    seen.shown = streaming.scanner.decoded(uri=uri, data_offset=data_offset)
        else:
            data = data_set(event.primitive)
            if data is not None:
                seen = SeenDataSet(len(data))
                if syntax is None:
                    seen.note = transfer_syntax_note(conn.association, event.context_id)
                elif self.data_sets or not (
                    event.primitive.is_response or isinstance(event.primitive, C_STORE)
                ):
                    seen.shown = decode_data_set(data, syntax, self.bulk_threshold)
        return message_record(head, event, syntax, seen)

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
        records += self._abort_streaming(conn, d, seg, "the stream ended inside it")
        return records

    # -- problems and association events ---------------------------------------------

    def _report(
        self,
        conn: _Connection | None,
        side: Side | None,
        seg: Segment | None,
        rule: str,
        reason: str,
        offset: int | None = None,
        length: int | None = None,
    ) -> Record:
        """A problem record, counted: the one way a problem is reported."""
        self.problems += 1
        head = record_head(None if conn is None else conn.index, "problem", side, seg)
        return problem_record(head, rule, reason, offset, length)

    def _decode_problem(
        self, conn: _Connection, d: _Direction, seg: Segment | None, err: DecodeError
    ) -> Record:
        # the error's offset counts from where this reassembler started: make it absolute
        offset = None if err.offset is None else d.base + err.offset
        rule = getattr(err, "rule", None) or type(err).__name__
        return self._report(conn, d.side, seg, rule, f"{err.where}: {err.reason}", offset)

    @staticmethod
    def _sender(conn: _Connection, d: _Direction, event: MessageReceived | None) -> Side:
        """Who sent a message: a raw PDU file's responses come from the acceptor."""
        if event is None:
            return d.side
        elements = event.primitive.command_elements
        if conn.raw and isinstance(elements, dict):
            command_field = elements.get(0x0100)
            if isinstance(command_field, int) and command_field & 0x8000:
                return "acceptor"
        return d.side

    def _pdu(
        self, conn: _Connection, d: _Direction, event: PDUReceived, seg: Segment | None
    ) -> list[Record]:
        pdu = event.pdu
        side = d.side
        if conn.raw and isinstance(pdu, (AssociateAC, AssociateRJ, ReleaseRP)):
            side = "acceptor"
        records: list[Record] = []
        before = len(conn.association.deviations)
        try:
            conn.association.observe(pdu, side, offset=d.base + event.offset)
        except DecodeError as err:
            records.append(self._decode_problem(conn, d, seg, err))
        head = record_head(conn.index, event.name.lower(), side, seg)
        head["offset"] = d.base + event.offset
        addresses = None
        if not conn.raw:
            addresses = {role: f"{ip}:{port}" for (ip, port), role in conn.endpoints.items()}
        deviations = conn.association.deviations[before:]  # what this PDU did
        records.append(association_record(head, pdu, addresses=addresses, deviations=deviations))
        return records


def capture_error_record(err: CaptureError) -> Record:
    """The problem record of a capture file that cannot be read on: in no association,
    at the frame that could not be read."""
    record = problem_record(record_head(None, "problem", None, None), "capture", err.reason)
    record["frame"] = err.frame
    return record


def iter_records(decoder: CaptureDecoder, segments: Iterable[Segment]) -> Iterator[Record]:
    """Every record of a capture, in order."""
    for seg in segments:
        yield from decoder.segment(seg)
    yield from decoder.finish()
