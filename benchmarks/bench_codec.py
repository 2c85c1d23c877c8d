"""dimsewire against pynetdicom (and tshark), in one process, alternating rounds.

Run: python benchmarks/bench_codec.py [--rounds N] [--quick] [--cases TEXT[,TEXT]] [--json FILE]

Every case runs for both libraries in alternating rounds; the table gives the median time
per call (or throughput) and the ratio pynetdicom / dimsewire (above 1: dimsewire is
faster). Encode runs from a filled primitive to the list of PDU bytes; decode from the PDU
bytes to a filled primitive with its Identifier, for both libraries:

- dimsewire: ``list(encode_message(...))`` and ``decode_message(pdus)``;
- pynetdicom: ``DIMSEMessage.primitive_to_message`` + ``encode_msg`` + ``P_DATA_TF.encode``,
  and ``P_DATA_TF.decode`` + ``DIMSEMessage.decode_msg`` + ``message_to_primitive``.

Peak memory of the large cases is measured in a fresh interpreter per library, case and
method, above a baseline taken once the case's inputs exist, as a multiple of the
Identifier's size: the peak resident set (Linux: VmHWM after resetting it through
/proc/self/clear_refs, against VmRSS) and tracemalloc's peak. The memory bar is checked
on the resident set where it can be measured, else on tracemalloc.

Case groups for --cases (any comma-separated text matching the group or the case name):
small, stream, large, capture, scaling. --quick is a smoke run: 3 rounds, a stream of
1,000 messages, 1 MiB at every maximum and 16 MiB at 16382 only, one capture round.
The project's bars are checked at the end (PASS/FAIL, SKIP when the case did not run);
the exit status is 1 when one fails.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime
import gc
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Run from a checkout, benchmark that checkout (the --peak subprocesses included).
sys.path.insert(0, str(HERE.parent))

from pydicom import Dataset  # noqa: E402
from pynetdicom import dimse_messages  # noqa: E402
from pynetdicom import dimse_primitives as pyn  # noqa: E402
from pynetdicom.pdu import P_DATA_TF  # noqa: E402

from dimsewire import (  # noqa: E402
    C_FIND,
    Reassembler,
    decode_message,
    encode_identifier,
    encode_message,
)

IMPLICIT = "1.2.840.10008.1.2"
SOP_CLASS = "1.2.840.10008.5.1.4.1.2.1.1"
MAX_PDU = 16382
CHUNK = 64 * 1024
MiB = 1024 * 1024
DEFAULT_CAPTURE = Path(tempfile.gettempdir()) / "dimsewire-large.pcap"

# --- inputs -------------------------------------------------------------------------------


def _query() -> bytes:
    """A ~100-byte STUDY-level query Identifier."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.PatientName = "DOE^J*"
    ds.PatientID = ""
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyDate = "20240101-20241231"
    ds.AccessionNumber = ""
    ds.StudyInstanceUID = ""
    ds.ModalitiesInStudy = "CT"
    return encode_identifier(ds, IMPLICIT)


