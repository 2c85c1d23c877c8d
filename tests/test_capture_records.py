"""`dimsewire decode` records of every DIMSE service: command elements, statuses, data
sets, negotiation items (synthetic associations built with dimsewire's own endpoints)."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import tracemalloc
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dpkt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pcapgen import Packet, frame, pcap, segments
from pydicom import Dataset, dcmread
from pydicom.sequence import Sequence as DicomSequence
from wire import command_set, element, pdata, pdv, us

from dimsewire import (
    C_CANCEL,
    C_ECHO,
    C_GET,
    C_MOVE,
    C_STORE,
    IMPLEMENTATION_CLASS_UID,
    N_ACTION,
    N_CREATE,
    N_EVENT_REPORT,
    N_GET,
    AssociationEndpoint,
    DimsePrimitive,
    encode_identifier,
)
from dimsewire.association import answer_contexts
from dimsewire.capture import CaptureDecoder, datasets, iter_records, read_segments
from dimsewire.cli import main
from dimsewire.part10 import open_data_set
from dimsewire.pdus import (
    AsyncOperationsWindow,
    ReleaseRP,
    ReleaseRQ,
    RoleSelection,
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    UserIdentityAC,
    UserIdentityRQ,
    associate_ac,
    associate_rq,
)

VERIFICATION = "1.2.840.10008.1.1"
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
PATIENT_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.1.2"
PATIENT_ROOT_GET = "1.2.840.10008.5.1.4.1.2.1.3"
MPPS = "1.2.840.10008.3.1.2.3.3"
PRINTER = "1.2.840.10008.5.1.1.16"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
BIG_ENDIAN = "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"

Step = tuple[bool, DimsePrimitive | bytes, int]  # (from the requestor?, message, context)


def dialogue(
    contexts: Sequence[tuple[str, str]],
    steps: Sequence[Step],
    *,
    extra: Sequence[Any] = (),
    ac_extra: Sequence[Any] = (),
    calling: str = "SCU",
    called: str = "SCP",
) -> list[tuple[bool, bytes]]:
    """The PDUs of one association: contexts 1, 3, 5, ... each (abstract syntax, transfer
    syntax), then each step's message (a primitive, or raw P-DATA-TF bytes), then a
    release."""
    scu = AssociationEndpoint("requestor", max_pdu_length=16382)
    scp = AssociationEndpoint("acceptor", max_pdu_length=16382)
    rq = associate_rq(
        called,
        calling,
        [(2 * i + 1, abstract, [ts]) for i, (abstract, ts) in enumerate(contexts)],
        max_length=16382,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
        implementation_version_name="TESTSCU",
        extra=extra,
    )
    out = [(True, scu.send_pdu(rq))]
    scp.association.observe(rq, "requestor")
    supported: dict[str, list[str]] = {}
    for abstract, ts in contexts:
        supported.setdefault(abstract, []).append(ts)
    ac = associate_ac(
        rq,
        answer_contexts(rq, supported),
        max_length=16382,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
        extra=ac_extra,
    )
    out.append((False, scp.send_pdu(ac)))
    scu.association.observe(ac, "acceptor")
    for from_requestor, message, context in steps:
        if isinstance(message, bytes):
            out.append((from_requestor, message))
            continue
        endpoint = scu if from_requestor else scp
        out += [(from_requestor, pdu) for pdu in endpoint.send_message(message, context)]
    out.append((True, ReleaseRQ().encode()))
    out.append((False, ReleaseRP().encode()))
    return out


def decode(tmp_path: Path, pdus: list[tuple[bool, bytes]], *args: str) -> list[dict[str, Any]]:
    path = tmp_path / "capture.pcap"
    path.write_bytes(pcap(segments(pdus)))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["decode", str(path), "--json", *args]) == 0, out.getvalue()
    return [json.loads(line) for line in out.getvalue().splitlines()]


def text(tmp_path: Path, pdus: list[tuple[bool, bytes]], *args: str) -> str:
    path = tmp_path / "capture.pcap"
    path.write_bytes(pcap(segments(pdus)))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["decode", str(path), *args])
    return out.getvalue()


def messages(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["type"] == "message"]


def prim(cls: type[DimsePrimitive], **values: Any) -> DimsePrimitive:
    p = cls()
    for key, value in values.items():
        setattr(p, key, value)
    return p


# --- command elements and statuses ------------------------------------------------------


def test_every_command_element_is_at_the_top_level_by_keyword(tmp_path: Path) -> None:
    move = (PATIENT_ROOT_MOVE, IMPLICIT)
    rsp = prim(
        C_MOVE,
        MessageIDBeingRespondedTo=3,
        AffectedSOPClassUID=PATIENT_ROOT_MOVE,
        Status=0xB000,
        NumberOfRemainingSuboperations=0,
        NumberOfCompletedSuboperations=4,
        NumberOfFailedSuboperations=1,
        NumberOfWarningSuboperations=2,
        OffendingElement=[0x00100020, 0x0020000D],
        ErrorComment="one failed",
    )
    records = decode(tmp_path, dialogue([move], [(False, rsp, 1)]))
    (record,) = messages(records)
    keys = [k for k in record if k[0].isupper()]
    assert keys == [
        "AffectedSOPClassUID",
        "AffectedSOPClassName",
        "CommandField",
        "MessageIDBeingRespondedTo",
        "CommandDataSetType",
        "Status",
        "OffendingElement",
        "ErrorComment",
        "NumberOfRemainingSuboperations",
        "NumberOfCompletedSuboperations",
        "NumberOfFailedSuboperations",
        "NumberOfWarningSuboperations",
    ]
    assert record["OffendingElement"] == ["00100020", "0020000D"]
    assert (record["NumberOfCompletedSuboperations"], record["NumberOfFailedSuboperations"]) == (
        4,
        1,
    )
    assert record["status_meaning"] == "Sub-operations Complete - One or more Failures or Warnings"
    assert "other_elements" not in record
    assert "CommandGroupLength" not in record


def test_n_service_elements_and_type_names(tmp_path: Path) -> None:
    get_rsp = prim(
        N_GET,
        MessageIDBeingRespondedTo=1,
        AffectedSOPClassUID=PRINTER,
        AffectedSOPInstanceUID="1.2.840.10008.5.1.1.17",
        Status=0x0107,
        AttributeIdentifierList=[0x21100010, 0x21100020],
    )
    get_rq = prim(
        N_GET,
        MessageID=1,
        RequestedSOPClassUID=PRINTER,
        RequestedSOPInstanceUID="1.2.840.10008.5.1.1.17",
        AttributeIdentifierList=[0x21100010],
    )
    records = decode(
        tmp_path, dialogue([(PRINTER, IMPLICIT)], [(True, get_rq, 1), (False, get_rsp, 1)])
    )
    rq, rsp = messages(records)
    assert rq["RequestedSOPClassUID"] == PRINTER
    assert rq["RequestedSOPClassName"] == "Printer SOP Class"
    assert rq["RequestedSOPInstanceUID"] == "1.2.840.10008.5.1.1.17"
    assert rq["AttributeIdentifierList"] == ["21100010"]
    assert rsp["AffectedSOPInstanceUID"] == "1.2.840.10008.5.1.1.17"
    assert rsp["AttributeIdentifierList"] == ["21100010", "21100020"]
    assert (rsp["status_category"], rsp["status_meaning"]) == ("Warning", "Attribute List warning")


@pytest.mark.parametrize(
    ("cls", "abstract", "status", "category", "meaning"),
    [
        (C_ECHO, VERIFICATION, 0x0000, "Success", "Success"),
        (C_STORE, CT_IMAGE, 0x0000, "Success", "Success"),
        (C_STORE, CT_IMAGE, 0xA700, "Failure", "Refused: Out of Resources"),
        (N_CREATE, MPPS, 0x0000, "Success", "Success"),
        (
            C_MOVE,
            PATIENT_ROOT_MOVE,
            0xA702,
            "Failure",
            "Refused: Out of Resources - Unable to perform sub-operations",
        ),
        (C_MOVE, PATIENT_ROOT_MOVE, 0xA801, "Failure", "Refused: Move Destination unknown"),
        (
            C_GET,
            PATIENT_ROOT_GET,
            0xA702,
            "Failure",
            "Refused: Out of Resources - Unable to perform sub-operations",
        ),
    ],
)
def test_status_meaning_from_the_service_table(
    tmp_path: Path,
    cls: type[DimsePrimitive],
    abstract: str,
    status: int,
    category: str,
    meaning: str,
) -> None:
    rsp = prim(cls, MessageIDBeingRespondedTo=1, AffectedSOPClassUID=abstract, Status=status)
    if cls is C_STORE:
        rsp.AffectedSOPInstanceUID = "1.2.3.4"
    records = decode(tmp_path, dialogue([(abstract, IMPLICIT)], [(False, rsp, 1)]))
    (record,) = messages(records)
    assert (record["Status"], record["status_category"], record["status_meaning"]) == (
        status,
        category,
        meaning,
    )


def test_only_elements_the_dictionary_lacks_are_other_elements(tmp_path: Path) -> None:
    echo = command_set(
        element(0x0002, b"1.2.840.10008.1.1\x00"),
        us(0x0100, 0x0030),
        us(0x0110, 9),
        element(0x0600, b"DEST"),  # MoveDestination: in the dictionary, not in a C-ECHO
        element(0x0777, b"\x01\x02"),  # not in the dictionary
        us(0x0800, 0x0101),
    )
    pdus = dialogue([(VERIFICATION, IMPLICIT)], [(True, pdata(pdv(1, 0x03, echo)), 1)])
    (record,) = messages(decode(tmp_path, pdus))
    assert record["MoveDestination"] == "DEST"
    assert record["other_elements"] == {"00000777": "0102"}
    shown = text(tmp_path, pdus)
    assert "\n              MoveDestination: DEST\n" in shown
    assert "\n              (0000,0777): 0102 (not in the command dictionary)\n" in shown


def test_text_shows_one_line_per_element_by_name(tmp_path: Path) -> None:
    rq = prim(
        C_MOVE,
        MessageID=3,
        AffectedSOPClassUID=PATIENT_ROOT_MOVE,
        MoveDestination="STORESCP",
        Priority=1,
        Identifier=b"\x08\x00\x52\x00\x08\x00\x00\x00PATIENT ",
    )
    shown = text(tmp_path, dialogue([(PATIENT_ROOT_MOVE, IMPLICIT)], [(True, rq, 1)]))
    block = shown.split("-> C-MOVE-RQ  ctx 1", 1)[1].splitlines()[1:6]
    assert [line.strip() for line in block] == [
        "AffectedSOPClassUID: Patient Root Query/Retrieve Information Model - MOVE "
        "(1.2.840.10008.5.1.4.1.2.1.2)",
        "CommandField: 0x0021",
        "MessageID: 3",
        "MoveDestination: STORESCP",
        "Priority: 1 (high)",
    ]


# --- data sets ------------------------------------------------------------------------------


def image(**extra: Any) -> Dataset:
    """A small CT-like image: 64 x 64 x 16 bits (8192 bytes of pixel data), an icon."""
    ds = Dataset()
    ds.SOPClassUID = CT_IMAGE
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    ds.PatientName = "DOE^JOHN"
    ds.PatientID = "PID0001"
    icon = Dataset()
    icon.Rows, icon.Columns, icon.BitsAllocated = 32, 32, 8
    icon.PixelData = bytes(range(256)) * 4
    ds.IconImageSequence = DicomSequence([icon])
    ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored = 64, 64, 16, 16
    ds.PixelData = bytes(8192)
    for keyword, value in extra.items():
        setattr(ds, keyword, value)
    return ds


def store_rq(ds: Dataset, syntax: str, message_id: int = 1) -> C_STORE:
    rq = C_STORE()
    rq.MessageID = message_id
    rq.AffectedSOPClassUID = CT_IMAGE
    rq.AffectedSOPInstanceUID = ds.SOPInstanceUID
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a bad UID is wanted in one test
        rq.DataSet = encode_identifier(ds, syntax)
    return rq


def store_rsp(message_id: int = 1) -> C_STORE:
    return prim(
        C_STORE,
        MessageIDBeingRespondedTo=message_id,
        AffectedSOPClassUID=CT_IMAGE,
        AffectedSOPInstanceUID="1.2.826.0.1.3680043.8.498.1",
        Status=0x0000,
    )


@pytest.mark.parametrize("syntax", [IMPLICIT, EXPLICIT, BIG_ENDIAN, DEFLATED])
def test_a_stored_data_set_is_shown_without_its_bulk_values(tmp_path: Path, syntax: str) -> None:
    rq = store_rq(image(), syntax)
    records = decode(
        tmp_path, dialogue([(CT_IMAGE, syntax)], [(True, rq, 1), (False, store_rsp(), 1)])
    )
    record = messages(records)[0]
    assert record["dataset_parameter"] == "DataSet"
    assert record["dataset_length"] == len(rq.DataSet.getvalue())
    shown = record["dataset"]
    assert shown["00100010"] == {"vr": "PN", "Value": [{"Alphabetic": "DOE^JOHN"}]}
    assert shown["7FE00010"]["length"] == 8192
    assert "InlineBinary" not in shown["7FE00010"]
    icon = shown["00880200"]["Value"][0]
    assert icon["00280010"] == {"vr": "US", "Value": [32]}
    assert base64.b64decode(icon["7FE00010"]["InlineBinary"]) == bytes(range(256)) * 4
    # every value inlined on request
    records = decode(
        tmp_path,
        dialogue([(CT_IMAGE, syntax)], [(True, rq, 1)]),
        "--inline-bulk",
    )
    pixels = messages(records)[0]["dataset"]["7FE00010"]
    assert base64.b64decode(pixels["InlineBinary"]) == bytes(8192)
    # a lower threshold leaves the icon's pixels out too
    records = decode(
        tmp_path, dialogue([(CT_IMAGE, syntax)], [(True, rq, 1)]), "--bulk-threshold", "512"
    )
    icon = messages(records)[0]["dataset"]["00880200"]["Value"][0]
    assert icon["7FE00010"]["length"] == 1024


def test_the_other_parameters_are_named(tmp_path: Path) -> None:
    create = prim(
        N_CREATE,
        MessageID=1,
        AffectedSOPClassUID=MPPS,
        AffectedSOPInstanceUID="1.2.3.4",
        AttributeList=b"\x08\x00\x50\x00\x04\x00\x00\x00ACC1",
    )
    (record,) = messages(decode(tmp_path, dialogue([(MPPS, IMPLICIT)], [(True, create, 1)])))
    assert record["dataset_parameter"] == "AttributeList"
    assert record["dataset_length"] == 12
    assert record["dataset"] == {"00080050": {"vr": "SH", "Value": ["ACC1"]}}


def test_a_data_set_pydicom_warns_about_is_shown_with_the_warning(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = image(FrameOfReferenceUID="1.2.03.4")  # a component with a leading zero
    rq = store_rq(ds, EXPLICIT)
    pdus = dialogue([(CT_IMAGE, EXPLICIT)], [(True, rq, 1)])
    (record,) = messages(decode(tmp_path, pdus))
    assert record["dataset"]["00200052"] == {"vr": "UI", "Value": ["1.2.03.4"]}
    assert record["deviations"] == [
        "data set: pydicom: Invalid value for VR UI: '1.2.03.4'. Please see "
        "<https://dicom.nema.org/medical/dicom/current/output/html/part05.html#table_6.2-1> "
        "for allowed values for each VR."
    ]
    shown = text(tmp_path, pdus)
    assert "(0020,0052) Frame of Reference UID" in shown
    assert "deviation: data set: pydicom: Invalid value for VR UI: '1.2.03.4'" in shown


def test_text_decodes_each_data_set_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = datasets.data_set_json

    def counted(data: bytes, syntax: str) -> Any:
        calls.append(len(data))
        return real(data, syntax)

    monkeypatch.setattr(datasets, "data_set_json", counted)
    rq = store_rq(image(), EXPLICIT)
    shown = text(
        tmp_path, dialogue([(CT_IMAGE, EXPLICIT)], [(True, rq, 1), (False, store_rsp(), 1)])
    )
    assert len(calls) == 1
    assert "DataSet, 9" in shown
    assert "(7FE0,0010) Pixel Data" in shown
    assert "OW: <8192 bytes, not shown>" in shown


def test_a_store_whose_transfer_syntax_is_unknown_is_counted(tmp_path: Path) -> None:
    rq = store_rq(image(), EXPLICIT)
    pdus = dialogue([(CT_IMAGE, EXPLICIT)], [(True, rq, 1)])
    packets = [
        p
        for p in segments(pdus)
        if p.offset >= (len(pdus[0][1]) if p.from_client else len(pdus[1][1]))
    ]
    path = tmp_path / "late.pcap"
    path.write_bytes(pcap([p for p in packets if p.data]))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["decode", str(path), "--json"])
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    (record,) = messages(records)
    assert record["dataset_length"] == len(rq.DataSet.getvalue())
    assert record["dataset_note"] == (
        "transfer syntax unknown: the association's negotiation is not in the capture"
    )
    assert "dataset" not in record


# --- negotiation items ----------------------------------------------------------------------


def test_negotiation_items_are_shown_without_secrets(tmp_path: Path) -> None:
    rq_items = [
        AsyncOperationsWindow(2, 1),
        RoleSelection(CT_IMAGE, 0, 1),
        RoleSelection(MPPS, 1, 0),
        SOPClassExtendedNegotiation(PATIENT_ROOT_GET, b"\x01\x01"),
        SOPClassCommonExtendedNegotiation(CT_IMAGE, "1.2.840.10008.4.2", ("1.2.3",)),
        UserIdentityRQ(2, True, b"alice", b"s3cret-passcode"),
    ]
    ac_items = [RoleSelection(CT_IMAGE, 0, 1), UserIdentityAC(b"server-ticket")]
    pdus = dialogue(
        [(PATIENT_ROOT_GET, IMPLICIT), (CT_IMAGE, IMPLICIT)], [], extra=rq_items, ac_extra=ac_items
    )
    records = decode(tmp_path, pdus)
    rq, ac = records[0], records[1]
    assert rq["async_operations_window"] == {"invoked": 2, "performed": 1}
    assert rq["role_selections"] == [
        {
            "sop_class_uid": CT_IMAGE,
            "sop_class_name": "CT Image Storage",
            "scu_role": 0,
            "scp_role": 1,
        },
        {
            "sop_class_uid": MPPS,
            "sop_class_name": "Modality Performed Procedure Step SOP Class",
            "scu_role": 1,
            "scp_role": 0,
        },
    ]
    assert rq["extended_negotiation"] == [
        {
            "sop_class_uid": PATIENT_ROOT_GET,
            "sop_class_name": "Patient Root Query/Retrieve Information Model - GET",
            "application_information": "0101",
        }
    ]
    assert rq["common_extended_negotiation"][0]["service_class_uid"] == "1.2.840.10008.4.2"
    assert rq["common_extended_negotiation"][0]["related_general_sop_classes"] == ["1.2.3"]
    assert rq["user_identity"] == {
        "type": 2,
        "type_name": "Username and passcode",
        "positive_response_requested": True,
        "username": "alice",
        "passcode_length": 15,
    }
    assert ac["role_selections"][0]["scp_role"] == 1
    assert ac["user_identity"] == {"server_response_length": 13}
    shown = text(tmp_path, pdus)
    assert (
        "role selection: CT Image Storage (1.2.840.10008.5.1.4.1.1.2): SCU role 0, SCP role 1"
        in shown
    )
    assert (
        "user identity: Username and passcode (type 2), username 'alice', passcode of 15 bytes"
        in shown
    )
    assert "user identity: server response of 13 bytes" in shown
    for output in (json.dumps(records), shown, text(tmp_path, pdus, "--pdus")):
        assert "s3cret" not in output
        assert "server-ticket" not in output


@pytest.mark.parametrize(
    ("kind", "name"),
    [(3, "Kerberos Service ticket"), (4, "SAML Assertion"), (5, "JSON Web Token (JWT)")],
)
def test_tokens_are_shown_by_length_only(tmp_path: Path, kind: int, name: str) -> None:
    token = b"eyJhbGciOiJIUzI1NiJ9.secret-token"
    pdus = dialogue([(VERIFICATION, IMPLICIT)], [], extra=[UserIdentityRQ(kind, False, token)])
    records = decode(tmp_path, pdus)
    assert records[0]["user_identity"] == {
        "type": kind,
        "type_name": name,
        "positive_response_requested": False,
        "primary_field_length": len(token),
    }
    assert "secret-token" not in json.dumps(records) + text(tmp_path, pdus)


# --- the summary ----------------------------------------------------------------------------

STORAGE_COMMITMENT = "1.2.840.10008.1.20.1"
COMMITMENT_INSTANCE = "1.2.840.10008.1.20.1.1"


def multi(
    tmp_path: Path, streams: list[tuple[list[Packet], tuple[str, int], tuple[str, int]]]
) -> Path:
    """A capture of several connections, their packets in the order given (a list of
    (packets, client, server) per connection, each list possibly cut in pieces)."""
    blob = io.BytesIO()
    writer = dpkt.pcap.Writer(blob, linktype=1, snaplen=262144)
    time = 1_700_000_000.0
    for packets, client, server in streams:
        for packet in packets:
            time += 0.001
            writer.writepkt(frame(packet, client=client, server=server), ts=time)
    path = tmp_path / "multi.pcap"
    path.write_bytes(blob.getvalue())
    return path


def summary(path: Path, *args: str) -> list[str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["decode", str(path), "--summary", *args])
    return out.getvalue().splitlines()


def move_and_commit(tmp_path: Path) -> Path:
    """#1 MOVESCU -> QRSCP: C-MOVE 7 to STORESCP (a pending response, then Success), and a
    storage commitment N-ACTION; #2 QRSCP -> STORESCP: two C-STOREs for the move, while
    it runs; #3 QRSCP -> MOVESCU: the commitment's N-EVENT-REPORT on a new association."""
    identifier = encode_identifier(query_dataset(), IMPLICIT)
    move = prim(
        C_MOVE,
        MessageID=7,
        AffectedSOPClassUID=PATIENT_ROOT_MOVE,
        MoveDestination="STORESCP",
        Identifier=identifier,
    )
    pending = prim(
        C_MOVE,
        MessageIDBeingRespondedTo=7,
        AffectedSOPClassUID=PATIENT_ROOT_MOVE,
        Status=0xFF00,
        NumberOfRemainingSuboperations=1,
        NumberOfCompletedSuboperations=1,
        NumberOfFailedSuboperations=0,
        NumberOfWarningSuboperations=0,
    )
    done = prim(
        C_MOVE,
        MessageIDBeingRespondedTo=7,
        AffectedSOPClassUID=PATIENT_ROOT_MOVE,
        Status=0x0000,
        NumberOfCompletedSuboperations=2,
        NumberOfFailedSuboperations=0,
        NumberOfWarningSuboperations=0,
    )
    action = prim(
        N_ACTION,
        MessageID=8,
        RequestedSOPClassUID=STORAGE_COMMITMENT,
        RequestedSOPInstanceUID=COMMITMENT_INSTANCE,
        ActionTypeID=1,
        ActionInformation=encode_identifier(
            commitment("2.25.777", 2, "ReferencedSOPSequence"), IMPLICIT
        ),
    )
    action_rsp = prim(
        N_ACTION,
        MessageIDBeingRespondedTo=8,
        AffectedSOPClassUID=STORAGE_COMMITMENT,
        AffectedSOPInstanceUID=COMMITMENT_INSTANCE,
        ActionTypeID=1,
        Status=0x0000,
    )
    first = dialogue(
        [(PATIENT_ROOT_MOVE, IMPLICIT), (STORAGE_COMMITMENT, IMPLICIT)],
        [
            (True, move, 1),
            (False, pending, 1),
            (False, done, 1),
            (True, action, 3),
            (False, action_rsp, 3),
        ],
        calling="MOVESCU",
        called="QRSCP",
    )
    stores = []
    for n in (1, 2):
        rq = store_rq(image(SOPInstanceUID=f"1.2.3.{n}"), EXPLICIT, n)
        rq.MoveOriginatorApplicationEntityTitle = "MOVESCU"
        rq.MoveOriginatorMessageID = 7
        rsp = store_rsp(n)
        rsp.AffectedSOPInstanceUID = f"1.2.3.{n}"
        stores += [(True, rq, 1), (False, rsp, 1)]
    second = dialogue([(CT_IMAGE, EXPLICIT)], stores, calling="QRSCP", called="STORESCP")
    report = prim(
        N_EVENT_REPORT,
        MessageID=1,
        AffectedSOPClassUID=STORAGE_COMMITMENT,
        AffectedSOPInstanceUID=COMMITMENT_INSTANCE,
        EventTypeID=1,
        EventInformation=encode_identifier(
            commitment("2.25.777", 2, "ReferencedSOPSequence"), IMPLICIT
        ),
    )
    report_rsp = prim(
        N_EVENT_REPORT,
        MessageIDBeingRespondedTo=1,
        AffectedSOPClassUID=STORAGE_COMMITMENT,
        AffectedSOPInstanceUID=COMMITMENT_INSTANCE,
        EventTypeID=1,
        Status=0x0000,
    )
    third = dialogue(
        [(STORAGE_COMMITMENT, IMPLICIT)],
        [(True, report, 1), (False, report_rsp, 1)],
        calling="QRSCP",
        called="MOVESCU",
    )
    one, two, three = segments(first), segments(second), segments(third)
    # the move's responses come after the stores
    cut = next(
        i
        for i, p in enumerate(one)
        if p.data and not p.from_client and p.offset >= len(first[1][1])
    )
    return multi(
        tmp_path,
        [
            (one[:cut], ("10.0.0.1", 40001), ("10.0.0.2", 11112)),
            (two, ("10.0.0.2", 40002), ("10.0.0.3", 104)),
            (one[cut:], ("10.0.0.1", 40001), ("10.0.0.2", 11112)),
            (three, ("10.0.0.2", 40003), ("10.0.0.1", 104)),
        ],
    )


