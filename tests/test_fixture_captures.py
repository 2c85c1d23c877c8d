"""`dimsewire decode` on the real captures of fixtures/captures and their damaged copies.

Each capture's sidecar JSON says what fixtures/make_captures.py knows was sent; the
decoder must find exactly that. Damaged copies must give what their damage implies, and
in every capture every byte of every DICOM stream must be accounted for.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import struct
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import dpkt
import pytest
from pydicom import dcmread

from dimsewire import IMPLEMENTATION_CLASS_UID
from dimsewire.cli import main
from dimsewire.codec.command_dictionary import COMMAND_FIELDS
from dimsewire.part10 import open_data_set

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "captures"
CAPTURES = sorted(FIXTURES.glob("*.pcap*"))
CLEAN = [p for p in CAPTURES if not p.name.startswith("damaged-")]
VOLATILE = ("time", "frame")


def meta(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.with_suffix(".json").read_text()))


def stable(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Without what depends on which packet completed a PDU."""
    return [{k: v for k, v in r.items() if k not in VOLATILE} for r in records]


def decode(path: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    ports = [a for port in meta(path)["ports"] for a in ("--port", str(port))]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["decode", str(path), "--json", *ports, *args])
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


def associations(records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Per association: RQ, AC/RJ/abort, queries and how it ended."""
    found: dict[int, dict[str, Any]] = defaultdict(lambda: {"queries": {}})
    for r in records:
        a = found[r.get("assoc", 0)]
        kind = r["type"]
        if kind in ("a-associate-rq", "a-associate-ac", "a-associate-rj", "a-abort"):
            a[kind] = r
        elif kind == "connection-end":
            a["end"] = r
        elif kind == "message" and r["command"] == "C-FIND-RQ":
            a["queries"][r["MessageID"]] = {"matches": 0, "final_status": None, "cancelled": False}
            a.setdefault("transfer_syntax", r["transfer_syntax"])
        elif kind == "message":
            q = a["queries"].get(r.get("MessageIDBeingRespondedTo"))
            if q is None:
                continue
            if r["command"] == "C-CANCEL-RQ":
                q["cancelled"] = True
            elif r["Status"] in (0xFF00, 0xFF01):
                q["matches"] += 1
                assert r["dataset"], "every pending response carries its match"
            else:
                q["final_status"] = r["Status"]
    return dict(found)


@pytest.mark.parametrize(
    "path",
    [p for p in CLEAN if not any("messages" in a for a in meta(p)["associations"])],
    ids=lambda p: p.name,
)
def test_clean_capture_matches_what_was_sent(path: Path) -> None:
    status, records = decode(path)
    assert status == 0, [r for r in records if r["type"] == "problem"]
    found = associations(records)
    expected = meta(path)["associations"]
    assert len(found) == len(expected)
    for (_, got), want in zip(sorted(found.items()), expected, strict=True):
        rq = got["a-associate-rq"]
        assert rq["calling_ae"] == want["calling_ae"]
        if "called_ae" in want:
            assert rq["called_ae"] == want["called_ae"]
        outcome = want["outcome"]
        if outcome == "rejected":
            assert got["a-associate-rj"]["reason_name"] == "called-AE-title-not-recognized"
            continue
        if outcome == "aborted":
            assert "a-abort" in got
            assert got["end"]["state"] == "aborted"
            continue
        ac = got["a-associate-ac"]
        if "sop_class" in want:
            assert rq["contexts"][0]["abstract_syntax"] == want["sop_class"]
        if "max_pdu" in want:
            assert (rq["max_pdu_length"], ac["max_pdu_length"]) == (
                want["max_pdu"]["requestor"],
                want["max_pdu"]["acceptor"],
            )
        if outcome == "killed":
            assert got["end"]["how"] == "RST"
            assert got["end"]["note"] == "connection ended (RST) without A-RELEASE or A-ABORT"
            continue
        assert got["transfer_syntax"] == want["transfer_syntax"]
        assert list(got["queries"].values()) == want["queries"]
        assert got["end"]["state"] == "released"


def stream_lengths(path: Path, ports: list[int]) -> dict[tuple[str, int, str, int], int]:
    """Independently of dimsewire: each TCP direction's length from its sequence numbers,
    via dpkt (highest seq + data length, minus the SYN's seq + 1)."""
    # dpkt unpacks with str formats; pydicom's equal bytes ones in struct's cache would
    # make it a BytesWarning under -bb (see test_struct_formats.py): the cache is emptied
    # before, and after, so that no str format is left for pydicom in later tests
    struct._clearcache()  # type: ignore[attr-defined]
    try:
        return _stream_lengths(path, ports)
    finally:
        struct._clearcache()  # type: ignore[attr-defined]


def _stream_lengths(path: Path, ports: list[int]) -> dict[tuple[str, int, str, int], int]:
    with path.open("rb") as f:
        reader = dpkt.pcapng.Reader(f) if path.suffix == ".pcapng" else dpkt.pcap.Reader(f)
        link = reader.datalink()
        start: dict[tuple[str, int, str, int], int] = {}
        end: dict[tuple[str, int, str, int], int] = {}
        with contextlib.suppress(dpkt.NeedData, ValueError):  # the truncated copy
            for _, buf in reader:
                # Ethernet (tcpdump -i lo) or Linux cooked v2 (-i any)
                ip = dpkt.ethernet.Ethernet(buf).data if link == 1 else dpkt.ip.IP(buf[20:])
                tcp = ip.data
                if not isinstance(tcp, dpkt.tcp.TCP) or not {tcp.sport, tcp.dport} & set(ports):
                    continue
                key = (bytes(ip.src).hex(), tcp.sport, bytes(ip.dst).hex(), tcp.dport)
                if tcp.flags & dpkt.tcp.TH_SYN:
                    start[key] = tcp.seq + 1
                elif tcp.data or tcp.flags & dpkt.tcp.TH_FIN:  # not bare ACKs after a FIN
                    start.setdefault(key, tcp.seq)  # no SYN captured: the first seen
                    end[key] = max(end.get(key, 0), tcp.seq + len(tcp.data))
    return {key: end[key] - start[key] for key in start if key in end}


def whole_records(path: Path, tmp_path: Path) -> Path:
    """A pcap file cut short, without its last, partial record (dpkt would keep it)."""
    blob = path.read_bytes()
    pos = 24
    while pos + 16 <= len(blob):
        caplen = int.from_bytes(blob[pos + 8 : pos + 12], "little")
        if pos + 16 + caplen > len(blob):
            break
        pos += 16 + caplen
    whole = tmp_path / path.name
    whole.write_bytes(blob[:pos])
    return whole


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_every_byte_is_accounted_for(path: Path, tmp_path: Path) -> None:
    _, records = decode(path)
    counted = sorted(
        sum(r[side].values())
        for r in records
        if r["type"] == "connection-end"
        for side in ("bytes_requestor", "bytes_acceptor")
    )
    ports = meta(path)["ports"]
    if path.name == "damaged-truncated.pcap":
        path = whole_records(path, tmp_path)
    expected = sorted(stream_lengths(path, ports).values())
    assert counted == expected


@pytest.mark.parametrize("name", ["reordered", "duplicated"])
def test_reordered_and_duplicated_copies_decode_like_the_clean_one(name: str) -> None:
    path = FIXTURES / f"damaged-{name}.pcap"
    clean = FIXTURES / meta(path)["clean"]
    status, records = decode(path)
    assert status == 0
    assert stable(records) == stable(decode(clean)[1])


def test_lost_segment_copy() -> None:
    path = FIXTURES / "damaged-lost-segment.pcap"
    status, records = decode(path)
    assert status == 1
    problems = [r for r in records if r["type"] == "problem"]
    assert [p["rule"] for p in problems] == ["lost-segment"]
    clean = associations(decode(FIXTURES / meta(path)["clean"])[1])
    damaged = associations(records)
    # one pending response went missing with the segment; everything else is there
    assert damaged[1]["queries"][1]["matches"] == clean[1]["queries"][1]["matches"] - 1
    assert damaged[1]["queries"][1]["final_status"] == 0x0000
    for index in (2, 3, 4):
        assert damaged[index]["queries"] == clean[index]["queries"]
        assert damaged[index]["end"]["state"] == clean[index]["end"]["state"]


def test_corrupt_length_copy() -> None:
    status, records = decode(FIXTURES / "damaged-corrupt-length.pcap")
    assert status == 1
    rules = [r["rule"] for r in records if r["type"] == "problem"]
    assert rules == ["PDUTooLargeError", "skipped", "unexpected-data-set"]
    ends = [r for r in records if r["type"] == "connection-end"]
    assert [e["state"] for e in ends] == ["released", "released", "rejected"]


def test_late_start_copy() -> None:
    status, records = decode(FIXTURES / "damaged-late-start.pcap")
    assert status == 0
    first = [r for r in records if r.get("assoc") == 1 and r["type"] == "message"]
    assert first
    assert all(r["transfer_syntax"] is None for r in first)
    notes = {r.get("dataset_note") for r in first if "dataset_note" in r}
    assert notes == {"transfer syntax unknown: the association's negotiation is not in the capture"}
    assert [r["Status"] for r in first if r["command"] == "C-FIND-RSP"][-1] == 0x0000


def test_truncated_copy() -> None:
    path = FIXTURES / "damaged-truncated.pcap"
    status, records = decode(path)
    assert status == 1
    capture = [r for r in records if r["type"] == "problem" and r["rule"] == "capture"]
    assert len(capture) == 1
    assert capture[0]["reason"].startswith("file ends inside a record")
    # the first association, whole before the cut, is as in the clean capture
    clean = associations(decode(FIXTURES / meta(path)["clean"])[1])
    assert associations(records)[1]["queries"] == clean[1]["queries"]


# --- captures of every DIMSE service (issue 12) --------------------------------------------

SERVICES = [p for p in CLEAN if any("messages" in a for a in meta(p)["associations"])]
#: What a tool's log says that is not a command element of ours: DCMTK's names of SOP
#: classes (its own spelling), whether a data set followed, echoscu's word for a status.
_NOT_COMPARED = {
    "dump",
    "command",
    "AffectedSOPClass",
    "RequestedSOPClass",
    "data_set",
    "status_text",
}


def by_association(records: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        found[r.get("assoc", 0)].append(r)
    return dict(found)


def logged_command(message: dict[str, Any]) -> str:
    """The command of a logged message: DCMTK names it, pynetdicom gives its CommandField."""
    if "command" in message:
        return str(message["command"])
    return COMMAND_FIELDS[message["CommandField"]]


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_every_message_element_and_status_is_what_the_tools_logged(path: Path) -> None:
    status, records = decode(path)
    assert status == 0, [r for r in records if r["type"] == "problem"]
    assocs = by_association(records)
    # the logged associations, in capture order among those with their AE titles
    candidates = [
        (number, rs)
        for number, rs in sorted(assocs.items())
        if rs and rs[0]["type"] == "a-associate-rq"
    ]
    compared = 0
    for want in meta(path)["associations"]:
        number, got = next(
            (n, rs)
            for n, rs in candidates
            if (rs[0]["calling_ae"], rs[0]["called_ae"]) == (want["calling_ae"], want["called_ae"])
        )
        candidates.remove((number, got))
        assert got[-1]["state"] == want["outcome"]
        expected = want["messages"]
        ours = [r for r in got if r["type"] == "message"]
        if not any(logged_command(m) == "C-CANCEL-RQ" for m in expected):
            ours = [r for r in ours if r["command"] != "C-CANCEL-RQ"]  # DCMTK dumps none
        assert [r["command"] for r in ours] == [logged_command(m) for m in expected], number
        for record, message in zip(ours, expected, strict=True):
            sent_by_us = message["dump"] == "OUTGOING"
            assert (record["direction"] == "requestor") == sent_by_us, (number, record["command"])
            for key, value in message.items():
                if key in _NOT_COMPARED:
                    continue
                assert record.get(key) == value, (number, record["command"], key)
            if "data_set" in message:
                assert ("dataset_length" in record) == message["data_set"]
            if "status_text" in message:
                assert record["status_category"] == message["status_text"]
            if "Status" in record:
                assert record["status_meaning"] != "unrecognised status"
            compared += 1
    assert compared == sum(len(a["messages"]) for a in meta(path)["associations"])


@pytest.mark.parametrize("path", [p for p in SERVICES if "stored" in meta(p)], ids=lambda p: p.name)
def test_every_exported_file_holds_the_data_set_that_was_sent(path: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "export"
    status, records = decode(path, "--export", str(out_dir))
    assert status == 0, [r for r in records if r["type"] == "problem"]
    stores = [r for r in records if r["type"] == "message" and r["command"] == "C-STORE-RQ"]
    files = sorted(out_dir.iterdir())
    assert sorted(Path(r["exported_file"]) for r in stores) == files
    sent = {(d["sop_instance_uid"], d["sha256"]) for d in meta(path)["stored"]}
    for record in stores:
        exported = Path(record["exported_file"])
        with open_data_set(exported) as data:
            blob = data.read()
            assert data.sop_instance_uid == record["AffectedSOPInstanceUID"]
            assert data.sop_class_uid == record["AffectedSOPClassUID"]
            assert data.transfer_syntax == record["transfer_syntax"]
        assert len(blob) == record["dataset_length"]
        assert (record["AffectedSOPInstanceUID"], hashlib.sha256(blob).hexdigest()) in sent
        with warnings.catch_warnings():
            # pydicom 3.0.2 packs struct formats given as bytes when it reads encapsulated
            # pixel data: a BytesWarning under -bb that is pydicom's, not the file's
            warnings.simplefilter("ignore", BytesWarning)
            ds = dcmread(exported)  # pydicom reads it
        assert ds.file_meta.ImplementationClassUID == IMPLEMENTATION_CLASS_UID
    # every instance the peers received is among the files
    assert {uid for uid, _ in sent} <= {r["AffectedSOPInstanceUID"] for r in stores}


def summary_records(path: Path) -> list[dict[str, Any]]:
    ports = [a for port in meta(path)["ports"] for a in ("--port", str(port))]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["decode", str(path), "--summary", "--json", *ports])
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_store_capture_data_sets() -> None:
    _, records = decode(FIXTURES / "dcmtk-store.pcap")
    stores = [r for r in records if r["type"] == "message" and r["command"] == "C-STORE-RQ"]
    syntaxes = [r["transfer_syntax"] for r in stores]
    assert sorted(set(syntaxes)) == [
        "1.2.840.10008.1.2",
        "1.2.840.10008.1.2.1",
        "1.2.840.10008.1.2.1.99",
        "1.2.840.10008.1.2.2",
        "1.2.840.10008.1.2.4.50",
    ]
    for record in stores:
        shown = record["dataset"]
        assert shown["00100020"] == {"vr": "LO", "Value": ["PIDSTORE"]}
        assert "InlineBinary" not in shown["7FE00010"]
        assert shown["7FE00010"]["length"] > 1024
    dose = next(r for r in stores if r["AffectedSOPClassName"] == "RT Dose Storage")
    assert dose["dataset"]["00200052"] == {"vr": "UI", "Value": ["1.2.826.0.1.3680043.8.498.07"]}
    assert any(
        d.startswith("data set: pydicom: Invalid value for VR UI: '1.2.826.0.1.3680043.8.498.07'")
        for d in dose["deviations"]
    )


def test_move_capture_links_every_store_to_its_move() -> None:
    found = summary_records(FIXTURES / "dcmtk-move.pcap")
    operations = [r for r in found if r["type"] == "operation"]
    moves = [o for o in operations if o["service"] == "C-MOVE"]
    stores = [o for o in operations if o["service"] == "C-STORE"]
    assert len(moves) == 4
    assert all("sub_operation_of" in s for s in stores)
    assert [len(m["stores"]) for m in moves[:3]] == [1, 1, 1]
    cancelled = moves[3]
    assert cancelled["status"] == 0xFE00
    assert cancelled["cancelled_after"] is not None
    assert len(cancelled["stores"]) == cancelled["final_sub_operations"][1]  # completed
    sub_assocs = {s["assoc"] for s in cancelled["stores"]}
    assert all(s["MoveOriginatorApplicationEntityTitle"] == "MOVESCU" for s in stores)
    assert len(sub_assocs) == 1


def test_get_capture_links_every_store_to_its_get() -> None:
    found = summary_records(FIXTURES / "dcmtk-get.pcap")
    gets = [r for r in found if r["type"] == "operation" and r["service"] == "C-GET"]
    assert [g["status"] for g in gets] == [0x0000, 0xFE00]
    assert [len(g["stores"]) for g in gets] == [1, 2]
    first = next(r for r in found if r["type"] == "association")
    assert len(first["accepted"]) > 100  # getscu proposes every storage class, SCP role


def test_commitment_capture_links_each_action_to_its_report() -> None:
    path = FIXTURES / "pynetdicom-commitment.pcap"
    found = summary_records(path)
    operations = [r for r in found if r["type"] == "operation"]
    actions = [o for o in operations if o["service"] == "N-ACTION"]
    reports = [o for o in operations if o["service"] == "N-EVENT-REPORT"]
    assert [a["TransactionUID"] for a in actions] == meta(path)["transactions"]
    assert [a["linked"]["assoc"] for a in actions] == [1, 2]  # the same, then another one
    assert {r["TransactionUID"] for r in reports} == set(meta(path)["transactions"])
    assert [r["EventTypeID"] for r in sorted(reports, key=lambda r: r["assoc"])] == [2, 1]
