"""`dimsewire decode` on synthetic captures: link types, TCP damage, resync, exit status."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import dpkt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pcapgen import Packet, conversation, frame, pcap, segments
from wire import command_set, element, pdata, pdv, us

from dimsewire.cli import main
from dimsewire.pdus import AssociateRQ, PresentationContextRQ

PDUS = conversation(matches=3)
STREAM = {side: b"".join(p for s, p in PDUS if s == side) for side in (True, False)}
VOLATILE = ("time", "frame")


def decode(tmp_path: Path, data: bytes, *args: str) -> tuple[int, list[dict[str, Any]]]:
    path = tmp_path / "capture.pcap"
    path.write_bytes(data)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = main(["decode", str(path), "--json", *args])
    return status, [json.loads(line) for line in buffer.getvalue().splitlines()]


def stable(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records without what depends on how the bytes were cut into packets."""
    return [{k: v for k, v in r.items() if k not in VOLATILE} for r in records]


def messages(records: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    return [
        (r["direction"], r["command"], r.get("Status")) for r in records if r["type"] == "message"
    ]


CLEAN_MESSAGES = [
    ("requestor", "C-FIND-RQ", None),
    ("acceptor", "C-FIND-RSP", 0xFF00),
    ("acceptor", "C-FIND-RSP", 0xFF00),
    ("acceptor", "C-FIND-RSP", 0xFF00),
    ("acceptor", "C-FIND-RSP", 0x0000),
]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    status, records = decode(tmp_path_factory.mktemp("clean"), pcap(segments(PDUS)))
    assert status == 0
    return records


def test_clean_capture(clean: list[dict[str, Any]]) -> None:
    kinds = [r["type"] for r in clean]
    assert kinds == [
        "a-associate-rq",
        "a-associate-ac",
        *["message"] * 5,
        "a-release-rq",
        "a-release-rp",
        "connection-end",
    ]
    assert messages(clean) == CLEAN_MESSAGES
    rq, ac = clean[0], clean[1]
    assert (rq["calling_ae"], rq["called_ae"]) == ("FINDSCU", "FINDSCP")
    assert (rq["requestor"], rq["acceptor"]) == ("10.0.0.1:40001", "10.0.0.2:11112")
    assert rq["contexts"][0]["abstract_syntax_name"] == (
        "Patient Root Query/Retrieve Information Model - FIND"
    )
    assert ac["contexts"] == [
        {
            "id": 1,
            "result": 0,
            "result_name": "acceptance",
            "transfer_syntax": "1.2.840.10008.1.2",
            "transfer_syntax_name": "Implicit VR Little Endian",
        }
    ]
    find_rq = clean[2]
    assert find_rq["MessageID"] == 5
    assert find_rq["CommandDataSetType"] == 0x0001
    assert find_rq["dataset"]["00100010"] == {"vr": "PN", "Value": [{"Alphabetic": "DOE^*"}]}
    first_match = clean[3]
    assert first_match["dataset"]["00100020"] == {"vr": "LO", "Value": ["PID0000"]}
    assert first_match["status_category"] == "Pending"
    end = clean[-1]
    assert end["how"] == "FIN"
    assert end["state"] == "released"
    for side in (True, False):
        counts = end["bytes_" + ("requestor" if side else "acceptor")]
        assert counts == {"framed": len(STREAM[side]), "skipped": 0, "lost": 0, "left": 0}


@pytest.mark.parametrize("link", ["ethernet", "null", "raw", "sll", "sll2"])
@pytest.mark.parametrize("ng", [False, True])
def test_link_types_and_pcapng(
    tmp_path: Path, clean: list[dict[str, Any]], link: str, ng: bool
) -> None:
    status, records = decode(tmp_path, pcap(segments(PDUS), link, ng=ng))
    assert status == 0
    assert records == clean


def test_ipv6(tmp_path: Path, clean: list[dict[str, Any]]) -> None:
    status, records = decode(
        tmp_path, pcap(segments(PDUS), client=("fd00::1", 40001), server=("fd00::2", 11112))
    )
    assert status == 0
    assert records[0]["requestor"] == "fd00::1:40001"
    assert messages(records) == CLEAN_MESSAGES


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 300), min_size=1, max_size=8))
def test_any_segmentation_decodes_alike(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int]
) -> None:
    reference = stable(decode(tmp_path_factory.mktemp("ref"), pcap(segments(PDUS)))[1])
    status, records = decode(tmp_path_factory.mktemp("seg"), pcap(segments(PDUS, sizes)))
    assert status == 0
    assert stable(records) == reference


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_reordered_and_retransmitted_segments_decode_alike(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    packets = segments(PDUS, (100, 37, 500))
    reference = stable(decode(tmp_path_factory.mktemp("ref"), pcap(packets))[1])
    damaged = list(packets)
    # swap some adjacent data packets of one direction, repeat some others
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(2, len(damaged) - 4))
        a, b = damaged[i], damaged[i + 1]
        if a.data and b.data and a.from_client == b.from_client:
            damaged[i], damaged[i + 1] = damaged[i + 1], damaged[i]
    for _ in range(data.draw(st.integers(0, 4))):
        i = data.draw(st.integers(2, len(damaged) - 3))
        if damaged[i].data:
            damaged.insert(i + data.draw(st.integers(1, 2)), copy.copy(damaged[i]))
    status, records = decode(tmp_path_factory.mktemp("dmg"), pcap(damaged))
    assert status == 0
    assert stable(records) == reference