def query_dataset() -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = "1.2.3"
    return ds


def commitment(uid: str, count: int, sequence: str) -> Dataset:
    ds = Dataset()
    ds.TransactionUID = uid
    items = []
    for n in range(count):
        item = Dataset()
        item.ReferencedSOPClassUID = CT_IMAGE
        item.ReferencedSOPInstanceUID = f"1.2.3.{n + 1}"
        items.append(item)
    setattr(ds, sequence, DicomSequence(items))
    return ds


def test_summary_links_a_move_to_its_stores_and_a_commitment_to_its_report(tmp_path: Path) -> None:
    path = move_and_commit(tmp_path)
    lines = summary(path)
    move = next(line for line in lines if "#1 C-MOVE 7" in line)
    assert "to STORESCP; level STUDY; keys StudyInstanceUID=1.2.3; " in move
    assert "sub-operations (remaining/completed/failed/warning) 1/1/0/0; " in move
    assert "final status 0x0000 Success (?/2/0/0)" in move
    assert move.endswith("; 2 C-STORE sub-operations on #2 (2 Success)")
    store = next(line for line in lines if "#2 C-STORE 1" in line)
    assert "CT Image Storage, 1.2.3.1; " in store
    assert "bytes; status 0x0000 Success; " in store
    assert store.endswith("; sub-operation of #1 C-MOVE 7")
    action = next(line for line in lines if "#1 N-ACTION 8" in line)
    assert "action type 1 (Request Storage Commitment)" in action
    assert "; transaction 2.25.777, 2 instances; reported by #3 N-EVENT-REPORT 1 after " in action
    report = next(line for line in lines if line.startswith("    #3 N-EVENT-REPORT 1:"))
    assert "event type 1 (Storage Commitment Request Successful)" in report
    assert report.endswith("; transaction 2.25.777: 2 committed, 0 failed; answers #1 N-ACTION 8")
    head = next(line for line in lines if line.startswith("#2 "))
    assert head.startswith(f"#2 QRSCP (10.0.0.2:40002, TESTSCU, {IMPLEMENTATION_CLASS_UID})")
    assert " -> STORESCP (10.0.0.3:104, " in head
    assert "    accepted: CT Image Storage: Explicit VR Little Endian" in lines
    totals = [line for line in lines if line.startswith("    totals")]
    assert totals[1].startswith("    totals: 2 C-STORE, 0 failed, ")
    assert " bytes stored, 0 problems" in totals[1]
    # the same as JSON Lines
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["decode", str(path), "--summary", "--json"])
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assocs = [r for r in records if r["type"] == "association"]
    assert [(a["calling_ae"], a["called_ae"]) for a in assocs] == [
        ("MOVESCU", "QRSCP"),
        ("QRSCP", "STORESCP"),
        ("QRSCP", "MOVESCU"),
    ]
    assert assocs[0]["requestor_implementation_version_name"] == "TESTSCU"
    assert assocs[1]["operations"] == {"C-STORE": 2}
    ops = [r for r in records if r["type"] == "operation"]
    move_op = next(o for o in ops if o["service"] == "C-MOVE")
    assert move_op["stores"] == [
        {"assoc": 2, "MessageID": 1, "status": 0},
        {"assoc": 2, "MessageID": 2, "status": 0},
    ]
    assert move_op["sub_operations"] == [[1, 1, 0, 0]]
    report_op = next(o for o in ops if o["service"] == "N-EVENT-REPORT")
    assert report_op["linked"] == {"assoc": 1, "service": "N-ACTION", "MessageID": 8}


