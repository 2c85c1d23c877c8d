"""pcapng read block by block, and several captures read as one series.

The pcapng files here are built by hand from draft-ietf-opsawg-pcapng (block layouts,
options, padding), and so are the TCP/IP packets in them; where Wireshark is installed,
tshark must read them (and every fixture capture) as we do: the same frame numbers,
times and TCP payloads. Series are checked against what ``mergecap`` writes.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dimsewire import DecodeError
from dimsewire.capture import CaptureDecoder
from dimsewire.capture.packets import CaptureError, Frame, Segment, read_frames, segment_of
from dimsewire.capture.series import Series, SeriesProblem
from dimsewire.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "captures"
CAPTURES = sorted(FIXTURES.glob("*.pcap*"))

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
needs_editcap = pytest.mark.skipif(
    shutil.which("editcap") is None or shutil.which("mergecap") is None,
    reason="editcap and mergecap (Wireshark) not installed",
)

# --- pcapng from the specification ---------------------------------------------------

SHB, IDB, PB, SPB, NRB, ISB, EPB = 0x0A0D0D0A, 1, 2, 3, 4, 5, 6
IF_TSRESOL, IF_TSOFFSET, OPT_ENDOFOPT = 9, 14, 0


def _u(value: int, size: int, order: str) -> bytes:
    return value.to_bytes(size, "little" if order == "<" else "big", signed=value < 0)


def _pad(data: bytes) -> bytes:
    """Padded to 32 bits, as every block body and option value is."""
    return data + b"\0" * (-len(data) % 4)


def block(kind: int, body: bytes, order: str = "<") -> bytes:
    """A block: type, total length, body padded, total length again."""
    total = 12 + len(_pad(body))
    return _u(kind, 4, order) + _u(total, 4, order) + _pad(body) + _u(total, 4, order)


def option(code: int, value: bytes, order: str = "<") -> bytes:
    return _u(code, 2, order) + _u(len(value), 2, order) + _pad(value)


def shb(order: str = "<") -> bytes:
    """A Section Header Block: byte-order magic, version 1.0, section length unknown."""
    body = _u(0x1A2B3C4D, 4, order) + _u(1, 2, order) + _u(0, 2, order) + b"\xff" * 8
    return block(SHB, body, order)


def idb(
    link_type: int,
    *,
    snaplen: int = 0,
    tsresol: int | None = None,
    tsoffset: int | None = None,
    order: str = "<",
) -> bytes:
    """An Interface Description Block with the time options given."""
    options = b""
    if tsresol is not None:
        options += option(IF_TSRESOL, bytes([tsresol]), order)
    if tsoffset is not None:
        options += option(IF_TSOFFSET, _u(tsoffset, 8, order), order)
    if options:
        options += option(OPT_ENDOFOPT, b"", order)
    body = _u(link_type, 2, order) + _u(0, 2, order) + _u(snaplen, 4, order) + options
    return block(IDB, body, order)


def epb(interface: int, stamp: int, data: bytes, order: str = "<", caplen: int = -1) -> bytes:
    """An Enhanced Packet Block: interface, 64-bit timestamp in two halves, lengths."""
    caplen = len(data) if caplen < 0 else caplen
    head = [interface, stamp >> 32, stamp & 0xFFFFFFFF, caplen, len(data)]
    return block(EPB, b"".join(_u(v, 4, order) for v in head) + data, order)


def spb(data: bytes, original: int | None = None, order: str = "<") -> bytes:
    """A Simple Packet Block: the original length, then the data (no time, interface 0)."""
    return block(SPB, _u(len(data) if original is None else original, 4, order) + data, order)


def pb(interface: int, stamp: int, data: bytes, order: str = "<") -> bytes:
    """The obsolete Packet Block: 16-bit interface and drops count, then as an EPB."""
    head = _u(interface, 2, order) + _u(0, 2, order)
    rest = [stamp >> 32, stamp & 0xFFFFFFFF, len(data), len(data)]
    return block(PB, head + b"".join(_u(v, 4, order) for v in rest) + data, order)


CLIENT, SERVER = (bytes([10, 0, 0, 1]), 40001), (bytes([10, 0, 0, 2]), 104)


def ipv4_tcp(payload: bytes, seq: int, *, to_server: bool = True) -> bytes:
    """An IPv4 packet (no options, DF) holding a TCP segment (PSH|ACK, no options)."""
    (src, sport), (dst, dport) = (CLIENT, SERVER) if to_server else (SERVER, CLIENT)
    tcp = (
        sport.to_bytes(2, "big")
        + dport.to_bytes(2, "big")
        + seq.to_bytes(4, "big")
        + (7).to_bytes(4, "big")  # ack
        + bytes([5 << 4, 0x18])  # data offset 5 words; flags PSH|ACK
        + (65535).to_bytes(2, "big")  # window
        + b"\0\0\0\0"  # checksum (not verified), urgent pointer
    )
    total = 20 + len(tcp) + len(payload)
    header = (
        bytes([0x45, 0])
        + total.to_bytes(2, "big")
        + b"\x00\x01\x40\x00"  # identification, DF
        + bytes([64, 6])  # TTL, protocol TCP
        + b"\0\0"
        + src
        + dst
    )
    checksum = sum(int.from_bytes(header[i : i + 2], "big") for i in range(0, 20, 2))
    while checksum > 0xFFFF:
        checksum = (checksum & 0xFFFF) + (checksum >> 16)
    header = header[:10] + (~checksum & 0xFFFF).to_bytes(2, "big") + header[12:]
    return header + tcp + payload


ETHERNET, RAW, SLL, RAW_IPV4, SLL2 = 1, 101, 113, 228, 276
#: each link type: its header before an IPv4 packet, and where that packet starts
LINK_HEADERS = {
    ETHERNET: b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00",
    RAW: b"",
    RAW_IPV4: b"",
    SLL: b"\x00\x04"
    + b"\x00\x01"
    + b"\x00\x06"
    + b"\x02\x00\x00\x00\x00\x01\x00\x00"
    + b"\x08\x00",
    SLL2: b"\x08\x00" + b"\x00\x00" + b"\x00\x00\x00\x02" + b"\x00\x01\x04\x06" + b"\x02" * 8,
}


def framed(link_type: int, payload: bytes, seq: int, *, to_server: bool = True) -> bytes:
    return LINK_HEADERS[link_type] + ipv4_tcp(payload, seq, to_server=to_server)


def read_all(data: bytes) -> tuple[str, list[Frame], CaptureError | None]:
    """The link name, the frames read, and the error that ended them (if any)."""
    name, frames = read_frames(io.BytesIO(data))
    got: list[Frame] = []
    try:
        for frame in frames:
            got.append(frame)
    except CaptureError as err:
        return name, got, err
    return name, got, None


SECOND = 1_700_000_000  # a time in 2023


def two_section_file(order: str) -> tuple[bytes, list[tuple[int, float, int, bytes]]]:
    """A file with three interfaces of different link types and time resolutions, every
    kind of packet block, blocks that are no frames, and a second section in the other
    byte order; with what each frame must be: (number, time, link type, TCP payload)."""
    other = ">" if order == "<" else "<"
    parts = [
        shb(order),
        idb(ETHERNET, tsresol=6, order=order),  # microseconds (also the default)
        idb(SLL, tsresol=9, order=order),  # nanoseconds
        idb(RAW_IPV4, tsresol=0x80 | 10, tsoffset=-100, order=order),  # 2^-10 s, -100 s
        epb(0, SECOND * 10**6 + 123_456, framed(ETHERNET, b"one", 1000), order),
        block(NRB, _u(0, 4, order), order),  # name resolution: no frame
        epb(1, SECOND * 10**9 + 123_456_789, framed(SLL, b"two!", 2000, to_server=False), order),
        block(ISB, _u(0, 4, order) * 3, order),  # interface statistics: no frame
        block(0x1234, b"unknown", order),  # unknown: skipped
        epb(2, (SECOND + 100) * 1024 + 512, framed(RAW_IPV4, b"three", 3000), order),
        spb(framed(ETHERNET, b"4", 1003), order=order),  # interface 0, no time
        pb(1, SECOND * 10**9 + 750_000_000, framed(SLL, b"fifth", 2004), order),
        idb(SLL2, order=order),  # declared after packets: interface 3
        epb(3, SECOND * 10**6 + 2_000_000, framed(SLL2, b"sixth", 2009, to_server=False), order),
        shb(other),  # a new section: interfaces declared again
        idb(RAW, tsresol=3, order=other),  # milliseconds
        epb(0, (SECOND + 1) * 1000 + 250, framed(RAW, b"seventh", 1004), other),
    ]
    expected = [
        (1, SECOND + 0.123456, ETHERNET, b"one"),
        (2, SECOND + 0.123456789, SLL, b"two!"),
        (3, SECOND + 0.5, RAW_IPV4, b"three"),
        (4, SECOND + 0.5, ETHERNET, b"4"),  # the time of the frame before
        (5, SECOND + 0.75, SLL, b"fifth"),
        (6, SECOND + 2.0, SLL2, b"sixth"),
        (7, SECOND + 1.25, RAW, b"seventh"),
    ]
    return b"".join(parts), expected


# --- reading -------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["<", ">"])
def test_interfaces_link_types_resolutions_and_sections(order: str) -> None:
    data, expected = two_section_file(order)
    name, frames, error = read_all(data)
    assert error is None
    assert name == "Ethernet"  # the first interface's
    assert [f[0] for f in frames] == [e[0] for e in expected]
    for (number, time, raw, offset, link), (_, want_time, link_type, payload) in zip(
        frames, expected, strict=True
    ):
        assert time == pytest.approx(want_time, abs=1e-6), number
        assert data[offset : offset + len(raw)] == raw
        assert link(raw) == (0x0800, len(LINK_HEADERS[link_type])), number
        segment = segment_of(number, time, raw, offset, link)
        assert segment is not None
        assert (segment.frame, segment.time, segment.data) == (number, time, payload)
        assert data[segment.offset : segment.offset + len(segment.data)] == payload
        assert segment.flags == 0x18 and segment.ack == 7
    client = [(s.src, s.sport, s.seq) for f in frames if (s := segment_of(*f)) and s.dport == 104]
    assert client == [("10.0.0.1", 40001, seq) for seq in (1000, 3000, 1003, 2004, 1004)]


def test_frames_without_padding_and_at_their_exact_place() -> None:
    """Payload lengths 1..8 put 0..3 bytes of padding after each packet: never read."""
    data = shb() + idb(ETHERNET)
    places = []
    for n in range(1, 9):
        packet = framed(ETHERNET, bytes(range(n)), 100 * n)
        places.append((len(data) + 28, packet))  # type, length, interface, time, lengths
        data += epb(0, n, packet)
        places.append((len(data) + 12, packet))  # type, length, original length
        data += spb(packet)
    _, frames, error = read_all(data)
    assert error is None
    assert [(f[3], f[2]) for f in frames] == places
    assert [f[1] for f in frames] == pytest.approx([n * 1e-6 for n in range(1, 9) for _ in "ab"])


def test_simple_packet_block_is_cut_to_the_snapshot_length() -> None:
    packet = framed(ETHERNET, b"0123456789", 1)  # 64 bytes
    data = (
        shb()
        + idb(ETHERNET, snaplen=60)
        + epb(0, 5_000_000, packet[:60], caplen=60)
        + spb(packet[:60], original=len(packet))  # what a writer keeps: the first 60
    )
    _, frames, error = read_all(data)
    assert error is None
    assert [(f[0], f[1], f[2]) for f in frames] == [(1, 5.0, packet[:60]), (2, 5.0, packet[:60])]
    for frame in frames:  # the IP packet is cut: its TCP segment holds what was captured
        segment = segment_of(*frame)
        assert segment is not None and segment.data == b"012345"


def test_custom_blocks_are_frames_as_wireshark_counts_them() -> None:
    """Wireshark shows custom blocks (0x00000BAD, 0x40000BAD) and systemd journal entries
    as frames without packets; the frames after them are numbered as it numbers them."""
    data = (
        shb()
        + block(0x00000BAD, _u(32473, 4, "<") + b"before any interface")
        + idb(ETHERNET)
        + epb(0, 7_000_000, framed(ETHERNET, b"a", 1))
        + block(0x40000BAD, _u(32473, 4, "<") + b"not copied")
        + block(9, b"__REALTIME_TIMESTAMP=1\n")
        + epb(0, 8_000_000, framed(ETHERNET, b"b", 2))
    )
    _, frames, error = read_all(data)
    assert error is None
    assert [(f[0], f[1], f[2]) for f in frames] == [
        (1, 0.0, b""),
        (2, 7.0, framed(ETHERNET, b"a", 1)),
        (3, 7.0, b""),
        (4, 7.0, b""),
        (5, 8.0, framed(ETHERNET, b"b", 2)),
    ]
    assert [s.data for f in frames if (s := segment_of(*f))] == [b"a", b"b"]


def test_a_later_interface_of_an_unsupported_link_type_gives_frames_without_segments() -> None:
    data = (
        shb()
        + idb(ETHERNET)
        + idb(147)  # LINKTYPE_USER0
        + epb(1, 1, framed(ETHERNET, b"x", 1))
        + epb(0, 2, framed(ETHERNET, b"y", 2))
    )
    _, frames, error = read_all(data)
    assert error is None and [f[0] for f in frames] == [1, 2]
    assert [s.data for f in frames if (s := segment_of(*f))] == [b"y"]


# --- errors --------------------------------------------------------------------------

HEAD = shb() + idb(ETHERNET)  # 28 + 20 bytes
ONE = epb(0, 1, framed(ETHERNET, b"one", 1))  # frame 1, at byte 48
AFTER = len(HEAD) + len(ONE)  # where the block of frame 2 starts


def _damaged(block_bytes: bytes, cut: int | None = None) -> bytes:
    return (HEAD + ONE + block_bytes)[:cut]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (_damaged(ONE, AFTER + 5), f"file ends inside a block header (block at byte {AFTER})"),
        (_damaged(ONE, AFTER + 40), f"file ends inside a block (block at byte {AFTER})"),
        (_damaged(ONE, AFTER + len(ONE) - 1), f"file ends inside a block (block at byte {AFTER})"),
        (_damaged(shb(), AFTER + 10), f"file ends inside a block header (block at byte {AFTER})"),
        (
            _damaged(_u(EPB, 4, "<") + _u(30, 4, "<") + b"\0" * 22),
            f"pcapng block length 30 is not valid (block at byte {AFTER})",
        ),
        (
            _damaged(_u(0x1234, 4, "<") + _u(8, 4, "<") + b"\0" * 8),
            f"pcapng block length 8 is not valid (block at byte {AFTER})",
        ),
        (_damaged(epb(3, 2, b"data")), "packet of undeclared interface 3"),
        (_damaged(epb(0, 2, b"data", caplen=999)), "packet length 999 exceeds its block"),
        (_damaged(spb(b"data", original=99)), "packet length 99 exceeds its block"),
        (_damaged(shb() + epb(0, 2, b"data")), "packet of undeclared interface 0"),
        (_damaged(block(EPB, b"\0" * 12)), "pcapng block unreadable"),
    ],
    ids=[
        "cut-in-header",
        "cut-in-block",
        "cut-before-trailer",
        "cut-in-section-header",
        "length-not-multiple-of-4",
        "length-under-12",
        "undeclared-interface",
        "caplen-over-block",
        "spb-over-block",
        "interfaces-of-previous-section",
        "short-epb",
    ],
)
def test_damage_after_a_frame(data: bytes, reason: str) -> None:
    """Frame 1 is read, then the error names the block's place and frame 2."""
    _, frames, error = read_all(data)
    assert [f[0] for f in frames] == [1]
    assert error is not None
    assert (error.reason, error.frame) == (reason, 2)
    assert str(error) == f"capture: {reason} (frame 2)"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (shb() + idb(147), "capture: link type 147 is not supported"),
        (
            shb()[:8] + b"\x00\x00\x00\x00" + shb()[12:],
            "capture: pcapng section header without a byte-order magic (block at byte 0)",
        ),
        (shb()[:10], "capture: file ends inside a block header (block at byte 0) (frame 1)"),
        (
            b"\x0a\x0d\x0d\x0a",
            "capture: file ends inside a block header (block at byte 0) (frame 1)",
        ),
        (
            shb() + epb(0, 1, b"x") + idb(ETHERNET),
            "capture: packet of undeclared interface 0 (frame 1)",
        ),
        (
            shb() + block(IDB, _u(1, 2, "<") + b"\0" * 6 + option(IF_TSRESOL, b"\x06")[:4]),
            "capture: pcapng interface option 9 overruns its block",
        ),
        (shb() + block(IDB, b"\x01\x00"), "capture: pcapng header unreadable"),
        (
            b"\x0a\x0d\x0d\x0b" + shb()[4:],
            "capture: not a pcap or pcapng file (starts with 0a0d0d0b)",
        ),
    ],
    ids=[
        "unsupported-link-type",
        "no-byte-order-magic",
        "cut-in-first-header",
        "magic-only",
        "packet-before-interface",
        "option-overruns",
        "short-idb",
        "no-magic",
    ],
)
def test_errors_at_once(data: bytes, message: str) -> None:
    with pytest.raises(CaptureError) as caught:
        read_frames(io.BytesIO(data))
    assert str(caught.value) == message


