"""dimsewire's example SCUs and SCP (examples/findscu.py, echoscu.py, findscp.py) against
real peers.

Our SCU against pynetdicom's SCP and DCMTK's dcmqrscp and wlmscpfs; DCMTK's findscu and
pynetdicom's SCU against our SCP. Each checks the matches, the statuses, C-CANCEL, and
small maximum PDU lengths under which every message must be fragmented.

C-ECHO both ways: DCMTK's echoscu and pynetdicom's SCU against our SCP; our echoscu
against DCMTK's storescp and a pynetdicom Verification SCP, and its exit status and
message when the peer answers a failure, rejects the association or refuses Verification.
"""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from peers import (
    STUDY_ROOT_FIND,
    VERIFICATION,
    WORKLIST_FIND,
    EchoSeen,
    FindSeen,
    dcmqrscp_server,
    make_patient_studies,
    make_worklist_items,
    pynetdicom_echo,
    pynetdicom_echo_scp,
    pynetdicom_find,
    pynetdicom_find_scp,
    requires_binaries,
    requires_dcmtk,
    run_echoscu,
    run_findscu,
    storescp_server,
    wlmscpfs_server,
)
from pydicom import Dataset
from pydicom.sequence import Sequence as DicomSequence

sys.path.insert(0, str(Path(__file__).parent.parent / "examples"))
import echoscu
from findscp import FindSCP, serve
from findscu import FindResult, PeerError, find

EXAMPLES = Path(__file__).parent.parent / "examples"

pytestmark = pytest.mark.peer

PENDING, SUCCESS, CANCEL = 0xFF00, 0x0000, 0xFE00
PATIENTS = make_patient_studies(12)  # DOE^* is patients 0, 4 and 8
DOE = ["PID0000", "PID0004", "PID0008"]
LONG_COMMENT = "C" * 600  # makes each match longer than the small maxima below


def patient_query(name: str = "DOE^*", **keys: object) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "PATIENT"
    ds.PatientName = name
    ds.PatientID = ""
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds


def run_find(port: int, query: Dataset, **kwargs: object) -> FindResult:
    return asyncio.run(find("127.0.0.1", port, query, **kwargs))  # type: ignore[arg-type]


def ids(matches: list[Dataset]) -> list[str]:
    return sorted(str(ds.PatientID) for ds in matches)


# --- our SCU against pynetdicom's SCP ----------------------------------------------------


def test_scu_finds_on_pynetdicom_scp_with_tiny_pdus() -> None:
    patients = make_patient_studies(12)
    for ds in patients:
        ds.PatientComments = LONG_COMMENT
    seen: list[FindSeen] = []
    query = patient_query(PatientComments="", PatientBirthDate="")
    with pynetdicom_find_scp(patients, maximum_pdu_size=128, seen=seen) as (_, port):
        result = run_find(port, query, max_pdu_length=256, calling_ae="TINYSCU")
    assert ids(result.matches) == DOE
    assert result.statuses == [PENDING] * 3 + [SUCCESS]
    assert {str(m.PatientComments) for m in result.matches} == {LONG_COMMENT}
    assert result.peer_max_pdu_length == 128
    # the ~110-byte command set and the query do not fit one 128-byte PDU
    assert result.pdus_sent >= 2
    assert seen[0].calling_ae == "TINYSCU"
    assert seen[0].identifier == query
    assert (seen[0].pending_sent, seen[0].final_status) == (3, SUCCESS)


def test_scu_cancels_on_pynetdicom_scp() -> None:
    seen: list[FindSeen] = []
    with pynetdicom_find_scp(PATIENTS, pending_delay=0.2, seen=seen) as (_, port):
        result = run_find(port, patient_query(""), cancel_after=2)
    assert result.cancelled
    assert result.statuses == [PENDING, PENDING, CANCEL]
    assert len(result.matches) == 2
    assert (seen[0].cancelled, seen[0].final_status) == (True, CANCEL)


def test_scu_refused_context_is_reported() -> None:
    endings: list[str] = []
    with (
        pynetdicom_find_scp(PATIENTS, endings=endings) as (_, port),
        pytest.raises(KeyError) as err,
    ):
        run_find(port, patient_query(), model="1.2.840.10008.5.1.4.1.2.3.1")  # retired P/S Only
    assert err.value.args[0] == (
        "no accepted presentation context for 1.2.840.10008.5.1.4.1.2.3.1: "
        "context 1 abstract-syntax-not-supported (provider rejection)"
    )
    assert endings == ["released"]  # an association with nothing to do is ended in order