def test_summary_of_a_get_and_an_echo(tmp_path: Path) -> None:
    get = prim(
        C_GET,
        MessageID=3,
        AffectedSOPClassUID=PATIENT_ROOT_GET,
        Identifier=encode_identifier(query_dataset(), IMPLICIT),
    )
    store = store_rq(image(), EXPLICIT, 1)
    final = prim(
        C_GET,
        MessageIDBeingRespondedTo=3,
        AffectedSOPClassUID=PATIENT_ROOT_GET,
        Status=0xFE00,
        NumberOfRemainingSuboperations=3,
        NumberOfCompletedSuboperations=1,
        NumberOfFailedSuboperations=0,
        NumberOfWarningSuboperations=0,
    )
    cancel = prim(C_CANCEL, MessageIDBeingRespondedTo=3)
    echo = prim(C_ECHO, MessageID=4, AffectedSOPClassUID=VERIFICATION)
    echo_rsp = prim(C_ECHO, MessageIDBeingRespondedTo=4, AffectedSOPClassUID=VERIFICATION, Status=0)
    pdus = dialogue(
        [(PATIENT_ROOT_GET, IMPLICIT), (CT_IMAGE, EXPLICIT), (VERIFICATION, IMPLICIT)],
        [
            (True, get, 1),
            (False, store, 3),
            (True, store_rsp(1), 3),
            (True, cancel, 1),
            (False, final, 1),
            (True, echo, 5),
            (False, echo_rsp, 5),
        ],
        extra=[RoleSelection(CT_IMAGE, 0, 1)],
        ac_extra=[RoleSelection(CT_IMAGE, 0, 1)],
    )
    path = tmp_path / "get.pcap"
    path.write_bytes(pcap(segments(pdus)))
    lines = summary(path)
    get_line = next(line for line in lines if "#1 C-GET 3" in line)
    assert "final status 0xFE00 Cancel (3/1/0/0)" in get_line
    assert "; cancelled after " in get_line
    assert get_line.endswith("; 1 C-STORE sub-operations on #1 (1 Success)")
    store_line = next(line for line in lines if "#1 C-STORE 1" in line)
    assert store_line.endswith("; sub-operation of #1 C-GET 3")
    echo_line = next(line for line in lines if "#1 C-ECHO 4" in line)
    assert echo_line.startswith("    #1 C-ECHO 4: status 0x0000 Success; round trip ")


