"""Capture files to TCP segments: pcap and pcapng, link layers, IPv4 and IPv6.

pcap files are read here directly (a 24-byte file header, then a 16-byte header per
record) and pcapng files block by block, so that a file cut short is noticed at the exact
record and memory holds one record; each frame's bytes come with their place in the file
(what ``--workers`` reads segments back by). Link types: Ethernet (with 802.1Q tags),
BSD loopback (null and loop), raw IP, Linux cooked capture v1 and v2 (what
``tcpdump -i any`` writes), IPv4 and IPv6.
Packets that are not TCP, IP fragments and damaged headers are skipped and counted.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["CaptureError", "Frame", "Segment", "read_frames", "read_segments", "segment_of"]


class CaptureError(Exception):
    """The capture file cannot be read (not pcap/pcapng, unknown link type, cut short)."""

    def __init__(self, reason: str, *, frame: int | None = None) -> None:
        self.reason = reason
        self.frame = frame
        where = f" (frame {frame})" if frame is not None else ""
        super().__init__(f"capture: {reason}{where}")


@dataclass(frozen=True, slots=True)
class Segment:
    """One TCP segment: where it was in the capture, its endpoints, flags and data."""

    frame: int  # 1-based, as Wireshark counts
    time: float  # seconds since the epoch
    src: str
    sport: int
    dst: str
    dport: int
    seq: int
    flags: int  # TCP flags byte: FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10
    data: bytes
    ack: int = 0  # the acknowledgment number, meaningful with the ACK flag
    offset: int = -1  # where `data` starts in its capture file (-1: not from a file)


FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10

_PCAP_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
_PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"

# Link-layer header types (tcpdump.org/linktypes.html) to a function finding the IP packet.
_ETHERTYPE_IPV4, _ETHERTYPE_IPV6, _VLAN = 0x0800, 0x86DD, (0x8100, 0x88A8)


def _ethernet(buf: bytes) -> tuple[int, int]:
    pos = 12
    ethertype = int.from_bytes(buf[pos : pos + 2], "big")
    while ethertype in _VLAN:
        pos += 4
        ethertype = int.from_bytes(buf[pos : pos + 2], "big")
    return ethertype, pos + 2


# Compiled formats only: struct's module-level functions cache formats by value, and a str
# format beside pydicom's equal bytes one makes a BytesWarning under python -bb.
_FAMILY = struct.Struct("<I")  # BSD loopback: address family, host order (little here)
_TCP_HEAD = struct.Struct(">HHII")  # source port, destination port, sequence, ack


def _null(buf: bytes) -> tuple[int, int]:
    family = _FAMILY.unpack_from(buf)[0] if buf[:2] != b"\x00\x00" else buf[3]
    if family == 2:
        return _ETHERTYPE_IPV4, 4
    if family in (10, 24, 28, 30):
        return _ETHERTYPE_IPV6, 4
    return 0, 4


def _raw(buf: bytes) -> tuple[int, int]:
    version = buf[0] >> 4 if buf else 0
    return {4: _ETHERTYPE_IPV4, 6: _ETHERTYPE_IPV6}.get(version, 0), 0


#: A link layer: a frame's bytes to (ethertype, where its IP packet starts)
Link = Callable[[bytes], tuple[int, int]]

_LINK_TYPES: dict[int, Link] = {
    0: _null,  # DLT_NULL
    1: _ethernet,  # DLT_EN10MB
    12: _raw,  # DLT_RAW (OpenBSD numbering)
    14: _raw,
    101: _raw,  # LINKTYPE_RAW
    108: _null,  # DLT_LOOP (network byte order family)
    113: lambda buf: (int.from_bytes(buf[14:16], "big"), 16),  # Linux cooked (SLL)
    276: lambda buf: (int.from_bytes(buf[0:2], "big"), 20),  # Linux cooked v2 (SLL2)
    228: lambda buf: (_ETHERTYPE_IPV4, 0),  # LINKTYPE_IPV4
    229: lambda buf: (_ETHERTYPE_IPV6, 0),  # LINKTYPE_IPV6
}
LINK_TYPE_NAMES = {
    0: "BSD loopback",
    1: "Ethernet",
    12: "raw IP",
    14: "raw IP",
    101: "raw IP",
    108: "OpenBSD loopback",
    113: "Linux cooked (SLL)",
    276: "Linux cooked v2 (SLL2)",
    228: "raw IPv4",
    229: "raw IPv6",
}
_NO_INTERFACE = -1  # a pcapng file declaring no interface (editcap's when it keeps no frame)
LINK_TYPE_NAMES[_NO_INTERFACE] = "no interface"


def _tcp_of(buf: bytes, link: Link) -> tuple[str, str, int, int] | None:
    """(source, destination, start, end) of the TCP segment in a frame, None if it holds
    no whole one."""
    ethertype, pos = link(buf)
    if ethertype == _ETHERTYPE_IPV4:
        if len(buf) < pos + 20:
            return None
        ihl = (buf[pos] & 0x0F) * 4
        total = int.from_bytes(buf[pos + 2 : pos + 4], "big")
        frag = int.from_bytes(buf[pos + 6 : pos + 8], "big")
        if buf[pos + 9] != 6 or frag & 0x3FFF or ihl < 20:  # not TCP, or a fragment
            return None
        src = socket.inet_ntop(socket.AF_INET, buf[pos + 12 : pos + 16])
        dst = socket.inet_ntop(socket.AF_INET, buf[pos + 16 : pos + 20])
        end = pos + total if total else len(buf)  # 0: TSO on the capturing host
        return src, dst, pos + ihl, min(end, len(buf))
    if ethertype == _ETHERTYPE_IPV6:
        if len(buf) < pos + 40:
            return None
        next_header = buf[pos + 6]
        length = int.from_bytes(buf[pos + 4 : pos + 6], "big")
        src = socket.inet_ntop(socket.AF_INET6, buf[pos + 8 : pos + 24])
        dst = socket.inet_ntop(socket.AF_INET6, buf[pos + 24 : pos + 40])
        end = min(pos + 40 + length if length else len(buf), len(buf))
        pos += 40
        while next_header in (0, 43, 60) and pos + 8 <= end:  # hop-by-hop, routing, dest.
            next_header, pos = buf[pos], pos + (buf[pos + 1] + 1) * 8
        if next_header != 6:
            return None
        return src, dst, pos, end
    return None


def segment_of(frame: int, time: float, buf: bytes, offset: int, link: Link) -> Segment | None:
    """The TCP segment in one frame (`buf`, found at `offset` in its file), or None."""
    try:
        found = _tcp_of(buf, link)
    except (IndexError, struct.error, ValueError):
        return None
    if found is None:
        return None
    src, dst, start, end = found
    if end - start < 20:
        return None
    sport, dport, seq, ack = _TCP_HEAD.unpack_from(buf, start)
    header = (buf[start + 12] >> 4) * 4
    if header < 20 or start + header > end:
        return None
    begin = start + header
    return Segment(
        frame, time, src, sport, dst, dport, seq, buf[start + 13], buf[begin:end], ack,
        offset + begin,
    )  # fmt: skip


#: A frame: (number in its file from 1, time, bytes, where the bytes start in the file, link)
Frame = tuple[int, float, bytes, int, Link]

MAX_RECORD = 256 * 1024 * 1024  # a record or block claiming more is damage, not data


def _pcap_frames(stream: BinaryIO, head: bytes) -> tuple[int, Iterator[Frame]]:
    order, unit = _PCAP_MAGIC[head[:4]]
    rest = stream.read(20)
    if len(rest) < 20:
        raise CaptureError("pcap file header cut short")
    link_type = struct.Struct(order + "20xI").unpack(head + rest)[0] & 0x0FFFFFFF
    link = _LINK_TYPES.get(link_type)
    if link is None:
        raise CaptureError(f"link type {link_type} is not supported")
    record = struct.Struct(order + "IIII")

    def frames() -> Iterator[Frame]:
        frame, position = 0, 24
        while True:
            header = stream.read(16)
            if not header:
                return
            frame += 1
            if len(header) < 16:
                raise CaptureError("file ends inside a record header", frame=frame)
            sec, frac, caplen, _ = record.unpack(header)
            if caplen > MAX_RECORD:
                raise CaptureError(f"record length {caplen} is not plausible", frame=frame)
            data = stream.read(caplen)
            if len(data) < caplen:
                raise CaptureError(
                    f"file ends inside a record ({len(data)} of {caplen} bytes)", frame=frame
                )
            yield frame, sec + frac * unit, data, position + 16, link
            position += 16 + caplen

    return link_type, frames()


# pcapng (draft-ietf-opsawg-pcapng): block types and the options read here
_SHB, _IDB, _PB, _SPB, _EPB = 0x0A0D0D0A, 1, 2, 3, 6
#: Blocks Wireshark shows as frames though they hold no packet: custom blocks (copyable
#: and not) and systemd journal export entries. Counted, so that frame numbers agree.
_OTHER_RECORDS = frozenset({0x00000BAD, 0x40000BAD, 9})
_BYTE_ORDER = {b"\x4d\x3c\x2b\x1a": "<", b"\x1a\x2b\x3c\x4d": ">"}
_IF_TSRESOL, _IF_TSOFFSET = 9, 14
#: Compiled formats by byte order (see _FAMILY): "HHI" an interface's link type and
#: snapshot length, "HH" an option's code and length, "II" a block's type and length...
_NG = {
    order: {
        fmt: struct.Struct(order + fmt) for fmt in ("HHI", "HH", "q", "I", "II", "IIII", "HHIII")
    }
    for order in "<>"
}


@dataclass
class _Interface:
    link_type: int
    snaplen: int
    divisor: float = 1e6  # timestamp units per second
    offset: int = 0  # seconds added to every timestamp


def _interface(body: bytes, order: str) -> _Interface:
    """An Interface Description Block's link type, snapshot length and time options."""
    link_type, _, snaplen = _NG[order]["HHI"].unpack_from(body)
    interface = _Interface(link_type, snaplen)
    pos = 8
    while pos + 4 <= len(body):
        code, length = _NG[order]["HH"].unpack_from(body, pos)
        value = body[pos + 4 : pos + 4 + length]
        if code == 0:
            break
        if len(value) < length:
            raise CaptureError(f"pcapng interface option {code} overruns its block")
        if code == _IF_TSRESOL and length == 1:
            # high bit clear: a negative power of 10; set: a negative power of 2
            interface.divisor = float((2 if value[0] & 0x80 else 10) ** (value[0] & 0x7F))
        elif code == _IF_TSOFFSET and length == 8:
            interface.offset = _NG[order]["q"].unpack(value)[0]
        pos += 4 + (length + 3) // 4 * 4
    return interface


