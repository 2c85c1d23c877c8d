"""``dimsewire decode --jobs N FILE...``: every process reads the files, decodes its share.

When the capture is named files (not standard input), no segment travels between
processes. The parent and N - 1 worker processes each read the whole capture (its frames
are read and routed about thirty times faster than they decode: 0.13 s of 3.9 s for a
20 MB C-FIND capture) and route every segment with their own
:class:`~dimsewire.capture.routing.ConnectionRouter`, so all number the associations
alike, in capture order, from headers and first bytes alone. Each decodes the
associations that fall to it; only records travel.

Who decodes what: a worker takes a few tenths of a second to start (a new interpreter
imports dimsewire). The parent does not wait: it decodes every association until all
its workers are ready, then tells them the first association they share, ``k``. From
``k`` on, association ``n`` falls to process ``(n - 1) % N`` (the parent is process 0);
those before ``k`` stay the parent's. A capture the parent has read before its workers
are ready (a small one) is decoded as by one process, and the workers are stopped.

Each routed segment, and each damaged file of a series, has its *place* in the capture,
counted alike by every process. A worker sends the records of its segments under their
places with how far it has read; the parent merges them with its own in capture order,
as far as every process has read, then takes the records of the connections still open
at the end by association number: the order one process gives. Export names are given
in the parent as :class:`~dimsewire.capture.parallel.ParallelDecoder` gives them (its
machinery is reused), so the output is the same byte for byte as with one process.

Memory stays bounded: a worker sends a batch every :data:`BATCH_SEGMENTS` routed segments
into a queue of :data:`~dimsewire.capture.parallel.AHEAD` batches and waits while it is
full; the parent waits for a worker more than ``AHEAD`` batches' worth of segments behind
it, and leaves in its queue what a worker more than that ahead of it sends.
"""

from __future__ import annotations

import contextlib
import copyreg
import multiprocessing
import os
import queue
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from pydicom.uid import UID

from . import parallel
from .conversation import capture_error_record
from .packets import CaptureError, Segment, read_segments
from .parallel import ParallelDecoder, Settings, Shown, _Group
from .routing import ConnectionRouter
from .series import Series, SeriesProblem

__all__ = ["BATCH_SEGMENTS", "ShardedDecoder"]

#: Routed segments a process reads between two batches it sends (or, the parent, between
#: two looks at its workers).
BATCH_SEGMENTS = 2048
#: Seconds a worker that has sent all it had is given to end by itself before it is
#: stopped.
ENDING = 5.0
#: Whether the parent decodes every association until its workers are ready; False: the
#: workers take their share from the first association (so that small captures, in the
#: tests, reach them too).
LEAD = True


def capture_segments(paths: Sequence[str]) -> Iterator[Segment | SeriesProblem]:
    """The segments of capture files as one process reads them: one file's damage where
    it is met (after the segments before it), a series' in its place in the merge."""
    if len(paths) > 1:
        yield from Series(paths)
        return
    with open(paths[0], "rb") as stream:
        try:
            _, found = read_segments(stream)
            yield from found
        except CaptureError as err:
            yield SeriesProblem(err)


class _Share:
    """What process `number` of `jobs` decodes, and the places it has read."""

    def __init__(self, number: int, jobs: int, settings: Settings) -> None:
        self.number, self.jobs = number, jobs
        self.work = parallel.Decoding(settings, number)
        self.router = ConnectionRouter(settings.ports)
        self.first: int | None = None  # the first association shared; None: not yet
        self.place = 0  # routed segments and damaged files read so far
        self.groups: list[_Group] = []  # (place, records, export log) not yet taken
        self.problems = 0  # damaged files reported (by process 0)

    def read(self, seg: Segment | SeriesProblem) -> bool:
        """Take the capture's next segment; True if it was routed (it has a place)."""
        if isinstance(seg, SeriesProblem):
            self.place += 1
            if self.number == 0:  # in no association: the parent's, worded as by one process
                group = self.work.group(self.place, [capture_error_record(seg.error)])
                assert group is not None
                self.groups.append(group)
                self.problems += 1
            return False
        route = self.router.route(seg)
        if route is None:
            return False
        self.place += 1
        index, new = route
        if self.first is None or index < self.first:
            mine = self.number == 0
        else:
            mine = (index - 1) % self.jobs == self.number
        if mine:
            group = self.work.group(self.place, self.work.decoder.routed(seg, index, new))
            if group is not None:
                self.groups.append(group)
        return True

    def take(self) -> list[_Group]:
        groups, self.groups = self.groups, []
        return groups


