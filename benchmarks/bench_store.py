"""C-STORE of one large Part 10 file over 127.0.0.1: dimsewire, DCMTK and pynetdicom.

Run: python benchmarks/bench_store.py [--size 1GiB] [--rounds 5] [--pdu 16384,131072]
         [--rows TEXT[,TEXT]] [--variants V[,V]] [--dir DIR] [--examples DIR]
         [--json PATH] [--note TEXT]

The file is generated once (streamed, 1 MiB at a time, never held in memory) in a
temporary directory under --dir (it needs about 2.1 x --size free: the file and one
received copy at a time): Explicit VR Little Endian, Secondary Capture Image Storage, a
small header and one (7FE0,0010) OB element of os.urandom bytes (they do not compress),
the whole file exactly --size bytes. A 4 KiB file of the same shape is stored first in
every round.

Rows, each at every maximum PDU length of --pdu, the same on both sides of every row
(each SCP announces it, so each SCU sends P-DATA-TF PDUs of at most that size; each SCU
announces it too). 16384 is DCMTK's default; 131072 its largest (storescp -pdu allows
4096..131072).

- dimsewire -> dimsewire: examples/storescu.py -> examples/storescp.py (run with this
  Python)
- DCMTK -> DCMTK: storescu -R (only the contexts the file needs) -> storescp +B
  (bit-preserving: the data set goes to the file as received), one process, no --fork
- pynetdicom -> pynetdicom: AE.send_c_store(path) with
  _config.STORE_SEND_CHUNKED_DATASET = True (the file is sent in chunks as read, not
  decoded: pynetdicom's mode for large files) -> an AE whose EVT_C_STORE handler writes
  the File Meta and event.request.DataSet's bytes to a file (pynetdicom's default
  receive path: the data set is collected in memory)
- dimsewire -> DCMTK, DCMTK -> dimsewire

What is timed. "MB/s" is the transfer itself, seen from the kernel: every 2 ms the
harness asks, over NETLINK_SOCK_DIAG, how many bytes the SCP process has read from its
connection (tcp_info bytes_received less what waits in the receive queue), and times
how long the SCP took to read the file's bytes from 2 % to 98 % (interpolated between
samples); MB/s = 0.96 x file size / that time, MB = 10^6 bytes. The SCP cannot read
faster than it decodes and writes (TCP flow control), so the rate covers both sides and
the file writing, and no implementation's start-up, association, response or release is
in it. The sampling costs the harness 1-2 % of one core. "wall MB/s" is file size / the
SCU process's time from spawn to exit. "4 KiB store" is that time for the 4 KiB file:
start-up, association, one small C-STORE, release (DCMTK's includes two ~40 ms Nagle /
delayed-ACK waits that its big store does not always have: subtracting it from the big
store's time would flatter DCMTK, which is why it is not done).

CPU: user + system seconds of each side for the big store less those for the small one,
per GiB of file (SCU: from wait4's rusage; SCP: /proc/<pid>/stat before and after each
store, 10 ms ticks). Less disturbed by other load than the times, it shows which side
limits the pair: with 2 cores, the side whose CPU s/GiB is near 1074 / MB/s is
saturated.

Peak memory: the resident set's high-water mark, /proc/<pid>/status VmHWM, of the SCU
and SCP processes (each program's own: VmHWM belongs to the exec'd image), sampled every
10 ms while they run and read once more just before the SCP is stopped (SIGTERM). The
largest value over all rounds is reported. ru_maxrss from wait4 is kept in the JSON too;
it can be larger, since Linux counts into it the memory of the harness the child was
spawned from.

Checks: every received file's data set (the bytes after its File Meta) must have the
sha256 of the sent data set, or the round does not count and the check fails. Received
files are removed once checked.

Virtual machines: one that returns free memory to its host (Linux free page reporting,
as in Firecracker) makes writing into memory untouched for ~2 s several times slower.
The harness measures this once ("writing a new file ... after 3 s idle") and keeps it in
the JSON. Where it is large, every SCP pays part of it for the file it receives (how
much depends on which memory the kernel hands it): a cost per GiB added to every row,
which narrows the differences and adds noise; compare such runs with care.

--variants tries changes to dimsewire's storescp.py without making them: each variant
adds a row "dimsewire -> dimsewire[VARIANT]" whose storescp.py runs with asyncio patched:
readNk (the transport reads at most N KiB at once; storescp.py: 1 MiB), rcvbufNk
(SO_RCVBUF N KiB on its sockets, which turns the kernel's autotuning off); several
joined by '+'. These rows have no bars.

Rounds alternate: in every round each row runs once (the order reversed every other
round); medians over rounds. Bars, printed PASS/FAIL/SKIP, exit status 1 if one fails:
dimsewire -> dimsewire MB/s >= DCMTK -> DCMTK at each maximum PDU; every dimsewire
process (storescu.py, storescp.py, in every row) below 160 MiB peak RSS; every received
data set identical. The environment (CPU, cores, memory, load, kernel, Python, the
versions of dimsewire, pydicom, pynetdicom and DCMTK, the git commit) and every
measurement go to the JSON file (default benchmarks/results/<date>-store-<size>.json).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import platform
import re
import runpy
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLES = ROOT / "examples"  # --examples changes it
RESULTS = HERE / "results"

KiB, MiB, GiB = 1024, 1024 * 1024, 1024 * 1024 * 1024
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
SCP_AE = "STORESCP"
SCU_AE = "BENCHSCU"
HOST = "127.0.0.1"
TINY_SIZE = 4 * KiB
BLOCK = MiB
RSS_BAR_MIB = 160
SAMPLE_INTERVAL = 0.010
ROWS = (
    ("dimsewire", "dimsewire"),
    ("DCMTK", "DCMTK"),
    ("pynetdicom", "pynetdicom"),
    ("dimsewire", "DCMTK"),
    ("DCMTK", "dimsewire"),
)

# --- the test file ------------------------------------------------------------------------

_LONG_VRS = {
    b"OB",
    b"OD",
    b"OF",
    b"OL",
    b"OV",
    b"OW",
    b"SQ",
    b"SV",
    b"UC",
    b"UN",
    b"UR",
    b"UT",
    b"UV",
}


def _element(group: int, element: int, vr: str, value: bytes) -> bytes:
    """One Explicit VR Little Endian element (PS3.5 7.1.2), value padded to even."""
    if len(value) % 2:
        value += b"\0" if vr in ("UI", "OB") else b" "
    code = vr.encode("ascii")
    if code in _LONG_VRS:
        return struct.pack("<HH2s2xI", group, element, code, len(value)) + value
    return struct.pack("<HH2sH", group, element, code, len(value)) + value


def _uid() -> str:
    return f"2.25.{uuid.uuid4().int}"


@dataclass
class TestFile:
    path: Path
    size: int
    sop_instance_uid: str
    data_set_sha256: str  # of the bytes after the File Meta


def make_file(path: Path, size: int) -> TestFile:
    """Write a Part 10 file of exactly `size` bytes, streamed; see the module docstring."""
    instance = _uid()
    meta_body = b"".join(
        (
            _element(0x0002, 0x0001, "OB", b"\x00\x01"),
            _element(0x0002, 0x0002, "UI", SECONDARY_CAPTURE.encode()),
            _element(0x0002, 0x0003, "UI", instance.encode()),
            _element(0x0002, 0x0010, "UI", EXPLICIT_LE.encode()),
            _element(0x0002, 0x0012, "UI", b"1.2.826.0.1.3680043.10.543.1"),
            _element(0x0002, 0x0013, "SH", b"BENCH_STORE"),
        )
    )
    prefix = (
        b"\0" * 128 + b"DICM" + _element(0x0002, 0x0000, "UL", struct.pack("<I", len(meta_body)))
    )
    prefix += meta_body
    data_set_head = b"".join(
        (
            _element(0x0008, 0x0016, "UI", SECONDARY_CAPTURE.encode()),
            _element(0x0008, 0x0018, "UI", instance.encode()),
            _element(0x0008, 0x0060, "CS", b"OT"),
            _element(0x0010, 0x0010, "PN", b"BENCH^STORE"),
            _element(0x0010, 0x0020, "LO", b"BENCH"),
            _element(0x0020, 0x000D, "UI", _uid().encode()),
            _element(0x0020, 0x000E, "UI", _uid().encode()),
        )
    )
    value_length = size - len(prefix) - len(data_set_head) - 12
    if value_length < 2 or value_length % 2 or value_length > 0xFFFFFFFE:
        raise ValueError(
            f"--size {size}: the Pixel Data value would be {value_length} bytes; it must be "
            "even, at least 2 and below 4 GiB - 1 (make the size even, 4 KiB to ~4 GiB)"
        )
    data_set_head += struct.pack("<HH2s2xI", 0x7FE0, 0x0010, b"OB", value_length)
    digest = hashlib.sha256(data_set_head)
    with open(path, "wb") as out:
        out.write(prefix)
        out.write(data_set_head)
        left = value_length
        while left:
            block = os.urandom(min(BLOCK, left))
            digest.update(block)
            out.write(block)
            left -= len(block)
    assert path.stat().st_size == size
    return TestFile(path, size, instance, digest.hexdigest())


def data_set_sha256(path: Path) -> str:
    """sha256 of a Part 10 file's bytes after its File Meta (group 0002, Explicit VR LE)."""
    with open(path, "rb", buffering=0) as raw:
        head = raw.read(132)
        if len(head) != 132 or head[128:] != b"DICM":
            raise ValueError(f"{path}: not a Part 10 file (no DICM at byte 128)")
        pos = 132
        while True:
            raw.seek(pos)
            header = raw.read(8)
            if len(header) < 8 or struct.unpack_from("<H", header)[0] != 0x0002:
                break
            code = header[4:6]
            if code in _LONG_VRS:
                pos += 12 + struct.unpack("<I", raw.read(4))[0]
            else:
                pos += 8 + struct.unpack_from("<H", header, 6)[0]
        raw.seek(pos)
        digest = hashlib.sha256()
        buffer = bytearray(BLOCK)
        view = memoryview(buffer)
        while count := raw.readinto(buffer):
            digest.update(view[:count])
        return digest.hexdigest()