# --- export ---------------------------------------------------------------------------------


def exported(
    tmp_path: Path, pdus: list[tuple[bool, bytes]], *args: str
) -> tuple[Path, list[dict[str, Any]]]:
    out_dir = tmp_path / "out"
    path = tmp_path / "capture.pcap"
    path.write_bytes(pcap(segments(pdus, (1000, 333, 4096))))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main(["decode", str(path), "--json", "--export", str(out_dir), *args])
    return out_dir, [json.loads(line) for line in out.getvalue().splitlines()]


def data_set_bytes(path: Path) -> bytes:
    with open_data_set(path) as data:
        return data.read()


@pytest.mark.parametrize("syntax", [IMPLICIT, EXPLICIT, BIG_ENDIAN, DEFLATED])
def test_every_stored_object_is_exported_bit_for_bit(tmp_path: Path, syntax: str) -> None:
    rq = store_rq(image(), syntax)
    sent = rq.DataSet.getvalue()
    out_dir, records = exported(
        tmp_path, dialogue([(CT_IMAGE, syntax)], [(True, rq, 1), (False, store_rsp(), 1)])
    )
    record = messages(records)[0]
    path = out_dir / "1.2.826.0.1.3680043.8.498.1.dcm"
    assert record["exported_file"] == str(path)
    assert sorted(p.name for p in out_dir.iterdir()) == [path.name]
    assert data_set_bytes(path) == sent
    ds = dcmread(path)
    meta = ds.file_meta
    assert meta.TransferSyntaxUID == syntax
    assert meta.MediaStorageSOPClassUID == CT_IMAGE
    assert meta.MediaStorageSOPInstanceUID == "1.2.826.0.1.3680043.8.498.1"
    assert meta.ImplementationClassUID == IMPLEMENTATION_CLASS_UID
    assert meta.SourceApplicationEntityTitle == "SCU"
    assert ds.PatientName == "DOE^JOHN"
    pixels = record["dataset"]["7FE00010"]
    if syntax == DEFLATED:
        assert pixels["length"] == 8192  # no offset in a deflated file
    else:
        uri = pixels["BulkDataURI"]
        assert uri.startswith(path.resolve().as_uri() + "?offset=")
        offset, length = (int(part.split("=")[1]) for part in uri.split("?")[1].split("&"))
        assert length == 8192
        assert path.read_bytes()[offset : offset + length] == bytes(8192)