def test_lost_segment_is_reported_and_decoding_resumes(tmp_path: Path) -> None:
    packets = segments(PDUS, (100,))
    # the acceptor's stream: AC [0, 188), then each pending response as a 100-byte
    # command PDU and a 58-byte data set PDU. Its 5th data packet, [346, 446), is the
    # second response's command PDU
    assert [len(pdu) for side, pdu in PDUS if not side][:3] == [188, 100, 58]
    acceptor_data = [i for i, p in enumerate(packets) if not p.from_client and p.data]
    lost = packets.pop(acceptor_data[4])
    assert (lost.offset, len(lost.data)) == (346, 100)
    status, records = decode(tmp_path, pcap(packets))
    assert status == 1
    problems = [
        (r["rule"], r["offset"], r.get("length")) for r in records if r["type"] == "problem"
    ]
    # the PDU after the hole starts right at it (a provable boundary): its data set
    # fragment, at 446 + 6, has lost its command set
    assert problems == [("lost-segment", 346, 100), ("unexpected-data-set", 452, None)]
    assert messages(records) == [m for i, m in enumerate(CLEAN_MESSAGES) if i != 2]
    assert [r["type"] for r in records][-2:] == ["a-release-rp", "connection-end"]
    counts = records[-1]["bytes_acceptor"]
    assert counts == {"framed": len(STREAM[False]) - 100, "skipped": 0, "lost": 100, "left": 0}


def test_lost_segment_inside_a_pdu_skips_to_the_next_boundary(tmp_path: Path) -> None:
    packets = segments(PDUS, (64,))
    acceptor_data = [i for i, p in enumerate(packets) if not p.from_client and p.data]
    lost = packets.pop(acceptor_data[1])  # [64, 128): inside the 188-byte A-ASSOCIATE-AC
    assert (lost.offset, len(lost.data)) == (64, 64)
    status, records = decode(tmp_path, pcap(packets))
    assert status == 1
    problems = [
        (r["rule"], r["offset"], r.get("length"))
        for r in records
        if r["type"] == "problem" and r["direction"] == "acceptor"
    ]
    assert problems[0] == ("lost-segment", 64, 64)
    assert problems[1] == ("skipped", 0, 64)  # the AC's first 64 bytes can never complete
    assert problems[2] == ("skipped", 128, 188 - 128)  # the AC's rest, up to the next PDU
    # without the AC the association never got established: the release is out of place
    assert problems[3][0] == "AssociationError"
    assert messages(records)[1:] == CLEAN_MESSAGES[1:]
    counts = records[-1]["bytes_acceptor"]
    assert counts == {
        "framed": len(STREAM[False]) - 188,
        "skipped": 188 - 64,
        "lost": 64,
        "left": 0,
    }


