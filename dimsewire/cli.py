"""The ``dimsewire`` command: ``dimsewire decode CAPTURE`` reads captured DICOM traffic.

Exit status: 0 decoded cleanly, 1 decoded with problems reported, 2 unreadable input or
usage error.
"""

from __future__ import annotations

import argparse
import os
import signal
import stat
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, BinaryIO, TextIO

from .capture import CaptureDecoder, CaptureError, Segment, read_segments
from .capture.cluster import ClusterDecoder, client_for, close_client
from .capture.conversation import DEFAULT_PORTS
from .capture.datasets import DEFAULT_BULK_THRESHOLD
from .capture.export import Exporter
from .capture.parallel import ParallelDecoder, Shown
from .capture.parquet import ParquetWriter
from .capture.records import json_line
from .capture.series import Probe, Series, SeriesProblem
from .capture.sharded import ShardedDecoder
from .capture.summary import Summary
from .capture.text import TextWriter

__all__ = ["main"]

PROGRESS_FROM = 8 * 1024 * 1024  # bytes: smaller files decode too fast to need it


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dimsewire", description="DICOM DIMSE on the wire.")
    commands = parser.add_subparsers(dest="command", required=True)
    decode = commands.add_parser(
        "decode",
        help="decode captured DICOM traffic (pcap, pcapng or raw PDUs)",
        description="Print every association event and DIMSE message of a capture.",
    )
    decode.add_argument(
        "captures",
        nargs="+",
        metavar="CAPTURE",
        help="pcap or pcapng file ('-' for standard input); several files are one capture, "
        "read in time order (a rotated series, or several interfaces)",
    )
    decode.add_argument(
        "--port",
        type=int,
        action="append",
        help=f"TCP port carrying DICOM, repeatable (default {', '.join(map(str, DEFAULT_PORTS))}; "
        "any stream starting with an A-ASSOCIATE-RQ is found on any port)",
    )
    decode.add_argument(
        "--raw", action="store_true", help="the file is concatenated PDU bytes, not a capture"
    )
    decode.add_argument(
        "--pdus", action="store_true", help="also show every PDU with its PDV items"
    )
    decode.add_argument(
        "--bulk-threshold",
        type=int,
        default=DEFAULT_BULK_THRESHOLD,
        metavar="BYTES",
        help="binary values longer than this are shown by their length (or, with --export, "
        f"a BulkDataURI into the exported file), not inlined (default {DEFAULT_BULK_THRESHOLD})",
    )
    decode.add_argument(
        "--export",
        metavar="DIR",
        help="write every C-STORE data set as a Part 10 file in DIR (created if missing); "
        "the record of each C-STORE-RQ names its file",
    )
    decode.add_argument(
        "--inline-bulk", action="store_true", help="inline every value, however long"
    )
    decode.add_argument("--json", action="store_true", help="JSON Lines (schema in the README)")
    decode.add_argument(
        "--summary",
        action="store_true",
        help="one line per operation of every service, per association (with --json: "
        "JSON Lines of the associations and operations)",
    )
    decode.add_argument(
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="decode TCP connections in N processes (default 1); the output is the same",
    )
    decode.add_argument(
        "--parquet",
        metavar="DIR",
        help="write the records as a Parquet dataset: DIR/messages/, DIR/associations/, "
        "DIR/problems/ (schema in the README; needs pip install 'dimsewire[archive]')",
    )
    decode.add_argument(
        "--workers",
        type=_jobs,
        metavar="N",
        help="decode on a local Dask cluster of N worker processes (needs the archive extra)",
    )
    decode.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="decode on the dask.distributed cluster at ADDRESS (every file must be readable "
        "at the same path there)",
    )
    return parser


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of processes: {text!r}") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {jobs}")
    return jobs


