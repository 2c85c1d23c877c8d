"""``dimsewire decode --workers N`` / ``--scheduler ADDRESS``: a capture series on Dask.

Two rounds of tasks on a dask.distributed cluster, the client in between:

1. **Index**, one task per file: read the file once and return every frame's time and,
   for each TCP segment, its headers, where its payload lies in the file, and the
   payload's first 6 bytes. No payload travels.
2. **Route**, in the client: merge the files' frames in time order exactly as one
   process does (:func:`dimsewire.capture.series.merge`), number frames through the
   series, and route each segment to its connection with the same
   :class:`~dimsewire.capture.routing.ConnectionRouter` (association numbers in capture
   order, from the headers and first bytes alone). Each connection belongs to the file
   its first data is in.
3. **Decode**: each connection decoded whole, from its segments in capture order, by one
   :class:`~dimsewire.capture.CaptureDecoder`, payloads read back by their offsets. The
   connections that stay inside one file make that file's task; those that cross file
   boundaries (TCP state, negotiated contexts, a PDU cut by the boundary all carried
   inside one decoder) are spread over tasks of their own by bytes, at most two per
   worker thread, so that a few long associations do not pile up in one task.
4. **Merge**, in the client: the tasks' records back in capture order (every record
   belongs to one segment, and every segment to one task), then those of connections
   still open at the end by association number: the order one process gives.

So the output equals one process's, record for record. It scales with files and
connections; it stops at one connection: a single association that runs through the
whole series is one task's stream. The client's share is serial: routing, and taking
every record back in order (with ``--parquet``, writing them: the tasks send records
already made rows). The client holds the segment index of the series (about 200 bytes
per TCP segment) while it routes. Every file must be readable at the
same path by the client and by every worker (shared storage on a real cluster).

The cluster comes from ``pip install 'dimsewire[archive]'`` (dask[distributed]).
"""

from __future__ import annotations

import copyreg
import gc
import io
import mmap
import pickle
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydicom.uid import UID

from .conversation import DEFAULT_PORTS, capture_error_record
from .datasets import DEFAULT_BULK_THRESHOLD
from .packets import CaptureError, Segment, segment_of
from .parallel import (
    PER_SEGMENT,
    RECORD_FORMS,
    Settings,
    Shown,
    check_form,
    reduce_uid,
)
from .parquet import DEFAULT_ROWS_PER_GROUP, ParquetWriter
from .routing import ConnectionRouter, NewConnection
from .series import Entry, SeriesProblem, file_entries, merge, numbered, probe

__all__ = ["ClusterDecoder", "client_for", "decode_to_parquet", "read_dataframe"]

HEAD = 6  # payload bytes the router reads: a PDU header (A-ASSOCIATE-RQ or not)

#: A segment as the index gives it: (frame in file, src, sport, dst, dport, seq, flags,
#: ack, payload offset in the file, payload length, first HEAD payload bytes)
_Ref = tuple[int, str, int, str, int, int, int, int, int, int, bytes]
#: A routed segment as a decode task gets it: (key, frame in the series, time, src,
#: sport, dst, dport, seq, flags, ack, file, offset, length, association, new)
_Item = tuple[
    int, int, float, str, int, str, int, int, int, int, int, int, int, int, NewConnection | None
]


def _distributed() -> Any:
    """dask.distributed, or an ImportError saying how to get it."""
    try:
        import dask.distributed  # noqa: PLC0415
    except ImportError as err:
        raise ImportError(
            "--workers and --scheduler need dask.distributed: pip install 'dimsewire[archive]'"
        ) from err
    return dask.distributed


# -- round 1: index --------------------------------------------------------------------


@dataclass
class FileIndex:
    """One file's frames: every time, the TCP segments' headers, and a damage if any."""

    times: array[float]  # of every frame, in file order
    refs: dict[int, _Ref]  # by frame in file
    error: Entry[CaptureError] | None = None  # its merge entry, after the last whole frame


def index_file(path: str) -> FileIndex:
    """Round 1: read one file (a task), as :func:`~dimsewire.capture.series.file_entries`
    reads it."""
    index = FileIndex(array("d"), {})
    for entry in file_entries(path, 0):
        time, _, number, got = entry
        if isinstance(got, CaptureError):
            index.error = (time, 0, number, got)
            break
        index.times.append(time)
        seg = segment_of(*got)
        if seg is not None:
            index.refs[number] = (
                number, seg.src, seg.sport, seg.dst, seg.dport, seg.seq,
                seg.flags, seg.ack, seg.offset, len(seg.data), seg.data[:HEAD],
            )  # fmt: skip
    return index


def _entries(index: FileIndex, source: int) -> Iterator[Entry[_Ref | CaptureError | None]]:
    """A file's merge entries, as :func:`~dimsewire.capture.series.file_entries` gives
    them from the file itself, TCP segments as their references (None: another frame)."""
    refs = index.refs
    for place, time in enumerate(index.times, 1):
        yield time, source, place, refs.get(place)
    if index.error is not None:
        time, _, place, err = index.error
        yield time, source, place, err