def test_corrupted_length_is_reported_and_decoding_resumes(tmp_path: Path) -> None:
    packets = segments(PDUS, (4096,))  # one packet per PDU
    ac_length = len(PDUS[1][1])
    index = next(
        i for i, p in enumerate(packets) if not p.from_client and p.offset == ac_length and p.data
    )
    first_response = packets[index]
    data = bytearray(first_response.data)
    data[2:6] = b"\x7f\xff\xff\xff"  # the PDU length field
    packets[index] = Packet(
        False, ac_length, bytes(data), first_response.flags, first_response.time
    )
    status, records = decode(tmp_path, pcap(packets))
    assert status == 1
    problems = [r for r in records if r["type"] == "problem"]
    assert (problems[0]["rule"], problems[0]["offset"]) == ("PDUTooLargeError", ac_length)
    assert problems[0]["reason"] == (
        "PDU: PDU length 2147483647 exceeds the local maximum of 268500992 bytes"
    )
    # the bad PDU is skipped up to the next provable PDU: the response's data set PDU,
    # whose message has lost its command set
    assert (problems[1]["rule"], problems[1]["offset"], problems[1]["length"]) == (
        "skipped",
        ac_length,
        len(PDUS[4][1]),  # the corrupted command PDU itself
    )
    assert messages(records) == [m for i, m in enumerate(CLEAN_MESSAGES) if i != 1]
    counts = records[-1]["bytes_acceptor"]
    assert sum(counts.values()) == len(STREAM[False])


def test_capture_starting_after_negotiation(tmp_path: Path) -> None:
    packets = segments(PDUS, (60,))
    rq_len, ac_len = len(PDUS[0][1]), len(PDUS[1][1])
    # drop the handshake, the A-ASSOCIATE-RQ and -AC, and the first 10 bytes after them
    later = [
        p for p in packets if p.data and p.offset >= (rq_len if p.from_client else ac_len) + 10
    ]
    status, records = decode(tmp_path, pcap(later))
    problems = [r for r in records if r["type"] == "problem"]
    assert status == 1
    assert problems[0]["rule"] == "skipped"
    find = [r for r in records if r["type"] == "message"]
    assert [r["command"] for r in find][-1] == "C-FIND-RSP"
    unknown = [r for r in find if r.get("dataset_note")]
    assert unknown
    assert unknown[0]["dataset_note"] == (
        "transfer syntax unknown: the association's negotiation is not in the capture"
    )


def test_connection_reset_mid_query(tmp_path: Path) -> None:
    pdus = PDUS[:4]  # RQ, AC, C-FIND-RQ, first response: then the client resets
    packets = segments(pdus)
    packets = [p for p in packets if not p.flags & dpkt.tcp.TH_FIN]
    packets.append(Packet(True, len(b"".join(p for s, p in pdus if s)), b"", dpkt.tcp.TH_RST))
    status, records = decode(tmp_path, pcap(packets))
    assert status == 0
    end = records[-1]
    assert (end["how"], end["state"]) == ("RST", "established")
    assert end["note"] == "connection ended (RST) without A-RELEASE or A-ABORT"


def test_truncated_file_prints_what_came_before(
    tmp_path: Path, clean: list[dict[str, Any]]
) -> None:
    data = pcap(segments(PDUS))
    status, records = decode(tmp_path, data[: len(data) - 30])
    assert status == 1
    problem = next(r for r in records if r["type"] == "problem")
    assert problem["rule"] == "capture"
    assert problem["reason"].startswith("file ends inside a record")
    assert stable(records[: clean.index(clean[-2])]) == stable(clean[: clean.index(clean[-2])])


def test_raw_pdu_file(tmp_path: Path, clean: list[dict[str, Any]]) -> None:
    status, records = decode(tmp_path, b"".join(pdu for _, pdu in PDUS), "--raw")
    assert status == 0
    assert messages(records) == CLEAN_MESSAGES
    assert [r["type"] for r in records] == [r["type"] for r in clean]


def test_unknown_port_found_by_its_a_associate_rq(tmp_path: Path) -> None:
    packets = segments(PDUS)
    status, records = decode(tmp_path, pcap(packets, server=("10.0.0.2", 5678)))
    assert status == 0
    assert messages(records) == CLEAN_MESSAGES
    # and a stream on another port that is not DICOM is ignored
    other = [Packet(True, 0, b"GET / HTTP/1.1\r\n\r\n")]
    status, records = decode(tmp_path, pcap(other, server=("10.0.0.2", 80)))
    assert (status, records) == (0, [])