def _match() -> bytes:
    """A ~400-byte STUDY-level match."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.PatientName = "DOE^JOHN^Q"
    ds.PatientID = "PID-0001234567"
    ds.PatientBirthDate = "19700101"
    ds.StudyDate = "20240315"
    ds.StudyTime = "101500"
    ds.AccessionNumber = "ACC000123456"
    ds.StudyDescription = "CT CHEST ABDOMEN PELVIS WITH CONTRAST"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.12345678901234567890123456789"
    ds.ModalitiesInStudy = ["CT", "SR"]
    ds.ReferringPhysicianName = "SMITH^ALICE"
    ds.NumberOfStudyRelatedSeries = "4"
    ds.NumberOfStudyRelatedInstances = "812"
    ds.InstitutionName = "GENERAL HOSPITAL OF SOMEWHERE"
    ds.RetrieveAETitle = "PACS01"
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.StudyID = "S-2024-0315"
    ds.OtherPatientIDs = "ALT-999"
    ds.PatientSex = "M"
    return encode_identifier(ds, IMPLICIT)


def _big(size: int) -> bytes:
    """An Identifier of `size` bytes (even): one long private element, Implicit VR LE."""
    body = size - 8
    return b"\x09\x00\x00\x10" + body.to_bytes(4, "little") + b"\xab" * body


def _ours(request: bool, identifier: bytes) -> C_FIND:
    prim = C_FIND()
    prim.AffectedSOPClassUID = SOP_CLASS
    if request:
        prim.MessageID = 1
    else:
        prim.MessageIDBeingRespondedTo = 1
        prim.Status = 0xFF00
    prim.Identifier = identifier
    return prim


def _theirs(request: bool, identifier: bytes) -> Any:
    prim = pyn.C_FIND()
    prim.AffectedSOPClassUID = SOP_CLASS
    if request:
        prim.MessageID = 1
    else:
        prim.MessageIDBeingRespondedTo = 1
        prim.Status = 0xFF00
    prim.Identifier = io.BytesIO(identifier)
    return prim


# --- pynetdicom's paths, as its DIMSE provider and DUL run them ---------------------------


def _pyn_encode(prim: Any, request: bool, max_pdu: int = MAX_PDU) -> list[bytes]:
    """dimse.py send_msg: primitive_to_message, encode_msg; dul.py: P_DATA_TF encode."""
    message = dimse_messages.C_FIND_RQ() if request else dimse_messages.C_FIND_RSP()
    message.primitive_to_message(prim)
    return [P_DATA_TF(pdata).encode() for pdata in message.encode_msg(1, max_pdu)]


def _pyn_decode(pdus: list[bytes]) -> Any:
    """dul.py _decode_pdu + to_primitive; dimse.py receive_primitive: decode_msg until the
    message is complete, then message_to_primitive."""
    message = dimse_messages.DIMSEMessage()
    for raw in pdus:
        pdu = P_DATA_TF()
        pdu.decode(raw)
        message.decode_msg(pdu.to_primitive())
    return message.message_to_primitive()


def _pyn_stream(stream: bytes, chunk: int) -> int:
    """pynetdicom's receive path over a byte stream: frame each PDU by its 6-byte header
    (as dul.py _read_pdu_data does, here from a buffer instead of two socket reads),
    decode it, and feed a DIMSEMessage until each message is complete (dimse.py
    receive_primitive). pynetdicom's event triggers and queues are left out."""
    buffer = bytearray()
    messages = 0
    message = dimse_messages.DIMSEMessage()
    for start in range(0, len(stream), chunk):
        buffer += stream[start : start + chunk]
        pos = 0
        while len(buffer) - pos >= 6:
            end = pos + 6 + int.from_bytes(buffer[pos + 2 : pos + 6], "big")
            if end > len(buffer):
                break
            pdu = P_DATA_TF()
            pdu.decode(bytes(buffer[pos:end]))
            if message.decode_msg(pdu.to_primitive()):
                message.message_to_primitive()
                messages += 1
                message = dimse_messages.DIMSEMessage()
            pos = end
        del buffer[:pos]
    return messages


def _our_stream(stream: bytes, chunk: int) -> int:
    reassembler = Reassembler(max_pdu_length=MAX_PDU)
    messages = 0
    for start in range(0, len(stream), chunk):
        reassembler.receive_data(stream[start : start + chunk])
        for _ in reassembler.events():
            messages += 1
    return messages


# --- the cases ----------------------------------------------------------------------------

Pair = tuple[Callable[[], object], Callable[[], object]]  # dimsewire, pynetdicom


