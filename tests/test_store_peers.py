"""dimsewire's storage examples (examples/storescu.py, storescp.py) against real peers.

Issue 11. C-STORE both ways, with pydicom's test files in seven transfer syntaxes
(Implicit and Explicit VR Little Endian, Explicit VR Big Endian, Deflated, JPEG Baseline,
JPEG 2000, RLE), each received data set checked byte for byte against what was sent and
read back with pydicom:

* DCMTK's storescu -> our SCP; our SCU -> DCMTK's ``storescp +B`` (bit-preserving)
* pynetdicom's SCU -> our SCP; our SCU -> a pynetdicom SCP that writes
  ``event.request.DataSet``'s bytes

and the failures: a status other than Success, a context the peer refused, a file that
cannot be sent, a second store of one instance, an association that ends inside an
object, SIGTERM/SIGINT with associations open. The slow test sends an object over 1 GiB
through our SCU and SCP and checks both processes' peak memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from peers import (
    HOST,
    VERIFICATION,
    StoreSeen,
    pynetdicom_echo,
    pynetdicom_store,
    pynetdicom_store_scp,
    requires_binaries,
    run_echoscu,
    run_storescu,
    storescp_server,
)
from peers import PeerError as PeersPeerError
from pydicom import Dataset
from pydicom.data import get_testdata_file
from pydicom.dataset import FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.uid import (
    CTImageStorage,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    MRImageStorage,
    RLELossless,
    SecondaryCaptureImageStorage,
    generate_uid,
)
from pynetdicom import AE

from dimsewire import C_STORE, IMPLEMENTATION_CLASS_UID, AssociationEndpoint, PDUReceived
from dimsewire.part10 import PARTIAL_SUFFIX, open_data_set
from dimsewire.pdus import Abort, AssociateAC, associate_rq

sys.path.insert(0, str(Path(__file__).parent.parent / "examples"))
import storescp
import storescu

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"

pytestmark = pytest.mark.peer

SUCCESS = 0x0000
MIB = 1024 * 1024

# One pydicom test file per transfer syntax, all different SOP Instances, and the
# storescu option that makes DCMTK propose that transfer syntax first.
CASES = {
    "implicit-le": ("MR_small_implicit.dcm", ImplicitVRLittleEndian, "-xi"),
    "explicit-le": ("CT_small.dcm", ExplicitVRLittleEndian, "-xe"),
    "explicit-be": ("ExplVR_BigEnd.dcm", ExplicitVRBigEndian, "-xb"),
    "deflated": ("(MR_small.dcm deflated by pydicom)", DeflatedExplicitVRLittleEndian, "-xd"),
    "jpeg-baseline": ("SC_rgb_jpeg_dcmtk.dcm", JPEGBaseline8Bit, "-xy"),
    "jpeg2000": ("examples_jpeg2k.dcm", JPEG2000Lossless, "-xv"),  # 150 KB: many PDUs
    "rle": ("SC_rgb_rle.dcm", RLELossless, "-xr"),
}


def pydicom_file(name: str) -> Path:
    path = get_testdata_file(name)
    assert path is not None, name
    return Path(path)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The file of each case, its transfer syntax checked. pydicom ships image_dfl.dcm
    as its deflated file, but its deflated data set has an odd length (4303 bytes),
    which dimsewire refuses to send (see test_our_scu_names_the_files_it_cannot_send):
    the deflated case is MR_small.dcm written deflated by pydicom, which pads to even."""
    files = {}
    for case, (name, syntax, _) in CASES.items():
        if case == "deflated":
            ds = pydicom.dcmread(pydicom_file("MR_small.dcm"))
            ds.SOPInstanceUID = generate_uid(entropy_srcs=["dimsewire-tests", "deflated"])
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
            path = tmp_path_factory.mktemp("deflated") / "MR_small_deflated.dcm"
            ds.save_as(path, enforce_file_format=True)
        else:
            path = pydicom_file(name)
        with open_data_set(path) as data_set:
            assert data_set.transfer_syntax == syntax, (case, path)
        files[case] = path
    return files


def data_set(path: Path) -> bytes:
    """Everything after the File Meta Information."""
    with open_data_set(path) as opened:
        return opened.read()