# -- round 3: decode -------------------------------------------------------------------


def _dumps(value: object) -> bytes:
    """Pickle with UIDs rebuilt as they were (unpickled through UID(text) they would be
    validated again, and a peer's bad UID would warn)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[UID] = reduce_uid
    pickler.dump(value)
    return buffer.getvalue()


class Payloads:
    """Payload bytes read back from capture files by their place (files mapped once)."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = paths
        self._maps: dict[int, mmap.mmap] = {}

    def read(self, file: int, offset: int, length: int) -> bytes:
        source = self._maps.get(file)
        if source is None:
            with open(self.paths[file], "rb") as stream:
                source = self._maps[file] = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        return source[offset : offset + length]

    def close(self) -> None:
        for source in self._maps.values():
            source.close()
        self._maps.clear()


def decode_part(paths: Sequence[str], sent: bytes, settings: Settings) -> bytes:
    """Round 3: decode the connections whose segments `sent` holds (a pickled list of
    items: a task). Returns, pickled: (groups by key, groups of the connections open at
    the end by association, problems).

    The items travel pickled by us: as an argument, Dask took 10 us per item to ship
    them (2.3 s of the client's time on a 200 MB series), pickle 0.3 us.
    """
    items: Sequence[_Item] = pickle.loads(sent)
    form = RECORD_FORMS[settings.form]
    decoder = settings.decoder()
    payloads = Payloads(paths)
    groups: list[tuple[int, list[Any]]] = []
    try:
        for item in items:
            key, frame, time, src, sport, dst, dport, seq, flags, ack, f, offset, n = item[:13]
            data = payloads.read(f, offset, n) if n else b""
            seg = Segment(frame, time, src, sport, dst, dport, seq, flags, data, ack, offset, f)
            records = decoder.routed(seg, item[13], item[14])
            if records:
                groups.append((key, [form(record) for record in records]))
        groups.sort(key=lambda group: group[0])  # connections came one after another
        ending = [
            (index, [form(record) for record in records])
            for index, records in decoder.finish_each()
        ]
    finally:
        payloads.close()
    return _dumps((groups, ending, decoder.problems))


# -- the client ------------------------------------------------------------------------


def client_for(workers: int | None = None, scheduler: str | None = None) -> Any:
    """A dask.distributed Client: on the cluster at `scheduler`, else on a new local
    cluster of `workers` single-threaded worker processes (closed with the client)."""
    distributed = _distributed()
    if scheduler is not None:
        return distributed.Client(scheduler)
    cluster = distributed.LocalCluster(
        n_workers=workers or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # its HTTP server (health, metrics) on a free port
        silence_logs=50,  # logging.CRITICAL: a worker's log lines are not our output
    )
    client = distributed.Client(cluster)
    client._dimsewire_cluster = cluster  # closed by close_client
    return client