def _pcapng_frames(stream: BinaryIO, head: bytes) -> tuple[int, Iterator[Frame]]:
    """pcapng read block by block (memory: one block), every interface's link type and
    timestamp resolution honoured; Enhanced, Simple and (obsolete) Packet Blocks are
    frames, and so are custom and systemd journal blocks (without bytes), as Wireshark
    counts them (a Simple Packet Block, which has no time, takes the time of the frame
    before it, as do the blocks without a packet)."""
    position = 4
    order = "<"
    interfaces: list[_Interface] = []
    frame = 0

    def block(first: bytes = b"") -> tuple[int, int, bytes] | None:
        """The next block: (type, its position, body); None at the end of the file."""
        nonlocal position, order
        start = position - len(first)  # the section header's first 4 bytes are read
        header = first + stream.read(8 - len(first))
        if not header:
            return None
        where = f"block at byte {start}"
        if len(header) < 8:
            raise CaptureError(f"file ends inside a block header ({where})", frame=frame + 1)
        if header[:4] == b"\x0a\x0d\x0d\x0a":  # a section header: its own byte order
            magic = stream.read(4)
            if len(magic) < 4:
                raise CaptureError(f"file ends inside a block header ({where})", frame=frame + 1)
            found = _BYTE_ORDER.get(magic)
            if found is None:
                raise CaptureError(f"pcapng section header without a byte-order magic ({where})")
            order = found
            header, rest = header + magic, 4
        else:
            rest = 0
        kind, length = _NG[order]["II"].unpack_from(header)
        if length < 12 + rest or length % 4 or length > MAX_RECORD:
            raise CaptureError(
                f"pcapng block length {length} is not valid ({where})", frame=frame + 1
            )
        body = stream.read(length - 8 - rest)
        if len(body) < length - 8 - rest:
            raise CaptureError(f"file ends inside a block ({where})", frame=frame + 1)
        position = start + length
        return kind, start, header[8:] + body[:-4]

    def packet(kind: int, start: int, body: bytes) -> Frame | None:
        nonlocal frame
        if kind == _EPB:
            iface, high, low, caplen = _NG[order]["IIII"].unpack_from(body)
            at = 20
        elif kind == _PB:
            iface, _, high, low, caplen = _NG[order]["HHIII"].unpack_from(body)
            at = 20
        elif kind == _SPB:
            # no captured length: the original one, cut to the snapshot length (the
            # block's length would count the padding too)
            iface, high, low, at = 0, -1, 0, 4
            caplen = _NG[order]["I"].unpack_from(body)[0]
            if interfaces and interfaces[0].snaplen:
                caplen = min(caplen, interfaces[0].snaplen)
        elif kind in _OTHER_RECORDS:  # a frame without a packet, at the time before it
            frame += 1
            return frame, previous[0], b"", start + 8, _unsupported
        else:
            return None
        frame += 1
        if iface >= len(interfaces):
            raise CaptureError(f"packet of undeclared interface {iface}", frame=frame)
        if at + caplen > len(body):
            raise CaptureError(f"packet length {caplen} exceeds its block", frame=frame)
        interface = interfaces[iface]
        if high < 0:
            time = previous[0]
        else:
            time = interface.offset + (((high << 32) | low) / interface.divisor)
        previous[0] = time
        link = _LINK_TYPES.get(interface.link_type, _unsupported)
        return frame, time, body[at : at + caplen], start + 8 + at, link

    previous = [0.0]
    before: list[Frame] = []  # frames without a packet before the first interface
    try:
        first = block(head)
        assert first is not None
        while True:  # up to the first interface: its link type is the capture's
            found = block()
            if found is None:  # no packet either: an empty capture, as Wireshark reads it
                return _NO_INTERFACE, iter(before)
            if found[0] == _IDB:
                interfaces.append(_interface(found[2], order))
                break
            got = packet(*found)  # a packet raises: no interface is declared yet
            if got is not None:
                before.append(got)
    except struct.error:
        raise CaptureError("pcapng header unreadable") from None
    link_type = interfaces[0].link_type
    if link_type not in _LINK_TYPES:
        raise CaptureError(f"link type {link_type} is not supported")

    def frames() -> Iterator[Frame]:
        yield from before
        while True:
            try:
                found = block()
                if found is None:
                    return
                kind, start, body = found
                if kind == _SHB:
                    interfaces.clear()  # a new section declares its interfaces again
                elif kind == _IDB:
                    interfaces.append(_interface(body, order))
                else:
                    got = packet(kind, start, body)
                    if got is not None:
                        yield got
            except struct.error:
                raise CaptureError("pcapng block unreadable", frame=frame + 1) from None

    return link_type, frames()