@dataclass
class Bar:
    """A bar the project holds: `metric` of a case's row compared with `limit`."""

    metric: str  # "ratio" (at least `limit`) or "peak" (at most `limit`)
    limit: float

    def describe(self) -> str:
        if self.metric == "ratio":
            return f">= {self.limit:g}x pynetdicom"
        return f"peak memory <= {self.limit:g}x the identifier above baseline"


@dataclass
class Case:
    name: str
    group: str  # small, stream, large
    unit: str  # "us" per call, "msg/s", "MB/s"
    size: int  # messages or bytes handled per call
    setup: Callable[[], Pair]  # builds the inputs (only for cases that run)
    peak: tuple[str, int, int] | None = None  # (encode|decode, size, max PDU) for memory
    bars: list[Bar] = field(default_factory=list)


def _max_label(max_pdu: int) -> str:
    return "max PDU 0 (no limit)" if max_pdu == 0 else f"max PDU {max_pdu}"


def _size_label(size: int) -> str:
    return f"{size // MiB} MiB" if size >= MiB else f"{size} B"


def _small_pair(request: bool, identifier: bytes, what: str) -> Pair:
    ours, theirs = _ours(request, identifier), _theirs(request, identifier)
    pdus = list(encode_message(ours, 1, MAX_PDU))
    packed = list(encode_message(ours, 1, MAX_PDU, pack=True))
    assert pdus == _pyn_encode(theirs, request), "the libraries disagree on the bytes"
    for each in (pdus, packed):
        assert decode_message(each) == ours
        assert _pyn_decode(each).Identifier.getvalue() == identifier
    if what == "encode":
        return (
            lambda: list(encode_message(ours, 1, MAX_PDU)),
            lambda: _pyn_encode(theirs, request),
        )
    if what == "encode packed":
        return (
            lambda: list(encode_message(ours, 1, MAX_PDU, pack=True)),
            lambda: _pyn_encode(theirs, request),
        )
    if what == "decode":
        return (lambda: decode_message(pdus), lambda: _pyn_decode(pdus))
    return (lambda: decode_message(packed), lambda: _pyn_decode(packed))


def small_cases() -> list[Case]:
    """Encode and decode of a C-FIND-RQ and a pending C-FIND-RSP, unpacked and packed.

    pynetdicom cannot pack: its column for a packed encode is its usual (unpacked) encode;
    for a packed decode it decodes the same packed PDU as dimsewire (it accepts them)."""
    cases = []
    for kind, request, identifier in (
        ("C-FIND-RQ", True, _query()),
        ("C-FIND-RSP pending", False, _match()),
    ):
        label = f"{kind} ({len(identifier)} B {'identifier' if request else 'match'})"
        for what, suffix, bars in (
            ("encode", "", [Bar("ratio", 20)]),
            ("decode", "", [Bar("ratio", 10)]),
            ("encode packed", ", packed (pynetdicom unpacked)", []),
            ("decode packed", ", packed (one PDU, both)", []),
        ):
            name = f"{what.split()[0]} {label}{suffix}"

            def setup(r: bool = request, i: bytes = identifier, w: str = what) -> Pair:
                return _small_pair(r, i, w)

            cases.append(Case(name, "small", "us", 1, setup, bars=bars))
    return cases


def stream_case(count: int) -> list[Case]:
    def setup() -> Pair:
        ours = _ours(False, _match())
        stream = b"".join(pdu for _ in range(count) for pdu in encode_message(ours, 1, MAX_PDU))
        assert _our_stream(stream, CHUNK) == _pyn_stream(stream, CHUNK) == count
        return (lambda: _our_stream(stream, CHUNK), lambda: _pyn_stream(stream, CHUNK))

    name = f"stream of {count:,} pending C-FIND-RSP through the reassembler, 64 KiB chunks"
    return [Case(name, "stream", "msg/s", count, setup)]