# --- processes ----------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process so far (/proc/<pid>/stat, all threads)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_kib(pid: int, key: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else None


class Sampler:
    """Reads VmHWM of the watched processes every SAMPLE_INTERVAL seconds; keeps the max."""

    def __init__(self) -> None:
        self._peaks: dict[int, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def watch(self, pid: int) -> None:
        with self._lock:
            self._peaks[pid] = 0

    def sample(self, pid: int) -> None:
        value = _status_kib(pid, "VmHWM")
        if value is not None:
            with self._lock:
                if pid in self._peaks and value > self._peaks[pid]:
                    self._peaks[pid] = value

    def release(self, pid: int) -> int:
        """The largest VmHWM seen for `pid`, in bytes; stop watching it."""
        with self._lock:
            return self._peaks.pop(pid, 0) * KiB

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL):
            with self._lock:
                pids = list(self._peaks)
            for pid in pids:
                self.sample(pid)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


# --- the transfer, measured on the SCP's socket ---------------------------------------------

_NETLINK_SOCK_DIAG = 4  # linux/netlink.h
_SOCK_DIAG_BY_FAMILY = 20  # linux/sock_diag.h
_NLM_F_REQUEST, _NLM_F_DUMP = 0x1, 0x300
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_INET_DIAG_INFO = 2  # linux/inet_diag.h: the attribute carrying struct tcp_info
_TCP_ESTABLISHED = 1
_TCPI_BYTES_RECEIVED = 128  # offset of tcpi_bytes_received in struct tcp_info (Linux 4.1+)
WIRE_FROM, WIRE_TO = 0.02, 0.98  # the part of the file whose arrival is timed
WIRE_INTERVAL = 0.002  # between samples of an open connection (one lookup, ~5 us)
WIRE_FIND_INTERVAL = 0.010  # between looks for the connection (a dump, ~1.5 ms)