def check_received(received: Path, source: Path, *, source_ae: str | None = None) -> None:
    """`received` holds `source`'s data set byte for byte, in its transfer syntax, and
    pydicom reads it whole."""
    with open_data_set(received) as got, open_data_set(source) as sent:
        assert got.transfer_syntax == sent.transfer_syntax
        assert (got.sop_class_uid, got.sop_instance_uid) == (
            sent.sop_class_uid,
            sent.sop_instance_uid,
        )
        if source_ae is not None:
            assert got.meta.elements["SourceApplicationEntityTitle"] == source_ae
        assert got.read() == sent.read(), f"{received} differs from {source}"
    ds = read_whole(received)
    assert ds.SOPInstanceUID == read_whole(source).SOPInstanceUID
    assert "PixelData" in ds


def read_whole(path: Path) -> Dataset:
    """pydicom's dcmread, pixel data included. Under ``python -bb`` pydicom's
    ``struct.pack(b"<HH", ...)`` for encapsulated pixel data meets the str format
    ``"<HH"`` that dimsewire cached in the struct module and raises BytesWarning (equal
    hashes, compared): not a fault of the file, so ignored here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=BytesWarning, module=r"pydicom\.")
        return pydicom.dcmread(path)


# --- our SCP, in this process (a loop in a thread) or as a program --------------------------


@contextlib.contextmanager
def our_scp(out: Path, **options: object) -> Iterator[tuple[storescp.StoreSCP, int]]:
    """examples/storescp.py's StoreSCP writing into `out`, on a loop in a thread."""
    scp = storescp.StoreSCP(out, **options)  # type: ignore[arg-type]
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        server = asyncio.run_coroutine_threadsafe(storescp.serve(scp, HOST, 0), loop).result(10)
        try:
            yield scp, server.sockets[0].getsockname()[1]
        finally:
            stop = scp.shutdown(server, grace=5)
            asyncio.run_coroutine_threadsafe(stop, loop).result(20)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def wait_for(condition: object, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def program_env() -> dict[str, str]:
    """The environment for examples run as programs: this tree's dimsewire first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    return env


@contextlib.contextmanager
def our_scp_program(out: Path, *args: str) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    """``storescp.py --port 0 --out OUT ARGS`` as a program; yields it, its port (from
    its first line) and its log. Stopped (SIGTERM, then SIGKILL) on exit if running."""
    log_path = out.parent / f"{out.name}-storescp.log"
    argv = [sys.executable, str(EXAMPLES / "storescp.py"), "--port", "0", "--out", str(out)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*argv, *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=program_env(),
        )
    try:
        found: list[int] = []

        def listening() -> bool:
            match = re.search(r"listening on [\d.]+:(\d+)", log_path.read_text())
            if match:
                found.append(int(match.group(1)))
            assert proc.poll() is None, log_path.read_text()
            return bool(match)

        wait_for(listening, "storescp.py to listen")
        yield proc, found[0], log_path
    except BaseException:
        print(f"--- {log_path}\n{log_path.read_text()}")
        raise
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        proc.wait(10)


def run_our_scu(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """examples/storescu.py as a program."""
    return subprocess.run(
        [sys.executable, str(EXAMPLES / "storescu.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=program_env(),
    )


def store_with_our_scu(
    port: int, paths: list[Path], **kwargs: object
) -> list[storescu.StoreResult]:
    coroutine = storescu.store_files(HOST, port, paths, timeout=20, **kwargs)  # type: ignore[arg-type]
    return asyncio.run(coroutine)


# --- DCMTK ---------------------------------------------------------------------------------


@requires_binaries("storescu", "storescp")
@pytest.mark.parametrize("case", list(CASES))
def test_dcmtk_storescu_to_our_scp(tmp_path: Path, sources: dict[str, Path], case: str) -> None:
    """storescu re-encodes what it sends (it is not bit-preserving: it drops CT_small's
    trailing padding element, re-deflates, ...), so what it sent is taken from DCMTK's
    own storescp in bit-preserving mode, fed by the same storescu command: our file must
    hold the same data set, byte for byte."""
    source, propose = sources[case], CASES[case][2]
    out = tmp_path / "ours"
    out.mkdir()
    with storescp_server(tmp_path, extra=["+B", "+xa"]) as (_, port):
        reference = run_storescu(port, [source], extra=[propose])
    assert reference.returncode == 0, reference.log
    (sent,) = tmp_path.glob("storescp-*/*.*.*")  # <modality>.<SOP Instance UID>
    with our_scp(out) as (scp, port):
        done = run_storescu(port, [source], calling_ae="DCMTKSCU", extra=[propose])
    assert done.returncode == 0, done.log
    (received,) = out.iterdir()
    with open_data_set(source) as original:
        assert received.name == f"{original.sop_instance_uid}.dcm"
    check_received(received, sent, source_ae="DCMTKSCU")
    assert scp.log[-2:] == [
        f"DCMTKSCU: C-STORE {received.name[:-4]}: stored {received}",
        "DCMTKSCU: released",
    ]


@requires_binaries("storescp")
def test_our_scu_program_to_dcmtk_storescp(tmp_path: Path, sources: dict[str, Path]) -> None:
    """examples/storescu.py run as a user would: every case in one association, through
    storescp's smallest maximum PDU (4096), so the larger data sets take many PDUs."""
    files = list(sources.values())
    with storescp_server(tmp_path, max_pdu=4096, extra=["+B", "+xa"]) as (_, port):
        done = run_our_scu(HOST, str(port), *map(str, files), "--aet", "OURSCU")
    (log,) = tmp_path.glob("storescp-*/storescp.log")
    assert (done.returncode, done.stderr) == (0, ""), log.read_text()
    assert done.stdout.splitlines() == [
        f"storescu: {path}: status 0x0000 Success: Success" for path in files
    ]
    for path in files:
        with open_data_set(path) as sent:
            (received,) = tmp_path.glob(f"storescp-*/*.{sent.sop_instance_uid}")
        check_received(received, path)


@requires_binaries("echoscu")
def test_dcmtk_echoscu_and_pynetdicom_echo_on_our_scp(tmp_path: Path) -> None:
    with our_scp(tmp_path) as (scp, port):
        echoed = run_echoscu(port, repeat=2)
        status = pynetdicom_echo(port)
    assert echoed.returncode == 0, echoed.log
    assert echoed.responses == ["Success"] * 2
    assert status == SUCCESS
    assert [line for line in scp.log if "C-ECHO" in line] == [
        "ECHOSCU: C-ECHO 1: status 0x0000",
        "ECHOSCU: C-ECHO 2: status 0x0000",
        "PYNSCU: C-ECHO 1: status 0x0000",
    ]


# --- pynetdicom ----------------------------------------------------------------------------


def test_pynetdicom_scu_to_our_scp(tmp_path: Path, sources: dict[str, Path]) -> None:
    """pynetdicom sends each file's data set as it is; so it does pydicom's own
    image_dfl.dcm, whose odd length our SCP takes (a deviation) and stores unchanged."""
    odd_deflated = pydicom_file("image_dfl.dcm")
    files = [*sources.values(), odd_deflated]
    with our_scp(tmp_path, max_pdu_length=4096) as (scp, port):
        statuses = pynetdicom_store(port, files)
    assert statuses == [SUCCESS] * len(files)
    assert len(scp.stored) == len(files)
    for path, received in zip(files, scp.stored, strict=True):
        check_received(received, path, source_ae="PYNSCU")
    assert len(data_set(scp.stored[-1])) % 2 == 1


def test_our_scu_to_pynetdicom_scp(tmp_path: Path, sources: dict[str, Path]) -> None:
    files = list(sources.values())
    seen: list[StoreSeen] = []
    with pynetdicom_store_scp(tmp_path, maximum_pdu_size=4096, seen=seen) as (_, port):
        results = store_with_our_scu(port, files, calling_ae="OURSCU")
    assert [(r.path, r.status, r.problem) for r in results] == [(p, SUCCESS, None) for p in files]
    assert [(s.calling_ae, s.transfer_syntax) for s in seen] == [
        ("OURSCU", CASES[case][1]) for case in sources
    ]
    for path, record in zip(files, seen, strict=True):
        assert record.path is not None
        check_received(record.path, path)


# --- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "comment", "words"),
    [
        (0xA700, "disk full", "0xA700 Failure: Refused: Out of Resources (disk full)"),
        (0xC000, None, "0xC000 Failure: Error: Cannot understand"),
        (0xB000, None, "0xB000 Warning: Coercion of Data Elements"),  # not 0000 either
    ],
    ids=["A700", "C000", "B000"],
)
def test_our_scu_names_the_file_a_status_failed(
    tmp_path: Path,
    sources: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    status: int,
    comment: str | None,
    words: str,
) -> None:
    ct, mr = sources["explicit-le"], sources["implicit-le"]
    with pynetdicom_store_scp(tmp_path, status=status, error_comment=comment) as (_, port):
        code = storescu.main([HOST, str(port), str(ct), str(mr)])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"storescu: {ct}: status {words}",
        f"storescu: {mr}: status {words}",
        "storescu: 2 of 2 files not stored",
    ]


