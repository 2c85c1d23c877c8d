"""`dimsewire decode` on a rotated capture series: 1 process, ``--jobs 2``, ``--workers 2``.

Issue 14's benchmark: how decoding a series of at least 200 MB scales, and where the
time of ``--workers`` goes.

The capture (made, or reused with ``--capture``; not committed) comes from
``bench_capture.py``'s generators, imported: by default (``--workload mixed``) half of it
four concurrent C-STORE associations of 512 KiB images (64 KiB segments), their times
stretched to span the whole capture, and half C-FIND associations one after another
(2000 matches each, 1460-byte segments; ``make_large_capture.write``), merged in time
order with ``mergecap``. ``--workload find`` or ``store4`` takes one kind alone. The file
is cut into ``--files`` pieces (default 8) with ``editcap -F pcap -c N`` (N: the packet
count ``capinfos -M -c`` gives, over the files; ``--format pcapng`` for pcapng), so
that associations run across file boundaries; the pieces, given in order on one command
line, are the series.

Rows, each ``dimsewire decode`` in a fresh process (``python -m dimsewire.cli``), its
output to a file in a temporary directory (so that it can be checked), in alternating
rounds; MB/s of capture file (the series' bytes, or the uncut file's), medians:

* ``--summary``: the uncut file (1 process), the series (1 process), the series with
  ``--jobs 2`` and with ``--workers 2`` (a local Dask cluster, started by the command);
* ``--json``: the same four (``--no-json`` leaves them out);
* ``--parquet DIR`` (a fresh directory each round): the series, 1 process and
  ``--workers 2``;
* the fixed cost of each way (1 process, ``--jobs 2``, ``--workers 2``: interpreter,
  imports, worker processes or the Dask cluster, shut-down): ``--summary`` on the
  capture's first 200 frames (``editcap -r``), in seconds.

Checks (PASS/FAIL, exit status 1 on a FAIL), from the first round's outputs: each
group's outputs identical (sha256 of stdout; Parquet tables read back with
``dimsewire.capture.parquet.read_records``, record by record).

Where the time of ``--workers 2`` goes (``--no-phases`` leaves it out): once per mode, in
this process, a :class:`~dimsewire.capture.cluster.ClusterDecoder` on a new
``client_for(2)`` (start-up and shut-down timed apart), through a client proxy that
times each ``submit`` and ``result`` in the client and wraps each task to return its
start, end and worker process: probing the files, the index round, routing in the client
(the client's time between the index submits and the decode submits, less its waits for
index results), sending the decode items, the decode round (per task: its file,
segments, connections crossing into later files, seconds, pickled bytes returned), the
client's waits for decode results, merging (the rest of the client's time) and the
output (time spent on the records: the summary, JSON lines or the Parquet writer).
Nothing in ``cluster.py`` is changed for this. The client's phases are wall time: with
two workers on two cores the client shares them (routing, merging and the output run
while the workers decode).

::

    .venv/bin/python benchmarks/bench_archive.py --json      # >= 200 MB, 3 rounds
    .venv/bin/python benchmarks/bench_archive.py --quick     # smoke: 40 MB, one round
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import pickle
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import dpkt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_capture import PORT, make_capture  # noqa: E402
from make_large_capture import write as write_finds  # noqa: E402

from dimsewire.capture import cluster  # noqa: E402
from dimsewire.capture.parquet import TABLES, ParquetWriter, read_records  # noqa: E402
from dimsewire.capture.summary import Summary  # noqa: E402

WORKERS = 2
JOBS = 2
TINY = 200  # frames of the capture that measures each way's fixed cost


# --- the capture and the series ----------------------------------------------------------


def _stretch(source: Path, target: Path, start: float, span: float) -> None:
    """Copy a pcap with its frame times moved and scaled to run from `start` for `span`
    seconds (order kept)."""
    with source.open("rb") as f:
        frames = [(ts, bytes(buf)) for ts, buf in dpkt.pcap.Reader(f)]
    first, last = frames[0][0], frames[-1][0]
    scale = span / (last - first) if last > first else 0.0
    with target.open("wb") as out:
        writer = dpkt.pcap.Writer(out, linktype=1, snaplen=262144)
        for ts, buf in frames:
            writer.writepkt(buf, ts=start + (ts - first) * scale)


def _span(path: Path) -> tuple[float, float]:
    """The first and last frame times of a pcap."""
    first: float | None = None
    last = math.nan
    with path.open("rb") as f:
        for ts, _ in dpkt.pcap.Reader(f):
            if first is None:
                first = ts
            last = ts
    return (math.nan if first is None else first), last


def make_workload(path: Path, size: int, workload: str, work: Path) -> None:
    """A capture of at least `size` bytes of `workload` at `path`."""
    megabytes = max(1, math.ceil(size / 1_000_000))
    if workload == "find":
        write_finds(path, megabytes)
    elif workload == "store4":
        make_capture(path, size, associations=4)
    else:  # mixed: C-FIND associations one after another, 4 C-STOREs across them all
        finds, stores, stretched = work / "part-finds.pcap", work / "part-stores.pcap", work / "x"
        write_finds(finds, math.ceil(megabytes / 2))
        make_capture(stores, size - finds.stat().st_size + 1_000_000, associations=4)
        first, last = _span(finds)
        _stretch(stores, stretched, first - 0.00005, last - first)
        _run(["mergecap", "-F", "pcap", "-w", str(path), str(finds), str(stretched)])
        for part in (finds, stores, stretched):
            part.unlink()


def _run(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def packets(path: Path) -> int:
    found = re.search(r"Number of packets:\s*(\d+)", _run(["capinfos", "-M", "-c", str(path)]))
    if found is None:
        raise RuntimeError(f"capinfos gave no packet count for {path}")
    return int(found.group(1))


def cut(path: Path, files: int, directory: Path, form: str) -> list[Path]:
    """`path` in `files` pieces of equal packet counts (``editcap -c``), in order."""
    directory.mkdir(parents=True, exist_ok=True)
    per_file = math.ceil(packets(path) / files)
    suffix = "pcapng" if form == "pcapng" else "pcap"
    _run(["editcap", "-F", form, "-c", str(per_file), str(path), str(directory / f"part.{suffix}")])
    return sorted(directory.glob(f"part_*.{suffix}"))


# --- the rows ------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    group: str  # "summary", "json" or "parquet": outputs of a group must be equal
    inputs: list[Path]
    argv: list[str]
    times: list[float] = field(default_factory=list)
    digest: str | None = None
    rows: dict[str, int] | None = None  # parquet: rows read back by table
    megabytes: float = 0.0  # of the inputs

    def __post_init__(self) -> None:
        self.megabytes = sum(path.stat().st_size for path in self.inputs) / 1e6


MODES = {"summary": ["--summary"], "json": ["--json"], "parquet": ["--parquet"]}


def make_rows(uncut: Path, series: list[Path], tiny: Path, with_json: bool) -> list[Row]:
    decode = [sys.executable, "-m", "dimsewire.cli", "decode"]
    port = ["--port", str(PORT)]
    summary = [*decode, str(tiny), *port, "--summary"]
    rows = [  # the fixed cost of each way: a capture of a few frames
        Row("fixed cost: 1 process", "fixed cost", [tiny], summary),
        Row(f"fixed cost: --jobs {JOBS}", "fixed cost", [tiny], [*summary, "--jobs", str(JOBS)]),
        Row(f"fixed cost: --workers {WORKERS}", "fixed cost", [tiny],
            [*summary, "--workers", str(WORKERS)]),
    ]  # fmt: skip
    for group in ("summary", "json") if with_json else ("summary",):
        flag = MODES[group]
        rows += [
            Row(f"{group}: uncut, 1 process", group, [uncut], [*decode, str(uncut), *port, *flag]),
            Row(f"{group}: series, 1 process", group, series,
                [*decode, *map(str, series), *port, *flag]),
            Row(f"{group}: series, --jobs {JOBS}", group, series,
                [*decode, *map(str, series), *port, *flag, "--jobs", str(JOBS)]),
            Row(f"{group}: series, --workers {WORKERS}", group, series,
                [*decode, *map(str, series), *port, *flag, "--workers", str(WORKERS)]),
        ]  # fmt: skip
    rows += [
        Row("parquet: series, 1 process", "parquet", series,
            [*decode, *map(str, series), *port]),
        Row(f"parquet: series, --workers {WORKERS}", "parquet", series,
            [*decode, *map(str, series), *port, "--workers", str(WORKERS)]),
    ]  # fmt: skip
    return rows


def run_row(row: Row, work: Path, check: bool) -> None:
    """Time one run of `row`; with `check`, keep what its output digests to."""
    out = work / "out.txt"
    argv = row.argv
    target = work / "parquet"
    if row.group == "parquet":
        shutil.rmtree(target, ignore_errors=True)
        argv = [*argv, "--parquet", str(target)]
    with out.open("wb") as stdout:
        started = time.perf_counter()
        done = subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE, check=False)
        took = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{row.name} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    row.times.append(took)
    if check:
        if row.group == "parquet":
            row.digest, row.rows = parquet_digest(target)
        else:
            row.digest = file_digest(out)
    out.unlink()
    shutil.rmtree(target, ignore_errors=True)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def parquet_digest(directory: Path) -> tuple[str, dict[str, int]]:
    """sha256 over every table's records as read back, in order, and the rows by table."""
    digest = hashlib.sha256()
    counts = {}
    for table in TABLES:
        counts[table] = 0
        digest.update(f"\0{table}\0".encode())
        for record in read_records(directory, table):
            digest.update(json.dumps(record, sort_keys=True, default=str).encode() + b"\n")
            counts[table] += 1
    return digest.hexdigest(), counts