def _usage_error(args: argparse.Namespace) -> str | None:
    """What is wrong with a combination of options, if anything."""
    several = len(args.captures) > 1
    cluster = args.workers is not None or args.scheduler is not None
    if "-" in args.captures and several:
        return "standard input ('-') cannot be one of several captures"
    if args.raw and (several or cluster):
        return "--raw takes one file, decoded in one process"
    if cluster and ("-" in args.captures or args.export is not None or args.jobs > 1):
        return "--workers and --scheduler read named files, without --export or --jobs"
    if args.workers is not None and args.scheduler is not None:
        return "--workers starts a local cluster, --scheduler uses one: give one of them"
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    usage = _usage_error(args)
    if usage is not None:
        print(f"dimsewire decode: {usage}", file=sys.stderr)
        return 2
    try:
        with ExitStack() as stack, _terminated_as_exit():
            return _decode(args, stack, sys.stdout)
    except _UnreadableError as err:
        print(f"dimsewire: {err.path}: {err.reason}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `dimsewire decode x | head`
        sys.stderr.close()
        return 0
    except OSError as err:  # the export or Parquet directory, or a file in it
        print(f"dimsewire: {err}", file=sys.stderr)
        return 2
    except ImportError as err:  # an optional extra that is not installed
        print(f"dimsewire: {err}", file=sys.stderr)
        return 2


class _UnreadableError(Exception):
    """The one capture given cannot be read at all (exit status 2)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path, self.reason = path, reason


@contextmanager
def _terminated_as_exit() -> Iterator[None]:
    """SIGTERM (``kill``, a service manager) ends the command as an exception would, so
    that what it set up is undone: --jobs workers stopped, staging directories removed,
    partial files left with their .partial names."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _open(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")  # closed by the caller
    except OSError as err:
        raise _UnreadableError(path, err.strerror or str(err)) from None


def _progress(stream: BinaryIO, segments: Iterator[Segment]) -> Iterator[Segment]:
    """Pass segments through, showing how far into the file on a terminal's stderr."""
    try:
        size = os.fstat(stream.fileno()).st_size
    except (OSError, ValueError, AttributeError):
        size = 0
    if size < PROGRESS_FROM or not sys.stderr.isatty():
        yield from segments
        return
    shown = -1
    for i, segment in enumerate(segments):
        if i % 512 == 0:
            percent = stream.tell() * 100 // size
            if percent != shown:
                print(f"\rdecoding: {percent}%", end="", file=sys.stderr, flush=True)
                shown = percent
        yield segment
    print("\r" + " " * 16 + "\r", end="", file=sys.stderr, flush=True)


def _decode(args: argparse.Namespace, stack: ExitStack, out: TextIO) -> int:
    ports = args.port or DEFAULT_PORTS
    options: dict[str, Any] = {
        "pdus": args.pdus,
        "data_sets": not args.summary or args.parquet is not None,
        "bulk_threshold": None if args.inline_bulk else max(0, args.bulk_threshold),
    }
    write = _Writer(args, out)
    if args.parquet is not None:
        write.parquet = stack.enter_context(ParquetWriter(args.parquet))
    show_text = not (args.json or args.summary or args.parquet)
    form = _form(args)
    decoder: CaptureDecoder | ParallelDecoder | ClusterDecoder
    if args.workers is not None or args.scheduler is not None:
        client = client_for(args.workers, args.scheduler)
        stack.callback(close_client, client)
        decoder = ClusterDecoder(client, args.captures, ports, form=form, **options)
        _headers(args.captures, show_text, out, decoder.probes)
        for out_record in decoder.records():
            write(out_record)
        return _finish(decoder, write, out, args)
    options["export"] = None if args.export is None else Exporter(args.export)
    segments: Iterable[Segment | SeriesProblem]
    if len(args.captures) == 1:
        path = args.captures[0]
        stream = _open(path)
        if stream is not sys.stdin.buffer:
            stack.callback(stream.close)
        if args.raw:  # one stream: nothing to share out
            decoder = CaptureDecoder(ports, **options)
            for record in decoder.raw(stream.read()):
                write(record)
            return _finish(decoder, write, out, args)
        try:
            link, found = read_segments(stream)
        except CaptureError as err:
            raise _UnreadableError(path, str(err)) from None
        if show_text:
            print(f"# {path}: {link}", file=out)
        segments = _progress(stream, found)
    else:
        series = Series(args.captures)
        _headers(args.captures, show_text, out, series.probes)
        segments = series
    if args.jobs > 1:
        if not all(map(_regular, args.captures)):  # a stream: read here, segments sent
            decoder = ParallelDecoder(args.jobs, ports, form=form, **options)
            shown = decoder.records(segments)
        else:  # files: every worker reads them
            decoder = ShardedDecoder(args.jobs, ports, form=form, **options)
            shown = decoder.files(args.captures)
        for out_record in shown:
            write(out_record)
        return _finish(decoder, write, out, args)
    decoder = CaptureDecoder(ports, **options)
    try:
        for segment in segments:
            if isinstance(segment, SeriesProblem):
                write(decoder.capture_error(segment.error))
                continue
            for record in decoder.segment(segment):
                write(record)
    except CaptureError as err:  # one file, cut short
        write(decoder.capture_error(err))
    for record in decoder.finish():
        write(record)
    return _finish(decoder, write, out, args)