def test_two_stores_of_one_instance_never_overwrite_each_other(tmp_path: Path) -> None:
    first, second = store_rq(image(), EXPLICIT, 1), store_rq(image(PatientID="OTHER"), EXPLICIT, 2)
    pdus = dialogue([(CT_IMAGE, EXPLICIT)], [(True, first, 1), (True, second, 1)])
    out_dir, records = exported(tmp_path, pdus)
    names = [Path(r["exported_file"]).name for r in messages(records)]
    assert names == ["1.2.826.0.1.3680043.8.498.1.dcm", "1.2.826.0.1.3680043.8.498.1.2.dcm"]
    assert data_set_bytes(out_dir / names[1]) == second.DataSet.getvalue()
    # a second run into the same directory adds files, it replaces none
    _, records = exported(tmp_path, pdus)
    names = [Path(r["exported_file"]).name for r in messages(records)]
    assert names == ["1.2.826.0.1.3680043.8.498.1.3.dcm", "1.2.826.0.1.3680043.8.498.1.4.dcm"]


def test_an_object_with_lost_bytes_is_not_exported(tmp_path: Path) -> None:
    rq = store_rq(image(), EXPLICIT)
    pdus = dialogue([(CT_IMAGE, EXPLICIT)], [(True, rq, 1), (False, store_rsp(), 1)])
    packets = segments(pdus, (1000,))
    rq_length = len(pdus[0][1])
    gone = next(i for i, p in enumerate(packets) if p.from_client and p.offset >= rq_length + 3000)
    del packets[gone]
    path = tmp_path / "lost.pcap"
    path.write_bytes(pcap(packets))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["decode", str(path), "--json", "--export", str(tmp_path / "out")]) == 1
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    export = [r for r in records if r["type"] == "problem" and r["rule"] == "export"]
    assert len(export) == 1
    assert export[0]["reason"].startswith(
        "the data set of C-STORE-RQ 1 (1.2.826.0.1.3680043.8.498.1) is incomplete ("
    )
    assert export[0]["reason"].endswith(
        " bytes received): bytes lost from the capture; not exported"
    )
    assert list((tmp_path / "out").iterdir()) == []


