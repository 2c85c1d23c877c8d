"""Real DICOM peers on 127.0.0.1 for tests: pynetdicom and DCMTK, both as SCU and SCP.

Independent of dimsewire's API, so that dimsewire's own SCU and SCP can later be checked
against the same peers. Clients connect to 127.0.0.1 and the pynetdicom SCP listens there
only; every exchange has a bounded timeout; no thread or process outlives its context
manager, also when the test fails (the DCMTK SCP's log is printed then: pytest shows it).

SCPs (context managers yielding ``(host, port)``)
    pynetdicom_find_scp  pynetdicom AE: Patient Root, Study Root and Modality Worklist FIND
    pynetdicom_echo_scp  pynetdicom AE: Verification only, answering a chosen status
    dcmqrscp_server      DCMTK's Q/R archive over files indexed with dcmqridx
    wlmscpfs_server      DCMTK's worklist SCP over ``.wl`` files
    storescp_server      DCMTK's storage SCP, which also answers Verification
    pynetdicom_store_scp pynetdicom AE: every Storage SOP Class in any transfer syntax; writes
                         each data set's bytes as received, or answers a chosen status

SCUs
    run_findscu          DCMTK's findscu; matches from its ``-X`` files, statuses from ``-d``
    pynetdicom_find      pynetdicom C-FIND, optionally C-CANCEL after N pending responses
    run_echoscu          DCMTK's echoscu; requests and responses from its ``-v`` log
    pynetdicom_echo      pynetdicom C-ECHO: the response's status
    run_storescu         DCMTK's storescu; its exit code and ``-v`` log
    pynetdicom_store     pynetdicom C-STORE of Part 10 files, their bytes as they are

DCMTK 3.6.7 quirks met here:

* ``dcmqrscp --single-process`` crashes (SIGSEGV in ``DUL_DropAssociation``) after the
  first association it releases, so dcmqrscp runs in its default fork mode, in its own
  process group, and the whole group is terminated on exit.
  dcmqrscp reaps a finished child only in its accept loop, within a second; a child that
  ends just before the stop is left to init to reap.
* The DCMTK SCPs have no bind-address option: they listen on every interface.
* dcmqrscp answers only the keys its index holds (no ModalitiesInStudy, no
  NumberOfStudyRelatedInstances at STUDY level); wlmscpfs needs a ``lockfile`` beside the
  ``.wl`` files and adds missing type 2 sequences (with a warning) unless they are there.
* A bare TCP connect makes a DCMTK SCP log a failed association, so readiness is read from
  ``/proc/net/tcp`` where it exists.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from pydicom import Dataset, dcmread
from pydicom.dataelem import DataElement
from pydicom.dataset import FileMetaDataset
from pydicom.filereader import read_file_meta_info
from pydicom.filewriter import write_file_meta_info
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import (
    ExplicitVRLittleEndian,
    SecondaryCaptureImageStorage,
    generate_uid,
)
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, _config, evt

HOST = "127.0.0.1"
TIMEOUT = 30.0  # seconds: the bound for any single exchange with a peer
START_TIMEOUT = 10.0  # seconds for a DCMTK SCP to start listening
STOP_TIMEOUT = 5.0  # seconds between SIGTERM and SIGKILL

DCMTK = shutil.which("dcmqrscp") is not None and shutil.which("findscu") is not None
TSHARK = shutil.which("tshark") is not None
requires_dcmtk = pytest.mark.skipif(
    not DCMTK, reason="DCMTK not installed (apt-get install dcmtk); .ci/run installs it"
)
requires_tshark = pytest.mark.skipif(
    not TSHARK, reason="tshark not installed (apt-get install tshark); .ci/run installs it"
)

# SOP Class UIDs (PS3.4 C.6 and K.6)
PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"  # Patient Root Q/R Information Model - FIND
STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"  # Study Root Q/R Information Model - FIND
WORKLIST_FIND = "1.2.840.10008.5.1.4.31"  # Modality Worklist Information Model - FIND

# The unique key of each Query/Retrieve level (PS3.4 C.6): one match per distinct value.
UNIQUE_KEYS = {
    "PATIENT": "PatientID",
    "STUDY": "StudyInstanceUID",
    "SERIES": "SeriesInstanceUID",
    "IMAGE": "SOPInstanceUID",
}
_NOT_MATCHED = {"QueryRetrieveLevel", "SpecificCharacterSet"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


# --- test data -----------------------------------------------------------------------------

_FAMILY = ("DOE", "ROE", "SMITH", "JONES")
_GIVEN = ("JOHN", "JANE", "ALEX", "MARY", "OMAR", "LENA", "IVAN", "NORA")
_MODALITIES = ("CT", "MR", "US", "OT")


def _uid(*parts: object) -> str:
    """A UID that is the same on every run for the same parts (pydicom's prefix)."""
    return str(generate_uid(entropy_srcs=["dimsewire-tests", *map(str, parts)]))


def make_patient_studies(n: int, *, studies_per_patient: int = 1) -> list[Dataset]:
    """`n` patients, each with `studies_per_patient` studies of one 2x2 Secondary Capture image.

    Patient ``i`` is ``PatientID`` ``PID{i:04d}``, named ``{FAMILY}^{GIVEN}`` with families
    DOE, ROE, SMITH, JONES in turn (so ``DOE^*`` matches patients 0, 4, 8, ...). Study ``j``
    of patient ``i`` has AccessionNumber ``ACC{i:04d}{j:02d}``, StudyDate 2024-01-01 plus
    ``i`` days, Modality from CT, MR, US, OT in turn. All UIDs are distinct and the same on
    every run. The data sets have no file meta; the SCPs add it when they write files.
    """
    if not 0 <= n <= len(_FAMILY) * len(_GIVEN):
        raise ValueError(f"n must be 0 to {len(_FAMILY) * len(_GIVEN)} (distinct names), not {n}")
    datasets = []
    for i in range(n):
        for j in range(studies_per_patient):
            ds = Dataset()
            # SOP Common
            ds.SOPClassUID = SecondaryCaptureImageStorage
            ds.SOPInstanceUID = _uid("image", i, j)
            # Patient
            ds.PatientName = f"{_FAMILY[i % len(_FAMILY)]}^{_GIVEN[i // len(_FAMILY)]}"
            ds.PatientID = f"PID{i:04d}"
            ds.PatientBirthDate = f"{1950 + i:04d}0101"
            ds.PatientSex = "FM"[i % 2]
            # General Study
            ds.StudyInstanceUID = _uid("study", i, j)
            ds.StudyDate = (datetime.date(2024, 1, 1) + datetime.timedelta(days=i)).strftime(
                "%Y%m%d"
            )
            ds.StudyTime = f"{8 + j:02d}0000"
            ds.AccessionNumber = f"ACC{i:04d}{j:02d}"
            ds.StudyID = f"S{i:04d}{j:02d}"
            ds.StudyDescription = f"TEST STUDY {i}.{j}"
            ds.ReferringPhysicianName = "WELBY^MARCUS"
            # General Series, SC Equipment
            ds.SeriesInstanceUID = _uid("series", i, j)
            ds.Modality = _MODALITIES[(i + j) % len(_MODALITIES)]
            ds.SeriesNumber = 1
            ds.ConversionType = "WSD"
            # General Image, Image Pixel: 2x2, 8 bits
            ds.InstanceNumber = 1
            ds.PatientOrientation = ""
            ds.SamplesPerPixel = 1
            ds.PhotometricInterpretation = "MONOCHROME2"
            ds.Rows = 2
            ds.Columns = 2
            ds.BitsAllocated = 8
            ds.BitsStored = 8
            ds.HighBit = 7
            ds.PixelRepresentation = 0
            ds.PixelData = bytes([0, 85, 170, 255])
            datasets.append(ds)
    return datasets


def make_worklist_items(n: int) -> list[Dataset]:
    """`n` Modality Worklist items (PS3.4 K.6) for patients 0 to n-1 of make_patient_studies.

    Item ``i`` has AccessionNumber ``WL{i:04d}`` and one Scheduled Procedure Step with
    Modality from CT, MR, US, OT in turn, station AE ``SCANNER{i}``, on 2024-02-01.
    """
    items = []
    for patient in make_patient_studies(n):
        i = int(patient.PatientID[3:])
        ds = Dataset()
        ds.AccessionNumber = f"WL{i:04d}"
        ds.ReferringPhysicianName = "WELBY^MARCUS"
        ds.ReferencedStudySequence = DicomSequence()
        ds.ReferencedPatientSequence = DicomSequence()
        for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex"):
            setattr(ds, keyword, patient[keyword].value)
        ds.StudyInstanceUID = _uid("worklist study", i)
        ds.RequestedProcedureDescription = f"PROCEDURE {i}"
        ds.RequestedProcedureID = f"RP{i:04d}"
        step = Dataset()
        step.Modality = _MODALITIES[i % len(_MODALITIES)]
        step.ScheduledStationAETitle = f"SCANNER{i}"
        step.ScheduledProcedureStepStartDate = "20240201"
        step.ScheduledProcedureStepStartTime = f"{8 + i % 10:02d}0000"
        step.ScheduledPerformingPhysicianName = "HOUSE^GREGORY"
        step.ScheduledProcedureStepDescription = f"STEP {i}"
        step.ScheduledProcedureStepID = f"SPS{i:04d}"
        ds.ScheduledProcedureStepSequence = DicomSequence([step])
        items.append(ds)
    return items


def query(level: str | None, **keys: object) -> Dataset:
    """A query Identifier: QueryRetrieveLevel `level` (if not None), then `keys` as
    ``Keyword=value`` (``""`` for a universal match)."""
    ds = Dataset()
    if level is not None:
        ds.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds


def write_part10(ds: Dataset, path: Path, *, default_sop_class: str) -> None:
    """Write `ds` as a DICOM file, adding file meta (Explicit VR Little Endian) if absent."""
    ds = copy.deepcopy(ds)
    if "TransferSyntaxUID" not in getattr(ds, "file_meta", FileMetaDataset()):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = ds.get("SOPClassUID", default_sop_class)
        meta.MediaStorageSOPInstanceUID = ds.get("SOPInstanceUID", _uid("file", path.name))
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta = meta
    ds.save_as(path, enforce_file_format=True)


# --- matching, as a simple SCP does it -----------------------------------------------------


def _values(elem: DataElement) -> list[str]:
    if elem.is_empty:
        return []
    if isinstance(elem.value, MultiValue):
        return [str(v) for v in elem.value]
    return [str(elem.value)]


def _value_matches(key: DataElement, have: DataElement) -> bool:
    """Single value, list of UIDs, wildcard (``*``, ``?``) or range matching (PS3.4 C.2.2.2)."""
    for wanted in _values(key):
        for value in _values(have):
            if key.VR in ("DA", "TM", "DT") and "-" in wanted:
                low, high = wanted.split("-", 1)
                if (not low or low <= value) and (not high or value <= high):
                    return True
            elif key.VR != "UI" and ("*" in wanted or "?" in wanted):
                pattern = "".join(
                    ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in wanted
                )
                if re.fullmatch(pattern, value, re.DOTALL):
                    return True
            elif wanted == value:
                return True
    return False


def _has_matching_keys(query: Dataset) -> bool:
    """Whether `query` has a non-empty key, at any depth (else everything matches it)."""
    for elem in query:
        if elem.keyword in _NOT_MATCHED:
            continue
        if elem.VR == "SQ":
            if any(_has_matching_keys(item) for item in elem.value):
                return True
        elif not elem.is_empty:
            return True
    return False


def match_identifier(query: Dataset, candidate: Dataset) -> Dataset | None:
    """The response Identifier if `candidate` matches `query`, else None.

    Empty keys match anything (universal matching) and are returned with the candidate's
    value, or empty if it has none; a sequence key matches item by item. The response holds
    only the requested keys, plus QueryRetrieveLevel if the query has one.
    """
    response = Dataset()
    if "QueryRetrieveLevel" in query:
        response.QueryRetrieveLevel = query.QueryRetrieveLevel
    for key in query:
        if key.keyword in _NOT_MATCHED:
            continue
        have = candidate.get(key.tag)  # a DataElement: the key is a tag
        if key.VR == "SQ":
            items: list[Dataset] = []
            for item in have.value if have is not None else []:
                if not key.value:  # an empty sequence key: return every item whole
                    items.append(copy.deepcopy(item))
                elif (matched := match_identifier(key.value[0], item)) is not None:
                    items.append(matched)
            if not items and key.value and _has_matching_keys(key.value[0]):
                return None
            response[key.tag] = DataElement(key.tag, "SQ", DicomSequence(items))
        elif not key.is_empty and (have is None or not _value_matches(key, have)):
            return None
        elif have is not None:
            response[key.tag] = copy.deepcopy(have)
        else:
            response[key.tag] = DataElement(key.tag, key.VR, None)
    return response


def find_matches(query: Dataset, datasets: Sequence[Dataset]) -> list[Dataset]:
    """Matches of `query` in `datasets`: one per distinct unique key of its level, if any."""
    level = query.get("QueryRetrieveLevel")
    if level is not None and level not in UNIQUE_KEYS:
        raise ValueError(f"QueryRetrieveLevel must be one of {', '.join(UNIQUE_KEYS)}, not {level}")
    matches, seen = [], set()
    for candidate in datasets:
        unique = candidate.get(UNIQUE_KEYS[level]) if level is not None else id(candidate)
        if unique in seen:
            continue
        match = match_identifier(query, candidate)
        if match is not None:
            matches.append(match)
            seen.add(unique)
    return matches


# --- pynetdicom SCP ------------------------------------------------------------------------


@dataclasses.dataclass
class FindSeen:
    """One C-FIND request as the pynetdicom SCP saw and answered it."""

    calling_ae: str
    sop_class_uid: str
    identifier: Dataset
    pending_sent: int = 0
    cancelled: bool = False
    final_status: int | None = None


@contextlib.contextmanager
def pynetdicom_find_scp(
    datasets: Sequence[Dataset],
    *,
    ae_title: str = "PYNSCP",
    port: int | None = None,
    maximum_pdu_size: int = 16382,
    pending_delay: float = 0.0,
    seen: list[FindSeen] | None = None,
    transfer_syntaxes: Sequence[str] | None = None,
    endings: list[str] | None = None,
) -> Iterator[tuple[str, int]]:
    """A pynetdicom FIND SCP over `datasets` on 127.0.0.1; yields ``(host, port)``.

    Supports Patient Root and Study Root Q/R FIND and Modality Worklist FIND, matching as
    `find_matches` does. Before each pending response it sleeps `pending_delay` seconds,
    then checks for a C-CANCEL and if one came answers Cancel (FE00). Each request is
    appended to `seen`, if given, as a `FindSeen`. ``port=None`` lets the OS choose.
    `transfer_syntaxes` replaces pynetdicom's defaults; pynetdicom accepts the first of
    its own list that the requestor proposed. How each association ended (``"released"``
    or ``"aborted"``) is appended to `endings`, if given; complete once the block exits.
    """

    def handle_find(event: evt.Event) -> Iterator[tuple[int, Dataset | None]]:
        record = FindSeen(
            calling_ae=event.assoc.requestor.ae_title,
            sop_class_uid=str(event.request.AffectedSOPClassUID),
            identifier=event.identifier,
        )
        if seen is not None:
            seen.append(record)
        query = record.identifier
        if record.sop_class_uid == WORKLIST_FIND:
            query = copy.deepcopy(query)
            query.pop("QueryRetrieveLevel", None)
        try:
            if record.sop_class_uid != WORKLIST_FIND and "QueryRetrieveLevel" not in query:
                raise ValueError("a Query/Retrieve identifier needs a QueryRetrieveLevel")
            matches = find_matches(query, datasets)
        except ValueError:
            record.final_status = 0xA900  # Identifier does not match SOP Class
            yield 0xA900, None
            return
        for match in matches:
            if pending_delay:
                time.sleep(pending_delay)
            if event.is_cancelled:  # true once per C-CANCEL: pynetdicom forgets it then
                record.cancelled = True
                record.final_status = 0xFE00
                yield 0xFE00, None
                return
            record.pending_sent += 1
            yield 0xFF00, match
        record.final_status = 0x0000

    ae = AE(ae_title=ae_title)
    ae.maximum_pdu_size = maximum_pdu_size
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    for sop_class in (PATIENT_ROOT_FIND, STUDY_ROOT_FIND, WORKLIST_FIND):
        if transfer_syntaxes is None:
            ae.add_supported_context(sop_class)
        else:
            ae.add_supported_context(sop_class, list(transfer_syntaxes))
    handlers: list[tuple[evt.EventType, Callable[..., Any]]] = [(evt.EVT_C_FIND, handle_find)]
    if endings is not None:
        handlers.append((evt.EVT_RELEASED, lambda _: endings.append("released")))
        handlers.append((evt.EVT_ABORTED, lambda _: endings.append("aborted")))
    server = ae.start_server((HOST, port or 0), block=False, evt_handlers=handlers)
    assert server is not None  # block=False returns the running server
    try:
        yield HOST, server.server_address[1]
    finally:
        _stop_scp(ae)


# --- DCMTK SCPs ----------------------------------------------------------------------------


class PeerError(RuntimeError):
    """A peer did not start, or did not answer in time; the message carries its log."""


def _log_tail(path: Path, lines: int = 120) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def is_listening(port: int, pid: int | None = None) -> bool:
    """Whether a socket listens on TCP `port` (one of process `pid`'s, if given).

    Read from /proc/net/tcp{,6} and /proc/<pid>/fd on Linux, which the peer does not see;
    elsewhere by connecting, which a DCMTK SCP logs as a failed association.
    """
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return True
        return False
    inodes = set()
    for table in tables:
        if table.exists():
            for line in table.read_text().splitlines()[1:]:
                fields = line.split()  # sl local_address rem_address st ... inode
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    inodes.add(f"socket:[{inode}]")
    if pid is None or not inodes:
        return bool(inodes)
    with contextlib.suppress(OSError):  # the process may be gone already
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) in inodes:
                    return True
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End the process group `proc` leads (its forked children too): SIGTERM, then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)  # proc.pid leads its own group: start_new_session
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group
    proc.wait(STOP_TIMEOUT)