# --- our SCU against DCMTK -----------------------------------------------------------------


@requires_dcmtk
def test_scu_finds_on_dcmqrscp(tmp_path: Path) -> None:
    with dcmqrscp_server(tmp_path, PATIENTS, max_pdu=4096) as (_, port):
        result = run_find(port, patient_query(), called_ae="DCMQRSCP", max_pdu_length=4096)
        studies = Dataset()
        studies.QueryRetrieveLevel = "STUDY"
        studies.StudyDate = "20240103-20240106"
        studies.AccessionNumber = ""
        by_date = run_find(port, studies, model="study", called_ae="DCMQRSCP")
    assert ids(result.matches) == DOE
    assert result.statuses == [PENDING] * 3 + [SUCCESS]
    assert result.peer_max_pdu_length == 4096
    assert sorted(str(m.AccessionNumber) for m in by_date.matches) == [
        f"ACC{i:04d}00" for i in range(2, 6)
    ]


@requires_dcmtk
def test_scu_cancels_on_dcmqrscp(tmp_path: Path) -> None:
    many = make_patient_studies(32, studies_per_patient=8)  # 256 studies
    with dcmqrscp_server(tmp_path, many) as (_, port):
        studies = Dataset()
        studies.QueryRetrieveLevel = "STUDY"
        studies.StudyInstanceUID = ""
        result = run_find(port, studies, model="study", called_ae="DCMQRSCP", cancel_after=1)
    assert result.cancelled
    # dcmqrscp reads a C-CANCEL-RQ between matches (PS3.4 C.4.1.3): it ends with Cancel,
    # having sent some but not all of the 256 matches
    assert result.final_status == CANCEL
    assert 1 <= len(result.matches) < 256
    assert result.statuses == [PENDING] * len(result.matches) + [CANCEL]


@requires_dcmtk
def test_scu_finds_worklist_on_wlmscpfs(tmp_path: Path) -> None:
    query = Dataset()
    query.PatientName = ""
    query.PatientID = ""
    step = Dataset()
    step.Modality = "MR"
    step.ScheduledStationAETitle = ""
    query.ScheduledProcedureStepSequence = DicomSequence([step])
    with wlmscpfs_server(tmp_path, make_worklist_items(8), max_pdu=4096) as (_, port):
        result = run_find(port, query, model="worklist", called_ae="WLMSCP")
    assert result.statuses[-1] == SUCCESS
    assert ids(result.matches) == ["PID0001", "PID0005"]  # MR is every 4th from 1
    stations = {
        str(m.ScheduledProcedureStepSequence[0].ScheduledStationAETitle) for m in result.matches
    }
    assert stations == {"SCANNER1", "SCANNER5"}


# --- DCMTK's and pynetdicom's SCUs against our SCP -----------------------------------------


@pytest.fixture
def our_scp() -> Iterator[tuple[FindSCP, int]]:
    """examples/findscp.py over PATIENTS and 8 worklist items, on a loop in a thread."""
    scp = FindSCP(PATIENTS, make_worklist_items(8), max_pdu_length=4096, pending_delay=0.05)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(serve(scp, "127.0.0.1", 0), loop).result(10)
    try:
        yield scp, server.sockets[0].getsockname()[1]
    finally:

        async def stop() -> None:
            server.close()
            await server.wait_closed()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@requires_dcmtk
def test_dcmtk_findscu_on_our_scp(our_scp: tuple[FindSCP, int]) -> None:
    scp, port = our_scp
    result = run_findscu(port, ["PatientName=DOE^*", "PatientID"], max_pdu=4096)
    assert result.returncode == 0, result.log
    assert result.statuses == [PENDING] * 3 + [SUCCESS]
    assert ids(result.matches) == DOE
    assert scp.log == [f"{'1.2.840.10008.5.1.4.1.2.1.1'} matches=3 status=0x0000"]


@requires_dcmtk
def test_dcmtk_findscu_cancels_on_our_scp(our_scp: tuple[FindSCP, int]) -> None:
    scp, port = our_scp
    result = run_findscu(port, ["PatientName", "PatientID"], cancel_after=2)
    assert result.returncode == 0, result.log
    assert result.statuses == [PENDING, PENDING, CANCEL]
    assert ids(result.matches) == ["PID0000", "PID0001"]
    assert scp.log[-1].endswith("matches=2 status=0xFE00")