def _work(
    number: int, jobs: int, batch: int, settings: Settings, cwd: str, inbox: Any, outbox: Any
) -> None:
    """A worker: say it is ready, learn the first association shared, read the capture
    and send batches of its groups with how far it has read, then its ending."""
    copyreg.pickle(UID, parallel.reduce_uid)  # a UID travels as it was made
    try:
        os.chdir(cwd)  # the paths as given, from the parent's directory: reports name them so
        share = _Share(number, jobs, settings)
        parallel.send(outbox, ("ready", [], 0))
        share.first = parallel.receive(inbox)
        if share.first is None:  # the parent has decoded everything
            return
        count = 0
        for seg in capture_segments(settings.paths):
            if share.read(seg):
                count += 1
                if count >= batch:
                    parallel.send(outbox, ("batch", share.take(), share.place))
                    count = 0
        parallel.send(outbox, ("batch", share.take(), share.place))
        parallel.send(outbox, ("finish", share.work.ending(), share.work.decoder.problems))
    except parallel.ParentGoneError:
        outbox.cancel_join_thread()  # what it holds cannot be delivered: exit without it
        return
    except BaseException as err:  # handed to the parent, raised there
        with contextlib.suppress(parallel.ParentGoneError):
            parallel.send(outbox, ("error", parallel.sendable(number, err), 0))