def _large_inputs(kind: str, size: int, max_pdu: int, library: str) -> Callable[[], object]:
    """The call to time (or measure) for one large case; its inputs exist on return."""
    identifier = _big(size)
    if kind == "encode":
        if library == "dimsewire":
            ours = _ours(False, identifier)
            return lambda: list(encode_message(ours, 1, max_pdu))
        theirs = _theirs(False, identifier)
        return lambda: _pyn_encode(theirs, False, max_pdu)
    pdus = list(encode_message(_ours(False, identifier), 1, max_pdu))
    del identifier
    if library == "dimsewire":
        return lambda: decode_message(pdus)
    return lambda: _pyn_decode(pdus)


def large_cases(plan: list[tuple[int, int]]) -> list[Case]:
    cases = []
    for size, max_pdu in plan:
        for kind in ("encode", "decode"):

            def setup(kind: str = kind, size: int = size, max_pdu: int = max_pdu) -> Pair:
                identifier = _big(size)
                ours, theirs = _ours(False, identifier), _theirs(False, identifier)
                pdus = list(encode_message(ours, 1, max_pdu))
                if kind == "encode":
                    assert pdus == _pyn_encode(theirs, False, max_pdu)
                else:
                    assert decode_message(pdus).Identifier.getvalue() == identifier
                    assert _pyn_decode(pdus).Identifier.getvalue() == identifier
                del identifier, ours, theirs, pdus
                return (
                    _large_inputs(kind, size, max_pdu, "dimsewire"),
                    _large_inputs(kind, size, max_pdu, "pynetdicom"),
                )

            bars = []
            if size == 16 * MiB and max_pdu == MAX_PDU:
                bars = [Bar("ratio", 2), Bar("peak", 1.5)]
            name = f"{kind} {_size_label(size)} identifier, {_max_label(max_pdu)}"
            cases.append(
                Case(name, "large", "MB/s", size, setup, peak=(kind, size, max_pdu), bars=bars)
            )
    return cases


# --- measuring ----------------------------------------------------------------------------


def _per_call(func: Callable[[], object], budget: float) -> float:
    """Seconds per call, from a batch sized to last about `budget` seconds."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            func()
        elapsed = time.perf_counter() - start
        if elapsed >= budget:
            return elapsed / number
        number *= 2


def _status_kib(key: str) -> int:
    text = Path("/proc/self/status").read_text()
    found = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    if found is None:
        raise OSError(f"no {key} in /proc/self/status")
    return int(found.group(1))


def _settle() -> None:
    """Free what building the inputs left behind, and give it back to the system."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def measure_peak(kind: str, size: int, max_pdu: int, library: str, method: str) -> int:
    """Peak bytes above the baseline (inputs built) while running one large case once.

    method "rss": the resident set's high-water mark, reset through /proc/self/clear_refs
    (Linux 4.0+), against the resident set at the baseline; -1 where that cannot be done.
    method "traced": tracemalloc's peak above what is traced at the baseline.
    Meant for a fresh interpreter (see _peak_memory)."""
    run = _large_inputs(kind, size, max_pdu, library)
    _settle()
    if method == "rss":
        try:
            Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
            base = _status_kib("VmRSS")
        except OSError:
            return -1
        result = run()
        peak = _status_kib("VmHWM") - base
        del result
        return peak * 1024
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    result = run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return peak - base