@requires_dcmtk
def test_dcmtk_findscu_worklist_on_our_scp(our_scp: tuple[FindSCP, int]) -> None:
    _, port = our_scp
    result = run_findscu(
        port,
        ["PatientID", "ScheduledProcedureStepSequence[0].Modality=CT"],
        level=None,
        model="-W",
    )
    assert result.returncode == 0, result.log
    assert result.statuses == [PENDING, PENDING, SUCCESS]
    assert ids(result.matches) == ["PID0000", "PID0004"]


def test_pynetdicom_scu_on_our_scp_with_tiny_pdus(our_scp: tuple[FindSCP, int]) -> None:
    scp, port = our_scp
    before = scp.pdus_sent
    responses = pynetdicom_find(port, patient_query(PatientBirthDate=""), max_pdu=64)
    assert [status for status, _ in responses] == [PENDING] * 3 + [SUCCESS]
    assert ids([ds for status, ds in responses if ds is not None]) == DOE
    # 4 responses under a 64-byte maximum: every one needs several PDUs
    assert scp.pdus_sent - before > 4 * 2


def test_pynetdicom_scu_cancels_on_our_scp(our_scp: tuple[FindSCP, int]) -> None:
    scp, port = our_scp
    responses = pynetdicom_find(port, patient_query(""), cancel_after=3)
    assert [status for status, _ in responses] == [PENDING] * 3 + [CANCEL]
    assert scp.log[-1].endswith("matches=3 status=0xFE00")


def test_pynetdicom_scu_study_root_on_our_scp(our_scp: tuple[FindSCP, int]) -> None:
    _, port = our_scp
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.AccessionNumber = "ACC000?00"
    query.StudyDate = ""
    responses = pynetdicom_find(port, query, model_uid=STUDY_ROOT_FIND)
    found = sorted(str(ds.AccessionNumber) for _, ds in responses if ds is not None)
    assert found == [f"ACC000{i}00" for i in range(10)]
    assert responses[-1][0] == SUCCESS


def test_our_scu_on_our_scp_worklist(our_scp: tuple[FindSCP, int]) -> None:
    _, port = our_scp
    query = Dataset()
    query.PatientID = "PID000[*"  # no match: the bracket is literal
    result = run_find(port, query, model=WORKLIST_FIND)
    assert result.statuses == [SUCCESS]
    query.PatientID = "PID000?"
    result = run_find(port, query, model=WORKLIST_FIND)
    assert ids(result.matches) == [f"PID000{i}" for i in range(8)]