def test_our_scu_names_the_files_it_cannot_send(
    tmp_path: Path, sources: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A refused context, an odd-length data set (pydicom's image_dfl.dcm: dimsewire
    sends a file as it is, and a data set has an even length, PS3.5 7.1) and a file
    that is not Part 10 each fail on their own: the association goes on, the CT is
    stored after them, and it is released."""
    mr, ct = sources["implicit-le"], sources["explicit-le"]
    odd = pydicom_file("image_dfl.dcm")
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"not DICOM")
    out = tmp_path / "out"
    out.mkdir()
    seen: list[StoreSeen] = []
    only = [CTImageStorage, SecondaryCaptureImageStorage]
    with pynetdicom_store_scp(out, sop_classes=only, seen=seen) as (_, port):
        code = storescu.main([HOST, str(port), str(mr), str(junk), str(odd), str(ct)])
    out_text, err = capsys.readouterr()
    assert code == 1
    assert out_text == f"storescu: {ct}: status 0x0000 Success: Success\n"
    assert err.splitlines() == [
        f"storescu: {junk}: not stored: cannot read its File Meta: file meta: file ends in "
        "the preamble: needs 132 bytes, 9 left (offset 0)",
        f"storescu: {mr}: not stored: no accepted presentation context for {MRImageStorage} "
        f"in transfer syntax {ImplicitVRLittleEndian}: context 1 "
        "abstract-syntax-not-supported (provider rejection)",
        f"storescu: {odd}: not stored: not sent: cannot send C-STORE-RQ: DataSet has odd "
        "length 4303 (PS3.5 7.1: data sets are even)",
        "storescu: 3 of 4 files not stored",
    ]
    assert [(s.sop_class_uid, s.status) for s in seen] == [(CTImageStorage, SUCCESS)]


@requires_binaries("storescp")
def test_our_scu_names_every_file_when_the_peer_aborts(
    tmp_path: Path, sources: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """storescp --abort-during aborts inside the first data set (150 KB, many PDUs):
    that file and the one after it are named; nothing is left to send to."""
    first, second = sources["jpeg2000"], sources["explicit-le"]
    with storescp_server(tmp_path, max_pdu=4096, extra=["+xa", "--abort-during"]) as (_, port):
        code = storescu.main([HOST, str(port), str(first), str(second)])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    why = r"(association aborted: DICOM UL service-user \(initiated abort\)|the peer closed the connection)"
    lines = err.splitlines()
    assert len(lines) == 3, err
    assert re.fullmatch(rf"storescu: {re.escape(str(first))}: not stored: {why}", lines[0])
    assert lines[1] == lines[0].replace(str(first), str(second))
    assert lines[2] == "storescu: 2 of 2 files not stored"


def test_our_scp_refuses_a_second_store_of_one_instance(
    tmp_path: Path, sources: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ct = sources["explicit-le"]
    with our_scp(tmp_path) as (scp, port):
        code = storescu.main([HOST, str(port), str(ct), str(ct)])
        first = scp.stored[0].read_bytes()
        again = storescu.main([HOST, str(port), str(ct)])
    out, err = capsys.readouterr()
    assert (code, again) == (1, 1)
    assert out == f"storescu: {ct}: status 0x0000 Success: Success\n"
    refused = (
        f"storescu: {ct}: status 0xA700 Failure: Refused: Out of Resources "
        "(instance stored here already; not overwritten)"
    )
    assert err.splitlines() == [
        refused,
        "storescu: 1 of 2 files not stored",
        refused,
        "storescu: 1 of 1 files not stored",
    ]
    assert [p.name for p in tmp_path.iterdir()] == [scp.stored[0].name]
    assert scp.stored[0].read_bytes() == first
    check_received(scp.stored[0], ct, source_ae="STORESCU")


def test_our_scp_rejects_another_called_ae_title(tmp_path: Path) -> None:
    with our_scp(tmp_path, ae_title="OURSCP", require_called_aet=True) as (scp, port):
        with pytest.raises(PeersPeerError, match="rejected"):
            pynetdicom_echo(port, called_ae="SOMEONE")
        assert pynetdicom_echo(port, called_ae="OURSCP") == SUCCESS
    assert scp.log[0] == "PYNSCU: rejected: called 'SOMEONE'"


# --- an association that ends inside an object ---------------------------------------------


class HalfwayStore:
    """A requestor that sends the first `pdus` PDUs of a C-STORE of `size` bytes, then
    stops: the association then ends by `abort()`, `close()`, or the SCP's doing."""

    def __init__(self, port: int, size: int, pdus: int) -> None:
        self.uid = str(generate_uid(entropy_srcs=["dimsewire-tests", "halfway", str(size)]))
        self.endpoint = AssociationEndpoint("requestor", max_pdu_length=16382)
        self.sock = socket.create_connection((HOST, port), timeout=10)
        try:
            contexts = [(1, SecondaryCaptureImageStorage, [ExplicitVRLittleEndian])]
            request = associate_rq(
                "ANY-SCP", "HALFWAY", contexts, max_length=16382,
                implementation_class_uid=IMPLEMENTATION_CLASS_UID,
            )  # fmt: skip
            self.sock.sendall(self.endpoint.send_pdu(request))
            event = self.next_event()
            assert isinstance(event, PDUReceived) and isinstance(event.pdu, AssociateAC)
            prim = C_STORE()
            prim.MessageID = 1
            prim.AffectedSOPClassUID = SecondaryCaptureImageStorage
            prim.AffectedSOPInstanceUID = self.uid
            prim.DataSet = io.BufferedReader(io.BytesIO(bytes(size)))  # streamed
            for _, buffers in zip(range(pdus), self.endpoint.stream_message(prim, 1), strict=False):
                self.sock.sendall(b"".join(buffers))
        except BaseException:
            self.sock.close()
            raise

    def next_event(self) -> object:
        while (event := self.endpoint.next_event()) is None:
            data = self.sock.recv(65536)
            if not data:
                self.endpoint.receive_eof()
            else:
                self.endpoint.receive_data(data)
        return event

    def abort(self) -> None:
        self.sock.sendall(Abort().encode())
        self.close()

    def close(self) -> None:
        self.sock.close()


def test_our_scp_aborts_a_silent_association_and_closes_after_artim(tmp_path: Path) -> None:
    """Silent for `timeout` inside an object: A-ABORT (service-user), nothing kept; a
    requestor that then keeps the connection open is closed on after `artim`."""
    with our_scp(tmp_path, timeout=0.5, artim=0.5) as (scp, port):
        client = HalfwayStore(port, size=4 * MIB, pdus=10)
        try:
            started = time.monotonic()
            event = client.next_event()
            assert isinstance(event, PDUReceived) and isinstance(event.pdu, Abort)
            assert event.pdu.source == 0
            assert 0.4 <= time.monotonic() - started < 5
            client.sock.settimeout(5)
            assert client.sock.recv(65536) == b""  # closed by the SCP after ARTIM
            assert 0.8 <= time.monotonic() - started < 6
        finally:
            client.close()
        wait_for(lambda: any("nothing kept" in line for line in scp.log), "the SCP's log")
    assert list(tmp_path.iterdir()) == []
    assert scp.log[-2:] == [
        "HALFWAY: silent for 0.5 s: aborting",
        f"HALFWAY: association ended inside {client.uid}: nothing kept",
    ]


@pytest.mark.parametrize("how", ["abort", "close"])
def test_an_association_ending_inside_an_object_leaves_no_file(tmp_path: Path, how: str) -> None:
    with our_scp(tmp_path) as (scp, port):
        client = HalfwayStore(port, size=4 * MIB, pdus=100)  # ~1.6 MB of 4 MiB
        try:
            partial = tmp_path / f"{client.uid}.dcm{PARTIAL_SUFFIX}"
            wait_for(partial.exists, "the SCP to start writing")
        finally:
            client.abort() if how == "abort" else client.close()
        wait_for(lambda: any("nothing kept" in line for line in scp.log), "the SCP's log")
    assert list(tmp_path.iterdir()) == []
    ending = {
        "abort": "HALFWAY: aborted by the peer (DICOM UL service-user (initiated abort))",
        # the stream ends inside a message: the SCP says so and aborts
        "close": "HALFWAY: truncated: stream ends inside a message",
    }[how]
    assert scp.log[-2].startswith(ending), scp.log
    assert scp.log[-1] == f"HALFWAY: association ended inside {client.uid}: nothing kept"


def test_our_scp_serves_associations_concurrently(tmp_path: Path, sources: dict[str, Path]) -> None:
    """While a pynetdicom association is open and idle, our SCU stores through a second
    one; then the first stores too and releases."""
    ct, mr = sources["explicit-le"], sources["implicit-le"]
    with our_scp(tmp_path) as (scp, port):
        ae = AE(ae_title="FIRST")
        ae.add_requested_context(MRImageStorage, ImplicitVRLittleEndian)
        assoc = ae.associate(HOST, port)
        try:
            assert assoc.is_established
            (result,) = store_with_our_scu(port, [ct], calling_ae="SECOND")
            assert result.ok
            assert assoc.is_established
            assert assoc.send_c_store(pydicom.dcmread(mr)).Status == SUCCESS
        finally:
            assoc.release()
            assoc.join(5)
            ae.shutdown()
    names = [line.split(":")[0] for line in scp.log]
    assert names == ["FIRST", "SECOND", "SECOND", "SECOND", "FIRST", "FIRST"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in scp.stored)


# --- stopping: SIGTERM and SIGINT ----------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_our_scp_program_stops_on_a_signal(
    tmp_path: Path, sources: dict[str, Path], signum: signal.Signals
) -> None:
    """With one association idle and one stalled inside an object: both are aborted
    (the stalled one after --grace), nothing partial is left, the exit status is 0."""
    out = tmp_path / "out"
    out.mkdir()
    with our_scp_program(out, "--grace", "0.5") as (proc, port, log):
        done = run_our_scu(HOST, str(port), str(sources["rle"]))
        assert done.returncode == 0, done.stderr
        ae = AE(ae_title="IDLE")
        ae.add_requested_context(VERIFICATION)
        assoc = ae.associate(HOST, port)
        stalled = HalfwayStore(port, size=4 * MIB, pdus=10)
        try:
            assert assoc.is_established
            partial = out / f"{stalled.uid}.dcm{PARTIAL_SUFFIX}"
            wait_for(partial.exists, "the SCP to start writing")
            started = time.monotonic()
            proc.send_signal(signum)
            assert proc.wait(10) == 0
            took = time.monotonic() - started
            assert isinstance(stalled.next_event(), PDUReceived)  # the A-ABORT
            assoc.join(5)
            assert assoc.is_aborted
        finally:
            stalled.close()
            if assoc.is_established:
                assoc.abort()
            ae.shutdown()
        text = log.read_text()
    assert 0.5 <= took < 5, text
    assert sorted(p.name for p in out.iterdir()) == [f"{data_set_uid(sources['rle'])}.dcm"]
    assert "storescp: stopping\n" in text
    assert "IDLE: connection lost" not in text
    assert f"HALFWAY: association ended inside {stalled.uid}: nothing kept" in text


