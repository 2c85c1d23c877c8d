"""`dimsewire decode` on a large C-STORE capture, against a floor and against tshark.

Generates (or reuses) a capture of at least 200 MB of C-STORE traffic, one association of
512 KiB CT images at max PDU 16382 in 64 KiB TCP segments, made with dimsewire's own
endpoints and written with dpkt (nothing live, not committed); then times, in alternating
rounds, each in a fresh process with its output to /dev/null:

* floor: a dpkt loop that only reads the packets, orders each direction's bytes and
  frames the PDUs by their 6-byte headers (the least any decoder must do);
* ``dimsewire decode --summary`` and ``--export DIR`` (bar: at least half the floor's MB/s);
* ``dimsewire decode --json`` against ``tshark -T json`` (bar: at least tshark's MB/s);
* ``dimsewire decode`` (text) against ``tshark -V`` (bar: at least tshark's MB/s);
* ``--jobs 1`` and ``--jobs 2`` on multi-association captures made alongside: four
  concurrent C-STORE associations of the same size (``--summary``), and C-FIND
  associations one after another (``--json``), of the same size (bar: ``--jobs 2`` at
  least 1.6x ``--jobs 1``) and of a tenth of it (reported: a second process costs a fixed
  start, about 0.3 s to import dimsewire, which weighs more on a shorter run);
* on that tenth, the floor again, and ``--summary``: on a C-FIND capture decoding is
  Identifiers, not bytes (bars: ``--json`` within 7x the floor's time, ``--summary``
  within 4x).

Speeds are MB of capture file per second, medians over the rounds. Exit status 1 if a bar
fails. ``--quick`` is a smoke run (a 60 MB capture, one round)::

    .venv/bin/python benchmarks/bench_capture.py            # the full run, >= 200 MB
    .venv/bin/python benchmarks/bench_capture.py --quick    # smoke
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import dpkt
from pydicom import Dataset

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dimsewire import (  # noqa: E402
    C_STORE,
    IMPLEMENTATION_CLASS_UID,
    AssociationEndpoint,
    encode_identifier,
)
from dimsewire.association import answer_contexts  # noqa: E402
from dimsewire.pdus import ReleaseRP, ReleaseRQ, associate_ac, associate_rq  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from make_large_capture import write as write_finds  # noqa: E402

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
PORT = 11112
CLIENT, SERVER = ("10.0.0.1", 40001), ("10.0.0.2", PORT)
SEGMENT = 65000  # bytes of TCP payload per packet (loopback-sized)
UID_PREFIX = "1.2.826.0.1.3680043.8.498.999."  # instance UIDs: this and 10**11 + a number


# --- the capture ------------------------------------------------------------------------------


def _image(rows: int = 512) -> bytes:
    ds = Dataset()
    ds.SOPClassUID = CT_IMAGE
    ds.SOPInstanceUID = f"{UID_PREFIX}{10**11}"
    ds.StudyInstanceUID = UID_PREFIX + "1"
    ds.SeriesInstanceUID = UID_PREFIX + "2"
    ds.PatientName, ds.PatientID, ds.Modality = "BENCH^CAPTURE", "PIDBENCH", "CT"
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = rows
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = bytes(range(256)) * (rows * rows * 2 // 256)
    return encode_identifier(ds, EXPLICIT)


def _address(text: str) -> bytes:
    return bytes(map(int, text.split(".")))


class _Writer:
    """TCP segments of one connection into a pcap, sequence numbers and ACKs kept."""

    def __init__(self, out: Any, client: tuple[str, int] = CLIENT, pcap: Any = None) -> None:
        self.pcap = pcap or dpkt.pcap.Writer(out, linktype=1, snaplen=262144)
        self.client = client
        self.seq = {True: 1000, False: 5000}
        self.time = 1_700_000_000.0

    def packet(self, from_client: bool, data: bytes, flags: int = dpkt.tcp.TH_ACK) -> None:
        src, dst = (self.client, SERVER) if from_client else (SERVER, self.client)
        tcp = dpkt.tcp.TCP(
            sport=src[1], dport=dst[1], seq=self.seq[from_client],
            ack=self.seq[not from_client], flags=flags, data=data,
        )  # fmt: skip
        ip = dpkt.ip.IP(src=_address(src[0]), dst=_address(dst[0]), p=6, data=tcp)
        ip.len = len(bytes(ip))
        eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + bytes(ip)
        self.pcap.writepkt(eth, ts=self.time)
        self.time += 0.0001
        self.seq[from_client] = (self.seq[from_client] + len(data)) & 0xFFFFFFFF
        if flags & (dpkt.tcp.TH_SYN | dpkt.tcp.TH_FIN):
            self.seq[from_client] += 1

    def stream(self, from_client: bool, data: bytes) -> None:
        view = memoryview(data)
        for pos in range(0, len(data), SEGMENT):
            self.packet(from_client, bytes(view[pos : pos + SEGMENT]))


def make_capture(path: Path, size: int, associations: int = 1) -> None:
    """`associations` concurrent associations (from client ports 40001, 40002, ...),
    taking turns to store a 512 KiB image, until the file holds `size` bytes."""
    rq = associate_rq(
        "STORESCP", "STORESCU", [(1, CT_IMAGE, [EXPLICIT])], max_length=16382,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
    )  # fmt: skip
    ac = associate_ac(
        rq, answer_contexts(rq, {CT_IMAGE: [EXPLICIT]}), max_length=16382,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
    )  # fmt: skip
    template = _image()
    placeholder = f"{UID_PREFIX}{10**11}".encode()
    with path.open("wb") as out:
        pcap = dpkt.pcap.Writer(out, linktype=1, snaplen=262144)
        writers = [
            _Writer(out, (CLIENT[0], CLIENT[1] + n), pcap) for n in range(associations)
        ]  # fmt: skip
        endpoints = []
        for w in writers:
            scu = AssociationEndpoint("requestor", max_pdu_length=16382)
            scp = AssociationEndpoint("acceptor", max_pdu_length=16382)
            w.packet(True, b"", dpkt.tcp.TH_SYN)
            w.packet(False, b"", dpkt.tcp.TH_SYN | dpkt.tcp.TH_ACK)
            w.stream(True, scu.send_pdu(rq))
            scp.association.observe(rq, "requestor")
            w.stream(False, scp.send_pdu(ac))
            scu.association.observe(ac, "acceptor")
            endpoints.append((scu, scp))
        number = 0
        while out.tell() < size:
            for w, (scu, scp) in zip(writers, endpoints, strict=True):
                w.time = max(x.time for x in writers)  # one clock for the capture
                number += 1
                uid = f"{UID_PREFIX}{10**11 + number}"
                store = C_STORE()
                store.MessageID = number % 65536
                store.AffectedSOPClassUID = CT_IMAGE
                store.AffectedSOPInstanceUID = uid
                store.DataSet = template.replace(placeholder, uid.encode(), 1)
                w.stream(True, b"".join(scu.send_message(store, 1)))
                rsp = C_STORE()
                rsp.MessageIDBeingRespondedTo = store.MessageID
                rsp.AffectedSOPClassUID = CT_IMAGE
                rsp.AffectedSOPInstanceUID = uid
                rsp.Status = 0x0000
                w.stream(False, b"".join(scp.send_message(rsp, 1)))
        for w in writers:
            w.stream(True, ReleaseRQ().encode())
            w.stream(False, ReleaseRP().encode())
            w.packet(True, b"", dpkt.tcp.TH_FIN | dpkt.tcp.TH_ACK)
            w.packet(False, b"", dpkt.tcp.TH_FIN | dpkt.tcp.TH_ACK)


# --- the floor: read, order, frame ---------------------------------------------------------


def floor(path: Path) -> int:
    """Read every packet, put each direction's bytes in sequence order, frame the PDUs by
    their headers; return the number of PDUs (the least a capture decoder must do)."""
    streams: dict[tuple[bytes, int], bytearray] = {}
    expected: dict[tuple[bytes, int], int] = {}
    pdus = 0
    header = struct.Struct(">BxI")
    with path.open("rb") as f:
        for _, buf in dpkt.pcap.Reader(f):
            ip = dpkt.ethernet.Ethernet(buf).data
            tcp = ip.data
            if not isinstance(tcp, dpkt.tcp.TCP):
                continue
            key = (bytes(ip.src), tcp.sport)
            if tcp.flags & dpkt.tcp.TH_SYN:
                expected[key] = tcp.seq + 1
                streams[key] = bytearray()
                continue
            if not tcp.data or expected.get(key) != tcp.seq:
                continue  # a clean capture: nothing out of order here
            expected[key] = tcp.seq + len(tcp.data)
            stream = streams[key]
            stream += tcp.data
            pos = 0
            while len(stream) - pos >= 6:
                _, length = header.unpack_from(stream, pos)
                if len(stream) - pos - 6 < length:
                    break
                pos += 6 + length
                pdus += 1
            del stream[:pos]
    return pdus


# --- timing ----------------------------------------------------------------------------------


def _timed(argv: list[str], cleanup: Path | None = None) -> float:
    started = time.perf_counter()
    with open(os.devnull, "wb") as null:
        done = subprocess.run(argv, stdout=null, stderr=subprocess.PIPE, check=False)
    took = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{argv[0]} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    if cleanup is not None:
        shutil.rmtree(cleanup, ignore_errors=True)
    return took


def rows_for(path: Path, work: Path) -> dict[str, list[str]]:
    python = sys.executable
    decode = [python, "-m", "dimsewire.cli", "decode", str(path), "--port", str(PORT)]
    tshark = ["tshark", "-r", str(path), "-d", f"tcp.port=={PORT},dicom"]
    rows = {
        "floor: dpkt read + order + frame": [python, __file__, "--floor", str(path)],
        "dimsewire decode --summary": [*decode, "--summary"],
        "dimsewire decode --export": [*decode, "--export", str(work / "export")],
        "dimsewire decode --json": [*decode, "--json"],
        "dimsewire decode (text)": decode,
    }
    if shutil.which("tshark"):
        rows["tshark -T json"] = [*tshark, "-T", "json"]
        rows["tshark -V"] = [*tshark, "-V"]
    return rows


def jobs_rows(stores: Path, finds: Path, small: Path) -> dict[str, tuple[Path, list[str]]]:
    """``--jobs 1`` and ``--jobs 2`` on multi-association captures: 4 concurrent C-STORE
    associations (little decoding per byte) and C-FIND associations (much), the second of
    the full size and of a tenth of it."""
    python = sys.executable
    rows = {}
    captures = (
        ("4 x C-STORE", stores, "--summary"),
        ("C-FIND", finds, "--json"),
        ("C-FIND 1/10", small, "--json"),
    )
    for label, path, mode in captures:
        for jobs in ("1", "2"):
            argv = [python, "-m", "dimsewire.cli", "decode", str(path), "--port", str(PORT)]
            rows[f"{label} {mode} --jobs {jobs}"] = (path, [*argv, mode, "--jobs", jobs])
    # the C-FIND capture against its own floor: decoding there is Identifiers, not bytes
    decode_small = [python, "-m", "dimsewire.cli", "decode", str(small), "--port", str(PORT)]
    rows["C-FIND 1/10 floor: dpkt read + order + frame"] = (
        small, [python, __file__, "--floor", str(small)]
    )  # fmt: skip
    rows["C-FIND 1/10 --summary"] = (small, [*decode_small, "--summary"])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=200, help="capture size in MB (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 60 MB, one round")
    parser.add_argument("--capture", type=Path, help="reuse (or make) this capture file")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--no-jobs", action="store_true", help="leave out the --jobs rows")
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor is not None:
        floor(args.floor)
        return 0
    size = (60 if args.quick else args.size) * 1_000_000
    rounds = 1 if args.quick else args.rounds
    with tempfile.TemporaryDirectory(prefix="bench-capture-") as tmp:
        work = Path(tmp)
        path = args.capture or work / "store.pcap"
        if not path.exists() or path.stat().st_size < size:
            started = time.perf_counter()
            make_capture(path, size)
            print(f"made {path} ({path.stat().st_size / 1e6:.0f} MB) in "
                  f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        megabytes = path.stat().st_size / 1e6
        rows = rows_for(path, work)
        multi = jobs_rows(work / "stores4.pcap", work / "finds.pcap", work / "finds-small.pcap")
        if not args.no_jobs:
            started = time.perf_counter()
            make_capture(work / "stores4.pcap", size, associations=4)
            write_finds(work / "finds.pcap", size // 1_000_000)
            write_finds(work / "finds-small.pcap", max(10, size // 10_000_000))
            print(f"made the --jobs captures in {time.perf_counter() - started:.1f} s")
            rows.update({name: argv for name, (_, argv) in multi.items()})
        sizes = {name: path.stat().st_size / 1e6 for name, (path, _) in multi.items()}
        times: dict[str, list[float]] = {name: [] for name in rows}
        for number in range(rounds):
            order = list(rows) if number % 2 == 0 else list(rows)[::-1]
            for name in order:
                cleanup = work / "export" if "--export" in name else None
                times[name].append(_timed(rows[name], cleanup))
        speeds = {
            name: sizes.get(name, megabytes) / statistics.median(t) for name, t in times.items()
        }
    print(f"\n{megabytes:.0f} MB capture, {rounds} round(s), medians, MB/s of capture file:")
    for name, speed in speeds.items():
        print(f"  {name:<36} {speed:8.1f} MB/s  ({statistics.median(times[name]):.2f} s)")
    floor_speed = speeds["floor: dpkt read + order + frame"]
    bars = [
        ("--summary >= half the floor", speeds["dimsewire decode --summary"], floor_speed / 2),
        ("--export >= half the floor", speeds["dimsewire decode --export"], floor_speed / 2),
    ]
    if "tshark -T json" in speeds:
        json_speed, text_speed = (
            speeds["dimsewire decode --json"],
            speeds["dimsewire decode (text)"],
        )
        bars.append(("--json >= tshark -T json", json_speed, speeds["tshark -T json"]))
        bars.append(("text >= tshark -V", text_speed, speeds["tshark -V"]))
    if not args.no_jobs:  # the bars of issue 13
        one, two = speeds["C-FIND --json --jobs 1"], speeds["C-FIND --json --jobs 2"]
        bars.append(("C-FIND --json: --jobs 2 >= 1.6x --jobs 1", two, one * 1.6))
        small_floor = speeds["C-FIND 1/10 floor: dpkt read + order + frame"]
        bars.append(
            ("C-FIND 1/10: --json within 7x the floor's time",
             speeds["C-FIND 1/10 --json --jobs 1"], small_floor / 7)
        )  # fmt: skip
        bars.append(
            ("C-FIND 1/10: --summary within 4x the floor's time",
             speeds["C-FIND 1/10 --summary"], small_floor / 4)
        )  # fmt: skip
    print()
    failed = False
    for text, got, bar in bars:
        ok = got >= bar
        failed |= not ok
        print(
            f"  {'PASS' if ok else 'FAIL'}  {text}: {got:.1f} vs {bar:.1f} MB/s ({got / bar:.2f}x)"
        )
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "date": time.strftime("%Y-%m-%d %H:%M"),
                    "machine": platform.platform(),
                    "cpus": os.cpu_count(),
                    "load_average": os.getloadavg(),
                    "python": platform.python_version(),
                    "capture_mb": megabytes,
                    "rounds": rounds,
                    "times_s": times,
                    "speeds_mb_s": speeds,
                    "bars": [{"bar": t, "got": g, "needed": b, "pass": g >= b} for t, g, b in bars],
                },
                indent=2,
            )
            + "\n"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