def test_a_file_declaring_no_interface_and_holding_no_packet_is_an_empty_capture() -> None:
    """What editcap writes when it keeps no frame: a section header alone (Wireshark
    reads it as no packets); a packet in such a file is an error (above)."""
    assert read_all(shb()) == ("no interface", [], None)
    assert read_all(shb(">") + block(NRB, b"\0" * 4, ">")) == ("no interface", [], None)
    name, frames, error = read_all(shb() + block(0x0BAD, b"\0" * 4))
    assert (name, [(f[0], f[2]) for f in frames], error) == ("no interface", [(1, b"")], None)


VALID = {order: two_section_file(order)[0] for order in "<>"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    order=st.sampled_from("<>"),
    where=st.integers(0, len(VALID["<"]) - 1),
    byte=st.integers(0, 255),
    cut=st.booleans(),
)
def test_truncated_or_corrupted_files_give_frames_then_at_most_a_capture_error(
    order: str, where: int, byte: int, cut: bool
) -> None:
    data = VALID[order]
    damaged = data[:where] if cut else data[:where] + bytes([byte]) + data[where + 1 :]
    try:
        _, frames, _ = read_all(damaged)
    except CaptureError:
        return  # at once: the headers are damaged
    assert [f[0] for f in frames] == list(range(1, len(frames) + 1))
    for frame in frames:
        number, time, raw, offset, link = frame
        assert damaged[offset : offset + len(raw)] == raw
        segment = segment_of(number, time, raw, offset, link)
        if segment is not None:
            assert damaged[segment.offset : segment.offset + len(segment.data)] == segment.data
    if cut:  # what is read of a file cut short is what is read of it whole, so far
        whole = read_all(data)[1]
        assert [(f[0], f[1], f[2], f[3]) for f in frames] == [
            (f[0], f[1], f[2], f[3]) for f in whole[: len(frames)]
        ]


