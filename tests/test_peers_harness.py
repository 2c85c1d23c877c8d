"""The peer harness (tests/peers.py) against real peers, without dimsewire.

Each pairing that dimsewire will later stand in for: pynetdicom SCU against dcmqrscp and
wlmscpfs, findscu against the pynetdicom SCP, and C-CANCEL from both SCUs.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from peers import (
    PATIENT_ROOT_FIND,
    STUDY_ROOT_FIND,
    WORKLIST_FIND,
    FindSeen,
    PeerError,
    dcmqrscp_server,
    is_listening,
    make_patient_studies,
    make_worklist_items,
    pynetdicom_find,
    pynetdicom_find_scp,
    query,
    requires_dcmtk,
    run_findscu,
    wlmscpfs_server,
)
from pydicom import Dataset
from pydicom.uid import generate_uid

pytestmark = pytest.mark.peer

PENDING, SUCCESS, CANCEL = 0xFF00, 0x0000, 0xFE00
PATIENTS = make_patient_studies(6, studies_per_patient=2)  # 6 patients, 12 studies


def statuses(responses: list[tuple[int, Dataset | None]]) -> list[int]:
    return [status for status, _ in responses]


def values(datasets: list[Dataset], *keywords: str) -> set[tuple[str, ...]]:
    """The values of `keywords` in each data set, as strings."""
    return {tuple(str(ds[keyword].value) for keyword in keywords) for ds in datasets}


def identifiers(responses: list[tuple[int, Dataset | None]]) -> list[Dataset]:
    """The identifiers of the pending responses (which must have one)."""
    found = [ds for status, ds in responses if status == PENDING]
    assert None not in found
    return [ds for ds in found if ds is not None]


@pytest.fixture(scope="module")
def dcmqrscp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """dcmqrscp over PATIENTS, receiving PDUs of at most 4096 bytes; its port."""
    with dcmqrscp_server(tmp_path_factory.mktemp("qr"), PATIENTS, max_pdu=4096) as (_, port):
        yield port
    assert not is_listening(port)


@requires_dcmtk
def test_pynetdicom_scu_finds_patients_in_dcmqrscp(dcmqrscp: int) -> None:
    responses = pynetdicom_find(
        dcmqrscp,
        query("PATIENT", PatientName="", PatientID="", PatientBirthDate=""),
        called_ae="DCMQRSCP",
        model_uid=PATIENT_ROOT_FIND,
        max_pdu=4096,
    )
    assert statuses(responses) == [PENDING] * 6 + [SUCCESS]
    keys = ("PatientID", "PatientName", "PatientBirthDate")
    assert values(identifiers(responses), *keys) == values(PATIENTS, *keys)


@requires_dcmtk
def test_pynetdicom_scu_wildcard_in_dcmqrscp(dcmqrscp: int) -> None:
    responses = pynetdicom_find(
        dcmqrscp,
        query("PATIENT", PatientName="DOE^*", PatientID=""),
        called_ae="DCMQRSCP",
        max_pdu=4096,
    )
    assert statuses(responses) == [PENDING, PENDING, SUCCESS]
    assert sorted(ds.PatientID for ds in identifiers(responses)) == ["PID0000", "PID0004"]


@requires_dcmtk
def test_pynetdicom_scu_sends_a_fragmented_study_query_to_dcmqrscp(dcmqrscp: int) -> None:
    wanted = [PATIENTS[1], PATIENTS[6], PATIENTS[11]]
    # A list of UIDs longer than dcmqrscp's 4096-byte PDUs: the C-FIND-RQ must fragment.
    decoys = [generate_uid(entropy_srcs=["decoy", str(n)]) for n in range(100)]
    uids = [ds.StudyInstanceUID for ds in wanted] + decoys
    assert len("\\".join(uids)) > 4096
    responses = pynetdicom_find(
        dcmqrscp,
        query("STUDY", StudyInstanceUID=uids, StudyDate="", AccessionNumber="", PatientID=""),
        called_ae="DCMQRSCP",
        model_uid=STUDY_ROOT_FIND,
        max_pdu=4096,
    )
    assert statuses(responses) == [PENDING] * 3 + [SUCCESS]
    keys = ("StudyInstanceUID", "StudyDate", "AccessionNumber")
    assert values(identifiers(responses), *keys) == values(wanted, *keys)
    assert values(identifiers(responses), "QueryRetrieveLevel") == {("STUDY",)}


@requires_dcmtk
def test_findscu_finds_studies_in_dcmqrscp(dcmqrscp: int) -> None:
    result = run_findscu(
        dcmqrscp,
        ["PatientID=PID0003", "StudyInstanceUID", "StudyDate", "AccessionNumber"],
        level="STUDY",
        model="-S",
        called_ae="DCMQRSCP",
    )
    assert result.returncode == 0, result.log
    assert result.statuses == [PENDING, PENDING, SUCCESS]
    assert sorted(ds.AccessionNumber for ds in result.matches) == ["ACC000300", "ACC000301"]


@requires_dcmtk
def test_dcmqrscp_refuses_an_unknown_called_ae(dcmqrscp: int) -> None:
    message = f"association with NOSUCHAE on 127.0.0.1:{dcmqrscp} rejected"
    with pytest.raises(PeerError, match=f"^{re.escape(message)}$"):
        pynetdicom_find(dcmqrscp, query("PATIENT", PatientID=""), called_ae="NOSUCHAE")


@requires_dcmtk
def test_findscu_finds_in_pynetdicom_scp() -> None:
    seen: list[FindSeen] = []
    with pynetdicom_find_scp(PATIENTS, seen=seen) as (_, port):
        result = run_findscu(
            port, ["PatientName=DOE^*", "PatientID", "PatientSex"], called_ae="PYNSCP"
        )
    assert result.returncode == 0, result.log
    assert result.statuses == [PENDING, PENDING, SUCCESS]
    assert [(ds.PatientID, ds.PatientSex) for ds in result.matches] == [
        ("PID0000", "F"),
        ("PID0004", "F"),
    ]
    # Only the requested keys come back, with the level
    assert {tuple(ds.dir()) for ds in result.matches} == {
        ("PatientID", "PatientName", "PatientSex", "QueryRetrieveLevel")
    }
    [request] = seen
    assert (request.calling_ae, request.sop_class_uid) == ("FINDSCU", PATIENT_ROOT_FIND)
    assert (request.pending_sent, request.cancelled, request.final_status) == (2, False, SUCCESS)


@requires_dcmtk
def test_findscu_reassembles_a_response_longer_than_its_max_pdu() -> None:
    patient = copy.deepcopy(PATIENTS[0])
    patient.PatientComments = "0123456789" * 600  # LT, 6000 bytes
    with pynetdicom_find_scp([patient]) as (_, port):
        result = run_findscu(port, ["PatientID", "PatientComments"], max_pdu=4096)
    assert result.returncode == 0, result.log
    assert result.statuses == [PENDING, SUCCESS]
    assert result.matches[0].PatientComments == patient.PatientComments


@requires_dcmtk
def test_findscu_cancels_pynetdicom_scp() -> None:
    seen: list[FindSeen] = []
    with pynetdicom_find_scp(PATIENTS, pending_delay=0.3, seen=seen) as (_, port):
        result = run_findscu(port, ["PatientID"], cancel_after=1)
    assert result.returncode == 0, result.log
    assert result.statuses == [PENDING, CANCEL]
    assert [ds.PatientID for ds in result.matches] == ["PID0000"]
    [request] = seen
    assert (request.pending_sent, request.cancelled, request.final_status) == (1, True, CANCEL)


def test_pynetdicom_scu_cancels_pynetdicom_scp() -> None:
    seen: list[FindSeen] = []
    with pynetdicom_find_scp(PATIENTS, pending_delay=0.3, seen=seen) as (_, port):
        responses = pynetdicom_find(port, query("PATIENT", PatientID=""), cancel_after=2)
    assert statuses(responses) == [PENDING, PENDING, CANCEL]
    assert (seen[0].pending_sent, seen[0].cancelled) == (2, True)


def test_pynetdicom_scp_rejects_a_query_without_level() -> None:
    with pynetdicom_find_scp(PATIENTS) as (_, port):
        responses = pynetdicom_find(port, query(None, PatientID=""))
    assert responses == [(0xA900, None)]


@requires_dcmtk
def test_pynetdicom_scu_finds_a_worklist_item_in_wlmscpfs(tmp_path: Path) -> None:
    [item] = make_worklist_items(1)
    step = Dataset()
    step.Modality = "CT"
    step.ScheduledStationAETitle = ""
    step.ScheduledProcedureStepStartDate = ""
    step.ScheduledProcedureStepID = ""
    request = query(None, PatientName="", PatientID="", AccessionNumber="")
    request.ScheduledProcedureStepSequence = [step]
    with wlmscpfs_server(tmp_path, [item]) as (_, port):
        responses = pynetdicom_find(
            port, request, called_ae="WLMSCP", model_uid=WORKLIST_FIND, max_pdu=4096
        )
    assert statuses(responses) == [PENDING, SUCCESS]
    [found] = identifiers(responses)
    for keyword in ("PatientName", "PatientID", "AccessionNumber"):
        assert found[keyword].value == item[keyword].value
    [found_step] = found.ScheduledProcedureStepSequence
    [item_step] = item.ScheduledProcedureStepSequence
    for keyword in step.dir():
        assert found_step[keyword].value == item_step[keyword].value
    assert not is_listening(port)


@requires_dcmtk
def test_findscu_finds_nothing_for_another_modality_in_wlmscpfs(tmp_path: Path) -> None:
    with wlmscpfs_server(tmp_path, make_worklist_items(1)) as (_, port):
        result = run_findscu(
            port,
            ["PatientName", "ScheduledProcedureStepSequence[0].Modality=MR"],
            level=None,
            model="-W",
            called_ae="WLMSCP",
        )
    assert result.returncode == 0, result.log
    assert (result.statuses, result.matches) == ([SUCCESS], [])
