"""The ``dimsewire`` command: ``dimsewire decode CAPTURE`` reads captured DICOM traffic.

Exit status: 0 decoded cleanly, 1 decoded with problems reported, 2 unreadable input or
usage error.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from collections.abc import Iterator
from typing import BinaryIO, TextIO

from .capture import CaptureDecoder, CaptureError, Record, Segment, read_segments
from .capture.conversation import DEFAULT_PORTS
from .capture.summary import Summary
from .codec.identifier import decode_identifier

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
    output = decode.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="JSON Lines (schema in the README)")
    output.add_argument("--summary", action="store_true", help="one line per C-FIND query")
    return parser


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
    decoder = CaptureDecoder(args.port or DEFAULT_PORTS, pdus=args.pdus)
    write = _writer(args, out)
    if args.raw:
        for record in decoder.raw(stream.read()):
            write(record)
        return _finish(decoder, write, out, args)
    link, segments = read_segments(stream)
    if not args.json and not args.summary:
        print(f"# {args.capture}: {link}", file=out)
    try:
        for segment in _progress(stream, segments):
            for record in decoder.segment(segment):
                write(record)
    except CaptureError as err:
        write(decoder.capture_error(err))
    for record in decoder.finish():
        write(record)
    return _finish(decoder, write, out, args)


def _finish(decoder: CaptureDecoder, write: _Writer, out: TextIO, args: argparse.Namespace) -> int:
    if args.summary:
        write.summary.print(out)
    return 1 if decoder.problems else 0


class _Writer:
    def __init__(self, args: argparse.Namespace, out: TextIO) -> None:
        self.args, self.out = args, out
        self.summary = Summary()
        self.first_time: float | None = None

    def __call__(self, record: Record) -> None:
        if self.args.summary:
            self.summary.add(record)
            if record["type"] == "problem":
                print(_text(record, self), file=self.out)
        elif self.args.json:
            public = {k: v for k, v in record.items() if not k.startswith("_")}
            self.out.write(json.dumps(public, default=str) + "\n")
        else:
            print(_text(record, self), file=self.out)


def _writer(args: argparse.Namespace, out: TextIO) -> _Writer:
    return _Writer(args, out)


# --- text -------------------------------------------------------------------------------

_ARROWS = {"requestor": "->", "acceptor": "<-"}


def _when(record: Record, writer: _Writer) -> str:
    time = record.get("time")
    if time is None:
        return "        "
    if writer.first_time is None:
        writer.first_time = time
        stamp = datetime.datetime.fromtimestamp(time, datetime.timezone.utc)
        print(f"# first packet at {stamp.isoformat()}", file=writer.out)
    return f"{time - writer.first_time:8.3f}"


def _name(uid: str | None, name: str | None) -> str:
    return f"{name} ({uid})" if name else str(uid)


def _text(record: Record, writer: _Writer) -> str:
    kind = record["type"]
    head = f"{_when(record, writer)} #{record['assoc']}" if "assoc" in record else "        "
    arrow = _ARROWS.get(record.get("direction", ""), "  ")
    frame = f"  [frame {record['frame']}]" if "frame" in record else ""
    if kind == "problem":
        place = f"{record['direction']} stream" if "direction" in record else ""
        if record.get("offset") is not None:
            place += f" at byte {record['offset']}"
        if "length" in record:
            place += f" ({record['length']} bytes)"
        place = f" {place.strip()}:" if place else ""
        return f"{head} !! {record['rule']}:{place} {record['reason']}{frame}"
    if kind == "message":
        return _message_text(record, head, arrow, frame)
    if kind == "pdu":
        pdvs = "".join(
            f" [ctx {p['context_id']} {'command' if p['command'] else 'data'}"
            f"{' last' if p['last'] else ''} {p['length']} B]"
            for p in record.get("pdvs", [])
        )
        return f"{head} {arrow}   {record['name']} PDU, {record['length']} bytes{pdvs}{frame}"
    if kind == "connection-end":
        note = record.get("note") or f"association {record['state']}"
        return f"{head}    connection end ({record['how']}): {note}"
    lines = [f"{head} {arrow} {kind.upper()}{frame}"]
    if kind == "a-associate-rq":
        lines[0] += f"  {record['calling_ae']} -> {record['called_ae']}"
        if "requestor" in record:  # not in a raw PDU file
            lines[0] += f"  ({record['requestor']} -> {record['acceptor']})"
        for ctx in record["contexts"]:
            syntaxes = ", ".join(
                _name(ts, name)
                for ts, name in zip(
                    ctx["transfer_syntaxes"], ctx["transfer_syntax_names"], strict=True
                )
            )
            lines.append(
                f"{'':14}context {ctx['id']}: "
                f"{_name(ctx['abstract_syntax'], ctx['abstract_syntax_name'])}; {syntaxes}"
            )
    if kind == "a-associate-ac":
        for ctx in record["contexts"]:
            result = (
                f"accepted, {_name(ctx['transfer_syntax'], ctx['transfer_syntax_name'])}"
                if ctx["result"] == 0
                else f"rejected: {ctx['result_name']}"
            )
            lines.append(f"{'':14}context {ctx['id']}: {result}")
    if kind in ("a-associate-rq", "a-associate-ac"):
        lines += [f"{'':14}deviation: {text}" for text in record.get("deviations", [])]
        limit = record["max_pdu_length"]
        lines.append(
            f"{'':14}max PDU length {limit if limit else 'unlimited'}; implementation "
            f"{record['implementation_class_uid']} {record['implementation_version_name'] or ''}"
        )
    if kind in ("a-associate-rj", "a-abort"):
        lines[0] += f"  {record['source_name']}: {record['reason_name']}"
        if kind == "a-associate-rj":
            lines[0] += f" ({record['result_name']})"
    return "\n".join(lines)


#: Message record keys that are not command elements (shown otherwise, or not at all).
_NOT_ELEMENTS = frozenset(
    {
        "type",
        "assoc",
        "direction",
        "time",
        "frame",
        "offset",
        "context_id",
        "command",
        "transfer_syntax",
        "identifier",
        "identifier_note",
        "identifier_length",
        "deviations",
        "status_category",
        "status_meaning",
        "AffectedSOPClassName",
        "RequestedSOPClassName",
        "EventTypeName",
        "ActionTypeName",
        "other_elements",
    }
)
_HEX = frozenset({"CommandField", "CommandDataSetType", "Status"})
_PRIORITIES = {0: "medium", 1: "high", 2: "low"}  # PS3.7 Table E.1-1


def _element_text(record: Record, key: str) -> str:
    value = record[key]
    if key == "Status":
        return f"0x{value:04X} {record['status_category']}: {record['status_meaning']}"
    if key in _HEX and isinstance(value, int):
        return f"0x{value:04X}"
    if key == "Priority" and value in _PRIORITIES:
        return f"{value} ({_PRIORITIES[value]})"
    if key in ("AffectedSOPClassUID", "RequestedSOPClassUID"):
        return _name(value, record.get(key[:-3] + "Name"))
    if key in ("EventTypeID", "ActionTypeID") and key[:-2] + "Name" in record:
        return f"{value} ({record[key[:-2] + 'Name']})"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _message_text(record: Record, head: str, arrow: str, frame: str) -> str:
    lines = [f"{head} {arrow} {record['command']}  ctx {record['context_id']}{frame}"]
    lines += [
        f"{'':14}{key}: {_element_text(record, key)}"
        for key in record
        if key not in _NOT_ELEMENTS and not key.startswith("_")
    ]
    for tag, value in record.get("other_elements", {}).items():
        lines.append(f"{'':14}({tag[:4]},{tag[4:]}): {value} (not in the command dictionary)")
    if record.get("_identifier") is not None:
        try:
            shown = str(decode_identifier(*record["_identifier"])).splitlines()
        except Exception as err:  # pydicom on a peer's odd values
            shown = [f"identifier not shown: {err}"]
        lines += [f"{'':14}{line}" for line in shown]
    elif "identifier_note" in record:
        lines.append(f"{'':14}identifier not shown: {record['identifier_note']}")
    lines += [f"{'':14}deviation: {text}" for text in record.get("deviations", [])]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
