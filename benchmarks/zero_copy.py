"""What zero-copy techniques buy when streaming a C-STORE data set over 127.0.0.1.

Run: python benchmarks/zero_copy.py [--size 256MiB] [--rounds 3] [--pdu 16384,131072]
                                    [--only TEXT[,TEXT]] [--profile] [--json PATH]

One C-STORE-RQ of a generated Part 10 file (benchmarks/bench_store.py's generator) goes
from a sender process to a receiver process over TCP on 127.0.0.1, with plain blocking
sockets; no A-ASSOCIATE on the wire: each side's AssociationEndpoint is brought to the
established state in-process, so the bytes on the wire are the message's P-DATA-TF PDUs.
The sender shuts its writing half down after the last PDU; the receiver answers one byte
when it has the whole message (written to a file where the variant says so), and the
sender's clock stops on that byte.

Two families, each against a fixed lean peer, so that one side's technique is measured:

- send-*: the sender under test, the receiver recv_into()s a reused 1 MiB buffer and
  drops the bytes (no decoding);
- recv-*: the receiver under test, the sender writes each 1 MiB block of the file with
  one sendmsg() of every PDU header and fragment in it (send-block-sendmsg).

Reported per variant: MB/s (file size / the sender's wall time, median of the rounds),
and the CPU seconds (user + system, getrusage of the process during the transfer) per
GiB of each side, medians: on a shared machine the CPU figures move much less than the
times. MB = 10^6 bytes.

A third part, reassemble-*, times the Reassembler alone in memory (no socket): the PDUs
of the same message fed as bytes chunks of 64 KiB / 256 KiB that do not fall on PDU
boundaries, against chunks that are exactly one PDU each, and against a prototype of a
receive_data that completes a straddling PDU and frames the rest of each bytes chunk in
place (see InPlaceReassembler below). --profile adds cProfile listings of the default
receiving and sending paths.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime
import io
import json
import os
import pstats
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_store  # noqa: E402

from dimsewire import (  # noqa: E402
    C_STORE,
    IMPLEMENTATION_CLASS_UID,
    AssociationEndpoint,
    DataSetFragmentReceived,
    MessageReceived,
    MessageStarted,
    Reassembler,
)
from dimsewire.association import answer_contexts  # noqa: E402
from dimsewire.codec import fragmenter  # noqa: E402
from dimsewire.codec.framing import LAST, P_DATA_TF, SINGLE_PDV_HEADER  # noqa: E402
from dimsewire.part10 import Part10Writer, open_data_set  # noqa: E402
from dimsewire.pdus import associate_ac, associate_rq  # noqa: E402

MiB, GiB = 1024 * 1024, 1024 * 1024 * 1024
SC = bench_store.SECONDARY_CAPTURE
TS = bench_store.EXPLICIT_LE

SEND_VARIANTS = {
    "send-sendmsg": "stream_message, one sendmsg(buffers) per PDU (READ_BLOCK 1 MiB)",
    "send-join": "stream_message, sendall(b''.join(buffers)) per PDU",
    "send-batch-copy": "stream_message, PDUs copied into a 256 KiB bytearray, sendall when full",
    "send-readblock-64k": "send-sendmsg with READ_BLOCK = 64 KiB",
    "send-readblock-4m": "send-sendmsg with READ_BLOCK = 4 MiB",
    "send-asyncio": "stream_message, asyncio writer.writelines(buffers) + drain() per PDU",
    "send-block-sendmsg": "not dimsewire's API: readinto 1 MiB, one sendmsg of all its PDUs",
    "send-sendfile": "not dimsewire's API: header send(MSG_MORE) + os.sendfile per PDU",
}
RECV_VARIANTS = {
    "recv-floor": "recv_into a reused 1 MiB buffer, bytes dropped (no decoding): the I/O floor",
    "recv-64k-nowrite": "recv(65536) -> endpoint -> events, fragments not written",
    "recv-64k": "recv(65536) -> endpoint -> events -> Part10Writer",
    "recv-64k-buffered": "recv-64k, the writer's file given a 1 MiB buffer (Part10Writer: 4 KiB)",
    "recv-64k-writev": "recv-64k, fragments kept (views, no copy) and os.writev'd per ~1 MiB",
    "recv-256k": "recv(262144) -> endpoint -> events -> Part10Writer",
    "recv-1m": "recv(1 MiB) -> endpoint -> events -> Part10Writer",
    "recv-into-256k": "recv_into a reused 256 KiB bytearray -> receive_data(view[:n]) -> writer",
    "recv-asyncio-protocol": "asyncio Protocol.data_received (reads of up to 256 KiB) -> writer",
    "recv-asyncio-streams": "asyncio StreamReader.read(65536) -> endpoint -> writer",
    "recv-inplace-256k": "recv(262144) -> prototype InPlaceReassembler -> writer",
}


# --- endpoints brought to the established state in-process -------------------------------


def _request(pdu: int) -> Any:
    return associate_rq(
        "SCP",
        "SCU",
        [(1, SC, [TS])],
        max_length=pdu,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
    )


def sender_endpoint(pdu: int) -> AssociationEndpoint:
    """A requestor whose association is established, its peer announcing `pdu`."""
    scu = AssociationEndpoint("requestor", max_pdu_length=pdu)
    scp = AssociationEndpoint("acceptor", max_pdu_length=pdu)
    request = _request(pdu)
    scp.receive_data(scu.send_pdu(request))
    list(scp.events())
    accept = associate_ac(
        request,
        answer_contexts(request, {SC: [TS]}),
        max_length=pdu,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
    )
    scu.receive_data(scp.send_pdu(accept))
    list(scu.events())
    return scu


def receiver_endpoint(
    pdu: int, reassembler: type[Reassembler] | None = None
) -> AssociationEndpoint:
    """An acceptor that has accepted context 1 and streams C-STORE data sets."""
    scu = AssociationEndpoint("requestor", max_pdu_length=pdu)
    scp = AssociationEndpoint(
        "acceptor", max_pdu_length=pdu, stream_data_sets=lambda p: isinstance(p, C_STORE)
    )
    if reassembler is not None:  # the prototype below, for the recv-inplace variant
        scp._reassembler = reassembler(
            max_pdu_length=pdu, stream_data_sets=lambda p: isinstance(p, C_STORE)
        )
    request = _request(pdu)
    scp.receive_data(scu.send_pdu(request))
    list(scp.events())
    scp.send_pdu(
        associate_ac(
            request,
            answer_contexts(request, {SC: [TS]}),
            max_length=pdu,
            implementation_class_uid=IMPLEMENTATION_CLASS_UID,
        )
    )
    return scp


def store_request(path: Path) -> C_STORE:
    with open_data_set(path) as data_set:
        instance = data_set.sop_instance_uid
    prim = C_STORE()
    prim.MessageID = 1
    prim.AffectedSOPClassUID = SC
    prim.AffectedSOPInstanceUID = instance
    prim.DataSet = path
    return prim


# --- a prototype: framing received bytes in place across chunk boundaries ----------------


_RECEIVE_DATA = Reassembler.receive_data  # dimsewire's own, kept before any patch


def receive_data_in_place(self: Reassembler, data: bytes | bytearray | memoryview) -> None:
    """Reassembler.receive_data that copies only the PDU straddling two chunks.

    dimsewire's receive_data frames a ``bytes`` chunk in place only when nothing is left
    over from the previous one; after a chunk that ends inside a PDU (almost every chunk
    from a socket) the rest of the stream goes through its bytearray: appended (one
    copy) and each P-DATA-TF body copied out again with tobytes() (a second copy), until
    a chunk happens to end on a PDU boundary. Here the straddling PDU is completed from
    the new chunk (a copy of that one PDU) and framed, then the rest of the chunk is
    framed where it is. A prototype for measuring: it reaches into private attributes,
    and a fault in an earlier PDU is raised from here instead of from next_event.
    """
    if type(data) is not bytes or len(self._buffer) == self._pos:
        _RECEIVE_DATA(self, data)
        return
    while self._frame_one():  # frame what is whole in the old buffer first
        pass
    buffer, pos = self._buffer, self._pos
    left = len(buffer) - pos
    head = bytes(buffer[pos : pos + 6])
    if left < 6:
        head += data[: 6 - left]
        if len(head) < 6:
            _RECEIVE_DATA(self, data)
            return
    need = 6 + int.from_bytes(head[2:6], "big") - left
    if need > len(data):
        _RECEIVE_DATA(self, data)
        return
    pdu = bytes(buffer[pos:]) + data[:need]
    self._consumed += pos
    self._buffer, self._pos = pdu, 0
    while self._frame_one():
        pass
    self._consumed += len(pdu) - need
    self._buffer, self._pos = data, need


class InPlaceReassembler(Reassembler):
    """A Reassembler with :func:`receive_data_in_place`."""

    receive_data = receive_data_in_place


# --- the two roles -------------------------------------------------------------------------


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _sendmsg_all(sock: socket.socket, buffers: list[Any]) -> None:
    sent = sock.sendmsg(buffers)
    total = sum(len(b) for b in buffers)
    if sent == total:
        return
    # a partial send (rare with blocking sockets): send the rest as one copy
    rest = b"".join(bytes(b) for b in buffers)[sent:]
    sock.sendall(rest)


def _block_pdus(path: Path, pdu: int, first: list[Any]) -> Iterator[list[Any]]:
    """The message's PDUs grouped by 1 MiB block: the command set PDU's buffers, then for
    each block one list of [header, fragment, header, fragment, ...]."""
    yield first
    fragment = (pdu - 6) & ~1
    block_size = max(1, MiB // fragment) * fragment
    pack = SINGLE_PDV_HEADER.pack
    with open_data_set(path) as source:
        remaining = path.stat().st_size - source.meta.data_set_offset
        blocks = [bytearray(block_size), bytearray(block_size)]
        current = 0
        while remaining:
            block = blocks[current]
            size = source.readinto(memoryview(block)[: min(block_size, remaining)])
            remaining -= size
            view = memoryview(block)
            buffers: list[Any] = []
            for start in range(0, size, fragment):
                end = min(start + fragment, size)
                control = LAST if (not remaining and end == size) else 0
                buffers += (
                    pack(P_DATA_TF, end - start + 6, end - start + 2, 1, control),
                    view[start:end],
                )
            yield buffers
            current = 1 - current


def run_sender(variant: str, port: int, path: Path, pdu: int) -> dict[str, Any]:
    endpoint = sender_endpoint(pdu)
    prim = store_request(path)
    if variant == "send-readblock-64k":
        fragmenter.READ_BLOCK = 64 * 1024
    elif variant == "send-readblock-4m":
        fragmenter.READ_BLOCK = 4 * MiB
    if variant == "send-asyncio":
        return asyncio.run(_send_asyncio(endpoint, prim, port))
    sock = socket.create_connection((bench_store.HOST, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    start_cpu, start = _cpu(), time.perf_counter()
    if variant in ("send-sendmsg", "send-readblock-64k", "send-readblock-4m"):
        for buffers in endpoint.stream_message(prim, 1):
            _sendmsg_all(sock, buffers)
    elif variant == "send-join":
        for buffers in endpoint.stream_message(prim, 1):
            sock.sendall(b"".join(buffers))
    elif variant == "send-batch-copy":
        batch = bytearray()
        for buffers in endpoint.stream_message(prim, 1):
            for piece in buffers:
                batch += piece
            if len(batch) >= 256 * 1024:
                sock.sendall(batch)
                batch.clear()
        sock.sendall(batch)
    elif variant == "send-block-sendmsg":
        pdus = endpoint.stream_message(prim, 1)
        first = next(pdus)
        first = [bytes(b) for b in first]
        pdus.close()  # type: ignore[attr-defined]
        for buffers in _block_pdus(path, pdu, first):
            _sendmsg_all(sock, buffers)
    elif variant == "send-sendfile":
        pdus = endpoint.stream_message(prim, 1)
        first = [bytes(b) for b in next(pdus)]
        pdus.close()  # type: ignore[attr-defined]
        sock.sendall(b"".join(first))
        fragment = (pdu - 6) & ~1
        with open_data_set(path) as source:
            offset = source.meta.data_set_offset
            end_of_file = path.stat().st_size
            fd = source._raw.fileno()
            while offset < end_of_file:
                size = min(fragment, end_of_file - offset)
                control = LAST if offset + size == end_of_file else 0
                sock.send(
                    SINGLE_PDV_HEADER.pack(P_DATA_TF, size + 6, size + 2, 1, control),
                    socket.MSG_MORE,
                )
                while size:
                    count = os.sendfile(sock.fileno(), fd, offset, size)
                    offset += count
                    size -= count
    else:
        raise SystemExit(f"unknown variant {variant}")
    sock.shutdown(socket.SHUT_WR)
    if sock.recv(1) != b"!":
        raise SystemExit("the receiver did not confirm")
    wall, cpu = time.perf_counter() - start, _cpu() - start_cpu
    sock.close()
    return {"wall": wall, "cpu": cpu}


async def _send_asyncio(endpoint: AssociationEndpoint, prim: C_STORE, port: int) -> dict[str, Any]:
    reader, writer = await asyncio.open_connection(bench_store.HOST, port)
    start_cpu, start = _cpu(), time.perf_counter()
    for buffers in endpoint.stream_message(prim, 1):
        writer.writelines(buffers)
        await writer.drain()
    writer.write_eof()
    if await reader.read(1) != b"!":
        raise SystemExit("the receiver did not confirm")
    wall, cpu = time.perf_counter() - start, _cpu() - start_cpu
    writer.close()
    return {"wall": wall, "cpu": cpu}


class _Sink:
    """Consumes an endpoint's events; writes the data set with a Part10Writer if `out`.

    write: "plain" (Part10Writer.write per fragment), "buffered" (the writer's file
    given a 1 MiB buffer), "writev" (fragments kept and written ~1 MiB per os.writev).
    The last two reach into Part10Writer's private file object: a prototype.
    """

    def __init__(
        self, endpoint: AssociationEndpoint, out: Path | None, write: str = "plain"
    ) -> None:
        self.endpoint = endpoint
        self.out = out
        self.write = write
        self.writer: Part10Writer | None = None
        self.done = False
        self.received = 0
        self.pending: list[memoryview] = []
        self.pending_size = 0

    def _writev(self) -> None:
        assert self.writer is not None
        fd = self.writer._file.fileno()  # type: ignore[union-attr]
        pending = self.pending
        while pending:
            count = os.writev(fd, pending[:1024])
            while pending and count >= len(pending[0]):
                count -= len(pending.pop(0))
            if count:
                pending[0] = pending[0][count:]
        self.pending_size = 0

    def feed(self, data: Any) -> None:
        self.endpoint.receive_data(data)
        for event in self.endpoint.events():
            if isinstance(event, DataSetFragmentReceived):
                self.received += len(event.data)
                if self.writer is None:
                    continue
                if self.write == "writev":
                    self.pending.append(event.data)
                    self.pending_size += len(event.data)
                    if self.pending_size >= MiB or event.last:
                        self._writev()
                else:
                    self.writer.write(event.data)
            elif isinstance(event, MessageStarted) and self.out is not None:
                prim = event.primitive
                self.writer = Part10Writer(
                    self.out / f"{prim.AffectedSOPInstanceUID}.dcm",  # type: ignore[attr-defined]
                    sop_class_uid=str(prim.AffectedSOPClassUID),  # type: ignore[attr-defined]
                    sop_instance_uid=str(prim.AffectedSOPInstanceUID),  # type: ignore[attr-defined]
                    transfer_syntax=TS,
                    overwrite=True,
                )
                if self.write != "plain":
                    file = self.writer._file
                    assert file is not None
                    file.flush()
                    if self.write == "buffered":
                        raw = file.detach()  # type: ignore[attr-defined]
                        self.writer._file = io.BufferedWriter(raw, buffer_size=MiB)
            elif isinstance(event, MessageReceived):
                if self.writer is not None:
                    self.writer.finish()
                self.done = True


def run_receiver(variant: str, listener: socket.socket, pdu: int, out: Path) -> dict[str, Any]:
    if variant.startswith("recv-asyncio"):
        return asyncio.run(_receive_asyncio(variant, listener, pdu, out))
    sock, _ = listener.accept()
    listener.close()
    if variant == "recv-floor":
        buffer = bytearray(MiB)
        total = sock.recv_into(buffer)
        floor_cpu, floor_start = _cpu(), time.perf_counter()
        while count := sock.recv_into(buffer):
            total += count
        sock.sendall(b"!")
        wall, cpu = time.perf_counter() - floor_start, _cpu() - floor_cpu
        return {"wall": wall, "cpu": cpu, "received": total}
    sink = _Sink(
        receiver_endpoint(pdu, InPlaceReassembler if variant == "recv-inplace-256k" else None),
        None if variant == "recv-64k-nowrite" else out,
        {"recv-64k-buffered": "buffered", "recv-64k-writev": "writev"}.get(variant, "plain"),
    )
    size = MiB if variant == "recv-1m" else 65536 if variant.startswith("recv-64k") else 262144
    start_cpu: float | None = None
    start = 0.0
    if variant == "recv-into-256k":
        buffer = bytearray(size)
        view = memoryview(buffer)
        while not sink.done:
            count = sock.recv_into(buffer)
            if start_cpu is None:
                start_cpu, start = _cpu(), time.perf_counter()
            if not count:
                raise SystemExit("the sender closed early")
            sink.feed(view[:count])
    else:
        while not sink.done:
            data = sock.recv(size)
            if start_cpu is None:
                start_cpu, start = _cpu(), time.perf_counter()
            if not data:
                raise SystemExit("the sender closed early")
            sink.feed(data)
    sock.sendall(b"!")
    assert start_cpu is not None
    return {
        "wall": time.perf_counter() - start,
        "cpu": _cpu() - start_cpu,
        "received": sink.received,
    }


async def _receive_asyncio(
    variant: str, listener: socket.socket, pdu: int, out: Path
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[dict[str, Any]] = loop.create_future()
    sink = _Sink(receiver_endpoint(pdu), out)
    clock: list[float] = []

    def complete(transport_write: Callable[[bytes], None]) -> None:
        transport_write(b"!")
        finished.set_result(
            {
                "wall": time.perf_counter() - clock[1],
                "cpu": _cpu() - clock[0],
                "received": sink.received,
            }
        )

    if variant == "recv-asyncio-protocol":

        class Receiver(asyncio.Protocol):
            def connection_made(self, transport: Any) -> None:
                self.transport = transport

            def data_received(self, data: bytes) -> None:
                if not clock:
                    clock.extend((_cpu(), time.perf_counter()))
                sink.feed(data)
                if sink.done and not finished.done():
                    complete(self.transport.write)

        server = await loop.create_server(Receiver, sock=listener)
        result = await finished
        server.close()
        return result

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while not sink.done:
            data = await reader.read(65536)
            if not clock:
                clock.extend((_cpu(), time.perf_counter()))
            if not data:
                raise SystemExit("the sender closed early")
            sink.feed(data)
        complete(writer.write)
        await writer.drain()

    server = await asyncio.start_server(handle, sock=listener)
    result = await finished
    server.close()
    return result


# --- the harness ---------------------------------------------------------------------------


def _child(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), *args],
        stdout=subprocess.PIPE,
        text=True,
    )


def run_pair(send: str, recv: str, path: Path, pdu: int, out: Path) -> dict[str, Any]:
    receiver = _child(["--role", "recv", recv, str(pdu), str(out)])
    assert receiver.stdout is not None
    port = int(receiver.stdout.readline())
    sender = _child(["--role", "send", send, str(pdu), str(path), str(port)])
    sent, _ = sender.communicate(timeout=600)
    received, _ = receiver.communicate(timeout=600)
    if sender.returncode or receiver.returncode:
        raise RuntimeError(f"{send}/{recv} failed: {sender.returncode}, {receiver.returncode}")
    for leftover in out.iterdir():
        leftover.unlink()
    return {"send": json.loads(sent), "recv": json.loads(received)}


def reassemble_rows(path: Path, pdu: int, rounds: int) -> list[dict[str, Any]]:
    """The Reassembler alone, fed the message's PDUs from memory (no socket, no file)."""
    sender = sender_endpoint(pdu)
    stream = b"".join(
        b"".join(bytes(b) for b in buffers)
        for buffers in sender.stream_message(store_request(path), 1)
    )
    pdu_cuts: list[int] = []
    pos = 0
    while pos < len(stream):
        pdu_cuts.append(pos)
        pos += 6 + int.from_bytes(stream[pos + 2 : pos + 6], "big")

    def chunks_of(size: int) -> list[bytes]:
        # sizes that do not fall on PDU boundaries (as from a socket)
        return [stream[i : i + size] for i in range(0, len(stream), size)]

    def pdu_chunks() -> list[bytes]:
        ends = [*pdu_cuts[1:], len(stream)]
        return [stream[a:b] for a, b in zip(pdu_cuts, ends, strict=True)]

    cases: dict[str, tuple[Callable[[], list[bytes]], type[Reassembler] | None]] = {
        "reassemble-64k": (lambda: chunks_of(65536), None),
        "reassemble-256k": (lambda: chunks_of(262144), None),
        "reassemble-one-pdu-per-chunk": (pdu_chunks, None),
        "reassemble-64k-inplace": (lambda: chunks_of(65536), InPlaceReassembler),
        "reassemble-256k-inplace": (lambda: chunks_of(262144), InPlaceReassembler),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (make, kind) in cases.items():
            chunks = make()
            endpoint = receiver_endpoint(pdu, kind)
            sink = _Sink(endpoint, None)
            start = time.perf_counter()
            for chunk in chunks:
                sink.feed(chunk)
            times[name].append(time.perf_counter() - start)
            assert sink.done, name
            del chunks
    size = len(stream)
    return [
        {
            "variant": name,
            "max_pdu": pdu,
            "mb_s": size / 1e6 / statistics.median(values),
            "cpu_s_per_gib": statistics.median(values) * GiB / size,
        }
        for name, values in times.items()
    ]


def profile_paths(path: Path, pdu: int, out: Path) -> str:
    """cProfile listings of the receiving path (recv 64 KiB -> endpoint -> Part10Writer,
    in memory: the chunks come from a list) and of the sending path (stream_message into
    a discarding sink)."""
    text = io.StringIO()
    sender = sender_endpoint(pdu)
    stream = b"".join(
        b"".join(bytes(b) for b in buffers)
        for buffers in sender.stream_message(store_request(path), 1)
    )
    chunks = [stream[i : i + 65536] for i in range(0, len(stream), 65536)]
    sink = _Sink(receiver_endpoint(pdu), out)
    profiler = cProfile.Profile()
    profiler.enable()
    for chunk in chunks:
        sink.feed(chunk)
    profiler.disable()
    text.write(f"== receiving {len(stream) / MiB:.0f} MiB, max PDU {pdu}, 64 KiB chunks ==\n")
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(14)
    del chunks, stream
    for leftover in out.iterdir():
        leftover.unlink()
    sender = sender_endpoint(pdu)
    with open(os.devnull, "wb", buffering=0) as null:
        profiler = cProfile.Profile()
        profiler.enable()
        for buffers in sender.stream_message(store_request(path), 1):
            null.write(b"".join(buffers))
        profiler.disable()
    text.write(f"== sending, max PDU {pdu}, each PDU joined and written to /dev/null ==\n")
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(10)
    return text.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--size", type=bench_store.parse_size, default=256 * MiB)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pdu", default="16384,131072")
    parser.add_argument("--only", default="", help="comma-separated parts of variant names")
    parser.add_argument("--profile", action="store_true", help="also print cProfile listings")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument(
        "--json", type=Path, help="default benchmarks/results/<date>-zero-copy-<size>.json"
    )
    parser.add_argument("--note", default="")
    parser.add_argument("--role", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.role:
        role, variant, pdu = args.role[0], args.role[1], int(args.role[2])
        if role == "send":
            result = run_sender(variant, int(args.role[4]), Path(args.role[3]), pdu)
        else:
            listener = socket.create_server((bench_store.HOST, 0))
            print(listener.getsockname()[1], flush=True)
            result = run_receiver(variant, listener, pdu, Path(args.role[3]))
        print(json.dumps(result))
        return 0

    pdus = [int(p) for p in args.pdu.split(",") if p.strip()]
    terms = [t.strip() for t in args.only.split(",") if t.strip()]

    def chosen(name: str) -> bool:
        return not terms or any(t in name for t in terms)

    pairs = [(v, "recv-floor") for v in SEND_VARIANTS if chosen(v)]
    pairs += [("send-block-sendmsg", v) for v in RECV_VARIANTS if chosen(v)]
    env = bench_store.environment()
    env.update(size=args.size, rounds=args.rounds, max_pdus=pdus, note=args.note)
    print(
        f"{env['date']}  {env['cpu']}, {env['cpus']} CPUs, load {env['load_average_start'][0]:.2f},"
        f" Python {env['python']}\nfile {bench_store.size_label(args.size)}, {args.rounds} "
        "alternating rounds, medians; CPU = user + system seconds per GiB of the process\n"
    )
    work = Path(tempfile.mkdtemp(prefix="zero-copy-", dir=args.dir))
    out = work / "out"
    out.mkdir()
    rows: list[dict[str, Any]] = []
    try:
        test = bench_store.make_file(work / "big.dcm", args.size)
        per_gib = GiB / test.size
        for pdu in pdus:
            runs: dict[tuple[str, str], list[dict[str, Any]]] = {pair: [] for pair in pairs}
            for number in range(args.rounds):
                for pair in pairs if number % 2 == 0 else pairs[::-1]:
                    runs[pair].append(run_pair(*pair, test.path, pdu, out))
            print(f"max PDU {pdu}")
            print(f"  {'variant':24} {'MB/s':>7} {'CPU s/GiB send':>15} {'recv':>6}  what")
            for (send, recv), values in runs.items():
                variant = recv if send == "send-block-sendmsg" and recv != "recv-floor" else send
                what = RECV_VARIANTS.get(variant) or SEND_VARIANTS[variant]
                wall = statistics.median(v["send"]["wall"] for v in values)
                row = {
                    "variant": variant,
                    "max_pdu": pdu,
                    "sender": send,
                    "receiver": recv,
                    "mb_s": test.size / 1e6 / wall,
                    "send_cpu_s_per_gib": statistics.median(v["send"]["cpu"] for v in values)
                    * per_gib,
                    "recv_cpu_s_per_gib": statistics.median(v["recv"]["cpu"] for v in values)
                    * per_gib,
                    "walls": [v["send"]["wall"] for v in values],
                    "what": what,
                }
                rows.append(row)
                print(
                    f"  {variant:24} {row['mb_s']:7,.0f} {row['send_cpu_s_per_gib']:15.2f} "
                    f"{row['recv_cpu_s_per_gib']:6.2f}  {what}",
                    flush=True,
                )
            if chosen("reassemble"):
                print(f"  {'reassembler alone':24} {'MB/s':>7} {'CPU s/GiB':>15}")
                for row in reassemble_rows(test.path, pdu, args.rounds):
                    rows.append(row)
                    print(f"  {row['variant']:24} {row['mb_s']:7,.0f} {row['cpu_s_per_gib']:15.2f}")
            if args.profile:
                print(profile_paths(test.path, pdu, out))
            print()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    path = args.json or bench_store.RESULTS / (
        f"{datetime.date.today()}-zero-copy-{bench_store.size_label(args.size)}.json"
    )
    with open(path, "w") as handle:
        json.dump({"environment": env, "results": rows}, handle, indent=2)
        handle.write("\n")
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        raise SystemExit(main())