def data_set_uid(path: Path) -> str:
    with open_data_set(path) as opened:
        return opened.sop_instance_uid


# --- over 1 GiB ----------------------------------------------------------------------------


def write_large_object(path: Path, frames: int) -> str:
    """An Explicit VR Little Endian Secondary Capture of `frames` 1024x1024 8-bit frames:
    a small header and one (7FE0,0010) OB element, written 1 MiB at a time, each frame a
    different rotation of one random-looking MiB. Returns the SOP Instance UID."""
    ds = Dataset()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid(entropy_srcs=["dimsewire-tests", "large", str(frames)])
    ds.PatientName = "LARGE^OBJECT"
    ds.PatientID = "LARGE"
    ds.Modality = "OT"
    ds.ConversionType = "SYN"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = frames
    ds.Rows = ds.Columns = 1024
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    header = DicomBytesIO()
    header.is_little_endian, header.is_implicit_VR = True, False
    write_dataset(header, ds)
    block = random.Random(11).randbytes(MIB)
    with path.open("wb") as f:
        f.write(bytes(128) + b"DICM")
        write_file_meta_info(f, meta, enforce_standard=True)
        f.write(header.getvalue())
        f.write(struct.pack("<HH2s2xI", 0x7FE0, 0x0010, b"OB", frames * MIB))
        for frame in range(frames):
            turn = frame * 7919 % MIB
            f.write(block[turn:])
            f.write(block[:turn])
    return str(ds.SOPInstanceUID)