def test_bad_input_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "not.pcap"
    path.write_bytes(b"hello world, no capture here")
    assert main(["decode", str(path)]) == 2
    assert "not a pcap or pcapng file" in capsys.readouterr().err
    assert main(["decode", str(tmp_path / "missing.pcap")]) == 2
    with pytest.raises(SystemExit) as err:
        main(["decode"])
    assert err.value.code == 2


def test_summary_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.pcap"
    path.write_bytes(pcap(segments(conversation(matches=4, cancel_after=2))))
    assert main(["decode", str(path), "--summary"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("#1 FINDSCU (10.0.0.1:40001, ")
    assert " -> FINDSCP (10.0.0.2:11112, " in lines[0]
    assert lines[0].endswith(": released after 13.0 ms")
    assert lines[1] == (
        "    accepted: Patient Root Query/Retrieve Information Model - FIND: "
        "Implicit VR Little Endian"
    )
    assert lines[2].startswith(
        "    #1 C-FIND 5: Patient Root Query/Retrieve Information Model - FIND; level PATIENT; "
        "keys PatientName=DOE^*, PatientID; 2 matches; status 0xFE00 Cancel; first response "
    )
    assert lines[2].endswith("; cancelled after 5.0 ms")
    assert lines[3] == "    totals: 1 C-FIND, 0 failed, 0 problems"
    assert main(["decode", str(path)]) == 0
    text = capsys.readouterr().out
    assert "-> C-CANCEL-RQ  ctx 1  [frame " in text
    assert "\n              MessageIDBeingRespondedTo: 5\n" in text
    assert "Status: 0xFE00 Cancel: Matching terminated due to Cancel request\n" in text
    assert (
        "\n                (0010,0020) Patient ID                         LO: 'PID0001'\n" in text
    )


def test_a_bad_uid_from_a_peer_is_shown_without_a_warning(tmp_path: Path) -> None:
    rq = AssociateRQ(
        "SCP", "SCU", (PresentationContextRQ(1, "1.2.3.\x05x", ("1.2.840.10008.1.2",)),)
    )
    status, records = decode(tmp_path, rq.encode(), "--raw")  # warnings are errors here
    assert status == 0
    assert records[0]["contexts"][0]["abstract_syntax"] == "1.2.3.\x05x"
    assert records[0]["contexts"][0]["abstract_syntax_name"] is None


MUTATION_BASE = pcap(segments(conversation(matches=2), (90, 200)))


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_mutated_captures_never_raise(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    blob = bytearray(MUTATION_BASE)
    for _ in range(data.draw(st.integers(1, 8))):
        if not blob:
            blob += b"\x00"
        kind = data.draw(st.sampled_from(["flip", "cut", "set", "dup", "drop"]))
        pos = data.draw(st.integers(0, len(blob) - 1))
        if kind == "flip":
            blob[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "cut":
            del blob[pos:]
        elif kind == "set":  # a length-like field set to an extreme
            value = data.draw(st.sampled_from([0, 1, 3, 0xFF, 0xFFFF, 0xFFFFFFFF]))
            blob[pos : pos + 4] = value.to_bytes(4, "big")
        elif kind == "dup":
            end = min(len(blob), pos + data.draw(st.integers(1, 300)))
            blob[pos:pos] = blob[pos:end]
        else:
            del blob[pos : pos + data.draw(st.integers(1, 300))]
    path = tmp_path_factory.mktemp("mut") / "m.pcap"
    path.write_bytes(bytes(blob))
    for args in ([], ["--json", "--pdus"], ["--summary"], ["--raw"]):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert main(["decode", str(path), *args]) in (0, 1, 2)


def test_two_associations_interleaved(tmp_path: Path) -> None:
    """Packets of two connections alternate in the capture; each decodes on its own."""
    first = segments(conversation(matches=2), (50,))
    second = segments(conversation(matches=3), (70,))
    blob = io.BytesIO()
    writer = dpkt.pcap.Writer(blob, linktype=1, snaplen=262144)
    for i in range(max(len(first), len(second))):
        for packets, client in ((first, ("10.0.0.1", 40001)), (second, ("10.0.0.3", 40002))):
            if i < len(packets):
                writer.writepkt(frame(packets[i], client=client), ts=1_700_000_000 + i * 0.001)
    status, records = decode(tmp_path, blob.getvalue())
    assert status == 0
    by_assoc: dict[int, list[tuple[str, str, Any]]] = {1: [], 2: []}
    for r in records:
        if r["type"] == "message":
            by_assoc[r["assoc"]].append((r["direction"], r["command"], r.get("Status")))
    assert by_assoc[1] == [CLEAN_MESSAGES[0], *[CLEAN_MESSAGES[1]] * 2, CLEAN_MESSAGES[-1]]
    assert by_assoc[2] == [CLEAN_MESSAGES[0], *[CLEAN_MESSAGES[1]] * 3, CLEAN_MESSAGES[-1]]


def test_standard_input(tmp_path: Path) -> None:
    path = tmp_path / "c.pcap"
    path.write_bytes(pcap(segments(PDUS)))
    with path.open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "dimsewire.cli", "decode", "-", "--summary"],
            stdin=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    assert "3 matches; status 0x0000 Success" in done.stdout


def test_other_commands_are_shown_by_name_with_their_elements(tmp_path: Path) -> None:
    echo = command_set(
        element(0x0002, b"1.2.840.10008.1.1\x00"),  # Verification SOP Class
        us(0x0100, 0x0030),  # C-ECHO-RQ
        us(0x0110, 9),
        us(0x0800, 0x0101),
    )
    status, records = decode(tmp_path, pdata(pdv(1, 0x03, echo)), "--raw")
    assert status == 0
    (message,) = [r for r in records if r["type"] == "message"]
    assert message["command"] == "C-ECHO-RQ"
    assert (message["CommandField"], message["MessageID"]) == (0x0030, 9)
    assert message["AffectedSOPClassName"] == "Verification SOP Class"
    assert message["transfer_syntax"] is None


def test_progress_on_a_terminal(tmp_path: Path) -> None:
    """Files of several MB show their progress on stderr when it is a terminal (a pty)."""
    path = tmp_path / "big.pcap"
    packets = segments(conversation(matches=400), (1460,))
    # one association, repeated on new client ports until the file passes the threshold
    writer_blob = io.BytesIO()
    writer = dpkt.pcap.Writer(writer_blob, linktype=1, snaplen=262144)
    port, size = 40000, 0
    while size < 9 * 1024 * 1024:
        for packet in packets:
            data = frame(packet, client=("10.0.0.1", port))
            writer.writepkt(data, ts=packet.time)
            size += len(data) + 16
        port += 1
    path.write_bytes(writer_blob.getvalue())
    main_fd, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "dimsewire.cli", "decode", str(path), "--summary"],
            stdout=subprocess.DEVNULL,
            stderr=terminal,
            check=False,
            timeout=300,
        )
        os.close(terminal)
        shown = b""
        with contextlib.suppress(OSError):  # EIO once the writer side is closed
            while chunk := os.read(main_fd, 65536):
                shown += chunk
    finally:
        os.close(main_fd)
    assert done.returncode == 0
    assert b"decoding: 0%" in shown
    assert b"decoding: 9" in shown  # 90-something percent


def test_a_request_without_protocol_version_1_is_reported_with_the_rejection(
    tmp_path: Path,
) -> None:
    rq = bytearray(PDUS[0][1])
    assert rq[0] == 0x01
    rq[6:8] = b"\x00\x02"  # Protocol-version: bit 0 clear (PS3.8 Table 9-11)
    rj = bytes([0x03, 0, 0, 0, 0, 4, 0, 1, 2, 2])  # rejected: protocol-version-not-supported
    status, records = decode(tmp_path, bytes(rq) + rj, "--raw")
    assert status == 0  # a deviation is reported, not a problem
    request, reject = records[0], records[1]
    assert request["type"] == "a-associate-rq"
    assert request["deviations"] == [
        "protocol-version: A-ASSOCIATE-RQ protocol-version 0x0002 does not have bit 0 set "
        "(version 1, PS3.8 Table 9-11) (offset 0)"
    ]
    assert (reject["type"], reject["reason_name"]) == (
        "a-associate-rj",
        "protocol-version-not-supported",
    )
    assert records[2]["state"] == "rejected"
