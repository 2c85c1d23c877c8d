"""dimsewire against pynetdicom (and tshark), in one process, alternating rounds.

Run: python benchmarks/bench_codec.py [--rounds N] [--quick] [--cases SUBSTRING] [--json FILE]

Every case runs for both libraries in alternating rounds; the table gives the median time
per call (or throughput) and the ratio pynetdicom / dimsewire. Encode runs from a filled
primitive to the list of PDU bytes; decode from the PDU bytes to a filled primitive with
its Identifier, for both libraries. Peak memory is measured with tracemalloc in a fresh
subprocess per library and case, above the baseline of the case's inputs.
Bars the project holds itself to are checked at the end (PASS/FAIL).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydicom import Dataset
from pynetdicom import dimse_messages
from pynetdicom import dimse_primitives as pyn
from pynetdicom.pdu import P_DATA_TF

from dimsewire import C_FIND, Reassembler, decode_message, encode_identifier, encode_message

IMPLICIT = "1.2.840.10008.1.2"
SOP_CLASS = "1.2.840.10008.5.1.4.1.2.1.1"
MAX_PDU = 16382
MiB = 1024 * 1024
HERE = Path(__file__).resolve().parent


def _query() -> bytes:
    """A ~100-byte STUDY-level query Identifier."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.PatientName = "DOE^J*"
    ds.PatientID = ""
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


def _pyn_encode(prim: Any, request: bool, max_pdu: int = MAX_PDU) -> list[bytes]:
    message = dimse_messages.C_FIND_RQ() if request else dimse_messages.C_FIND_RSP()
    message.primitive_to_message(prim)
    return [P_DATA_TF(pdata).encode() for pdata in message.encode_msg(1, max_pdu)]


def _pyn_decode(pdus: list[bytes]) -> Any:
    message = dimse_messages.DIMSEMessage()
    for raw in pdus:
        pdu = P_DATA_TF()
        pdu.decode(raw)
        message.decode_msg(pdu.to_primitive())
    return message.message_to_primitive()


def _pyn_stream(stream: bytes, chunk: int) -> int:
    """pynetdicom's receive path over a byte stream: frame each PDU by its header (as its
    DUL reader does), decode it, and feed the DIMSE message until each is complete."""
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

Case = tuple[Callable[[], object], Callable[[], object], str, float]  # ours, theirs, unit, size


def small_cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for label, request, identifier in (
        (f"C-FIND-RQ ({len(_query())} B identifier)", True, _query()),
        (f"C-FIND-RSP pending ({len(_match())} B match)", False, _match()),
    ):
        ours, theirs = _ours(request, identifier), _theirs(request, identifier)
        pdus = list(encode_message(ours, 1, MAX_PDU))
        assert pdus == _pyn_encode(theirs, request), "the libraries disagree on the bytes"
        assert decode_message(pdus) == ours

        def ours_encode(p: C_FIND = ours) -> object:
            return list(encode_message(p, 1, MAX_PDU))

        def ours_packed(p: C_FIND = ours) -> object:
            return list(encode_message(p, 1, MAX_PDU, pack=True))

        def theirs_encode(p: Any = theirs, r: bool = request) -> object:
            return _pyn_encode(p, r)

        def ours_decode(b: list[bytes] = pdus) -> object:
            return decode_message(b)

        packed = list(encode_message(ours, 1, MAX_PDU, pack=True))

        def ours_decode_packed(b: list[bytes] = packed) -> object:
            return decode_message(b)

        def theirs_decode(b: list[bytes] = pdus) -> object:
            return _pyn_decode(b)

        cases[f"encode {label}"] = (ours_encode, theirs_encode, "us", 0)
        cases[f"decode {label}"] = (ours_decode, theirs_decode, "us", 0)
        cases[f"encode {label}, packed"] = (ours_packed, theirs_encode, "us", 0)
        cases[f"decode {label}, packed"] = (ours_decode_packed, theirs_decode, "us", 0)
    return cases


def stream_case(count: int) -> dict[str, Case]:
    ours = _ours(False, _match())
    stream = b"".join(pdu for _ in range(count) for pdu in encode_message(ours, 1, MAX_PDU))
    assert _our_stream(stream, 65536) == _pyn_stream(stream, 65536) == count
    return {
        f"stream of {count} pending C-FIND-RSP, 64 KiB chunks": (
            lambda: _our_stream(stream, 65536),
            lambda: _pyn_stream(stream, 65536),
            "msg/s",
            count,
        )
    }


