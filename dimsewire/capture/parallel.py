"""``dimsewire decode --jobs N``: TCP connections decoded in N worker processes.

The parent reads the capture once and routes each segment to its connection
(:class:`~dimsewire.capture.routing.ConnectionRouter`: association numbers are given
here, in capture order, as one process gives them). Each new connection goes to the
worker with the fewest bytes so far; segments travel in batches, each segment tagged
with its place in the capture. A worker decodes its connections with a
:class:`~dimsewire.capture.CaptureDecoder` and sends back, per segment, the records it
completed. The parent puts them back in capture order (a segment's records are all of
one connection, so ordering by segment is the order one process gives), then the
records of the connections still open at the end, by association number.

The output is the same, byte for byte, as with one process:

* problems and summary totals come from the same records in the same order (the summary,
  with its links across associations, is built in the parent from them);
* ``--export``: workers write each file under a provisional name in a staging directory
  inside the export directory and log opens, finishes and aborts; the parent replays the
  log in capture order, giving each file the name one process would have given it
  (``<uid>.2.dcm`` depends on what came before) and rewriting the records' file names
  and BulkDataURIs.

Memory stays bounded: a batch is at most :data:`BATCH_BYTES`, and the parent reads no
further while the slowest worker is more than :data:`AHEAD` batches behind.

This is how a capture read from standard input is decoded in parallel; named files are
read by the workers themselves (:mod:`dimsewire.capture.sharded`), which spares the
parent the reading and the pipes the segments.
"""

from __future__ import annotations

import contextlib
import copyreg
import heapq
import json
import multiprocessing
import pickle
import queue
import shutil
import tempfile
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from pydicom import config
from pydicom.uid import UID

from .conversation import CaptureDecoder, capture_error_record
from .export import Exporter, ExportEvent, StagingExporter
from .packets import CaptureError, Segment
from .parquet import Row, row_of
from .records import Record, json_line
from .routing import ConnectionRouter, NewConnection
from .series import SeriesProblem
from .summary import summary_fields

__all__ = ["AHEAD", "BATCH_BYTES", "ParallelDecoder"]

#: Segment bytes sent to the workers at a time (all workers' batches of one round).
BATCH_BYTES = 2 * 1024 * 1024
BATCH_SEGMENTS = 4096
#: Rounds the reading may run ahead of the slowest worker's results.
AHEAD = 6
PER_SEGMENT = 64  # bytes a segment counts for besides its data

#: (segment number, association, the connection if this segment starts it, segment fields)
_Item = tuple[int, int, NewConnection | None, tuple[Any, ...]]
#: (segment number or association number, records, export log)
_Group = tuple[int, list[Any], list[ExportEvent]]


@dataclass(frozen=True)
class Settings:
    """What a decoding worker (a process here, a Dask task in :mod:`.cluster`) needs."""

    ports: tuple[int, ...]
    pdus: bool
    data_sets: bool
    bulk_threshold: int | None
    form: str  # what a worker sends of a record: a key of RECORD_FORMS
    staging: str | None = None  # absolute path of the staging directory, with --export
    paths: tuple[str, ...] = ()  # the capture files, as given (read from the parent's directory)

    def decoder(self, export: Exporter | None = None) -> CaptureDecoder:
        return CaptureDecoder(
            self.ports,
            pdus=self.pdus,
            data_sets=self.data_sets,
            bulk_threshold=self.bulk_threshold,
            export=export,
        )