def _regular(path: str) -> bool:
    """Whether `path` names a regular file, which each process of --jobs can open and
    read again (not standard input, a pipe or a process substitution)."""
    if path == "-":
        return False
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _form(args: argparse.Namespace) -> str:
    """What a worker sends of a record: the least the output needs."""
    if args.parquet:
        only = not (args.json or args.summary) and args.export is None
        return "parquet" if only else "record"
    return "summary" if args.summary else "json" if args.json else "record"


def _headers(paths: list[str], show: bool, out: TextIO, probes: list[Probe]) -> None:
    """The text output's first lines: each file and its link type."""
    if not show:
        return
    for path, found in zip(paths, probes, strict=True):
        print(f"# {path}: {found.link or 'not read'}", file=out)


def _finish(
    decoder: CaptureDecoder | ParallelDecoder | ClusterDecoder,
    write: _Writer,
    out: TextIO,
    args: argparse.Namespace,
) -> int:
    if decoder.export is not None:
        print(
            f"# {decoder.export.written} files exported to {decoder.export.directory}",
            file=sys.stderr if args.json else out,
        )
    if write.parquet is not None:
        write.parquet.close()
        counts = write.parquet.counts
        print(
            f"# {counts['messages']} messages, {counts['associations']} association records, "
            f"{counts['problems']} problems written to {args.parquet}",
            file=sys.stderr,
        )
    if args.summary and args.json:
        for record in write.summary.records():
            out.write(json_line(record))
    elif args.summary:
        write.summary.print(out)
    return 1 if decoder.problems else 0


class _Writer:
    def __init__(self, args: argparse.Namespace, out: TextIO) -> None:
        self.args, self.out = args, out
        self.summary = Summary()
        self.text = TextWriter(out)
        self.parquet: ParquetWriter | None = None

    def __call__(self, record: Shown) -> None:
        if isinstance(record, str):  # a record already as its JSON line (--jobs N)
            self.out.write(record)
            return
        if record is None or isinstance(record, tuple):  # a Parquet row made by a worker
            assert self.parquet is not None
            self.parquet.write_row(record)
            return
        if self.parquet is not None:
            self.parquet.write(record)
            if self.args.json and not self.args.summary:
                self.out.write(json_line(record))
        if self.args.summary:
            self.summary.add(record)
            if record["type"] == "problem" and not self.args.json:
                self.text.write(record)
        elif self.parquet is not None:
            return
        elif self.args.json:
            self.out.write(json_line(record))
        else:
            self.text.write(record)


if __name__ == "__main__":
    sys.exit(main())