@contextlib.contextmanager
def _dcmtk_scp(
    name: str, workdir: Path, argv_for_port: Callable[[int], list[str]], port: int | None
) -> Iterator[tuple[str, int]]:
    """Start ``argv_for_port(port)`` in `workdir`, wait until it listens, stop it on exit.

    With ``port=None`` a free port is chosen, and another one if the SCP dies while starting
    (the port may have been taken in between). Output goes to ``workdir/<name>.log``, shown
    on stdout if the block fails.
    """
    log_path = workdir / f"{name}.log"
    for attempt in range(3):
        chosen = port or free_port()
        with log_path.open("ab") as log:
            log.write(f"--- {name} attempt {attempt + 1} on port {chosen}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                argv_for_port(chosen),
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while proc.poll() is None and not is_listening(chosen, proc.pid):
                if time.monotonic() > deadline:
                    raise PeerError(f"{name} not listening on {chosen} after {START_TIMEOUT} s")
                time.sleep(0.02)
            if proc.poll() is None:
                yield HOST, chosen
                if proc.poll() is not None:
                    raise PeerError(f"{name} exited with {proc.returncode} while in use")
                return
        except BaseException:
            print(f"--- {log_path}\n{_log_tail(log_path)}", file=sys.stdout)
            raise
        finally:
            _stop(proc)
        if port is not None:
            break
    raise PeerError(f"{name} exited with {proc.returncode} on start:\n{_log_tail(log_path)}")


def _no_whitespace(path: Path) -> Path:
    if re.search(r"\s", str(path)):
        raise ValueError(f"DCMTK configuration files cannot hold a path with spaces: {path}")
    return path


@contextlib.contextmanager
def dcmqrscp_server(
    tmp_path: Path,
    datasets: Sequence[Dataset],
    *,
    ae_title: str = "DCMQRSCP",
    port: int | None = None,
    max_pdu: int = 16384,
) -> Iterator[tuple[str, int]]:
    """DCMTK's dcmqrscp serving `datasets` (Patient and Study Root FIND, MOVE, GET).

    In a new directory under `tmp_path`: the data sets as ``files/NNNN.dcm``, indexed with
    ``dcmqridx`` into ``db/``, and ``dcmqrscp.cfg`` with one AETable entry, `ae_title`,
    read/write on ``db/`` for ANY peer AE (so the HostTable stays empty). Log in
    ``dcmqrscp.log`` (``-d``). Yields ``(host, port)``.
    """
    workdir = _no_whitespace(Path(tempfile.mkdtemp(prefix="dcmqrscp-", dir=tmp_path)))
    files, db = workdir / "files", workdir / "db"
    files.mkdir()
    db.mkdir()
    paths = []
    for i, ds in enumerate(datasets):
        paths.append(files / f"{i:04d}.dcm")
        write_part10(ds, paths[-1], default_sop_class=SecondaryCaptureImageStorage)
    if paths:
        indexed = subprocess.run(
            ["dcmqridx", str(db), *map(str, paths)],
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
        if indexed.returncode != 0:
            output = (indexed.stdout + indexed.stderr).decode(errors="replace")
            raise PeerError(f"dcmqridx exited with {indexed.returncode}:\n{output}")
    config = workdir / "dcmqrscp.cfg"

    def argv(chosen: int) -> list[str]:
        config.write_text(
            f"""\
# dcmqrscp configuration for a test peer (see /etc/dcmtk/dcmqrscp.cfg)
NetworkTCPPort  = {chosen}
MaxPDUSize      = {max_pdu}
MaxAssociations = 16

HostTable BEGIN
HostTable END

VendorTable BEGIN
VendorTable END

AETable BEGIN
# AETitle  StorageArea  Access  Quota (maxStudies, maxBytesPerStudy)  Peers
{ae_title}  {db}  RW  ({max(100, 2 * len(datasets))}, 1024mb)  ANY
AETable END
"""
        )
        # fork mode (the default): --single-process crashes after one association in 3.6.7
        return ["dcmqrscp", "-d", "-ta", "30", "-td", "30", "-c", str(config)]

    with _dcmtk_scp("dcmqrscp", workdir, argv, port) as address:
        yield address


@contextlib.contextmanager
def wlmscpfs_server(
    tmp_path: Path,
    worklist_items: Sequence[Dataset],
    *,
    ae_title: str = "WLMSCP",
    port: int | None = None,
    max_pdu: int = 16384,
) -> Iterator[tuple[str, int]]:
    """DCMTK's wlmscpfs serving `worklist_items` (Modality Worklist FIND).

    In a new directory under `tmp_path`: ``worklists/<ae_title>/`` holds the items as
    ``itemNNNN.wl`` files and the empty ``lockfile`` wlmscpfs locks while it searches; a
    called AE title without such a directory is refused. Single process mode; log in
    ``wlmscpfs.log`` (``-d``). Yields ``(host, port)``.
    """
    workdir = Path(tempfile.mkdtemp(prefix="wlmscpfs-", dir=tmp_path))
    database = workdir / "worklists" / ae_title
    database.mkdir(parents=True)
    (database / "lockfile").touch()
    for i, item in enumerate(worklist_items):
        write_part10(item, database / f"item{i:04d}.wl", default_sop_class=WORKLIST_FIND)

    def argv(chosen: int) -> list[str]:
        return [
            "wlmscpfs",
            "-d",
            "--single-process",
            "-dfp",
            str(database.parent),
            "-pdu",
            str(max_pdu),
            "-ta",
            "30",
            "-td",
            "30",
            str(chosen),
        ]

    with _dcmtk_scp("wlmscpfs", workdir, argv, port) as address:
        yield address


# --- SCUs ----------------------------------------------------------------------------------


@dataclasses.dataclass
class FindscuResult:
    """What findscu did: exit code, response statuses in order, pending identifiers, log."""

    argv: list[str]
    returncode: int
    statuses: list[int]
    matches: list[Dataset]
    log: str

    @property
    def final_status(self) -> int | None:
        """The status of the last response, None if there was none."""
        return self.statuses[-1] if self.statuses else None


_FINDSCU_MODELS = {"-P", "-S", "-W", "-O"}
_INCOMING = "INCOMING DIMSE MESSAGE"
_DIMSE_STATUS = re.compile(r"DIMSE Status\s*:\s*0x([0-9a-fA-F]{4})")


def _findscu_statuses(log: str) -> list[int]:
    """C-FIND-RSP statuses from a ``findscu -d`` log: one per incoming DIMSE message dump."""
    statuses, incoming = [], False
    for line in log.splitlines():
        if _INCOMING in line:
            incoming = True
        elif "END DIMSE MESSAGE" in line:
            incoming = False
        elif incoming and (m := _DIMSE_STATUS.search(line)):
            statuses.append(int(m.group(1), 16))
    return statuses


def run_findscu(
    port: int,
    keys: Sequence[str],
    *,
    level: str | None = "PATIENT",
    model: str = "-P",
    called_ae: str = "ANY-SCP",
    calling_ae: str = "FINDSCU",
    max_pdu: int | None = None,
    cancel_after: int | None = None,
    timeout: float = TIMEOUT,
    extra: Sequence[str] = (),
) -> FindscuResult:
    """Run DCMTK's ``findscu -d`` against 127.0.0.1:`port` with ``-k`` `keys`.

    `model` is ``-P`` (Patient Root), ``-S`` (Study Root), ``-O`` (Patient/Study Only) or
    ``-W`` (worklist, which takes ``level=None``: no QueryRetrieveLevel). `keys` are
    findscu's ``-k`` arguments: ``PatientName``, ``PatientID=PID0001``,
    ``ScheduledProcedureStepSequence[0].Modality=CT``. Pending identifiers come from the
    ``-X`` files findscu writes to a temporary directory, statuses from its debug log.
    `extra` arguments go to findscu as they are (e.g. ``-xd`` to propose deflate).
    Raises `PeerError` if findscu does not finish in `timeout` seconds.
    """
    if model not in _FINDSCU_MODELS:
        raise ValueError(f"model must be one of {sorted(_FINDSCU_MODELS)}, not {model!r}")
    if model == "-W" and level is not None:
        raise ValueError("the worklist model (-W) has no QueryRetrieveLevel: pass level=None")
    seconds = str(max(1, round(timeout)))
    with tempfile.TemporaryDirectory(prefix="findscu-") as out:
        argv = ["findscu", "-d", model, "-aet", calling_ae, "-aec", called_ae]
        argv += ["-to", seconds, "-ta", seconds, "-td", seconds, "-ts", seconds]
        argv += ["-X", "-od", out]
        if max_pdu is not None:
            argv += ["--max-pdu", str(max_pdu)]
        if cancel_after is not None:
            argv += ["--cancel", str(cancel_after)]
        argv += list(extra)
        if level is not None:
            argv += ["-k", f"QueryRetrieveLevel={level}"]
        for key in keys:
            argv += ["-k", key]
        argv += [HOST, str(port)]
        try:
            done = subprocess.run(
                argv, capture_output=True, timeout=timeout + STOP_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as err:  # subprocess.run has killed findscu
            output = (err.stdout or b"") + (err.stderr or b"")
            raise PeerError(
                f"findscu still running after {timeout} s:\n{output.decode(errors='replace')}"
            ) from err
        matches: list[Dataset] = [dcmread(p) for p in sorted(Path(out).glob("rsp*.dcm"))]
    log = (done.stdout + done.stderr).decode(errors="replace")
    return FindscuResult(argv, done.returncode, _findscu_statuses(log), matches, log)


def pynetdicom_find(
    port: int,
    query: Dataset,
    *,
    ae_title: str = "PYNSCU",
    called_ae: str = "ANY-SCP",
    model_uid: str = PATIENT_ROOT_FIND,
    max_pdu: int = 16382,
    cancel_after: int | None = None,
    timeout: float = TIMEOUT,
) -> list[tuple[int, Dataset | None]]:
    """One C-FIND with pynetdicom to 127.0.0.1:`port`: ``(status, identifier)`` per response.

    With `cancel_after`, sends C-CANCEL once that many pending responses have come in, and
    keeps reading until the final response. Raises `PeerError` if the association is not
    accepted, or is aborted or times out before the final response.
    """
    ae = AE(ae_title=ae_title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    ae.connection_timeout = timeout
    ae.add_requested_context(model_uid)
    assoc = ae.associate(HOST, port, ae_title=called_ae, max_pdu=max_pdu)
    if not assoc.is_established:
        outcome = "rejected" if assoc.is_rejected else "not established"
        raise PeerError(f"association with {called_ae} on {HOST}:{port} {outcome}")
    responses: list[tuple[int, Dataset | None]] = []
    try:
        pending = 0
        for status, identifier in assoc.send_c_find(query, model_uid, msg_id=1):
            if "Status" not in status:
                got = len(responses)
                raise PeerError(f"C-FIND aborted or timed out after {got} responses")
            responses.append((int(status.Status), identifier))
            if status.Status in (0xFF00, 0xFF01):
                pending += 1
                if pending == cancel_after:
                    assoc.send_c_cancel(1, query_model=model_uid)
    finally:
        if assoc.is_established:
            assoc.release()
        assoc.join(STOP_TIMEOUT)
        ae.shutdown()
    return responses


# --- Verification (C-ECHO, PS3.4 A.4) ------------------------------------------------------

VERIFICATION = "1.2.840.10008.1.1"  # Verification SOP Class


def requires_binaries(*names: str) -> pytest.MarkDecorator:
    """Skip unless every program in `names` is on the PATH; the reason names the missing."""
    missing = [name for name in names if shutil.which(name) is None]
    return pytest.mark.skipif(
        bool(missing),
        reason=f"{', '.join(missing)} not installed (apt-get install dcmtk); .ci/run installs it",
    )


@contextlib.contextmanager
def storescp_server(
    tmp_path: Path,
    *,
    ae_title: str = "STORESCP",
    port: int | None = None,
    max_pdu: int = 16384,
    extra: Sequence[str] = (),
) -> Iterator[tuple[str, int]]:
    """DCMTK's storescp (single process), which answers Verification and stores into a
    new directory under `tmp_path`; log in ``storescp.log`` there (``-d``: each
    A-ASSOCIATE-RQ and each incoming DIMSE message, ``Message Type : C-ECHO RQ``).
    `extra` arguments go to storescp as they are (e.g. ``+B``, bit-preserving, and
    ``+xa``, every transfer syntax it knows; files are then named ``<modality>.<SOP
    Instance UID>``). Yields ``(host, port)``."""
    workdir = Path(tempfile.mkdtemp(prefix="storescp-", dir=tmp_path))

    def argv(chosen: int) -> list[str]:
        return [
            "storescp",
            "-d",
            "--single-process",
            "-aet",
            ae_title,
            "-od",
            str(workdir),
            "-pdu",
            str(max_pdu),
            "-ta",
            "30",
            "-td",
            "30",
            *extra,
            str(chosen),
        ]

    with _dcmtk_scp("storescp", workdir, argv, port) as address:
        yield address


@dataclasses.dataclass
class EchoSeen:
    """One C-ECHO-RQ as the pynetdicom SCP saw it, and the status it answered."""

    calling_ae: str
    message_id: int
    sop_class_uid: str
    status: int


def _stop_scp(ae: AE) -> None:
    """Stop a pynetdicom SCP started with ``block=False``, and wait for its associations.

    One its peer is already ending (rejected, released or aborted: pynetdicom waits for
    the transport to close) ends first: shutting down under it raises in pynetdicom's
    reactor thread (Evt15, an abort, is invalid in Sta13), a race the tests lost now and
    then after an A-ASSOCIATE-RJ. Established ones are stopped by the shutdown.
    """
    associations = list(ae.active_associations)
    for assoc in associations:
        if not assoc.is_established:
            assoc.join(STOP_TIMEOUT)
    ae.shutdown()
    for assoc in associations:
        assoc.join(STOP_TIMEOUT)


@contextlib.contextmanager
def pynetdicom_echo_scp(
    *,
    ae_title: str = "PYNECHO",
    port: int | None = None,
    status: int = 0x0000,
    require_called_aet: bool = False,
    seen: list[EchoSeen] | None = None,
) -> Iterator[tuple[str, int]]:
    """A pynetdicom SCP on 127.0.0.1 accepting only Verification; yields ``(host, port)``.

    Its EVT_C_ECHO handler answers `status` and appends an `EchoSeen` to `seen`, if given.
    With `require_called_aet` an association called by another title than `ae_title` is
    rejected (A-ASSOCIATE-RJ, called AE title not recognised).
    """

    def handle_echo(event: evt.Event) -> int:
        if seen is not None:
            seen.append(
                EchoSeen(
                    calling_ae=event.assoc.requestor.ae_title,
                    message_id=int(event.request.MessageID),
                    sop_class_uid=str(event.request.AffectedSOPClassUID),
                    status=status,
                )
            )
        return status

    ae = AE(ae_title=ae_title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    ae.require_called_aet = require_called_aet
    ae.add_supported_context(VERIFICATION)
    server = ae.start_server(
        (HOST, port or 0), block=False, evt_handlers=[(evt.EVT_C_ECHO, handle_echo)]
    )
    assert server is not None  # block=False returns the running server
    try:
        yield HOST, server.server_address[1]
    finally:
        _stop_scp(ae)


@dataclasses.dataclass
class EchoscuResult:
    """What echoscu did: exit code, Message IDs sent, responses (echoscu's words), log."""

    argv: list[str]
    returncode: int
    message_ids: list[int]
    responses: list[str]
    log: str


_ECHO_REQUEST = re.compile(r"Sending Echo Request \(MsgID (\d+)\)")
_ECHO_RESPONSE = re.compile(r"Received Echo Response \((.*)\)")


def run_echoscu(
    port: int,
    *,
    called_ae: str = "ANY-SCP",
    calling_ae: str = "ECHOSCU",
    repeat: int = 1,
    timeout: float = TIMEOUT,
    extra: Sequence[str] = (),
) -> EchoscuResult:
    """Run DCMTK's ``echoscu -v`` against 127.0.0.1:`port`, `repeat` echoes on one
    association. `extra` arguments go to echoscu as they are (e.g. ``-ppc 3``).
    Raises `PeerError` if echoscu does not finish in `timeout` seconds."""
    seconds = str(max(1, round(timeout)))
    argv = ["echoscu", "-v", "-aet", calling_ae, "-aec", called_ae]
    argv += ["-to", seconds, "-ta", seconds, "-td", seconds, "-ts", seconds]
    argv += ["--repeat", str(repeat), *extra, HOST, str(port)]
    try:
        done = subprocess.run(
            argv, capture_output=True, timeout=timeout + STOP_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as err:  # subprocess.run has killed echoscu
        output = (err.stdout or b"") + (err.stderr or b"")
        raise PeerError(
            f"echoscu still running after {timeout} s:\n{output.decode(errors='replace')}"
        ) from err
    log = (done.stdout + done.stderr).decode(errors="replace")
    return EchoscuResult(
        argv,
        done.returncode,
        [int(m.group(1)) for m in _ECHO_REQUEST.finditer(log)],
        [m.group(1) for m in _ECHO_RESPONSE.finditer(log)],
        log,
    )


def pynetdicom_echo(
    port: int,
    *,
    ae_title: str = "PYNSCU",
    called_ae: str = "ANY-SCP",
    max_pdu: int = 16382,
    timeout: float = TIMEOUT,
) -> int:
    """One C-ECHO with pynetdicom to 127.0.0.1:`port`; returns the response's Status.

    Raises `PeerError` if the association is not accepted, or if no response came.
    """
    ae = AE(ae_title=ae_title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    ae.connection_timeout = timeout
    ae.add_requested_context(VERIFICATION)
    assoc = ae.associate(HOST, port, ae_title=called_ae, max_pdu=max_pdu)
    if not assoc.is_established:
        outcome = "rejected" if assoc.is_rejected else "not established"
        raise PeerError(f"association with {called_ae} on {HOST}:{port} {outcome}")
    try:
        status = assoc.send_c_echo(msg_id=1)
        if "Status" not in status:
            raise PeerError("C-ECHO aborted or timed out: no response")
        return int(status.Status)
    finally:
        if assoc.is_established:
            assoc.release()
        assoc.join(STOP_TIMEOUT)
        ae.shutdown()


# --- Storage (C-STORE, PS3.4 B) -----------------------------------------------------------


@dataclasses.dataclass
class StoreSeen:
    """One C-STORE-RQ as the pynetdicom SCP saw it, the status it answered and the file
    it wrote (None unless the status is Success)."""

    calling_ae: str
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax: str
    status: int
    path: Path | None


@contextlib.contextmanager
def pynetdicom_store_scp(
    out_dir: Path,
    *,
    ae_title: str = "PYNSTORE",
    port: int | None = None,
    maximum_pdu_size: int = 16382,
    status: int = 0x0000,
    error_comment: str | None = None,
    sop_classes: Sequence[str] | None = None,
    seen: list[StoreSeen] | None = None,
) -> Iterator[tuple[str, int]]:
    """A pynetdicom Storage SCP on 127.0.0.1; yields ``(host, port)``.

    It accepts `sop_classes` (default: every Storage SOP Class pynetdicom knows) in any
    transfer syntax pynetdicom knows, the first the requestor proposed. Its EVT_C_STORE
    handler answers `status` (with `error_comment` as ErrorComment, if given); with
    Success it first writes ``out_dir/<SOP Instance UID>.dcm``: preamble, File Meta
    from the request and the context, then ``event.request.DataSet``'s bytes exactly as
    received (pynetdicom's bit-preserving way). Each request goes to `seen`, if given.
    """

    def handle_store(event: evt.Event) -> Dataset:
        request = event.request
        meta = event.file_meta
        path = None
        if status == 0x0000:
            path = out_dir / f"{request.AffectedSOPInstanceUID}.dcm"
            with path.open("xb") as f:
                f.write(b"\x00" * 128 + b"DICM")
                write_file_meta_info(f, meta, enforce_standard=True)
                f.write(request.DataSet.getvalue())
        if seen is not None:
            seen.append(
                StoreSeen(
                    calling_ae=event.assoc.requestor.ae_title,
                    sop_class_uid=str(request.AffectedSOPClassUID),
                    sop_instance_uid=str(request.AffectedSOPInstanceUID),
                    transfer_syntax=str(meta.TransferSyntaxUID),
                    status=status,
                    path=path,
                )
            )
        response = Dataset()
        response.Status = status
        if error_comment is not None:
            response.ErrorComment = error_comment
        return response

    ae = AE(ae_title=ae_title)
    ae.maximum_pdu_size = maximum_pdu_size
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    classes = sop_classes or [cx.abstract_syntax for cx in AllStoragePresentationContexts]
    for sop_class in classes:
        ae.add_supported_context(sop_class, ALL_TRANSFER_SYNTAXES)
    server = ae.start_server(
        (HOST, port or 0), block=False, evt_handlers=[(evt.EVT_C_STORE, handle_store)]
    )
    assert server is not None  # block=False returns the running server
    try:
        yield HOST, server.server_address[1]
    finally:
        _stop_scp(ae)


@dataclasses.dataclass
class StorescuResult:
    """What storescu did: exit code and its ``-v`` log."""

    argv: list[str]
    returncode: int
    log: str


def run_storescu(
    port: int,
    paths: Sequence[Path],
    *,
    called_ae: str = "ANY-SCP",
    calling_ae: str = "STORESCU",
    timeout: float = TIMEOUT,
    extra: Sequence[str] = (),
) -> StorescuResult:
    """Run DCMTK's ``storescu -v -R`` (only the contexts the files need) against
    127.0.0.1:`port` with `paths`. `extra` arguments go to storescu as they are: one
    ``--propose-*`` option (e.g. ``-xi``, ``-xy``) picks the transfer syntax it proposes
    first. Note that storescu re-encodes each data set it sends (DCMTK drops a trailing
    (FFFC,FFFC) padding element, for one): it is not bit-preserving. Raises `PeerError`
    if storescu does not finish in `timeout` seconds."""
    seconds = str(max(1, round(timeout)))
    argv = ["storescu", "-v", "-R", "-aet", calling_ae, "-aec", called_ae]
    argv += ["-to", seconds, "-ta", seconds, "-td", seconds, "-ts", seconds]
    argv += [*extra, HOST, str(port), *map(str, paths)]
    try:
        done = subprocess.run(
            argv, capture_output=True, timeout=timeout + STOP_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as err:  # subprocess.run has killed storescu
        output = (err.stdout or b"") + (err.stderr or b"")
        raise PeerError(
            f"storescu still running after {timeout} s:\n{output.decode(errors='replace')}"
        ) from err
    return StorescuResult(
        argv, done.returncode, (done.stdout + done.stderr).decode(errors="replace")
    )


def pynetdicom_store(
    port: int,
    paths: Sequence[Path],
    *,
    ae_title: str = "PYNSCU",
    called_ae: str = "ANY-SCP",
    max_pdu: int = 16382,
    timeout: float = TIMEOUT,
) -> list[int | None]:
    """C-STORE each Part 10 file with pynetdicom to 127.0.0.1:`port`, on one association
    proposing each file's (SOP Class, transfer syntax) pair; one Status per file (None
    when no response came). The files' data sets are sent as they are, never decoded:
    pynetdicom's ``_config.STORE_SEND_CHUNKED_DATASET`` is on for the call (then
    restored). Raises `PeerError` if the association is not accepted."""

    ae = AE(ae_title=ae_title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    ae.connection_timeout = timeout
    pairs: dict[str, set[str]] = {}
    for path in paths:
        meta = read_file_meta_info(path)
        pairs.setdefault(str(meta.MediaStorageSOPClassUID), set()).add(str(meta.TransferSyntaxUID))
    for sop_class, syntaxes in pairs.items():
        for syntax in sorted(syntaxes):
            ae.add_requested_context(sop_class, syntax)
    assoc = ae.associate(HOST, port, ae_title=called_ae, max_pdu=max_pdu)
    if not assoc.is_established:
        outcome = "rejected" if assoc.is_rejected else "not established"
        raise PeerError(f"association with {called_ae} on {HOST}:{port} {outcome}")
    chunked = _config.STORE_SEND_CHUNKED_DATASET
    _config.STORE_SEND_CHUNKED_DATASET = True
    statuses: list[int | None] = []
    try:
        for number, path in enumerate(paths, 1):
            status = assoc.send_c_store(path, msg_id=number)
            statuses.append(int(status.Status) if "Status" in status else None)
    finally:
        _config.STORE_SEND_CHUNKED_DATASET = chunked
        if assoc.is_established:
            assoc.release()
        assoc.join(STOP_TIMEOUT)
        ae.shutdown()
    return statuses


__all__ = [
    "DCMTK",
    "PATIENT_ROOT_FIND",
    "STUDY_ROOT_FIND",
    "TSHARK",
    "VERIFICATION",
    "WORKLIST_FIND",
    "EchoSeen",
    "EchoscuResult",
    "FindSeen",
    "FindscuResult",
    "PeerError",
    "StoreSeen",
    "StorescuResult",
    "dcmqrscp_server",
    "find_matches",
    "free_port",
    "is_listening",
    "make_patient_studies",
    "make_worklist_items",
    "match_identifier",
    "pynetdicom_echo",
    "pynetdicom_echo_scp",
    "pynetdicom_find",
    "pynetdicom_find_scp",
    "pynetdicom_store",
    "pynetdicom_store_scp",
    "requires_binaries",
    "requires_dcmtk",
    "requires_tshark",
    "run_echoscu",
    "run_findscu",
    "run_storescu",
    "storescp_server",
    "wlmscpfs_server",
    "write_part10",
]