def test_our_scu_reports_a_closed_connection() -> None:
    async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    async def scenario() -> None:
        server = await asyncio.start_server(close_at_once, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            with pytest.raises(PeerError, match="closed the connection"):
                await find("127.0.0.1", port, patient_query(), timeout=5)

    asyncio.run(scenario())


@requires_dcmtk
def test_dcmtk_findscu_reassembles_our_fragments_at_4096() -> None:
    """Matches of 6 KB each at findscu's --max-pdu 4096: every response is fragmented."""
    patients = make_patient_studies(8)
    for ds in patients:
        ds.PatientComments = "C" * 6000
    scp = FindSCP(patients, max_pdu_length=4096)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(serve(scp, "127.0.0.1", 0), loop).result(10)
    try:
        port = server.sockets[0].getsockname()[1]
        result = run_findscu(
            port, ["PatientName=DOE^*", "PatientID", "PatientComments"], max_pdu=4096
        )
    finally:
        loop.call_soon_threadsafe(server.close)
        asyncio.run_coroutine_threadsafe(server.wait_closed(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
    assert result.returncode == 0, result.log
    assert result.statuses == [PENDING, PENDING, SUCCESS]
    assert {str(m.PatientComments) for m in result.matches} == {"C" * 6000}
    # packed: a response's command set shares the first PDU with the start of its 6 KB
    # data set, whose rest needs a second PDU; then one PDU for the final response
    assert scp.pdus_sent == 2 * 2 + 1


# --- C-ECHO both ways (PS3.4 A.4, PS3.7 9.1.5) ---------------------------------------------


def echo_log(*message_ids: int) -> list[str]:
    """What our SCP logs for C-ECHO-RQs with these Message IDs, each answered Success."""
    return [f"{VERIFICATION} echo={i} status=0x0000" for i in message_ids]


@requires_binaries("echoscu")
@pytest.mark.parametrize(
    "extra",
    [
        pytest.param([], id="one-context"),
        # 3 contexts (IDs 1, 3, 5) with 3 transfer syntaxes each, Big Endian among them
        pytest.param(["--propose-pc", "3", "--propose-ts", "3"], id="three-contexts"),
    ],
)
def test_dcmtk_echoscu_on_our_scp(our_scp: tuple[FindSCP, int], extra: list[str]) -> None:
    scp, port = our_scp
    result = run_echoscu(port, repeat=3, extra=extra)
    assert result.returncode == 0, result.log
    assert result.message_ids == [1, 2, 3]
    assert result.responses == ["Success"] * 3
    assert scp.log == echo_log(1, 2, 3)


def test_pynetdicom_echo_on_our_scp(our_scp: tuple[FindSCP, int]) -> None:
    scp, port = our_scp
    assert pynetdicom_echo(port) == SUCCESS
    assert scp.log == echo_log(1)


def test_our_echoscu_on_our_scp(our_scp: tuple[FindSCP, int]) -> None:
    scp, port = our_scp
    assert asyncio.run(echoscu.echo("127.0.0.1", port, max_pdu_length=0)) == SUCCESS
    assert scp.log == echo_log(1)


@requires_binaries("storescp")
def test_our_echoscu_script_on_dcmtk_storescp(tmp_path: Path) -> None:
    """examples/echoscu.py run as a program, as a user would, against storescp."""
    with storescp_server(tmp_path, ae_title="STORESCP") as (_, port):
        argv = [sys.executable, EXAMPLES / "echoscu.py", "127.0.0.1", str(port)]
        done = subprocess.run(
            [*argv, "--aec", "STORESCP", "--aet", "OURECHO", "--timeout", "10"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    (log_path,) = tmp_path.glob("storescp-*/storescp.log")
    log = log_path.read_text()
    assert (done.returncode, done.stderr) == (0, ""), log
    assert done.stdout == f"echoscu: 127.0.0.1:{port} answered, status 0x0000 Success: Success\n"
    assert len(re.findall(r"Message Type\s+: C-ECHO RQ\n", log)) == 1, log
    assert re.search(r"Calling Application Name:\s+OURECHO\n", log), log


def test_our_echoscu_on_pynetdicom_scp(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[EchoSeen] = []
    with pynetdicom_echo_scp(seen=seen) as (_, port):
        code = echoscu.main(["127.0.0.1", str(port), "--aet", "OURECHO", "--aec", "PYNECHO"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out == f"echoscu: 127.0.0.1:{port} answered, status 0x0000 Success: Success\n"
    assert seen == [EchoSeen("OURECHO", 1, VERIFICATION, SUCCESS)]


def test_our_echoscu_names_a_failure_status(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[EchoSeen] = []
    with pynetdicom_echo_scp(status=0x0122, seen=seen) as (_, port):
        code = echoscu.main(["127.0.0.1", str(port)])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == "echoscu: C-ECHO-RSP status 0x0122 Failure: Refused: SOP Class not supported\n"
    assert len(seen) == 1


def test_our_echoscu_where_verification_is_not_accepted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A FIND-only SCP refuses the Verification context: no echo, exit 2, said why."""
    endings: list[str] = []
    with pynetdicom_find_scp(PATIENTS, endings=endings) as (_, port):
        code = echoscu.main(["127.0.0.1", str(port)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        "echoscu: no accepted presentation context for 1.2.840.10008.1.1: "
        "context 1 abstract-syntax-not-supported (provider rejection)\n"
    )
    assert endings == ["released"]  # an association with nothing to do is ended in order


def test_our_echoscu_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    with pynetdicom_echo_scp(ae_title="PYNECHO", require_called_aet=True) as (_, port):
        code = echoscu.main(["127.0.0.1", str(port), "--aec", "SOMEONE"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        "echoscu: association rejected: rejected-permanent, DICOM UL service-user, "
        "called-AE-title-not-recognized\n"
    )


def test_our_echoscu_without_a_peer(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # bound, not listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        code = echoscu.main(["127.0.0.1", str(sock.getsockname()[1]), "--timeout", "5"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("echoscu: ")