def large_cases(sizes: list[int], maxima: list[int]) -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for size in sizes:
        identifier = _big(size)
        for max_pdu in maxima:
            ours, theirs = _ours(False, identifier), _theirs(False, identifier)
            pdus = list(encode_message(ours, 1, max_pdu))
            label = f"{size // MiB} MiB identifier, max PDU {max_pdu}"

            def ours_encode(p: C_FIND = ours, m: int = max_pdu) -> object:
                return list(encode_message(p, 1, m))

            def theirs_encode(p: Any = theirs, m: int = max_pdu) -> object:
                return _pyn_encode(p, False, m)

            def ours_decode(b: list[bytes] = pdus) -> object:
                return decode_message(b)

            def theirs_decode(b: list[bytes] = pdus) -> object:
                return _pyn_decode(b)

            cases[f"encode {label}"] = (ours_encode, theirs_encode, "MB/s", size)
            cases[f"decode {label}"] = (ours_decode, theirs_decode, "MB/s", size)
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


def _peak_memory(case: str, library: str) -> int:
    """Peak bytes allocated while running `case` once, above what existed before, measured
    in a fresh interpreter so that cases do not see each other's memory."""
    out = subprocess.run(
        [sys.executable, __file__, "--peak", case, library],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


def _measure_peak(case: str, library: str) -> int:
    size_mib, rest = case.split(" MiB identifier, max PDU ")
    max_pdu = int(rest)
    kind = "encode" if size_mib.startswith("encode") else "decode"
    size = int(size_mib.split()[-1]) * MiB
    identifier = _big(size)
    if kind == "encode":
        prim: Any = (
            _ours(False, identifier) if library == "dimsewire" else _theirs(False, identifier)
        )
        run: Callable[[], object] = (
            (lambda: list(encode_message(prim, 1, max_pdu)))
            if library == "dimsewire"
            else (lambda: _pyn_encode(prim, False, max_pdu))
        )
    else:
        pdus = list(encode_message(_ours(False, identifier), 1, max_pdu))
        run = (
            (lambda: decode_message(pdus))
            if library == "dimsewire"
            else (lambda: _pyn_decode(pdus))
        )
    del identifier
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    result = run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return peak - base


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
    for name, make, feed in (
        ("reassemble one message from N 2-byte PDVs (per PDV)", _tiny_pdvs, 65536),
        ("stream of N bytes fed one byte at a time (per byte)", _tiny_pdvs, 1),
    ):
        per_unit = []
        for count in (small, large):
            stream = make(count)
            units = count if feed != 1 else len(stream)
            start = time.perf_counter()
            assert _our_stream(stream, feed) == 1
            per_unit.append((time.perf_counter() - start) / units)
        rows.append(
            {
                "case": name,
                "unit": "scaling",
                "small": small,
                "large": large,
                "us_small": per_unit[0] * 1e6,
                "us_large": per_unit[1] * 1e6,
                "ratio": per_unit[1] / per_unit[0],
            }
        )
    return rows


def capture_case(path: Path, port: int) -> dict[str, Any] | None:
    """`dimsewire decode --json` against `tshark -T json` on a capture, MB/s each."""
    if not path.exists():
        print(
            f"(capture row skipped: {path} missing; make it with benchmarks/make_large_capture.py)"
        )
        return None
    dimsewire = shutil.which("dimsewire") or str(Path(sys.executable).parent / "dimsewire")
    tshark = shutil.which("tshark")
    if tshark is None or not Path(dimsewire).exists():
        print("(capture row skipped: tshark or the dimsewire command is missing)")
        return None
    size = path.stat().st_size
    runs = {
        "dimsewire": [dimsewire, "decode", "--json", "--port", str(port), str(path)],
        "tshark": [tshark, "-r", str(path), "-d", f"tcp.port=={port},dicom", "-T", "json"],
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(3):
        for name, argv in runs.items():
            start = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            times[name].append(time.perf_counter() - start)
    ours, theirs = statistics.median(times["dimsewire"]), statistics.median(times["tshark"])
    return {
        "case": f"decode a {size / 1e6:.0f} MB capture (CLI, JSON out)",
        "unit": "MB/s",
        "dimsewire": size / 1e6 / ours,
        "other": size / 1e6 / theirs,
        "other_name": "tshark",
        "ratio": theirs / ours,
    }


def _cpu() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=11, help="alternating rounds per case")
    parser.add_argument("--quick", action="store_true", help="few rounds, small sizes: a smoke run")
    parser.add_argument("--cases", default="", help="only cases whose name contains this")
    parser.add_argument(
        "--capture", type=Path, default=Path(tempfile.gettempdir()) / "dimsewire-large.pcap"
    )
    parser.add_argument("--capture-port", type=int, default=11112)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--peak", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peak:
        print(_measure_peak(*args.peak))
        return 0
    rounds = 3 if args.quick else args.rounds
    budget = 0.02 if args.quick else 0.05
    today = datetime.date.today()
    print(f"Python {platform.python_version()} on {_cpu()}, {os.cpu_count()} CPUs, {today}")
    cases = small_cases()
    cases.update(stream_case(1000 if args.quick else 10_000))
    cases.update(large_cases([MiB] if args.quick else [MiB, 16 * MiB], [16382, 65536, 0]))
    print(
        f"{'case':62} {'dimsewire':>12} {'pynetdicom':>12} {'ratio':>7} {'peak memory (x id.)':>20}"
    )
    results = []
    for name, (ours, theirs, unit, size) in cases.items():
        if args.cases not in name:
            continue
        ours_times, theirs_times = [], []
        if unit != "us":  # one untimed run each: the first touches fresh memory
            ours()
            theirs()
        for _ in range(rounds):
            if unit == "us":
                ours_times.append(_per_call(ours, budget))
                theirs_times.append(_per_call(theirs, budget))
            else:
                for func, times in ((ours, ours_times), (theirs, theirs_times)):
                    start = time.perf_counter()
                    func()
                    times.append(time.perf_counter() - start)
        a, b = statistics.median(ours_times), statistics.median(theirs_times)
        row: dict[str, Any] = {"case": name, "unit": unit, "ratio": b / a}
        if unit == "us":
            row.update(dimsewire=a * 1e6, pynetdicom=b * 1e6)
            shown = f"{a * 1e6:10.2f}us {b * 1e6:10.1f}us"
        elif unit == "msg/s":
            row.update(dimsewire=size / a, pynetdicom=size / b)
            shown = f"{size / a:10.0f}/s {size / b:10.0f}/s"
        else:
            row.update(dimsewire=size / 1e6 / a, pynetdicom=size / 1e6 / b)
            shown = f"{size / 1e6 / a:7.1f} MB/s {size / 1e6 / b:7.1f} MB/s"
        memory = ""
        if unit == "MB/s":
            ours_peak, theirs_peak = (
                _peak_memory(name, "dimsewire"),
                _peak_memory(name, "pynetdicom"),
            )
            row.update(peak_dimsewire=ours_peak / size, peak_pynetdicom=theirs_peak / size)
            memory = f"{ours_peak / size:5.2f} / {theirs_peak / size:5.2f}"
        print(f"{name:62} {shown} {b / a:6.1f}x {memory:>20}")
        results.append(row)
    capture = (
        capture_case(args.capture, args.capture_port)
        if "capture" in (args.cases or "capture")
        else None
    )
    if capture is not None:
        results.append(capture)
        print(
            f"{capture['case']:62} {capture['dimsewire']:7.1f} MB/s {capture['other']:7.1f} MB/s"
            f" {capture['ratio']:6.1f}x  (against tshark)"
        )
    if not args.cases or "scaling" in args.cases:
        print()
        for row in scaling_rows(args.quick):
            results.append(row)
            print(
                f"{row['case']:62} {row['us_small']:7.2f}us at {row['small']}, "
                f"{row['us_large']:7.2f}us at {row['large']} ({row['ratio']:.2f}x)"
            )
    failed = _bars(results)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"python": sys.version, "cpu": _cpu(), "results": results}, out, indent=2)
    return 1 if failed else 0


