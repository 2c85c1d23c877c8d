"""The ``dimsewire`` command: ``dimsewire decode CAPTURE`` reads captured DICOM traffic.

Exit status: 0 decoded cleanly, 1 decoded with problems reported, 2 unreadable input or
usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO, TextIO

from .capture import CaptureDecoder, CaptureError, Record, Segment, read_segments
from .capture.conversation import DEFAULT_PORTS
from .capture.datasets import DEFAULT_BULK_THRESHOLD
from .capture.export import Exporter
from .capture.parallel import ParallelDecoder
from .capture.records import json_line
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
    decode.add_argument("capture", help="pcap or pcapng file ('-' for standard input)")
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
    return parser


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of processes: {text!r}") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {jobs}")
    return jobs


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        stream = _open(args.capture)
    except OSError as err:
        print(f"dimsewire: {args.capture}: {err.strerror or err}", file=sys.stderr)
        return 2
    try:
        return _decode(args, stream, sys.stdout)
    except CaptureError as err:
        print(f"dimsewire: {args.capture}: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `dimsewire decode x | head`
        sys.stderr.close()
        return 0
    except OSError as err:  # the export directory or a file in it
        print(f"dimsewire: {err}", file=sys.stderr)
        return 2
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _open(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    return open(path, "rb")  # closed by main


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


def _decode(args: argparse.Namespace, stream: BinaryIO, out: TextIO) -> int:
    ports = args.port or DEFAULT_PORTS
    options: dict[str, Any] = {
        "pdus": args.pdus,
        "data_sets": not args.summary,
        "bulk_threshold": None if args.inline_bulk else max(0, args.bulk_threshold),
        "export": None if args.export is None else Exporter(args.export),
    }
    write = _writer(args, out)
    if args.raw:  # one stream: nothing to share out
        decoder = CaptureDecoder(ports, **options)
        for record in decoder.raw(stream.read()):
            write(record)
        return _finish(decoder, write, out, args)
    link, segments = read_segments(stream)
    if not args.json and not args.summary:
        print(f"# {args.capture}: {link}", file=out)
    if args.jobs > 1:
        form = "summary" if args.summary else "json" if args.json else "record"
        parallel = ParallelDecoder(args.jobs, ports, form=form, **options)
        for out_record in parallel.records(_progress(stream, segments)):
            write(out_record)
        return _finish(parallel, write, out, args)
    decoder = CaptureDecoder(ports, **options)
    try:
        for segment in _progress(stream, segments):
            for record in decoder.segment(segment):
                write(record)
    except CaptureError as err:
        write(decoder.capture_error(err))
    for record in decoder.finish():
        write(record)
    return _finish(decoder, write, out, args)


def _finish(
    decoder: CaptureDecoder | ParallelDecoder,
    write: _Writer,
    out: TextIO,
    args: argparse.Namespace,
) -> int:
    if decoder.export is not None:
        print(
            f"# {decoder.export.written} files exported to {decoder.export.directory}",
            file=sys.stderr if args.json else out,
        )
    if args.summary and args.json:
        for record in write.summary.records():
            out.write(json.dumps(record, default=str) + "\n")
    elif args.summary:
        write.summary.print(out)
    return 1 if decoder.problems else 0


class _Writer:
    def __init__(self, args: argparse.Namespace, out: TextIO) -> None:
        self.args, self.out = args, out
        self.summary = Summary()
        self.text = TextWriter(out)

    def __call__(self, record: Record | str) -> None:
        if isinstance(record, str):  # a record already as its JSON line (--jobs N)
            self.out.write(record)
        elif self.args.summary:
            self.summary.add(record)
            if record["type"] == "problem" and not self.args.json:
                self.text.write(record)
        elif self.args.json:
            self.out.write(json_line(record))
        else:
            self.text.write(record)


def _writer(args: argparse.Namespace, out: TextIO) -> _Writer:
    return _Writer(args, out)


if __name__ == "__main__":
    sys.exit(main())