def data_set_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open_data_set(path) as opened:
        while chunk := opened.read(4 * MIB):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def peak_rss(pid: int) -> int | None:
    """VmHWM of process `pid` in bytes (its own image's: read from /proc), None if gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return None


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_an_object_over_1_gib_through_our_scu_and_scp(tmp_path: Path) -> None:
    """1126 MiB (1.1 GiB) from storescu.py to storescp.py, both run as programs: the
    data sets' sha256 equal, and each process's peak RSS (VmHWM, sampled every 10 ms
    while the SCU runs, the SCP's read once more after it) under 160 MiB. The two
    files are removed at the end."""
    frames = 1126
    if shutil.disk_usage(tmp_path).free < 2 * frames * MIB + 512 * MIB:
        pytest.skip(f"needs {2 * frames + 512} MiB free in {tmp_path}")
    source, out = tmp_path / "large.dcm", tmp_path / "out"
    out.mkdir()
    try:
        started = time.monotonic()
        uid = write_large_object(source, frames)
        written = time.monotonic()
        with our_scp_program(out, "--quiet") as (scp, port, log):
            argv = [sys.executable, str(EXAMPLES / "storescu.py"), HOST, str(port), str(source)]
            scu = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=program_env()
            )
            scu_peak, scp_peak = 0, 0
            deadline = time.monotonic() + 300
            while scu.poll() is None and time.monotonic() < deadline:
                scu_peak = max(scu_peak, peak_rss(scu.pid) or 0)
                scp_peak = max(scp_peak, peak_rss(scp.pid) or 0)
                time.sleep(0.01)
            stdout, stderr = scu.communicate(timeout=10)
            scp_peak = max(scp_peak, peak_rss(scp.pid) or 0)
            sent = time.monotonic()
            scp.send_signal(signal.SIGTERM)
            assert scp.wait(10) == 0, log.read_text()
        assert (scu.returncode, stderr) == (0, b""), stdout
        received = out / f"{uid}.dcm"
        assert [p.name for p in out.iterdir()] == [received.name]
        sent_digest, received_digest = data_set_sha256(source), data_set_sha256(received)
        done = time.monotonic()
    finally:
        source.unlink(missing_ok=True)
        shutil.rmtree(out, ignore_errors=True)
    assert sent_digest == received_digest
    assert sent_digest[1] > 1024 * MIB
    report = (
        f"{sent_digest[1] / MIB:.0f} MiB: written in {written - started:.1f} s, "
        f"SCP started and SCU run in {sent - written:.1f} s, both hashed in {done - sent:.1f} s; "
        f"peak RSS storescu.py {scu_peak / MIB:.1f} MiB, storescp.py {scp_peak / MIB:.1f} MiB"
    )
    print(report)
    assert 0 < scu_peak < 160 * MIB, report
    assert 0 < scp_peak < 160 * MIB, report