def _bars(results: list[dict[str, Any]]) -> int:
    """Print the project's bars with PASS/FAIL; return how many failed."""
    by_name = {r["case"]: r for r in results}
    checks: list[tuple[str, bool]] = []
    for name, row in by_name.items():
        if row["unit"] == "us" and "packed" not in name:
            bar = 20 if name.startswith("encode") else 10
            checks.append(
                (f"{name}: >= {bar}x pynetdicom ({row['ratio']:.1f}x)", row["ratio"] >= bar)
            )
        if row["unit"] == "MB/s" and "16 MiB" in name and name.endswith("max PDU 16382"):
            checks.append((f"{name}: >= 2x pynetdicom ({row['ratio']:.1f}x)", row["ratio"] >= 2))
            peak = row["peak_dimsewire"]
            checks.append(
                (f"{name}: peak memory <= 1.5x the identifier ({peak:.2f}x)", peak <= 1.5)
            )
        if row["unit"] == "scaling":
            checks.append(
                (
                    f"{name}: linear (per-unit cost x{row['ratio']:.2f} at 10x size)",
                    row["ratio"] < 2,
                )
            )
        if row.get("other_name") == "tshark":
            checks.append((f"{name}: >= tshark's MB/s ({row['ratio']:.1f}x)", row["ratio"] >= 1))
    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return sum(not ok for _, ok in checks)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    raise SystemExit(main())