def test_an_object_whose_transfer_syntax_is_unknown_is_written_under_a_name_that_says_so(
    tmp_path: Path,
) -> None:
    rq = store_rq(image(), IMPLICIT)
    pdus = dialogue([(CT_IMAGE, IMPLICIT)], [(True, rq, 1)])
    late = [
        p
        for p in segments(pdus)
        if p.data and p.offset >= (len(pdus[0][1]) if p.from_client else len(pdus[1][1]))
    ]
    path = tmp_path / "late.pcap"
    path.write_bytes(pcap(late))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main(["decode", str(path), "--json", "--export", str(tmp_path / "out")])
    (record,) = messages([json.loads(line) for line in out.getvalue().splitlines()])
    written = Path(record["exported_file"])
    assert written.name == "1.2.826.0.1.3680043.8.498.1.transfer-syntax-unknown.dataset"
    assert written.read_bytes() == rq.DataSet.getvalue()


def test_export_memory_does_not_grow_with_the_object(tmp_path: Path) -> None:
    big = image()
    big.PixelData = bytes(range(256)) * (8 * 4096)  # 8 MiB
    big.Rows, big.Columns = 2048, 2048
    rq = store_rq(big, EXPLICIT)
    pdus = dialogue([(CT_IMAGE, EXPLICIT)], [(True, rq, 1)])
    path = tmp_path / "big.pcap"
    path.write_bytes(pcap(segments(pdus, (65000,))))
    del pdus, rq
    tracemalloc.start()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            main(["decode", str(path), "--json", "--export", str(tmp_path / "out")])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (tmp_path / "out" / "1.2.826.0.1.3680043.8.498.1.dcm").stat().st_size > 8 * 2**20
    assert peak < 2 * 2**20  # a few PDUs and segments, not the 8 MiB object