# --- against Wireshark ---------------------------------------------------------------


def tshark_frames(path: Path) -> list[tuple[int, float | None, bytes]]:
    """tshark's frame numbers, times (None: the frame has none) and TCP payloads."""
    fields = ["-e", "frame.number", "-e", "frame.time_epoch", "-e", "tcp.payload"]
    done = subprocess.run(
        ["tshark", "-n", "-r", str(path), "-T", "fields", *fields],
        capture_output=True,
        text=True,
        check=False,
    )
    found = []
    for line in done.stdout.splitlines():
        number, time, payload = line.split("\t")
        found.append((int(number), float(time) if time else None, bytes.fromhex(payload)))
    assert found, done.stderr
    return found


def ours(path: Path) -> list[tuple[int, float, bytes]]:
    with path.open("rb") as stream:
        _, frames = read_frames(stream)
        found = []
        with contextlib.suppress(CaptureError):  # a file cut short: tshark stops there too
            for frame in frames:
                segment = segment_of(*frame)
                found.append((frame[0], frame[1], b"" if segment is None else segment.data))
    return found


def assert_agree(path: Path) -> None:
    theirs, mine = tshark_frames(path), ours(path)
    assert len(mine) == len(theirs)
    for (number, time, payload), (t_number, t_time, t_payload) in zip(mine, theirs, strict=True):
        assert number == t_number
        if t_time is not None:  # tshark shows no time for a Simple Packet Block
            assert time == pytest.approx(t_time, abs=1e-6), number
        assert payload == t_payload, number
    with path.open("rb") as stream:  # every payload is where its offset says
        content = stream.read()
        _, frames = read_frames(io.BytesIO(content))
        with contextlib.suppress(CaptureError):
            for frame in frames:
                segment = segment_of(*frame)
                if segment is not None:
                    where = content[segment.offset : segment.offset + len(segment.data)]
                    assert where == segment.data