def close_client(client: Any) -> None:
    """Close a client from :func:`client_for`, and its local cluster."""
    cluster = getattr(client, "_dimsewire_cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


class ClusterDecoder:
    """Decode several capture files as one capture on a dask.distributed `client`;
    records as one process gives them (see the module's description).

    Parameters are those of :class:`~dimsewire.capture.CaptureDecoder`; `form` says what
    comes out for each record: ``"record"`` the record, ``"json"`` its ``--json`` line
    (made by the worker), ``"summary"`` what the summary reads of it. Records made in the
    client (a damaged file) come as records.
    """

    def __init__(
        self,
        client: Any,
        paths: Sequence[str | Path],
        ports: Iterable[int] = DEFAULT_PORTS,
        *,
        pdus: bool = False,
        data_sets: bool = True,
        bulk_threshold: int | None = DEFAULT_BULK_THRESHOLD,
        form: str = "record",
    ) -> None:
        check_form(form)
        self.client = client
        self.paths = [str(Path(path).resolve()) for path in paths]
        self.names = [str(path) for path in paths]
        self.settings = Settings(tuple(ports), pdus, data_sets, bulk_threshold, form)
        #: Each file's link type and first time (read by the client), in the order given.
        self.probes = [probe(path) for path in self.paths]
        self.export = None  # not with --workers
        self.problems = 0
        self.frames = 0

    def records(self) -> Iterator[Shown]:
        """Every record of the series, in the order one process gives them."""
        indexes = {
            i: self.client.submit(index_file, path, pure=False)
            for i, (path, found) in enumerate(zip(self.paths, self.probes, strict=True))
            if found.first is not None
        }
        errors: list[tuple[int, list[Any]]] = []
        connections: dict[int, _Connection] = {}
        router = ConnectionRouter(self.settings.ports)
        key = 0

        def open_source(source: int) -> Iterator[Entry[_Ref | CaptureError | None]]:
            return _entries(indexes.pop(source).result(), source)

        merged = merge([p.first for p in self.probes], open_source)
        for got in numbered(self.names, merged):
            if isinstance(got, SeriesProblem):
                key += 1
                errors.append((key, [capture_error_record(got.error)]))
                self.problems += 1
                continue
            self.frames, time, source, ref = got
            if ref is None:
                continue
            _, src, sport, dst, dport, seq, flags, ack, offset, n, head = ref
            seg = Segment(self.frames, time, src, sport, dst, dport, seq, flags, head, ack)
            route = router.route(seg)
            if route is None:
                continue
            key += 1
            index, new = route
            conn = connections.get(index)
            if conn is None:
                conn = connections[index] = _Connection()
            conn.files.add(source)
            conn.size += n + PER_SEGMENT
            conn.items.append(
                (key, self.frames, time, src, sport, dst, dport, seq, flags, ack,
                 source, offset, n, index, new)
            )  # fmt: skip
        parts = self._parts(connections)
        connections.clear()
        futures = [
            self.client.submit(decode_part, self.paths, _dumps(items), self.settings, pure=False)
            for items in parts
        ]
        firsts = [min(item[0] for item in items) for items in parts]
        parts.clear()  # the items travelled: let them go
        yield from self._merge(firsts, futures, errors)

    def _parts(self, connections: dict[int, _Connection]) -> list[list[_Item]]:
        """The decode tasks' items: the connections that stay in one file, a task per
        file; those that cross files spread over tasks of their own by bytes (largest
        first, each to the task with the fewest), at most two per worker thread."""
        by_file: dict[int, list[_Item]] = {}
        crossing: list[_Connection] = []
        for conn in connections.values():
            if len(conn.files) == 1:
                by_file.setdefault(next(iter(conn.files)), []).extend(conn.items)
            else:
                crossing.append(conn)
        threads = max(1, sum(self.client.nthreads().values()))
        spread: list[list[_Item]] = [[] for _ in range(min(len(crossing), 2 * threads))]
        load = [0] * len(spread)
        for conn in sorted(crossing, key=lambda c: c.size, reverse=True):
            least = load.index(min(load))
            spread[least].extend(conn.items)
            load[least] += conn.size
        return [by_file[source] for source in sorted(by_file)] + spread

    def _merge(
        self, firsts: list[int], futures: list[Any], errors: list[tuple[int, list[Any]]]
    ) -> Iterator[Shown]:
        """The tasks' records by key, then the open connections' by association."""
        ending: list[tuple[int, list[Any]]] = []

        def open_source(n: int) -> Iterator[tuple[float, int, int, Any]]:
            if n == len(futures):
                groups = errors
            else:
                data = futures[n].result()
                futures[n] = None  # the result is ours now: the cluster may let it go
                gc.disable()  # many small objects: the collector would run for nothing
                try:
                    groups, ends, problems = pickle.loads(data)
                finally:
                    gc.enable()
                ending.extend(ends)
                self.problems += problems
            return ((k, n, place, records) for place, (k, records) in enumerate(groups, 1))

        sources: list[float | None] = [*firsts, errors[0][0] if errors else None]
        for _, _, _, records in merge(sources, open_source):
            yield from records
        for _, records in sorted(ending, key=lambda group: group[0]):
            yield from records


@dataclass
class _Connection:
    """A connection's routed segments, and what places it in a decode task."""

    items: list[_Item] = field(default_factory=list)
    files: set[int] = field(default_factory=set)
    size: int = 0  # payload bytes, and a little for each segment


# -- entry points for people who run their own cluster ---------------------------------


def decode_to_parquet(
    paths: Sequence[str | Path],
    directory: str | Path,
    *,
    client: Any = None,
    workers: int | None = None,
    ports: Iterable[int] = DEFAULT_PORTS,
    bulk_threshold: int | None = DEFAULT_BULK_THRESHOLD,
    rows_per_group: int | None = None,
) -> dict[str, int]:
    """Decode capture files as one capture into a Parquet dataset in `directory`
    (``messages/``, ``associations/``, ``problems/``: the schema is
    :func:`dimsewire.capture.parquet.schema`'s), on `client`'s dask.distributed cluster,
    or on a local one of `workers` processes if `client` is None.

    Returns the rows written by table, ``skipped`` records (none here) and ``problems``.
    """
    own = client is None
    if own:
        client = client_for(workers)
    try:
        decoder = ClusterDecoder(
            client, paths, ports, bulk_threshold=bulk_threshold, form="parquet"
        )
        with ParquetWriter(
            directory, rows_per_group=rows_per_group or DEFAULT_ROWS_PER_GROUP
        ) as out:
            for row in decoder.records():
                out.write_row(row)  # type: ignore[arg-type]  # the parquet form gives rows
        counts = out.counts
        counts["problems"] = decoder.problems
        return counts
    finally:
        if own:
            close_client(client)


def read_dataframe(directory: str | Path, table: str = "messages") -> Any:
    """One table of a dataset written by ``--parquet`` as a lazy dask DataFrame (JSON
    text columns stay text: ``json.loads`` them where needed)."""
    _distributed()
    import dask.dataframe  # noqa: PLC0415

    return dask.dataframe.read_parquet(str(Path(directory) / table))