# --- the data set scanner on hostile bytes ---------------------------------------------------

SCANNED = encode_identifier(image(), EXPLICIT)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_the_scanner_never_raises_and_ignores_chunking(data: st.DataObject) -> None:
    syntax = data.draw(st.sampled_from([IMPLICIT, EXPLICIT, BIG_ENDIAN, DEFLATED]))
    blob = bytearray(SCANNED if syntax == EXPLICIT else encode_identifier(image(), syntax))
    for _ in range(data.draw(st.integers(0, 4))):
        pos = data.draw(st.integers(0, len(blob) - 1))
        blob[pos] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        del blob[data.draw(st.integers(0, len(blob))) :]
    threshold = data.draw(st.sampled_from([None, 0, 64, 1024]))
    whole = datasets.DataSetScanner(syntax, threshold)
    whole.feed(bytes(blob))
    expected = whole.decoded()
    pieces = datasets.DataSetScanner(syntax, threshold)
    sizes = data.draw(st.lists(st.integers(1, 700), min_size=1, max_size=6))
    pos, turn = 0, 0
    while pos < len(blob):
        size = sizes[turn % len(sizes)]
        pieces.feed(memoryview(bytes(blob[pos : pos + size])))
        pos, turn = pos + size, turn + 1
    got = pieces.decoded()
    assert got.json == expected.json
    if expected.json is not None:  # a corrupt deflate stream may show another fault first
        assert (got.note, got.bulk) == (expected.note, expected.bulk)