class SocketDiag:
    """What the SCP has read from its connection, asked of the kernel (NETLINK_SOCK_DIAG).

    For the SCP's established TCP socket on a port: tcp_info's bytes_received less the
    bytes still waiting in its receive queue, i.e. the bytes the SCP process has taken,
    whatever it is written in. inet_diag_req_v2 and inet_diag_msg are laid out as in
    linux/inet_diag.h.
    """

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_SOCK_DIAG)

    def close(self) -> None:
        self._socket.close()

    def _ask(self, family: int, sockid: bytes, dump: bool) -> list[tuple[bytes, int | None]]:
        """(inet_diag_sockid, bytes taken by the process) of each established socket."""
        states = 1 << _TCP_ESTABLISHED
        request = struct.pack(
            "=BBBBI", family, socket.IPPROTO_TCP, 1 << (_INET_DIAG_INFO - 1), 0, states
        )
        request += sockid
        flags = _NLM_F_REQUEST | (_NLM_F_DUMP if dump else 0)
        header = struct.pack("=IHHII", 16 + len(request), _SOCK_DIAG_BY_FAMILY, flags, 1, 0)
        self._socket.send(header + request)
        found: list[tuple[bytes, int | None]] = []
        while True:
            data = self._socket.recv(65536)
            pos = 0
            while pos < len(data):
                length, kind = struct.unpack_from("=IH", data, pos)
                if kind in (_NLMSG_DONE, _NLMSG_ERROR):
                    return found
                body = pos + 16  # inet_diag_msg: 4 bytes, sockid (48), 5 x u32
                rqueue = struct.unpack_from("=I", data, body + 56)[0]
                taken = None
                attribute = body + 72
                while attribute < pos + length:
                    size, kind = struct.unpack_from("=HH", data, attribute)
                    if kind == _INET_DIAG_INFO and size >= 4 + _TCPI_BYTES_RECEIVED + 8:
                        offset = attribute + 4 + _TCPI_BYTES_RECEIVED
                        taken = struct.unpack_from("=Q", data, offset)[0] - rqueue
                    attribute += (size + 3) & ~3
                found.append((bytes(data[body + 4 : body + 52]), taken))
                pos += (length + 3) & ~3
            if not dump:
                return found

    def find(self, port: int) -> tuple[int, bytes] | None:
        """The established connection whose local port is `port` (a dump, ~1 ms)."""
        for family in (socket.AF_INET, socket.AF_INET6):
            found = self._ask(family, struct.pack(">HH", port, 0) + bytes(44), dump=True)
            if found:
                return family, found[0][0][:40] + b"\xff" * 8  # INET_DIAG_NOCOOKIE
        return None

    def taken(self, connection: tuple[int, bytes]) -> int | None:
        """Bytes the process has read from `connection` so far (one lookup, ~5 us)."""
        found = self._ask(*connection, dump=False)
        return found[0][1] if found else None


class WireProbe(threading.Thread):
    """Samples, every WIRE_INTERVAL s, what the SCP has read of the SCU's connection.

    Started when the SCU is spawned, stopped when it exits; `seconds_for(size)` is then
    the time the SCP took to read bytes WIRE_FROM to WIRE_TO of a store of `size`
    bytes, times interpolated between samples: the transfer itself, without start-up,
    association, the last fragments, the response or the release.
    """

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.samples: list[tuple[float, int]] = []
        self.error: str | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            diag = SocketDiag()
        except OSError as err:
            self.error = f"no NETLINK_SOCK_DIAG: {err}"
            return
        try:
            connection = None
            while connection is None and not self._halt.wait(WIRE_FIND_INTERVAL):
                connection = diag.find(self.port)
            while connection is not None and not self._halt.is_set():
                taken = diag.taken(connection)
                if taken is None:
                    break  # the connection is closed
                self.samples.append((time.perf_counter(), taken))
                time.sleep(WIRE_INTERVAL)
        finally:
            diag.close()

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def _crossing(self, level: float) -> float | None:
        previous = None
        for when, taken in self.samples:
            if taken >= level:
                if previous is None or taken == previous[1]:
                    return when
                then, before = previous
                return then + (when - then) * (level - before) / (taken - before)
            previous = (when, taken)
        return None

    def seconds_for(self, size: int) -> float | None:
        start, end = self._crossing(WIRE_FROM * size), self._crossing(WIRE_TO * size)
        if start is None or end is None or end <= start:
            return None
        return end - start


