"""Several capture files as one capture: a rotated series, or several interfaces.

The frames of all files are taken in time order, as ``mergecap`` merges them: a k-way
merge on (time, the file's place in the command line, the frame's place in its file), so
a rotated series (``tcpdump -C``/``-G``, dumpcap ring buffers) reads as if it had never
been cut, and frame numbers count through the series as in the file ``mergecap -w``
writes. A file is opened when its first frame's turn comes and closed at its end: only
the files overlapping in time are open at once.

A file that cannot be read is reported where it would have come, never fatal: one that
is not a capture at the start of the series, one cut short after its last whole frame.
The same merge orders the work of ``--workers`` (:mod:`dimsewire.capture.cluster`), so
that both give one order.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .packets import CaptureError, Frame, Segment, read_frames, segment_of

__all__ = [
    "Probe",
    "Series",
    "SeriesProblem",
    "file_entries",
    "merge",
    "numbered",
    "probe",
    "series_error",
]

T = TypeVar("T")

#: An entry of the merge: (time or other key, source number, place in the source, payload)
Entry = tuple[float, int, int, T]


@dataclass(frozen=True)
class Probe:
    """What a file of a series shows before it is read: its link type and first time."""

    path: str
    link: str | None  # the link type's name; None if the file cannot be read
    first: float | None  # the first frame's time; None if it has none (or no header)
    error: CaptureError | None = None


def probe(path: str | Path) -> Probe:
    """Open `path`, read its header and first frame."""
    name = str(path)
    try:
        with open(path, "rb") as stream:
            link, frames = read_frames(stream)
            try:
                first = next(frames, None)
            except CaptureError:
                return Probe(name, link, -math.inf)  # damaged at once: reported first
            return Probe(name, link, None if first is None else first[1])
    except CaptureError as err:
        return Probe(name, None, -math.inf, err)
    except OSError as err:
        return Probe(name, None, -math.inf, CaptureError(err.strerror or str(err)))


@dataclass(frozen=True)
class SeriesProblem:
    """A file of the series that could not be read (on), in its place in the merge."""

    error: CaptureError  # its reason names the file, its frame is the series'


def series_error(paths: Sequence[str], source: int, err: CaptureError, frame: int) -> CaptureError:
    """`err` of file `source` as the series reports it: the file named when there are
    several, the frame numbered in the series (the one the damaged frame would have had)."""
    if len(paths) == 1:
        return CaptureError(err.reason, frame=err.frame)
    where = f" (frame {err.frame} of the file)" if err.frame is not None else ""
    return CaptureError(f"{paths[source]}: {err.reason}{where}", frame=frame)


def merge(
    firsts: Sequence[float | None], open_source: Callable[[int], Iterator[Entry[T]]]
) -> Iterator[Entry[T]]:
    """Merge the sources' entries on (key, source, place); `firsts[i]` is source i's first
    key (None: it has no entries), and source i is opened only when that key's turn comes.

    Each source's entries come in its own order (keys that go back in time stay in
    place); its places must increase from 1.
    """
    heap: list[tuple[float, int, int, Any]] = [
        (first, i, 0, None) for i, first in enumerate(firsts) if first is not None
    ]
    heapq.heapify(heap)
    opened: dict[int, Iterator[Entry[T]]] = {}
    while heap:
        key, source, place, payload = heap[0]
        if place == 0:  # a placeholder: open the source now
            entries = opened[source] = open_source(source)
        else:
            yield key, source, place, payload
            entries = opened[source]
        following = next(entries, None)
        if following is None:
            heapq.heappop(heap)
            del opened[source]
        else:
            heapq.heapreplace(heap, following)


def file_entries(path: str, source: int) -> Iterator[Entry[Frame | CaptureError]]:
    """The frames of one file as merge entries; a damage ends them with its error (at
    the time of the frame before it, so that it comes right after it)."""
    time = -math.inf
    try:
        with open(path, "rb") as stream:
            _, frames = read_frames(stream)
            for frame in frames:
                time = frame[1]
                yield time, source, frame[0], frame
    except CaptureError as err:
        yield time, source, err.frame or 1, err
    except OSError as err:
        yield time, source, 1, CaptureError(err.strerror or str(err))


def numbered(
    paths: Sequence[str], entries: Iterable[Entry[T | CaptureError]]
) -> Iterator[tuple[int, float, int, T] | SeriesProblem]:
    """The merged entries of a series as (frame number in the series, time, file, payload),
    a damaged file's error as the :class:`SeriesProblem` it makes in its place (worded by
    :func:`series_error`)."""
    frames = 0
    for time, source, _, got in entries:
        if isinstance(got, CaptureError):
            yield SeriesProblem(series_error(paths, source, got, frames + 1))
            continue
        frames += 1
        yield frames, time, source, got


class Series:
    """Several capture files as one: iterating gives their TCP segments in time order,
    with the files that could not be read (on) as :class:`SeriesProblem` in their place.

    Attributes
    ----------
    probes : list of Probe
        Each file's link type and first time, in the order given.
    frames : int
        Frames read so far, in all files.
    """

    def __init__(self, paths: Sequence[str | Path]) -> None:
        self.paths = [str(path) for path in paths]
        self.probes = [probe(path) for path in self.paths]
        self.frames = 0

    def __iter__(self) -> Iterator[Segment | SeriesProblem]:
        firsts = [p.first for p in self.probes]
        for got in numbered(self.paths, merge(firsts, self._open)):
            if isinstance(got, SeriesProblem):
                yield got
                continue
            self.frames, time, source, (_, _, data, offset, link) = got
            segment = segment_of(self.frames, time, data, offset, link, source)
            if segment is not None:
                yield segment

    def _open(self, source: int) -> Iterator[Entry[Frame | CaptureError]]:
        return file_entries(self.paths[source], source)