CAPTURE_PORTS = (104, 4242, *range(11112, 11120))


@pytest.mark.parametrize("name", ["dcmtk-qr.pcap", "dcmtk-store.pcap", "pynetdicom-mpps.pcap"])
def test_without_data_sets_only_requests_other_than_c_store_are_decoded(name: str) -> None:
    """data_sets=False (what --summary asks for): a request's data set is shown unless it
    is a C-STORE's, a response's is only counted; everything else is as with data sets."""
    path = Path(__file__).resolve().parent.parent / "fixtures" / "captures" / name
    runs = []
    for data_sets in (True, False):
        with path.open("rb") as f:
            _, found = read_segments(f)
            decoder = CaptureDecoder(CAPTURE_PORTS, data_sets=data_sets)
            runs.append(list(iter_records(decoder, found)))
    full, lean = runs
    assert len(full) == len(lean)
    skipped = 0
    for whole, part in zip(full, lean, strict=True):
        if whole["type"] != "message" or "dataset" not in whole:
            assert part == whole
            continue
        if whole["command"].endswith("-RSP") or whole["command"] == "C-STORE-RQ":
            assert "dataset" not in part
            expected = {k: v for k, v in whole.items() if k != "dataset"}
            # what pydicom said while reading the data set is not said when it is not read
            said = [d for d in whole.get("deviations", []) if not d.startswith("data set:")]
            expected.pop("deviations", None)
            if said:
                expected["deviations"] = said
            assert part == expected
            skipped += 1
        else:
            assert part == whole
    assert skipped > 0