def _context() -> BaseContext:
    """forkserver where there is one (workers start in milliseconds, from a process that
    imported dimsewire once and holds no thread), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")


#: What a worker sends of a record: the record, its --json line, what the summary reads
#: of it, or its Parquet row.
RECORD_FORMS: dict[str, Callable[[Record], Any]] = {
    "record": lambda record: record,
    "json": json_line,
    "summary": summary_fields,
    "parquet": row_of,  # its row of the Parquet dataset (None: no table holds it)
}


#: What comes out of a parallel decoder for a record, in the form asked for.
Shown = Record | str | Row | None


def check_form(form: str) -> None:
    if form not in RECORD_FORMS:
        raise ValueError(f"form must be one of {', '.join(RECORD_FORMS)}, not {form!r}")


def _uid(text: str) -> UID:
    return UID(text, validation_mode=config.IGNORE)  # a peer's bad UID: no warning


def reduce_uid(uid: UID) -> tuple[Any, tuple[str]]:
    return _uid, (str(uid),)


class Decoding:
    """What process `number` decodes with: its decoder, its exporter (with export: files
    staged under a prefix of its own) and the form its records are sent in."""

    def __init__(self, settings: Settings, number: int) -> None:
        self.exporter = None
        if settings.staging is not None:
            self.exporter = StagingExporter(settings.staging, f"w{number}-")
        self.decoder = settings.decoder(self.exporter)
        self.form = RECORD_FORMS[settings.form]

    def group(self, key: int, records: list[Record]) -> _Group | None:
        """`records` under `key`, in the form sent, with what the exporter did for them;
        None if there is neither."""
        events = self.exporter.take_events() if self.exporter is not None else []
        if not records and not events:
            return None
        return key, [self.form(record) for record in records], events

    def ending(self) -> list[_Group]:
        """The groups of the connections still open at the end, by association number."""
        groups = (self.group(index, records) for index, records in self.decoder.finish_each())
        return [group for group in groups if group is not None]


def _work(number: int, settings: Settings, inbox: Any, outbox: Any) -> None:
    """A worker: decode the batches of segments it is sent, answer each with its groups."""
    # a UID unpickles through UID(text), which validates (and warns): pass it as it was made
    copyreg.pickle(UID, reduce_uid)
    try:
        work = Decoding(settings, number)
        while True:
            batch: list[_Item] | None = receive(inbox)
            if batch is None:
                outbox.put((number, "finish", work.ending(), work.decoder.problems))
                return
            groups: list[_Group] = []
            for seq, index, new, fields in batch:
                group = work.group(seq, work.decoder.routed(Segment(*fields), index, new))
                if group is not None:
                    groups.append(group)
            outbox.put((number, "batch", groups, 0))
    except ParentGoneError:
        outbox.cancel_join_thread()  # what it holds cannot be delivered: exit without it
        return
    except BaseException as err:  # handed to the parent, raised there
        outbox.put((number, "error", sendable(number, err), 0))


class ParentGoneError(Exception):
    """The process that started this worker has ended: nobody will read what it sends."""


def _check_parent() -> None:
    parent = multiprocessing.parent_process()
    if parent is not None and not parent.is_alive():
        raise ParentGoneError


def send(outbox: Any, message: Any) -> None:
    """`outbox.put(message)`, waiting while the queue is full for as long as the parent
    lives (a parent killed outright leaves its workers no other sign)."""
    while True:
        try:
            outbox.put(message, timeout=1.0)
            return
        except queue.Full:
            _check_parent()


def receive(inbox: Any) -> Any:
    """`inbox.get()`, for as long as the parent lives."""
    while True:
        try:
            return inbox.get(timeout=1.0)
        except queue.Empty:
            _check_parent()


def sendable(number: int, err: BaseException) -> BaseException:
    """What worker `number` sends of the exception that ended it: itself if it pickles."""
    try:
        pickle.dumps(err)
        return err
    except Exception:
        return RuntimeError(f"decoding worker {number}: {traceback.format_exc()}")


def _fields(seg: Segment) -> tuple[Any, ...]:
    """A segment as a plain tuple (pickled without naming its class)."""
    return (
        seg.frame, seg.time, seg.src, seg.sport, seg.dst, seg.dport,
        seg.seq, seg.flags, seg.data, seg.ack,
    )  # fmt: skip


class ParallelDecoder:
    """Decode a capture's connections in `jobs` processes; records as one process gives.

    Parameters are those of :class:`~dimsewire.capture.CaptureDecoder`; `export`, if
    given, names and keeps the files (the workers write them). `form` says what comes
    out for each record: ``"record"`` the record; ``"json"`` its ``--json`` line (made
    by the worker); ``"summary"`` what :class:`~dimsewire.capture.summary.Summary` reads
    of it; ``"parquet"`` its Parquet row. Records made in the parent (a capture that
    cannot be read on) come as records.
    """

    def __init__(
        self,
        jobs: int,
        ports: Iterable[int],
        *,
        pdus: bool = False,
        data_sets: bool = True,
        bulk_threshold: int | None = None,
        export: Exporter | None = None,
        form: str = "record",
    ) -> None:
        check_form(form)
        if form == "parquet" and export is not None:
            raise ValueError("the parquet form carries no exported file names: not with export")
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {jobs}")
        self.jobs = jobs
        self.export = export
        self.problems = 0
        self._ports = tuple(ports)
        self._options = (pdus, data_sets, bulk_threshold)
        self._form = form
        self._router = ConnectionRouter(self._ports)
        # per worker
        self._outstanding: list[deque[int]] = [deque() for _ in range(jobs)]
        self._pending: list[deque[_Group]] = [deque() for _ in range(jobs)]
        self._flushed = 0  # every segment up to this number has been sent
        self._rounds: deque[int] = deque()  # horizons of the rounds not yet all answered
        self._names: dict[str, str] = {}  # provisional file -> its reserved name
        self._moved: dict[str, tuple[str, str, str, str]] = {}  # staged path -> new names
        self._processes: list[BaseProcess] = []
        self._inboxes: list[Any] = []
        self._outbox: Any = None

    # -- the parent's loop -----------------------------------------------------------

    def records(self, segments: Iterable[Segment | SeriesProblem]) -> Iterator[Shown]:
        """Every record of the capture, in the order one process gives them.

        A :class:`CaptureError` while reading gives its problem record after the records
        of every segment before it, as with one process.
        """
        with self._staging() as staging:
            self._start(staging)
            yield from self._run(segments)

    @contextlib.contextmanager
    def _staging(self) -> Iterator[str | None]:
        """The staging directory of the workers' exported files (None: no export); the
        workers stopped and the directory removed on the way out."""
        staging = None
        if self.export is not None:
            staging = Path(tempfile.mkdtemp(prefix=".dimsewire-jobs-", dir=self.export.directory))
        try:
            yield None if staging is None else str(staging.resolve())
        finally:
            self._stop()
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)

    def _settings(self, staging: str | None, paths: tuple[str, ...] = ()) -> Settings:
        pdus, data_sets, bulk_threshold = self._options
        return Settings(self._ports, pdus, data_sets, bulk_threshold, self._form, staging, paths)

    def _spawn(
        self, ctx: BaseContext, target: Callable[..., None], args: tuple[Any, ...]
    ) -> BaseProcess:
        """A worker process (`args[0]` its number), not yet started."""
        process: BaseProcess = ctx.Process(  # type: ignore[attr-defined]
            target=target,
            args=args,
            name=f"dimsewire-decode-{args[0]}",
            daemon=True,
        )
        self._processes.append(process)
        return process

    def _start(self, staging: str | None) -> None:
        ctx = _context()
        settings = self._settings(staging)
        self._outbox = ctx.Queue()
        for number in range(self.jobs):
            inbox = ctx.Queue()
            self._spawn(ctx, _work, (number, settings, inbox, self._outbox)).start()
            self._inboxes.append(inbox)

    def _stop(self) -> None:
        for inbox in self._inboxes:
            inbox.cancel_join_thread()
        for process in self._processes:
            if process.is_alive():
                process.terminate()
            if process.pid is not None:  # started
                process.join()
        self._processes.clear()

    def _run(self, segments: Iterable[Segment | SeriesProblem]) -> Iterator[Shown]:
        buffers: list[list[_Item]] = [[] for _ in range(self.jobs)]
        load = [0] * self.jobs
        owner: dict[int, int] = {}
        size = count = seq = 0
        failure: CaptureError | None = None
        try:
            for seg in segments:
                if isinstance(seg, SeriesProblem):  # a damaged file of a series: in its place
                    yield from self._flush(buffers, seq)
                    size = count = 0
                    while any(self._outstanding):
                        self._receive(block=True)
                        yield from self._emit()
                    yield self._capture_error(seg.error)
                    continue
                route = self._router.route(seg)
                if route is None:
                    continue
                seq += 1
                index, new = route
                if new is not None:
                    owner[index] = load.index(min(load))
                worker = owner[index]
                weight = len(seg.data) + PER_SEGMENT
                load[worker] += weight
                buffers[worker].append((seq, index, new, _fields(seg)))
                size += weight
                count += 1
                if size >= BATCH_BYTES or count >= BATCH_SEGMENTS:
                    yield from self._flush(buffers, seq)
                    size = count = 0
        except CaptureError as err:
            failure = err
        yield from self._flush(buffers, seq)
        while any(self._outstanding):
            self._receive(block=True)
            yield from self._emit()
        if failure is not None:
            yield self._capture_error(failure)
        yield from self._finish()

    def _capture_error(self, err: CaptureError) -> Record:
        self.problems += 1
        return capture_error_record(err)

    def _flush(self, buffers: list[list[_Item]], horizon: int) -> Iterator[Shown]:
        """Send every worker its batch; emit what can be; wait if reading runs ahead."""
        for worker, batch in enumerate(buffers):
            if batch:
                self._inboxes[worker].put(batch)
                self._outstanding[worker].append(self._flushed)
                buffers[worker] = []
        self._flushed = horizon
        self._rounds.append(horizon)
        self._receive(block=False)
        yield from self._emit()
        while len(self._rounds) > AHEAD:
            self._receive(block=True)
            yield from self._emit()

    def _receive(self, *, block: bool) -> None:
        """Take the workers' answers (at least one if `block`)."""
        while True:
            try:
                message = self._outbox.get(timeout=1.0) if block else self._outbox.get_nowait()
            except queue.Empty:
                if not block:
                    return
                self._check_alive(n for n, owed in enumerate(self._outstanding) if owed)
                continue
            worker, kind, payload, _ = message
            if kind == "error":
                raise payload
            assert kind == "batch", kind
            self._outstanding[worker].popleft()
            self._pending[worker].extend(payload)
            block = False

    def _check_alive(self, expected: Iterable[int]) -> None:
        """Fail if a worker that owes an answer has ended (killed, out of memory)."""
        for number in expected:
            process = self._processes[number]
            if not process.is_alive() and self._outbox.empty():
                raise RuntimeError(f"decoding worker {number} ended (exit code {process.exitcode})")

    def _emit(self) -> Iterator[Shown]:
        """The records of every segment all workers are done with, in capture order."""
        done = min(
            outstanding[0] if outstanding else self._flushed for outstanding in self._outstanding
        )
        while self._rounds and self._rounds[0] <= done:
            self._rounds.popleft()
        yield from self._ready(done)

    def _ready(self, horizon: int | None) -> Iterator[Shown]:
        """The records of the workers' groups up to `horizon` (None: all), in capture order."""
        ready: list[list[tuple[int, int, _Group]]] = []
        for worker, pending in enumerate(self._pending):
            taken = []
            while pending and (horizon is None or pending[0][0] <= horizon):
                group = pending.popleft()
                taken.append((group[0], worker, group))
            if taken:
                ready.append(taken)
        for _, worker, group in heapq.merge(*ready):
            yield from self._records(worker, group)

    def _finish(self) -> Iterator[Shown]:
        """The records of the connections still open at the end, by association number."""
        for inbox in self._inboxes:
            inbox.put(None)
        groups: list[tuple[int, int, _Group]] = []
        left = set(range(self.jobs))
        while left:
            try:
                worker, kind, payload, problems = self._outbox.get(timeout=1.0)
            except queue.Empty:
                self._check_alive(left)
                continue
            if kind == "error":
                raise payload
            assert kind == "finish", kind
            groups += [(group[0], worker, group) for group in payload]
            self.problems += problems
            left.discard(worker)
        for _, worker, group in sorted(groups, key=lambda item: item[0]):
            yield from self._records(worker, group)

    # -- export ----------------------------------------------------------------------

    def _records(self, worker: int, group: _Group) -> Iterator[Shown]:
        _, records, events = group
        if self.export is None:  # no file names to rewrite
            yield from records
            return
        for event in events:
            self._replay(event)
        for record in records:
            if isinstance(record, str):
                yield self._rename_line(record) if "exported_file" in record else record
                continue
            if isinstance(record, dict) and "exported_file" in record:
                self._rename(record)
            yield record

    def _replay(self, event: ExportEvent) -> None:
        """Do what a worker's exporter did, under the names one process would give."""
        assert self.export is not None
        kind, token = event[0], event[1]
        if kind == "open":
            self._names[token] = self.export.reserve(event[2], event[3])
        elif kind == "finish":
            staged = Path(event[2])
            path = self.export.place(self._names.pop(token), staged)
            self._moved[str(staged)] = (
                str(path),
                path.resolve().as_uri() + "?",
                str(staged),
                staged.resolve().as_uri() + "?",
            )
        else:
            self.export.release(self._names.pop(token))

    def _rename_line(self, line: str) -> str:
        """A C-STORE-RQ record's JSON line with its file's real name and BulkDataURIs."""
        key = '"exported_file": '
        start = line.index(key) + len(key)
        staged = json.loads(line[start : line.index('"', start + 1) + 1])
        moved = self._moved.pop(staged, None)
        if moved is None:
            return line
        path, uri, staged_path, staged_uri = moved
        line = line.replace(_escaped(staged_uri), _escaped(uri))
        return line.replace(_escaped(staged_path), _escaped(path))

    def _rename(self, record: Record) -> None:
        """A C-STORE-RQ record with its file's real name and BulkDataURIs into it."""
        moved = self._moved.pop(record["exported_file"], None)
        if moved is None:
            return
        path, uri, _, staged_uri = moved
        record["exported_file"] = path
        shown = record.get("dataset")
        if shown:
            _rewrite_uris(shown, staged_uri, uri)


def _escaped(text: str) -> str:
    return json.dumps(text)[1:-1]


def _rewrite_uris(shown: dict[str, Any], old: str, new: str) -> None:
    for element in shown.values():
        uri = element.get("BulkDataURI")
        if isinstance(uri, str) and uri.startswith(old):
            element["BulkDataURI"] = new + uri[len(old) :]
        if element.get("vr") == "SQ":
            for item in element.get("Value") or ():
                if isinstance(item, dict):
                    _rewrite_uris(item, old, new)