@needs_tshark
@pytest.mark.parametrize("path", CAPTURES, ids=[p.name for p in CAPTURES])
def test_fixture_captures_agree_with_tshark(path: Path) -> None:
    assert_agree(path)


@needs_tshark
@needs_editcap
def test_pcapng_written_by_editcap_agrees_with_tshark_and_the_pcap(tmp_path: Path) -> None:
    source = FIXTURES / "dcmtk-move.pcap"
    converted = tmp_path / "move.pcapng"
    subprocess.run(["editcap", "-F", "pcapng", source, converted], check=True, capture_output=True)
    assert converted.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
    assert_agree(converted)
    assert ours(converted) == ours(source)


@needs_tshark
@pytest.mark.parametrize("order", ["<", ">"])
def test_hand_built_files_agree_with_tshark(tmp_path: Path, order: str) -> None:
    path = tmp_path / "built.pcapng"
    path.write_bytes(two_section_file(order)[0])
    assert_agree(path)
    theirs = tshark_frames(path)
    assert theirs[3][1] is None  # the Simple Packet Block: we give it the time before it
    extra = tmp_path / "custom.pcapng"  # custom blocks are frames to tshark too
    extra.write_bytes(
        shb(order)
        + idb(ETHERNET, order=order)
        + epb(0, 7_000_000, framed(ETHERNET, b"a", 1), order)
        + block(0x00000BAD, _u(32473, 4, order) + b"custom", order)
        + block(0x1234, b"unknown", order)
        + epb(0, 8_000_000, framed(ETHERNET, b"b", 2), order)
    )
    assert_agree(extra)
    assert [n for n, _, _ in tshark_frames(extra)] == [1, 2, 3]