def _peak_memory(case: Case, library: str, method: str) -> int:
    """measure_peak in a fresh interpreter, so that cases do not see each other's memory."""
    assert case.peak is not None
    kind, size, max_pdu = case.peak
    argv = [sys.executable, __file__, "--peak", kind, str(size), str(max_pdu), library, method]
    out = subprocess.run(argv, capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def run_case(case: Case, rounds: int, budget: float) -> dict[str, Any]:
    ours, theirs = case.setup()
    ours_times: list[float] = []
    theirs_times: list[float] = []
    ours(), theirs()  # one untimed call each: imports, caches, fresh memory touched once
    for _ in range(rounds):
        ours_times.append(_per_call(ours, budget))
        theirs_times.append(_per_call(theirs, budget))
    a, b = statistics.median(ours_times), statistics.median(theirs_times)
    row: dict[str, Any] = {
        "case": case.name,
        "group": case.group,
        "unit": case.unit,
        "size": case.size,
        "ratio": b / a,
        "seconds_dimsewire": a,
        "seconds_pynetdicom": b,
    }
    if case.unit == "us":
        row.update(dimsewire=a * 1e6, pynetdicom=b * 1e6)
    elif case.unit == "msg/s":
        row.update(dimsewire=case.size / a, pynetdicom=case.size / b)
    else:
        row.update(dimsewire=case.size / 1e6 / a, pynetdicom=case.size / 1e6 / b)
    del ours, theirs
    if case.peak is not None:
        for method in ("rss", "traced"):
            for library in ("dimsewire", "pynetdicom"):
                peak = _peak_memory(case, library, method)
                row[f"peak_{method}_{library}"] = peak / case.size if peak >= 0 else None
    return row


def _fmt_value(unit: str, value: float) -> str:
    if unit == "us":
        return f"{value:,.1f} us"
    if unit == "msg/s":
        return f"{value:,.0f} msg/s"
    return f"{value:,.0f} MB/s" if value >= 100 else f"{value:,.1f} MB/s"


def _fmt_peak(row: dict[str, Any], method: str) -> str:
    ours, theirs = row.get(f"peak_{method}_dimsewire"), row.get(f"peak_{method}_pynetdicom")
    if ours is None and theirs is None:
        return ""
    return " / ".join("n/a" if v is None else f"{v:.2f}" for v in (ours, theirs))


def _print_row(row: dict[str, Any], widths: tuple[int, ...]) -> None:
    cells = (
        row["case"],
        _fmt_value(row["unit"], row["dimsewire"]),
        _fmt_value(row["unit"], row["pynetdicom"]),
        f"{row['ratio']:.1f}x",
        _fmt_peak(row, "rss"),
        _fmt_peak(row, "traced"),
    )
    print(
        " ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ),
        flush=True,
    )


# --- scaling ------------------------------------------------------------------------------


def _tiny_pdvs(count: int) -> bytes:
    """One message whose data set comes in `count` PDUs of one 2-byte PDV (maximum 8)."""
    prim = _ours(
        False, b"\x10\x00\x10\x00" + (2 * count - 8).to_bytes(4, "little") + b"A" * (2 * count - 8)
    )
    return b"".join(encode_message(prim, 1, 8, pack=True))


def scaling_rows(quick: bool) -> list[dict[str, Any]]:
    """Time per unit at two sizes ten times apart: linear work gives the same per-unit cost."""
    rows = []
    small, large = (1_000, 10_000) if quick else (10_000, 100_000)
    for name, feed in (
        ("reassemble one message from N 2-byte PDVs (per PDV)", CHUNK),
        ("stream of N bytes fed one byte at a time (per byte)", 1),
    ):
        per_unit = []
        for count in (small, large):
            stream = _tiny_pdvs(count)
            units = count if feed != 1 else len(stream)
            best = float("inf")
            for _ in range(3):  # best of three: one run is at the mercy of the machine
                start = time.perf_counter()
                assert _our_stream(stream, feed) == 1
                best = min(best, time.perf_counter() - start)
            per_unit.append(best / units)
        rows.append(
            {
                "case": name,
                "group": "scaling",
                "unit": "scaling",
                "small": small,
                "large": large,
                "us_small": per_unit[0] * 1e6,
                "us_large": per_unit[1] * 1e6,
                "ratio": per_unit[1] / per_unit[0],
            }
        )
    return rows


# --- capture decoding (CLI against tshark) -----------------------------------------------

CAPTURE_CASE = "capture decode: dimsewire decode --json vs tshark -T json"


def _dimsewire_command() -> str | None:
    """The dimsewire command if it has a `decode` subcommand, else None."""
    found = shutil.which("dimsewire")
    beside = Path(sys.executable).parent / "dimsewire"
    command = str(beside) if beside.exists() else found
    if command is None:
        return None
    probe = subprocess.run(
        [command, "decode", "--help"], capture_output=True, text=True, check=False
    )
    return command if probe.returncode == 0 else None


def capture_case(path: Path, port: int, rounds: int) -> dict[str, Any] | None:
    """`dimsewire decode --json FILE` against `tshark -r FILE -d tcp.port==PORT,dicom
    -T json`, output to /dev/null, in alternating rounds: MB/s of capture file each.

    Skipped, with a message, when the file, tshark or `dimsewire decode` is missing, or
    when either command fails (dimsewire: 0 clean, 1 problems reported; tshark: 0)."""
    if not path.exists():
        print(
            f"(capture row skipped: {path} missing; make it with benchmarks/make_large_capture.py)"
        )
        return None
    dimsewire = _dimsewire_command()
    if dimsewire is None:
        print("(capture row skipped: no `dimsewire` command with a `decode` subcommand)")
        return None
    tshark = shutil.which("tshark")
    if tshark is None:
        print("(capture row skipped: tshark is not installed)")
        return None
    size = path.stat().st_size
    runs = {
        "dimsewire": ([dimsewire, "decode", "--json", "--port", str(port), str(path)], (0, 1)),
        "tshark": ([tshark, "-r", str(path), "-d", f"tcp.port=={port},dicom", "-T", "json"], (0,)),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, (argv, good) in runs.items():
            start = time.perf_counter()
            done = subprocess.run(
                argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
            )
            times[name].append(time.perf_counter() - start)
            if done.returncode not in good:
                error = done.stderr.decode(errors="replace").strip()[-300:]
                print(f"(capture row skipped: {name} exited {done.returncode}: {error})")
                return None
    ours, theirs = statistics.median(times["dimsewire"]), statistics.median(times["tshark"])
    return {
        "case": CAPTURE_CASE,
        "group": "capture",
        "unit": "MB/s",
        "capture": str(path),
        "size": size,
        "dimsewire": size / 1e6 / ours,
        "pynetdicom": None,
        "tshark": size / 1e6 / theirs,
        "ratio": theirs / ours,
    }


# --- report -------------------------------------------------------------------------------


def _cpu() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _environment() -> dict[str, Any]:
    versions = {}
    for package in ("dimsewire", "pynetdicom", "pydicom", "construct"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu": _cpu(),
        "cpus": os.cpu_count(),
        "load_average": load,
        "versions": versions,
    }


def _bars(rows: dict[str, dict[str, Any]], cases: list[Case]) -> list[dict[str, Any]]:
    """Every bar with PASS, FAIL or SKIP (its case did not run)."""
    checks: list[dict[str, Any]] = []

    def check(bar: str, value: float | None, ok: bool | None, shown: str) -> None:
        result = "SKIP" if ok is None else "PASS" if ok else "FAIL"
        checks.append({"bar": bar, "value": value, "result": result, "measured": shown})

    for case in cases:
        row = rows.get(case.name)
        for bar in case.bars:
            text = f"{case.name}: {bar.describe()}"
            if row is None:
                check(text, None, None, "not run")
            elif bar.metric == "ratio":
                check(text, row["ratio"], row["ratio"] >= bar.limit, f"{row['ratio']:.1f}x")
            else:
                method = "rss" if row.get("peak_rss_dimsewire") is not None else "traced"
                peak = row[f"peak_{method}_dimsewire"]
                check(text, peak, peak <= bar.limit, f"{peak:.2f}x ({method})")
    capture = rows.get(CAPTURE_CASE)
    text = f"{CAPTURE_CASE}: >= tshark's MB/s"
    if capture is None:
        check(text, None, None, "not run")
    else:
        check(text, capture["ratio"], capture["ratio"] >= 1, f"{capture['ratio']:.2f}x")
    for row in rows.values():
        if row["unit"] == "scaling":
            check(
                f"{row['case']}: linear (per-unit cost < 2x at 10x the size)",
                row["ratio"],
                row["ratio"] < 2,
                f"x{row['ratio']:.2f}",
            )
    return checks


def _selected(terms: list[str], group: str, name: str) -> bool:
    return not terms or any(t in group or t in name.lower() for t in terms)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=11, help="alternating rounds per case")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 3 rounds, smaller sizes, one capture round"
    )
    parser.add_argument(
        "--cases", default="", help="comma-separated: run cases whose group or name has one"
    )
    parser.add_argument("--capture", type=Path, default=DEFAULT_CAPTURE, help="pcap to decode")
    parser.add_argument("--capture-port", type=int, default=11112)
    parser.add_argument("--json", help="also write the environment, results and bars here")
    parser.add_argument("--peak", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peak:
        kind, size, max_pdu, library, method = args.peak
        print(measure_peak(kind, int(size), int(max_pdu), library, method))
        return 0

    rounds = 3 if args.quick else args.rounds
    budget = 0.02 if args.quick else 0.05
    terms = [t.strip().lower() for t in args.cases.split(",") if t.strip()]
    env = _environment()
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    load = env["load_average"]
    print(
        f"{env['date']}  Python {env['python']} ({env['implementation']})  {env['cpu']}, "
        f"{env['cpus']} CPUs{f', load {load[0]:.2f}' if load else ''}\n{versions}\n"
        f"{rounds} alternating rounds, medians; ratio = pynetdicom time / dimsewire time;"
        " peak memory above baseline, x the identifier (dimsewire / pynetdicom)\n"
    )
    plan = [(MiB, m) for m in (16382, 65536, 0)]
    plan += [(16 * MiB, MAX_PDU)] if args.quick else [(16 * MiB, m) for m in (16382, 65536, 0)]
    cases = small_cases() + stream_case(1_000 if args.quick else 10_000) + large_cases(plan)

    widths = (78, 16, 16, 7, 13, 13)
    header = ("case", "dimsewire", "pynetdicom", "ratio", "peak RSS", "peak traced")
    print(
        " ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    )
    rows: dict[str, dict[str, Any]] = {}
    for case in cases:
        if _selected(terms, case.group, case.name):
            rows[case.name] = run_case(case, rounds, budget)
            _print_row(rows[case.name], widths)

    if _selected(terms, "capture", CAPTURE_CASE):
        capture = capture_case(args.capture, args.capture_port, 1 if args.quick else 3)
        if capture is not None:
            rows[capture["case"]] = capture
            shown = dict(capture, pynetdicom=capture["tshark"])
            shown["case"] = (
                f"capture decode, {capture['size'] / 1e6:.0f} MB:"
                " dimsewire decode --json | tshark -T json"
            )
            _print_row(shown, widths)

    if _selected(terms, "scaling", "reassemble stream one byte at a time"):
        print()
        for row in scaling_rows(args.quick):
            rows[row["case"]] = row
            print(
                f"{row['case']:{widths[0]}} {row['us_small']:7.2f} us at {row['small']:,},"
                f" {row['us_large']:7.2f} us at {row['large']:,} (x{row['ratio']:.2f})"
            )

    checks = _bars(rows, cases)
    print("\nresult  bar (measured)")
    for item in checks:
        print(f"{item['result']:6}  {item['bar']} ({item['measured']})")
    failed = [c for c in checks if c["result"] == "FAIL"]
    print(
        f"\n{sum(c['result'] == 'PASS' for c in checks)} PASS, {len(failed)} FAIL, "
        f"{sum(c['result'] == 'SKIP' for c in checks)} SKIP"
    )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {"environment": env, "results": list(rows.values()), "bars": checks},
                out,
                indent=2,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