def _unsupported(buf: bytes) -> tuple[int, int]:
    """The link layer of an interface whose type is not supported: no IP found."""
    return 0, 0


def read_frames(stream: BinaryIO) -> tuple[str, Iterator[Frame]]:
    """The link type's name and the frames of a pcap or pcapng capture, in file order.

    Raises
    ------
    CaptureError
        At once for a file that is not a capture or has an unknown link type; while
        iterating, for a file cut short or damaged (after every whole frame before it).
    """
    head = stream.read(4)
    if head in _PCAP_MAGIC:
        link_type, frames = _pcap_frames(stream, head)
    elif head == _PCAPNG_MAGIC:
        link_type, frames = _pcapng_frames(stream, head)
    else:
        raise CaptureError(f"not a pcap or pcapng file (starts with {head.hex()})")
    return LINK_TYPE_NAMES[link_type], frames


def read_segments(stream: BinaryIO) -> tuple[str, Iterator[Segment]]:
    """The link type's name and the TCP segments of a pcap or pcapng capture, in order
    (raises as :func:`read_frames`)."""
    link_name, frames = read_frames(stream)

    def segments() -> Iterator[Segment]:
        for frame, time, data, offset, link in frames:
            segment = segment_of(frame, time, data, offset, link)
            if segment is not None:
                yield segment

    return link_name, segments()
