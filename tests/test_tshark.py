"""`dimsewire decode --json --pdus` against tshark's DICOM dissector on the same captures.

Both must see the same PDUs in the same frames, the same PDV context IDs, flags and
lengths, and the same command elements. Captures: the synthetic ones of pcapgen and, when
present, the real ones in fixtures/captures (made by fixtures/make_captures.py).

tshark 4.0's dissector has a limit met here: when one TCP segment holds several
P-DATA-TF PDUs of which one completes a fragmented PDV, it shows the PDUs up to that one
and not the rest. Where tshark shows fewer PDUs than dimsewire in a frame, its PDUs must
be the first ones of dimsewire's, and the test says how many frames that concerned.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pcapgen import conversation, pcap, segments
from peers import requires_tshark

from dimsewire.cli import main
from dimsewire.codec.command_dictionary import KEYWORD_TAGS

pytestmark = [pytest.mark.peer, requires_tshark]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "captures"


def ours(path: Path, port: int) -> list[dict[str, Any]]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        main(["decode", str(path), "--json", "--pdus", "--port", str(port)])
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def tshark_pdus(path: Path, port: int) -> dict[int, list[tuple[int, list[tuple[int, int, int]]]]]:
    """frame -> [(PDU type, [(context ID, flags, PDV item length)])] as tshark sees them."""
    fields = ["frame.number", "dicom.pdu.type", "dicom.pdv.ctx", "dicom.pdv.flags", "dicom.pdv.len"]
    argv = ["tshark", "-r", str(path), "-d", f"tcp.port=={port},dicom", "-Y", "dicom"]
    argv += ["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"]
    for name in fields:
        argv += ["-e", name]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120).stdout
    frames: dict[int, list[tuple[int, list[tuple[int, int, int]]]]] = {}
    for line in out.splitlines():
        frame, types, ctxs, flags, lengths = (line.split("\t") + [""] * 5)[:5]
        pdvs = [
            (int(c), int(f, 16), int(n))
            for c, f, n in zip(
                ctxs.split(",") if ctxs else [],
                flags.split(",") if flags else [],
                lengths.split(",") if lengths else [],
                strict=True,
            )
        ]
        pdus = []
        for pdu_type in types.split(","):
            t = int(pdu_type, 16)
            # tshark lists the PDVs of the frame together: give them to the P-DATA PDUs
            pdus.append((t, []))
        data = [i for i, (t, _) in enumerate(pdus) if t == 4]
        if data:
            pdus[data[-1]] = (4, pdvs)  # compared below as the frame's PDV list
        frames[int(frame)] = pdus
    return frames


def our_pdus(
    records: list[dict[str, Any]],
) -> dict[int, list[tuple[int, list[tuple[int, int, int]]]]]:
    frames: dict[int, list[tuple[int, list[tuple[int, int, int]]]]] = {}
    for r in records:
        if r["type"] == "pdu":
            pdvs = [
                (p["context_id"], p["control_header"], p["length"] + 2) for p in r.get("pdvs", [])
            ]
            frames.setdefault(r["frame"], []).append((r["pdu_type"], pdvs))
    return frames


def compare_pdus(path: Path, port: int) -> int:
    """Assert agreement; return how many frames tshark showed only partly."""
    records = ours(path, port)
    theirs = tshark_pdus(path, port)
    mine = our_pdus(records)
    assert mine, "dimsewire found no PDU"
    assert set(theirs) <= set(mine)
    partial = 0
    for frame, pdus in mine.items():
        types = [t for t, _ in pdus]
        pdvs = [pdv for _, items in pdus for pdv in items]
        their_types = [t for t, _ in theirs.get(frame, [])]
        their_pdvs = [pdv for _, items in theirs.get(frame, []) for pdv in items]
        if their_types == types:
            assert their_pdvs == pdvs, f"frame {frame}"
        else:
            partial += 1
            assert types[: len(their_types)] == their_types, f"frame {frame}"
            assert pdvs[: len(their_pdvs)] == their_pdvs, f"frame {frame}"
    return partial


def tshark_commands(path: Path, port: int) -> list[dict[int, int]]:
    """The US command elements tshark decodes, per command set, in frame order."""
    argv = ["tshark", "-r", str(path), "-d", f"tcp.port=={port},dicom"]
    argv += ["-o", "dicom.tag_tree:TRUE", "-Y", "dicom.tag", "-T", "fields"]
    argv += ["-E", "occurrence=a", "-E", "aggregator=,", "-e", "dicom.tag"]
    argv += ["-e", "dicom.tag.value.16u"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120).stdout
    us_tags = (0x0100, 0x0110, 0x0120, 0x0700, 0x0800, 0x0900)
    commands = []
    for line in out.splitlines():
        tags, values = [*line.split("\t"), ""][:2]
        found = [int(t, 16) for t in tags.split(",") if t]
        # a frame may hold several command sets: split at each CommandGroupLength
        numbers = iter(int(v) for v in values.split(",") if v)
        for tag in found:
            if tag == 0x0000:
                commands.append({})
            if tag in us_tags and commands:
                commands[-1][tag] = next(numbers)
    return [c for c in commands if c]


def our_commands(records: list[dict[str, Any]]) -> list[dict[int, int]]:
    names = {
        0x0100: "CommandField",
        0x0110: "MessageID",
        0x0120: "MessageIDBeingRespondedTo",
        0x0700: "Priority",
        0x0800: "CommandDataSetType",
        0x0900: "Status",
    }
    return [
        {tag: r[name] for tag, name in names.items() if name in r}
        for r in records
        if r["type"] == "message"
    ]


@pytest.mark.parametrize(
    ("sizes", "matches", "max_pdu"),
    [((1460,), 3, 16382), ((100, 37, 500), 5, 16382), ((65535,), 4, 64)],
)
def test_synthetic_captures_agree_with_tshark(
    tmp_path: Path, sizes: tuple[int, ...], matches: int, max_pdu: int
) -> None:
    path = tmp_path / "synthetic.pcap"
    path.write_bytes(pcap(segments(conversation(matches=matches, max_pdu=max_pdu), sizes)))
    assert compare_pdus(path, 11112) == 0  # one PDU per segment at most: nothing partial
    commands = tshark_commands(path, 11112)
    mine = our_commands(ours(path, 11112))
    assert [c[0x0100] for c in mine] == [0x0020] + [0x8020] * (matches + 1)
    assert commands == mine


def clean_captures() -> list[Path]:
    """The real captures, without the damaged copies (test_fixture_captures has those)."""
    return sorted(p for p in FIXTURES.glob("*.pcap*") if not p.name.startswith("damaged-"))


@pytest.mark.parametrize("path", clean_captures(), ids=lambda p: p.name)
def test_fixture_captures_agree_with_tshark(path: Path) -> None:
    meta = json.loads(path.with_suffix(".json").read_text())
    for port in meta["ports"]:
        compare_pdus(path, port)


def test_there_are_fixture_captures() -> None:
    assert len(clean_captures()) >= 4


# --- every command element of every service (issue 12) --------------------------------------

_NUMBERS = {
    "US": "dicom.tag.value.16u",
    "UL": "dicom.tag.value.32u",
    "SS": "dicom.tag.value.16s",
    "SL": "dicom.tag.value.32s",
}
_TEXT_VRS = frozenset(
    [
        "AE",
        "AS",
        "CS",
        "DA",
        "DS",
        "DT",
        "IS",
        "LO",
        "LT",
        "PN",
        "SH",
        "ST",
        "TM",
        "UI",
        "UC",
        "UR",
        "UT",
    ]
)


def tshark_command_sets(
    path: Path, ports: list[int]
) -> dict[tuple[int, int], list[dict[int, Any]]]:
    """Each command set tshark dissects, by (source port, destination port), in frame
    order: its elements' values by tag (UI without tshark's name after it)."""
    fields = [
        "tcp.srcport",
        "tcp.dstport",
        "dicom.tag",
        "dicom.tag.vr",
        "dicom.tag.vl",
        "dicom.tag.value.str",
        *_NUMBERS.values(),
    ]
    argv = ["tshark", "-r", str(path), "-o", "dicom.tag_tree:TRUE", "-Y", "dicom.tag"]
    for port in ports:
        argv += ["-d", f"tcp.port=={port},dicom"]
    argv += ["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=\x1f"]
    for name in fields:
        argv += ["-e", name]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120).stdout
    found: dict[tuple[int, int], list[dict[int, Any]]] = {}
    for line in out.split("\n"):  # not splitlines: it splits at the \x1f aggregator too
        if not line:
            continue
        columns = line.split("\t")
        columns += [""] * (len(fields) - len(columns))  # tshark drops empty trailing fields
        sport, dport = int(columns[0]), int(columns[1])
        lists = [c.split("\x1f") if c else [] for c in columns[2:]]
        tags, vrs, lengths = [int(t, 16) for t in lists[0]], lists[1], lists[2]
        texts = lists[3]
        numbers = dict(zip(_NUMBERS, lists[4:], strict=True))
        sets = found.setdefault((sport, dport), [])
        for tag in tags:
            length = int(lengths.pop(0))
            if tag >> 16 == 0xFFFE:
                continue  # items and delimiters have no VR
            vr = vrs.pop(0)
            value: Any = None
            if not length or length == 0xFFFFFFFF:
                pass  # tshark shows no value
            elif vr in _NUMBERS:
                value = int(numbers[vr].pop(0))
            elif vr in _TEXT_VRS:
                value = texts.pop(0).strip()
                if vr == "UI":
                    value = value.split(" (")[0]
            if tag == 0x00000000:
                sets.append({})
            elif tag >> 16 == 0 and sets:
                sets[-1][tag] = value
    return found


def our_command_sets(records: list[dict[str, Any]]) -> dict[tuple[int, int], list[dict[int, Any]]]:
    ports: dict[int, dict[str, tuple[int, int]]] = {}
    found: dict[tuple[int, int], list[dict[int, Any]]] = {}
    for r in records:
        if r["type"] == "a-associate-rq":
            requestor = int(r["requestor"].rsplit(":", 1)[1])
            acceptor = int(r["acceptor"].rsplit(":", 1)[1])
            ports[r["assoc"]] = {
                "requestor": (requestor, acceptor),
                "acceptor": (acceptor, requestor),
            }
        elif r["type"] == "message":
            key = ports[r["assoc"]][r["direction"]]
            found.setdefault(key, []).append(
                {KEYWORD_TAGS[k]: v for k, v in r.items() if k in KEYWORD_TAGS}
            )
    return found


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in clean_captures()
        if any(
            "messages" in a for a in json.loads(p.with_suffix(".json").read_text())["associations"]
        )
    ],
    ids=lambda p: p.name,
)
def test_every_command_element_agrees_with_tshark(path: Path) -> None:
    ports = json.loads(path.with_suffix(".json").read_text())["ports"]
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        main(["decode", str(path), "--json", *[a for p in ports for a in ("--port", str(p))]])
    mine = our_command_sets([json.loads(line) for line in buffer.getvalue().splitlines()])
    theirs = tshark_command_sets(path, ports)
    assert set(theirs) <= set(mine)
    shown = total = 0
    for key, ours in mine.items():
        # tshark may skip a command set (see the module's docstring): theirs must be ours
        # in order, with every element tshark shows equal to ours
        remaining = iter(ours)
        for command in theirs.get(key, []):
            assert any(
                all(
                    mine_set.get(tag) == value
                    for tag, value in command.items()
                    if value is not None
                )
                and set(command) <= set(mine_set)
                for mine_set in remaining
            ), (key, command)
            shown += 1
        total += len(ours)
    assert shown >= total * 0.8, (shown, total)  # dcmtk-store.pcap: tshark shows 12 of 14