def _environment_for_children() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    env.pop("PYTHONTRACEMALLOC", None)
    return env


# --- dimsewire changes tried without changing dimsewire (--variants) ----------------------


def _patch_read_size(size: int) -> None:
    """asyncio's selector transport reads at most `size` bytes at once, whatever the
    program sets (storescp.py sets its READ_SIZE)."""
    from asyncio import selector_events  # noqa: PLC0415

    def ignore(transport: Any, value: int) -> None:
        pass

    transport = getattr(selector_events, "_SelectorSocketTransport")  # noqa: B009
    setattr(transport, "max_size", property(lambda _: size, ignore))  # noqa: B010


def _patch_rcvbuf(size: int) -> None:
    """Every socket a selector transport gets has SO_RCVBUF `size` (no autotuning)."""
    from asyncio import selector_events  # noqa: PLC0415

    transport = getattr(selector_events, "_SelectorSocketTransport")  # noqa: B009
    init = transport.__init__

    def patched(self: Any, loop: Any, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
        init(self, loop, sock, *args, **kwargs)

    setattr(transport, "__init__", patched)  # noqa: B010


PATCHES: dict[str, Callable[[], None]] = {
    **{f"read{n}k": partial(_patch_read_size, n * KiB) for n in (64, 256, 512, 2048, 4096)},
    **{f"rcvbuf{n}k": partial(_patch_rcvbuf, n * KiB) for n in (1024, 4096, 8192)},
}


def launch(patches: str, script: str, args: list[str]) -> int:
    """Run `script` as __main__ with `args`, dimsewire patched first ('+'-separated)."""
    for name in filter(None, patches.split("+")):
        PATCHES[name]()
    sys.argv = [script, *args]
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0 if done.code is None else 1
    return 0


def _split_kind(kind: str) -> tuple[str, str]:
    """'dimsewire[read256k+rcvbuf4096k]' -> ('dimsewire', 'read256k+rcvbuf4096k')."""
    base, _, rest = kind.partition("[")
    return base, rest.rstrip("]")


def _dimsewire(script: str, patches: str, args: list[str]) -> list[str]:
    if not patches:
        return [sys.executable, str(EXAMPLES / script), *args]
    here = str(Path(__file__).resolve())
    return [sys.executable, here, "--launch", patches, str(EXAMPLES / script), *args]


def scu_argv(kind: str, port: int, path: Path, pdu: int) -> list[str]:
    """The command line of one SCU storing `path` to 127.0.0.1:`port`."""
    kind, patches = _split_kind(kind)
    if kind == "dimsewire":
        options = f"--aet {SCU_AE} --aec {SCP_AE} --max-pdu {pdu}".split()
        return _dimsewire("storescu.py", patches, [HOST, str(port), str(path), *options])
    if kind == "DCMTK":
        options = f"-aet {SCU_AE} -aec {SCP_AE} -pdu {pdu} -R".split()
        return ["storescu", *options, HOST, str(port), str(path)]
    here = str(Path(__file__).resolve())
    return [sys.executable, here, "--pynetdicom-scu", str(port), str(path), str(pdu)]


def scp_argv(kind: str, port: int, out: Path, pdu: int) -> list[str]:
    """The command line of one SCP listening on `port`, writing received files into `out`."""
    kind, patches = _split_kind(kind)
    if kind == "dimsewire":
        options = f"--port {port} --aet {SCP_AE} --max-pdu {pdu}".split()
        return _dimsewire("storescp.py", patches, [*options, "--out", str(out)])
    if kind == "DCMTK":
        options = f"-aet {SCP_AE} +B -pdu {pdu} -dhl".split()
        return ["storescp", *options, "-od", str(out), str(port)]
    here = str(Path(__file__).resolve())
    return [sys.executable, here, "--pynetdicom-scp", str(port), str(out), str(pdu)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    """Whether a socket listens on `port` (read from /proc/net/tcp*, no connection made)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    return True
    return False


def _tail(path: Path, lines: int = 12) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


class RunError(Exception):
    """One store could not be run or checked."""


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    argv: list[str]
    log: Path
    started: float

    @property
    def pid(self) -> int:
        return self.popen.pid


def _spawn(argv: list[str], log: Path, sampler: Sampler) -> Process:
    with open(log, "ab") as out:
        started = time.perf_counter()
        popen = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=_environment_for_children(),
        )
    sampler.watch(popen.pid)
    return Process(popen, argv, log, started)


@dataclass
class Exit:
    code: int
    seconds: float  # from spawn to exit
    hwm: int  # largest VmHWM sampled, bytes
    maxrss: int  # ru_maxrss from wait4, bytes (0 if Popen.poll reaped it first)
    cpu: float  # user + system seconds


def _reap(proc: Process, sampler: Sampler) -> Exit:
    """Wait for `proc` and collect what it used."""
    if proc.popen.returncode is not None:
        return Exit(proc.popen.returncode, 0.0, sampler.release(proc.pid), 0, 0.0)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - proc.started
    proc.popen.returncode = os.waitstatus_to_exitcode(status)
    return Exit(
        proc.popen.returncode,
        elapsed,
        sampler.release(proc.pid),
        usage.ru_maxrss * KiB,
        usage.ru_utime + usage.ru_stime,
    )


def _wait_exit(proc: Process, timeout: float) -> None:
    """Block until `proc` has exited (without reaping it), or raise RunError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # waitid with WNOWAIT leaves the child to be reaped by wait4 (for its rusage)
        info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is not None:
            return
        time.sleep(0.005)
    proc.popen.kill()
    raise RunError(f"{' '.join(proc.argv)} did not finish within {timeout:.0f} s")


@dataclass
class Store:
    seconds: float  # SCU from spawn to exit
    wire_seconds: float | None  # the SCP reading bytes WIRE_FROM to WIRE_TO of the file
    scu_hwm: int
    scu_maxrss: int
    scu_cpu: float  # the SCU's user + system seconds
    scp_cpu: float  # the SCP's user + system seconds while this store ran


@dataclass
class Round:
    tiny: Store
    big: Store
    scp_hwm: int
    scp_maxrss: int


def _find_received(out: Path, uid: str) -> Path | None:
    for path in out.rglob("*"):
        if path.is_file() and uid in path.name and not path.name.endswith(".partial"):
            return path
    return None


def run_round(
    scu: str,
    scp: str,
    pdu: int,
    files: tuple[TestFile, TestFile],
    work: Path,
    sampler: Sampler,
    timeout: float,
) -> Round:
    """Start the SCP, store the tiny then the big file, stop the SCP, check both files."""
    out = Path(tempfile.mkdtemp(prefix="received-", dir=work))
    log = work / "logs" / f"{scu}-to-{scp}-{pdu}.log"
    log.parent.mkdir(exist_ok=True)
    port = _free_port()
    server = _spawn(scp_argv(scp, port, out, pdu), log, sampler)
    try:
        deadline = time.monotonic() + 30
        while not _listening(port):
            if server.popen.poll() is not None:
                raise RunError(f"{scp} SCP exited ({server.popen.returncode}):\n{_tail(log)}")
            if time.monotonic() > deadline:
                raise RunError(f"{scp} SCP not listening on {port} after 30 s:\n{_tail(log)}")
            time.sleep(0.01)
        stores = []
        for test in files:
            before = _cpu_seconds(server.pid) or 0.0
            probe = WireProbe(port)
            client = _spawn(scu_argv(scu, port, test.path, pdu), log, sampler)
            probe.start()
            try:
                _wait_exit(client, timeout)
            finally:
                probe.stop()
            done = _reap(client, sampler)
            scp_cpu = (_cpu_seconds(server.pid) or 0.0) - before
            if done.code != 0:
                raise RunError(
                    f"{scu} SCU exited {done.code} storing {test.path.name}:\n{_tail(log)}"
                )
            wire = probe.seconds_for(test.size) if test.size > TINY_SIZE else None
            if wire is None and test.size > TINY_SIZE:
                raise RunError(
                    f"the transfer was not seen on port {port} ({probe.error or 'too few samples'}"
                    f", {len(probe.samples)} samples)"
                )
            stores.append(Store(done.seconds, wire, done.hwm, done.maxrss, done.cpu, scp_cpu))
        sampler.sample(server.pid)  # the SCP's final high-water mark, before it stops
    finally:
        if server.popen.poll() is None:
            server.popen.send_signal(signal.SIGTERM)
            with contextlib.suppress(RunError):  # then it was killed
                _wait_exit(server, 10)
        stopped = _reap(server, sampler)
    try:
        for test in files:
            received = None
            for _ in range(200):  # a file renamed after the response: wait up to 2 s
                if (received := _find_received(out, test.sop_instance_uid)) is not None:
                    break
                time.sleep(0.01)
            if received is None:
                names = sorted(p.name for p in out.rglob("*"))[:5]
                raise RunError(f"no received file for {test.sop_instance_uid} in {out}: {names}")
            got = data_set_sha256(received)
            if got != test.data_set_sha256:
                raise RunError(
                    f"{received.name}: data set sha256 {got[:16]}..., sent "
                    f"{test.data_set_sha256[:16]}... ({received.stat().st_size} bytes received)"
                )
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return Round(stores[0], stores[1], stopped.hwm, stopped.maxrss)


# --- pynetdicom's SCU and SCP (run as child processes of this script) ---------------------
# pynetdicom and pydicom are imported in the child only: the harness stays small.


def pynetdicom_scu(port: int, path: str, pdu: int) -> int:
    from pynetdicom import AE, _config  # noqa: PLC0415

    _config.STORE_SEND_CHUNKED_DATASET = True
    ae = AE(ae_title=SCU_AE)
    ae.maximum_pdu_size = pdu
    ae.add_requested_context(SECONDARY_CAPTURE, [EXPLICIT_LE])
    assoc = ae.associate(HOST, port, ae_title=SCP_AE)
    if not assoc.is_established:
        print("pynetdicom SCU: association not established", file=sys.stderr)
        return 2
    status = assoc.send_c_store(path)
    assoc.release()
    if status is None or getattr(status, "Status", None) != 0:
        print(f"pynetdicom SCU: C-STORE status {status}", file=sys.stderr)
        return 1
    return 0


def pynetdicom_scp(port: int, out: str, pdu: int) -> int:
    from pydicom.filebase import DicomFileLike  # noqa: PLC0415
    from pydicom.filewriter import write_file_meta_info  # noqa: PLC0415
    from pydicom.uid import ImplicitVRLittleEndian  # noqa: PLC0415
    from pynetdicom import AE, evt  # noqa: PLC0415

    def handle_store(event: Any) -> int:
        request = event.request
        path = Path(out) / f"{request.AffectedSOPInstanceUID}.dcm"
        with open(path, "wb") as file:
            file.write(b"\0" * 128 + b"DICM")
            write_file_meta_info(DicomFileLike(file), event.file_meta, enforce_standard=True)
            file.write(request.DataSet.getbuffer())
        return 0x0000

    ae = AE(ae_title=SCP_AE)
    ae.maximum_pdu_size = pdu
    ae.add_supported_context(SECONDARY_CAPTURE, [EXPLICIT_LE, ImplicitVRLittleEndian])
    ae.start_server((HOST, port), block=True, evt_handlers=[(evt.EVT_C_STORE, handle_store)])
    return 0


# --- report -------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*", text, re.IGNORECASE)
    if not found:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 64MiB, 1GiB, 4GiB)")
    number, unit = float(found.group(1)), (found.group(2) or "B").upper()
    scale = {
        "B": 1,
        "KIB": KiB,
        "MIB": MiB,
        "GIB": GiB,
        "TIB": 1024 * GiB,
        "KB": 10**3,
        "MB": 10**6,
        "GB": 10**9,
        "TB": 10**12,
    }[unit]
    return int(number * scale)


def size_label(size: int) -> str:
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if size >= scale and size % scale == 0:
            return f"{size // scale}{unit}"
    return f"{size}B"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _dcmtk_version() -> str | None:
    with contextlib.suppress(OSError):
        text = subprocess.run(
            ["storescu", "--version"], capture_output=True, text=True, check=False
        ).stdout
        found = re.search(r"storescu v(\S+)", text)
        return found.group(1) if found else None
    return None


def _cpu() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _git() -> dict[str, Any]:
    def run(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    with contextlib.suppress(OSError):
        changed = run(
            "status", "--porcelain", "--untracked-files=no", "--", "dimsewire", "examples"
        )
        return {"commit": run("rev-parse", "HEAD"), "dimsewire_or_examples_modified": bool(changed)}
    return {}


def fresh_memory_penalty(directory: Path, size: int = 128 * MiB) -> dict[str, float]:
    """Seconds per GiB to write a new file into memory freed just before, and into memory
    left free for 3 s.

    On a VM that hands free memory back to its host (Linux free page reporting, e.g.
    Firecracker with a balloon), memory not touched for about 2 s is slow to touch again
    (each page faults on the host): every SCP pays some of that for the received file.
    Where the two figures are close, the machine does not do this."""
    block = os.urandom(MiB)
    path = directory / "probe.bin"

    def write() -> float:
        start = time.perf_counter()
        with open(path, "wb", buffering=0) as out:
            for _ in range(size // MiB):
                out.write(block)
        elapsed = time.perf_counter() - start
        path.unlink()
        return elapsed * GiB / size

    write()
    hot = min(write(), write())
    time.sleep(3)
    cold = write()
    return {"hot_s_per_gib": hot, "after_3s_idle_s_per_gib": cold}


def _machine() -> dict[str, Any]:
    """Virtualisation and memory facts that change what a store costs (see the docstring)."""
    flags = ""
    with contextlib.suppress(OSError):
        found = re.search(r"^flags\s*:(.*)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
        flags = found.group(1) if found else ""
    return {
        "hypervisor": " hypervisor" in flags,
        "free_page_reporting": Path("/sys/module/page_reporting").exists(),
    }


def _examples() -> dict[str, str | None]:
    """sha256 (first 16 hex digits) of the example programs run, for the record."""
    found: dict[str, str | None] = {}
    for name in ("storescu.py", "storescp.py"):
        path = EXAMPLES / name
        found[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else None
    return found


def environment() -> dict[str, Any]:
    memory = _status_kib(os.getpid(), "VmHWM")  # the harness itself, for the record
    total = None
    with contextlib.suppress(OSError):
        found = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        total = int(found.group(1)) * KiB if found else None
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": _cpu(),
        "cpus": os.cpu_count(),
        "memory_bytes": total,
        "kernel": platform.release(),
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "load_average_start": os.getloadavg(),
        "harness_peak_rss_bytes": memory * KiB if memory else None,
        "versions": {
            "dimsewire": _version("dimsewire"),
            "pydicom": _version("pydicom"),
            "pynetdicom": _version("pynetdicom"),
            "dcmtk": _dcmtk_version(),
        },
        "git": _git(),
        "examples": _examples(),
        **_machine(),
    }


@dataclass
class Row:
    scu: str
    scp: str
    pdu: int
    rounds: list[Round] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.scu} -> {self.scp}"

    def summary(self, size: int) -> dict[str, Any]:
        result: dict[str, Any] = {
            "scu": self.scu,
            "scp": self.scp,
            "max_pdu": self.pdu,
            "rounds_ok": len(self.rounds),
            "errors": self.errors,
        }
        if not self.rounds:
            return result
        per_gib = GiB / size
        scu_cpu = [r.big.scu_cpu - r.tiny.scu_cpu for r in self.rounds]
        scp_cpu = [r.big.scp_cpu - r.tiny.scp_cpu for r in self.rounds]
        walls = [r.big.seconds for r in self.rounds]
        wires = [r.big.wire_seconds for r in self.rounds if r.big.wire_seconds]
        timed = (WIRE_TO - WIRE_FROM) * size / 1e6
        result.update(
            wall_seconds=walls,
            wire_seconds=wires,
            small_store_seconds=[r.tiny.seconds for r in self.rounds],
            wall_mb_s=size / 1e6 / statistics.median(walls),
            wire_mb_s=timed / statistics.median(wires),
            wire_mb_s_min=timed / max(wires),
            wire_mb_s_max=timed / min(wires),
            small_store_median_seconds=statistics.median(r.tiny.seconds for r in self.rounds),
            scu_cpu_seconds=scu_cpu,
            scp_cpu_seconds=scp_cpu,
            scu_cpu_s_per_gib=statistics.median(scu_cpu) * per_gib,
            scp_cpu_s_per_gib=statistics.median(scp_cpu) * per_gib,
            scu_peak_rss=max(max(r.big.scu_hwm, r.tiny.scu_hwm) for r in self.rounds),
            scp_peak_rss=max(r.scp_hwm for r in self.rounds),
            scu_ru_maxrss=max(r.big.scu_maxrss for r in self.rounds),
            scp_ru_maxrss=max(r.scp_maxrss for r in self.rounds),
        )
        return result


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / MiB:,.1f} MiB"


def print_table(summaries: list[dict[str, Any]]) -> None:
    header = (
        "row",
        "max PDU",
        "MB/s (min-max)",
        "wall MB/s",
        "4 KiB store",
        "CPU s/GiB SCU+SCP",
        "SCU peak RSS",
        "SCP peak RSS",
        "rounds",
    )
    names = [f"{row['scu']} -> {row['scp']}" for row in summaries]
    widths = (max(26, *map(len, names)), 8, 21, 10, 12, 18, 13, 13, 7)

    def line(cells: tuple[str, ...]) -> str:
        return " ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(header))
    for row in summaries:
        name = f"{row['scu']} -> {row['scp']}"
        if "wire_mb_s" in row:
            cells = (
                name,
                str(row["max_pdu"]),
                f"{row['wire_mb_s']:,.0f} ({row['wire_mb_s_min']:,.0f}-"
                f"{row['wire_mb_s_max']:,.0f})",
                f"{row['wall_mb_s']:,.0f}",
                f"{row['small_store_median_seconds']:.2f} s",
                f"{row['scu_cpu_s_per_gib']:.2f} + {row['scp_cpu_s_per_gib']:.2f}",
                _mib(row["scu_peak_rss"]),
                _mib(row["scp_peak_rss"]),
                f"{row['rounds_ok']}",
            )
        else:
            cells = (name, str(row["max_pdu"]), "failed", *("-",) * 5, "0")
        print(line(cells))
        for error in row["errors"]:
            print("    " + error.replace("\n", "\n    "))


def bars(summaries: list[dict[str, Any]], pdus: list[int], size: int) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []

    def check(bar: str, ok: bool | None, measured: str, value: float | None = None) -> None:
        result = "SKIP" if ok is None else "PASS" if ok else "FAIL"
        checks.append({"bar": bar, "result": result, "measured": measured, "value": value})

    def find(scu: str, scp: str, pdu: int) -> dict[str, Any] | None:
        return next(
            (r for r in summaries if (r["scu"], r["scp"], r["max_pdu"]) == (scu, scp, pdu)), None
        )

    for pdu in pdus:
        ours, theirs = find("dimsewire", "dimsewire", pdu), find("DCMTK", "DCMTK", pdu)
        text = f"dimsewire -> dimsewire MB/s >= DCMTK -> DCMTK (max PDU {pdu})"
        if ours is None or theirs is None:
            check(text, None, "not run")
        elif "wire_mb_s" not in ours or "wire_mb_s" not in theirs:
            check(text, None, "a row failed")
        else:
            a, b = ours["wire_mb_s"], theirs["wire_mb_s"]
            check(text, a >= b, f"{a:,.0f} vs {b:,.0f} MB/s, {a / b:.2f}x", a / b)
    for side, program in (("scu", "examples/storescu.py"), ("scp", "examples/storescp.py")):
        measured = [
            (r[f"{side}_peak_rss"], f"{r['scu']} -> {r['scp']} @{r['max_pdu']}")
            for r in summaries
            if r[side] == "dimsewire" and f"{side}_peak_rss" in r
        ]
        text = f"{program} peak RSS < {RSS_BAR_MIB} MiB in every row (file {size_label(size)})"
        if not measured:
            check(text, None, "not run")
        else:
            peak, where = max(measured)
            check(text, peak < RSS_BAR_MIB * MiB, f"max {_mib(peak)} ({where})", peak)
    failures = sum(len(r["errors"]) for r in summaries)
    stores = sum(r["rounds_ok"] for r in summaries)
    check(
        "every store completed and its data set arrived identical (sha256)",
        failures == 0 if stores or failures else None,
        f"{stores} rounds identical, {failures} failed",
    )
    return checks


def main(argv: list[str] | None = None) -> int:
    global EXAMPLES  # noqa: PLW0603
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--launch"]:  # a patched dimsewire example (see --variants)
        return launch(argv[1], argv[2], argv[3:])
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--size", type=parse_size, default=GiB, help="file size (default 1GiB)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument(
        "--pdu",
        default="16384,131072",
        help="maximum PDU lengths, comma-separated (DCMTK: 4096..131072)",
    )
    parser.add_argument(
        "--rows",
        default="",
        help="comma-separated; run rows whose 'SCU -> SCP' name contains one "
        "(case-insensitive), e.g. 'dimsewire ->,-> dimsewire'",
    )
    parser.add_argument(
        "--variants",
        default="",
        help="comma-separated; each adds a row 'dimsewire -> dimsewire[VARIANT]' whose SCP runs"
        f" with asyncio patched: {', '.join(PATCHES)}, or several joined by '+'",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(tempfile.gettempdir()),
        help="where the temporary directory goes (needs ~2.1x --size free)",
    )
    parser.add_argument(
        "--examples",
        type=Path,
        default=EXAMPLES,
        help="directory holding the dimsewire storescu.py and storescp.py",
    )
    parser.add_argument(
        "--json", type=Path, help="default benchmarks/results/<date>-store-<size>.json"
    )
    parser.add_argument(
        "--note", default="", help="kept in the JSON (e.g. 'noisy, shared machine')"
    )
    parser.add_argument("--pynetdicom-scu", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--pynetdicom-scp", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.pynetdicom_scu:
        port, path, pdu = args.pynetdicom_scu
        return pynetdicom_scu(int(port), path, int(pdu))
    if args.pynetdicom_scp:
        port, out, pdu = args.pynetdicom_scp
        return pynetdicom_scp(int(port), out, int(pdu))

    EXAMPLES = args.examples.resolve()
    pdus = [int(p) for p in args.pdu.split(",") if p.strip()]
    terms = [t.strip().lower() for t in args.rows.split(",") if t.strip()]
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = {p for v in variants for p in v.split("+")} - set(PATCHES)
    if unknown:
        parser.error(
            f"--variants: unknown {', '.join(sorted(unknown))}; known: {', '.join(PATCHES)}"
        )
    pairs = [*ROWS, *(("dimsewire", f"dimsewire[{v}]") for v in variants)]
    rows = [
        Row(scu, scp, pdu)
        for pdu in pdus
        for scu, scp in pairs
        if not terms or any(t in f"{scu} -> {scp}".lower() for t in terms)
    ]
    missing = [p for p in ("storescu.py", "storescp.py") if not (EXAMPLES / p).exists()]
    if missing and any("dimsewire" in r.name for r in rows):
        names = " and ".join(str(EXAMPLES / p) for p in missing)
        print(f"{names} missing: the dimsewire rows will fail")
    for tool in ("storescu", "storescp"):
        if shutil.which(tool) is None and any("DCMTK" in (r.scu, r.scp) for r in rows):
            print(f"DCMTK {tool} not on PATH: the DCMTK rows will fail")
    free = shutil.disk_usage(args.dir).free
    if free < 2.1 * args.size + 64 * MiB:
        print(
            f"{args.dir}: {free / GiB:.1f} GiB free, {2.1 * args.size / GiB:.1f} GiB needed"
            " (the file and one received copy); choose another with --dir"
        )
        return 2

    env = environment()
    env.update(size=args.size, rounds=args.rounds, max_pdus=pdus, note=args.note)
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    print(
        f"{env['date']}  {env['cpu']}, {env['cpus']} CPUs, load {env['load_average_start'][0]:.2f},"
        f" Linux {env['kernel']}, Python {env['python']}\n{versions}\n"
        f"file {size_label(args.size)} ({args.size:,} bytes), {args.rounds} alternating rounds,"
        f" medians; max PDU {', '.join(map(str, pdus))} on both sides of every row\n"
    )
    timeout = 120 + args.size / (5 * 10**6)  # far beyond 5 MB/s
    sampler = Sampler()
    work = Path(tempfile.mkdtemp(prefix="bench-store-", dir=args.dir))
    try:
        started = time.perf_counter()
        big = make_file(work / "big.dcm", args.size)
        made = time.perf_counter() - started
        tiny = make_file(work / "tiny.dcm", TINY_SIZE)
        print(
            f"generated {big.path} in {made:.1f} s; data set sha256 {big.data_set_sha256[:16]}..."
        )
        probe = fresh_memory_penalty(work)
        env["fresh_memory"] = probe
        print(
            f"writing a new file: {probe['hot_s_per_gib']:.2f} s/GiB into memory freed just before,"
            f" {probe['after_3s_idle_s_per_gib']:.2f} s/GiB after 3 s idle",
            end="",
        )
        if probe["after_3s_idle_s_per_gib"] > 2 * probe["hot_s_per_gib"] + 0.1:
            print(
                " (this machine returns idle memory to its host: every SCP pays part of that"
                " for the received file, which narrows the differences between rows)"
            )
        else:
            print()
        for number in range(args.rounds):
            order = rows if number % 2 == 0 else rows[::-1]
            for row in order:
                try:
                    row.rounds.append(
                        run_round(row.scu, row.scp, row.pdu, (tiny, big), work, sampler, timeout)
                    )
                except RunError as err:
                    row.errors.append(f"round {number + 1}: {err}")
            print(
                f"round {number + 1}/{args.rounds} done ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    finally:
        sampler.close()
        shutil.rmtree(work, ignore_errors=True)
    env["load_average_end"] = os.getloadavg()

    summaries = [row.summary(args.size) for row in rows]
    print()
    print_table(summaries)
    checks = bars(summaries, pdus, args.size)
    print("\nresult  bar (measured)")
    for item in checks:
        print(f"{item['result']:6}  {item['bar']} ({item['measured']})")
    failed = [c for c in checks if c["result"] == "FAIL"]
    print(
        f"\n{sum(c['result'] == 'PASS' for c in checks)} PASS, {len(failed)} FAIL, "
        f"{sum(c['result'] == 'SKIP' for c in checks)} SKIP"
    )
    path = args.json or RESULTS / f"{datetime.date.today()}-store-{size_label(args.size)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as out:
        json.dump({"environment": env, "results": summaries, "bars": checks}, out, indent=2)
        out.write("\n")
    print(f"written {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