# --- where the time of --workers goes --------------------------------------------------------


def _timed_call(fn: Callable[..., Any], *args: Any) -> tuple[Any, float, float, int, int | None]:
    """A task as run on a worker: its value, start, end, process and pickled size."""
    started = time.time()
    value = fn(*args)
    ended = time.time()
    return value, started, ended, os.getpid(), len(value) if isinstance(value, bytes) else None


class _TimedFuture:
    def __init__(self, future: Any, event: dict[str, Any]) -> None:
        self.future, self.event = future, event

    def result(self) -> Any:
        started = time.time()
        value, self.event["start"], self.event["end"], self.event["pid"], size = (
            self.future.result()
        )
        self.event["received"] = time.time()
        self.event["wait_s"] = self.event["received"] - started
        self.event["returned_bytes"] = size
        if isinstance(value, cluster.FileIndex):
            self.event["frames"] = len(value.times)
            self.event["segments"] = len(value.refs)
        return value


class _TimedClient:
    """What ClusterDecoder needs of a client (``submit``), timed, each task wrapped."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.events: list[dict[str, Any]] = []

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> _TimedFuture:
        event: dict[str, Any] = {"task": fn.__name__, "submitted": time.time()}
        if fn is cluster.index_file:
            event["file"] = Path(args[0]).name
        elif fn is cluster.decode_part:
            items = pickle.loads(args[1])  # the segment list travels pickled
            owner = items[0][10] if items else None
            event["file"] = Path(args[0][owner]).name if owner is not None else None
            event["segments"] = len(items)
            event["payload_bytes"] = sum(item[12] for item in items)
            event["connections"] = len({item[13] for item in items})
            event["crossing"] = len({item[13] for item in items if item[10] != owner})
        future = self.client.submit(_timed_call, fn, *args, **kwargs)
        event["submit_s"] = time.time() - event["submitted"]
        self.events.append(event)
        return _TimedFuture(future, event)

    def __getattr__(self, name: str) -> Any:  # the rest of the client (nthreads, ...)
        return getattr(self.client, name)


def phases(series: list[Path], mode: str, work: Path) -> dict[str, Any]:
    """One in-process ``--workers 2`` decode of `series` in `mode`, its phases timed."""
    form = {"summary": "summary", "json": "json", "parquet": "parquet"}[mode]
    started = time.time()
    client = cluster.client_for(WORKERS)
    startup = time.time() - started
    consume_s = finish_s = 0.0
    records = 0
    try:
        timed = _TimedClient(client)
        decoder = cluster.ClusterDecoder(
            timed, series, (PORT,), data_sets=mode != "summary", form=form
        )
        summary = Summary()
        target = work / "phases-parquet"
        shutil.rmtree(target, ignore_errors=True)
        with open(os.devnull, "w") as null, contextlib.ExitStack() as stack:
            writer = stack.enter_context(ParquetWriter(target)) if mode == "parquet" else None
            consume: Callable[[Any], Any]
            if mode == "summary":
                consume = summary.add
            elif mode == "json":
                consume = null.write
            else:
                assert writer is not None
                consume = writer.write_row
            begun = time.time()
            shown: Any  # a record, a JSON line or a Parquet row, as the form says
            for shown in decoder.records():
                tick = time.perf_counter()
                consume(shown)
                consume_s += time.perf_counter() - tick
                records += 1
            ended = time.time()
            tick = time.perf_counter()
            if mode == "summary":
                summary.print(null)
            elif writer is not None:
                writer.close()
            finish_s = time.perf_counter() - tick
        shutil.rmtree(target, ignore_errors=True)
    finally:
        started = time.time()
        cluster.close_client(client)
        shutdown = time.time() - started
    events = timed.events
    index = [e for e in events if e["task"] == "index_file"]
    decode = [e for e in events if e["task"] == "decode_part"]
    index_submitted = max(e["submitted"] + e["submit_s"] for e in index)
    decode_submitted = min(e["submitted"] for e in decode)
    index_wait = sum(e["wait_s"] for e in index)
    decode_wait = sum(e["wait_s"] for e in decode)
    send = sum(e["submit_s"] for e in decode)
    after = ended - (decode_submitted + send)
    return {
        "mode": mode,
        "records": records,
        "cluster_start_s": startup,
        "cluster_close_s": shutdown,
        "decode_s": ended - begun + finish_s,  # from the first record asked for to the end
        "client": {
            "probe_s": min(e["submitted"] for e in index) - begun,
            "submit_index_s": sum(e["submit_s"] for e in index),
            "wait_index_s": index_wait,
            "route_s": decode_submitted - index_submitted - index_wait,
            "send_decode_items_s": send,
            "wait_decode_s": decode_wait,
            "merge_s": after - decode_wait - consume_s,
            "output_s": consume_s + finish_s,
        },
        "index_round_s": max(e["received"] for e in index) - min(e["submitted"] for e in index),
        "decode_round_s": max(e["end"] for e in decode) - decode_submitted,
        "first_task_latency_s": min(e["start"] for e in index) - min(e["submitted"] for e in index),
        "tasks": [
            {
                k: (v - begun if k in ("submitted", "start", "end", "received") else v)
                for k, v in e.items()
            }
            for e in events
        ],
    }


def print_phases(found: dict[str, Any]) -> None:
    c = found["client"]
    total = found["decode_s"]
    print(
        f"\n--workers {WORKERS} {found['mode']}, in this process: cluster start-up "
        f"{found['cluster_start_s']:.2f} s, decode {total:.2f} s, shut-down "
        f"{found['cluster_close_s']:.2f} s; {found['records']} records"
    )
    print(
        f"  index round {found['index_round_s']:.2f} s (first task started "
        f"{found['first_task_latency_s']:.2f} s after submit), decode round "
        f"{found['decode_round_s']:.2f} s (from the first decode submit to the last task's end)"
    )
    print("  client time by phase (sums to the decode):")
    for name, label in (
        ("probe_s", "probe the files"),
        ("submit_index_s", "submit the index tasks"),
        ("wait_index_s", "wait for index results (incl. transfer)"),
        ("route_s", "route (merge frames + ConnectionRouter)"),
        ("send_decode_items_s", "submit the decode tasks (items pickled)"),
        ("wait_decode_s", "wait for decode results (incl. transfer)"),
        ("merge_s", "merge (unpickle, order records)"),
        ("output_s", "output (summary / JSON / Parquet)"),
    ):
        print(f"    {label:<44} {c[name]:7.2f} s  {100 * c[name] / total:5.1f} %")
    print("  tasks (s from the first record asked for):")
    for task in found["tasks"]:
        took = task["end"] - task["start"]
        extra = (
            f"{task['segments']} segments"
            if task["task"] == "index_file"
            else f"{task['segments']} segments, {task['connections']} connections "
            f"({task['crossing']} run on into later files), "
            f"{task['payload_bytes'] / 1e6:.1f} MB payload, "
            f"{(task['returned_bytes'] or 0) / 1e6:.1f} MB returned"
        )
        print(
            f"    {task['task']:<11} {task['file'] or '-':<28} pid {task['pid']:<7} "
            f"{task['start']:6.2f}-{task['end']:6.2f} ({took:5.2f} s)  {extra}"
        )


# --- the machine -------------------------------------------------------------------------------


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD")
    changed = git("status", "--porcelain", "--untracked-files=no", "--", "dimsewire")
    editcap = re.search(r"\d+\.\d+\.\d+", _run(["editcap", "--version"]))
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "load_average_start": os.getloadavg(),
        "versions": {
            name: _version(name)
            for name in ("dimsewire", "pydicom", "dask", "distributed", "pyarrow", "dpkt")
        }
        | {"editcap": editcap.group(0) if editcap else None},
        "git": {"commit": commit, "dimsewire_modified": bool(changed)},
    }


# --- main --------------------------------------------------------------------------------------


def _checks(rows: list[Row]) -> list[tuple[str, bool]]:
    checks = []
    for group in dict.fromkeys(row.group for row in rows):
        members = [row for row in rows if row.group == group]
        first = members[0]
        for row in members[1:]:
            same = row.digest is not None and row.digest == first.digest
            checks.append((f"{group}: {row.name.split(': ', 1)[1]} == {first.name}", same))
    return checks


def _iterate(rows: list[Row], rounds: int) -> Iterator[tuple[int, Row]]:
    for number in range(rounds):
        for row in rows if number % 2 == 0 else rows[::-1]:
            yield number, row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=200, help="capture size in MB (default 200)")
    parser.add_argument("--files", type=int, default=8, help="files in the series (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 40 MB, one round")
    parser.add_argument("--capture", type=Path, help="reuse (or make) this uncut capture file")
    parser.add_argument(
        "--workload", choices=("mixed", "find", "store4"), default="mixed",
        help="what the capture holds (default mixed: 4 C-STOREs across many C-FINDs)",
    )  # fmt: skip
    parser.add_argument(
        "--format", choices=("pcap", "pcapng"), default="pcap", help="of the series' files"
    )
    parser.add_argument("--no-json", action="store_true", help="leave out the --json rows")
    parser.add_argument("--no-phases", action="store_true", help="leave out the phase timing")
    parser.add_argument(
        "--json", nargs="?", type=Path, const=True, metavar="PATH",
        help="write the results (default benchmarks/results/<date>-archive-<size>MB.json)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    size = (40 if args.quick else args.size) * 1_000_000
    rounds = 1 if args.quick else args.rounds

    env = environment()
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    print(
        f"{env['date']}  {env['cpu']}, {env['cpus']} CPUs, load "
        f"{env['load_average_start'][0]:.2f}, Linux {env['kernel']}, Python {env['python']}\n"
        f"{versions}\ngit {env['git']['commit'][:12]}"
        f"{' (dimsewire/ modified)' if env['git']['dimsewire_modified'] else ''}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as tmp:
        work = Path(tmp)
        uncut = args.capture or work / "capture.pcap"
        if not uncut.exists() or uncut.stat().st_size < size:
            started = time.perf_counter()
            make_workload(uncut, size, args.workload, work)
            print(f"made {uncut} ({uncut.stat().st_size / 1e6:.0f} MB, {args.workload}) in "
                  f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        series = cut(uncut, args.files, work / "series", args.format)
        megabytes = uncut.stat().st_size / 1e6
        print(
            f"series: {len(series)} {args.format} files by editcap -c, "
            + ", ".join(f"{p.stat().st_size / 1e6:.1f}" for p in series)
            + " MB"
        )
        tiny = work / "tiny.pcap"
        _run(["editcap", "-r", str(uncut), str(tiny), f"1-{TINY}"])
        rows = make_rows(uncut, series, tiny, not args.no_json)
        for number, row in _iterate(rows, rounds):
            run_row(row, work, check=number == 0)
        modes = [] if args.no_phases else ["summary", "parquet"]
        if not args.no_phases and not args.no_json:
            modes.insert(1, "json")
        found = [phases(series, mode, work) for mode in modes]

    speeds = {row.name: row.megabytes / statistics.median(row.times) for row in rows}
    fixed = {row.name: statistics.median(row.times) for row in rows if row.group == "fixed cost"}
    print(
        f"\nfixed cost (--summary on the first {TINY} frames), seconds: "
        + ", ".join(f"{name.split(': ')[1]} {took:.2f}" for name, took in fixed.items())
    )
    print(f"{megabytes:.0f} MB capture, {rounds} round(s), medians, MB/s of capture file:")
    base: dict[str, float] = {}
    net: dict[str, float] = {}  # MB/s less the fixed cost beyond one process's
    for row in rows:
        if row.group == "fixed cost":
            continue
        speed = speeds[row.name]
        if "series, 1 process" in row.name:
            base[row.group] = speed
        took = statistics.median(row.times)
        versus = f"  {speed / base[row.group]:.2f}x series 1 process" if row.group in base else ""
        way = row.name.split(", ")[-1]
        extra = fixed.get(f"fixed cost: {way}", 0.0) - fixed["fixed cost: 1 process"]
        if way != "1 process" and took > extra:
            net[row.name] = row.megabytes / (took - extra)
            versus += (
                f", {net[row.name] / base[row.group]:.2f}x net of its {extra:.2f} s fixed cost"
            )
        print(f"  {row.name:<36} {speed:8.1f} MB/s  ({took:6.2f} s){versus}")
    for one in found:
        print_phases(one)
    checks = _checks(rows)
    print()
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    for row in rows:
        if row.rows is not None:
            print(f"  ({row.name}: " + ", ".join(f"{k} {v}" for k, v in row.rows.items()) + ")")
    failed = not all(ok for _, ok in checks)

    if args.json is not None:
        path = (
            ROOT / "benchmarks" / "results" / f"{time.strftime('%Y-%m-%d')}-archive-"
            f"{round(megabytes)}MB.json"
            if args.json is True
            else args.json
        )
        env["load_average_end"] = os.getloadavg()
        result = {
            **env,
            "capture_mb": megabytes,
            "workload": args.workload,
            "files": [p.name for p in series],
            "format": args.format,
            "rounds": rounds,
            "rows": {
                row.name: {
                    "mb": row.megabytes,
                    "times_s": row.times,
                    "mb_s": speeds[row.name],
                    "mb_s_net_of_fixed_cost": net.get(row.name),
                    "digest": row.digest,
                    **({"parquet_rows": row.rows} if row.rows is not None else {}),
                }
                for row in rows
            },
            "checks": [{"check": text, "pass": ok} for text, ok in checks],
            "phases": found,
        }
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"\nwrote {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
