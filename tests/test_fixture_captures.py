"""`dimsewire decode` on the real captures of fixtures/captures and their damaged copies.

Each capture's sidecar JSON says what fixtures/make_captures.py knows was sent; the
decoder must find exactly that. Damaged copies must give what their damage implies, and
in every capture every byte of every DICOM stream must be accounted for.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import dpkt
import pytest

from dimsewire.cli import main

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


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
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