# --- series --------------------------------------------------------------------------


def ports(path: Path) -> list[str]:
    meta = json.loads((FIXTURES / f"{path.stem}.json").read_text())
    return [a for port in meta["ports"] for a in ("--port", str(port))]


def decode(
    capsys: pytest.CaptureFixture[str], paths: Sequence[Path], port_args: list[str]
) -> tuple[int, list[dict[str, Any]]]:
    capsys.readouterr()
    status = main(["decode", "--json", *map(str, paths), *port_args])
    out = capsys.readouterr().out
    return status, [json.loads(line) for line in out.splitlines()]


def run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True, capture_output=True)


def frame_count(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(1 for _ in read_frames(stream)[1])


@needs_editcap
def test_odd_and_even_frames_merge_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two overlapping files (like two interfaces): the series decodes as mergecap's
    merge and as the original capture, frame numbers and times included."""
    source = FIXTURES / "dcmtk-move.pcap"  # a sub-association, C-STOREs inside C-MOVEs
    total = frame_count(source)
    odd, even, merged = tmp_path / "odd.pcapng", tmp_path / "even.pcapng", tmp_path / "m.pcapng"
    run("editcap", "-r", source, odd, *map(str, range(1, total + 1, 2)))
    run("editcap", "-r", source, even, *map(str, range(2, total + 1, 2)))
    run("mergecap", "-w", merged, odd, even)
    assert frame_count(odd) + frame_count(even) == frame_count(merged) == total
    status, original = decode(capsys, [source], ports(source))
    assert status == 0 and any(r["type"] == "message" for r in original)
    assert decode(capsys, [merged], ports(source)) == (0, original)
    assert decode(capsys, [odd, even], ports(source)) == (0, original)
    assert decode(capsys, [even, odd], ports(source)) == (0, original)
    # and through the Python API: Series gives the original's segments, renumbered alike
    with source.open("rb") as stream:
        whole = [s for f in read_frames(stream)[1] if (s := segment_of(*f)) is not None]
    series = list(Series([even, odd]))
    assert [(s.frame, s.time, s.data) for s in series if not isinstance(s, SeriesProblem)] == [
        (s.frame, s.time, s.data) for s in whole
    ]


@needs_editcap
def test_a_file_given_twice_is_each_frame_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = FIXTURES / "dcmtk-qr.pcap"
    merged = tmp_path / "twice.pcapng"
    run("mergecap", "-w", merged, source, source)
    status, twice = decode(capsys, [source, source], ports(source))
    assert (status, twice) == decode(capsys, [merged], ports(source))
    _, once = decode(capsys, [source], ports(source))
    # every duplicate is a retransmission: the same records, frame k now 2k - 1
    assert [{**r, "frame": (r["frame"] + 1) // 2} for r in twice] == once
    series = Series([source, source])
    frames = [s.frame for s in series if not isinstance(s, SeriesProblem)]
    assert series.frames == 2 * frame_count(source)
    assert frames == sorted(frames) and frames[:2] == [frames[0], frames[0] + 1]


@needs_editcap
def test_empty_captures_in_a_series(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = FIXTURES / "dcmtk-echo.pcap"
    empty_pcap = tmp_path / "empty.pcap"
    empty_pcap.write_bytes(source.read_bytes()[:24])  # the file header alone
    empty_ng = tmp_path / "empty.pcapng"
    run("editcap", "-F", "pcapng", "-r", source, empty_ng, "0")  # no frame selected
    assert frame_count(empty_pcap) == frame_count(empty_ng) == 0
    _, original = decode(capsys, [source], ports(source))
    for paths in ([empty_pcap, source], [source, empty_ng], [empty_ng, source, empty_pcap]):
        assert decode(capsys, paths, ports(source)) == (0, original)
    assert decode(capsys, [empty_pcap, empty_ng], ports(source)) == (0, [])


@needs_editcap
def test_a_file_that_is_no_capture_and_one_cut_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both are reported where they come, naming the file; decoding goes on after them."""
    source = FIXTURES / "dcmtk-move.pcap"
    total = frame_count(source)
    parts = tmp_path / "parts"
    parts.mkdir()
    run("editcap", "-c", str(-(-total // 3)), source, parts / "p.pcapng")
    first, middle, last = sorted(parts.iterdir())
    in_first, in_middle = frame_count(first), frame_count(middle)
    junk = tmp_path / "notes.txt"
    junk.write_bytes(b"not a capture\n")
    cut = tmp_path / "cut.pcapng"
    content = middle.read_bytes()
    cut.write_bytes(content[: len(content) - 10])  # inside the last frame's block
    status, records = decode(capsys, [first, junk, cut, last], ports(source))
    assert status == 1
    little = content[8:12] == b"\x4d\x3c\x2b\x1a"
    last_block = len(content) - int.from_bytes(content[-4:], "little" if little else "big")
    junk_problem = {
        "type": "problem",
        "reason": f"{junk}: not a pcap or pcapng file (starts with {b'not '.hex()})",
        "frame": 1,  # reported first: it has no time
        "rule": "capture",
        "offset": None,
    }
    cut_problem = {
        "type": "problem",
        "reason": f"{cut}: file ends inside a block (block at byte {last_block}) "
        f"(frame {in_middle} of the file)",
        "frame": in_first + in_middle,  # the frame it would have been in the series
        "rule": "capture",
        "offset": None,
    }
    assert records[0] == junk_problem
    assert cut_problem in records
    # the associations starting after the cut decode as in the whole capture, their
    # frames numbered one less (the lost frame is not counted)
    _, original = decode(capsys, [source], ports(source))
    later = {
        r["assoc"]
        for r in original
        if r["type"] == "a-associate-rq" and r["frame"] > in_first + in_middle
    }
    assert later
    assert [r for r in records if r.get("assoc") in later] == [
        {**r, "frame": r["frame"] - 1} for r in original if r.get("assoc") in later
    ]
    assert records.index(cut_problem) < min(
        i for i, r in enumerate(records) if r.get("assoc") in later
    )
    # Series itself: the problems in their place, numbered in the series
    items = list(Series([first, junk, cut, last]))
    places = [
        (i, item.error.frame) for i, item in enumerate(items) if isinstance(item, SeriesProblem)
    ]
    assert [frame for _, frame in places] == [1, in_first + in_middle]
    assert places[0][0] == 0
    segments = [item for item in items if not isinstance(item, SeriesProblem)]
    frames_before = [s.frame for s in items[: places[1][0]] if isinstance(s, Segment)]
    assert max(frames_before) < in_first + in_middle <= segments[-1].frame


@needs_editcap
def test_capture_decoder_over_a_series_of_pcapng_files(tmp_path: Path) -> None:
    """A series of pcapng files decoded by CaptureDecoder gives what the one file does."""
    source = FIXTURES / "dcmtk-qr.pcap"
    parts = tmp_path / "parts"
    parts.mkdir()
    run("editcap", "-c", "7", source, parts / "p.pcapng")
    files = sorted(parts.iterdir())
    assert len(files) > 3
    port_numbers = json.loads((FIXTURES / "dcmtk-qr.json").read_text())["ports"]

    def records(segments: Any) -> list[Any]:
        decoder = CaptureDecoder(port_numbers)
        found = []
        for segment in segments:
            assert not isinstance(segment, SeriesProblem)
            found += decoder.segment(segment)
        return found + decoder.finish()

    with source.open("rb") as stream:
        whole = records(s for f in read_frames(stream)[1] if (s := segment_of(*f)) is not None)
    assert records(Series(files)) == whole


def test_a_capture_error_is_a_decode_error() -> None:
    """Bad capture bytes end in the one tree of decoding failures, worded with the frame."""
    _, frames = read_frames(io.BytesIO(b"\xd4\xc3\xb2\xa1" + bytes(20) + bytes(10)))
    with pytest.raises(DecodeError) as caught:
        list(frames)
    assert type(caught.value) is CaptureError
    assert (caught.value.frame, caught.value.offset) == (1, None)
    assert str(caught.value) == "capture: file ends inside a record header (frame 1)"