class ShardedDecoder(ParallelDecoder):
    """Decode named capture files in the parent and `jobs` - 1 processes that each read
    them (:meth:`files`); records in the order one process gives them.

    Parameters as :class:`~dimsewire.capture.parallel.ParallelDecoder`.
    """

    def files(self, paths: Sequence[str | os.PathLike[str]]) -> Iterator[Shown]:
        """Every record of the capture files `paths` (several: one series, as
        :class:`~dimsewire.capture.Series`), in the order one process gives them.

        Each process opens the files itself: they must be regular files that do not
        change while they are read (not a pipe, not a capture still being written).
        """
        if not paths:
            raise ValueError("files() needs the paths of the capture files")
        self.paths = tuple(os.fspath(path) for path in paths)
        return self._files()

    def _files(self) -> Iterator[Shown]:
        self._processes, self._inboxes = [], []
        self._pending = [deque() for _ in range(self.jobs)]
        self._outboxes: dict[int, Any] = {}
        self._read: dict[int, int | None] = {}  # place each worker has read to; None: all
        self._ready_workers: set[int] = set()
        self._shared_from = 0  # the parent's place when it shared out the associations
        self._ending: list[tuple[int, int, _Group]] = []
        with self._staging() as staging:
            share = _Share(0, self.jobs, self._settings(staging, self.paths))
            self._start_workers(staging)
            if not LEAD:
                for number in self._outboxes:
                    while number not in self._ready_workers:
                        self._wait(number)
                self._share_out(share)
            count = 0
            for seg in capture_segments(self.paths):
                if share.read(seg):
                    count += 1
                    if count >= BATCH_SEGMENTS or (share.first is None and count % 64 == 0):
                        count = 0
                        yield from self._step(share)
            self._pending[0].extend(share.take())
            if share.first is None:  # read before the workers were ready: all decoded here
                for inbox in self._inboxes:
                    inbox.put(None)
                self._read = {}
            while any(place is not None for place in self._read.values()):
                self._receive(block=True)
                yield from self._ready(self._horizon(share))
            yield from self._ready(None)
            self._ending += [(group[0], 0, group) for group in share.work.ending()]
            self.problems += share.problems + share.work.decoder.problems
            for _, worker, group in sorted(self._ending, key=lambda item: item[0]):
                yield from self._records(worker, group)
            if share.first is not None:  # the workers have sent all: let them end themselves
                for process in self._processes:
                    process.join(timeout=ENDING)

    def _start_workers(self, staging: str | None) -> None:
        """Start the workers, spawned: starting one returns at once (from a forkserver it
        waits for the server to have imported dimsewire, a few tenths of a second the
        parent spends decoding instead; from a thread, that wait could last until the
        parent's decoding was done)."""
        ctx = multiprocessing.get_context("spawn")
        settings = self._settings(staging, self.paths)
        for number in range(1, self.jobs):
            inbox, outbox = ctx.Queue(), ctx.Queue(maxsize=parallel.AHEAD)
            args = (number, self.jobs, BATCH_SEGMENTS, settings, os.getcwd(), inbox, outbox)
            self._spawn(ctx, _work, args).start()
            self._inboxes.append(inbox)
            self._outboxes[number] = outbox
            self._read[number] = 0

    def _share_out(self, share: _Share) -> None:
        """Every worker is ready: share out the associations from the next one on."""
        share.first = share.router.count + 1
        self._shared_from = share.place
        for inbox in self._inboxes:
            inbox.put(share.first)

    def _step(self, share: _Share) -> Iterator[Shown]:
        """After a batch of the parent's: look at the workers, emit what can be."""
        self._pending[0].extend(share.take())
        reach = parallel.AHEAD * BATCH_SEGMENTS
        self._receive(block=False, ceiling=share.place + reach)
        if share.first is None:
            if len(self._ready_workers) == self.jobs - 1:
                self._share_out(share)
        else:
            while self._horizon(share) < share.place - reach:  # a worker far behind
                self._receive(block=True, ceiling=share.place + reach)
        yield from self._ready(self._horizon(share))

    def _horizon(self, share: _Share) -> int:
        """The place up to which every process has read what it decodes."""
        horizon = share.place
        if share.first is None:  # not shared out yet: everything so far is the parent's
            return horizon
        for place in self._read.values():
            if place is not None:
                horizon = min(horizon, max(place, self._shared_from))
        return horizon

    def _receive(self, *, block: bool, ceiling: int | None = None) -> None:
        """Take the workers' messages; with `block`, wait for one from the worker furthest
        behind. Nothing is taken from a worker that has read past `ceiling`: left in its
        queue, they hold it up (else a worker far ahead of the parent would pile its
        records up in the parent)."""
        if block:
            late = min(
                (n for n, place in self._read.items() if place is not None),
                key=lambda n: self._read[n] or 0,
            )
            self._wait(late)
        for number in list(self._read):
            while True:
                place = self._read.get(number)
                if place is None or (ceiling is not None and place > ceiling):
                    break
                if not self._take(number, block=False):
                    break

    def _wait(self, number: int) -> None:
        """One message of worker `number`, however long it takes, unless it has ended."""
        while not self._take(number, block=True):
            process = self._processes[number - 1]
            if not process.is_alive() and self._outboxes[number].empty():
                raise RuntimeError(f"decoding worker {number} ended (exit code {process.exitcode})")

    def _take(self, number: int, *, block: bool) -> bool:
        """One message of worker `number`, if there is one (waiting a second if `block`)."""
        outbox = self._outboxes[number]
        try:
            kind, payload, reached = outbox.get(timeout=1.0) if block else outbox.get_nowait()
        except queue.Empty:
            return False
        if kind == "error":
            raise payload
        if kind == "ready":
            self._ready_workers.add(number)
        elif kind == "batch":
            self._pending[number].extend(payload)
            self._read[number] = reached
        else:
            self._ending += [(group[0], number, group) for group in payload]
            self.problems += reached
            self._read[number] = None
        return True
