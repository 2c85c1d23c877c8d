"""Capture files to TCP segments: pcap and pcapng, link layers, IPv4 and IPv6.

pcap files are read here directly (a 24-byte file header, then a 16-byte header per
record) so that a file cut short is noticed at the exact record; pcapng files are read
with dpkt. Link types: Ethernet (with 802.1Q tags), BSD loopback (null and loop), raw IP,
Linux cooked capture v1 and v2 (what ``tcpdump -i any`` writes), IPv4 and IPv6.
Packets that are not TCP, IP fragments and damaged headers are skipped and counted.
"""

from __future__ import annotations

import io
import socket
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import dpkt

__all__ = ["CaptureError", "Segment", "read_segments"]


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


_LINK_TYPES: dict[int, Callable[[bytes], tuple[int, int]]] = {
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


def _tcp_of(buf: bytes, link: Callable[[bytes], tuple[int, int]]) -> tuple[str, str, bytes] | None:
    """(source, destination, TCP segment) of a frame, None if it holds no whole one."""
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
        return src, dst, buf[pos + ihl : end]
    if ethertype == _ETHERTYPE_IPV6:
        if len(buf) < pos + 40:
            return None
        next_header = buf[pos + 6]
        length = int.from_bytes(buf[pos + 4 : pos + 6], "big")
        src = socket.inet_ntop(socket.AF_INET6, buf[pos + 8 : pos + 24])
        dst = socket.inet_ntop(socket.AF_INET6, buf[pos + 24 : pos + 40])
        end = pos + 40 + length if length else len(buf)
        pos += 40
        while next_header in (0, 43, 60) and pos + 8 <= end:  # hop-by-hop, routing, dest.
            next_header, pos = buf[pos], pos + (buf[pos + 1] + 1) * 8
        if next_header != 6:
            return None
        return src, dst, buf[pos:end]
    return None


def _segment(
    frame: int, time: float, buf: bytes, link: Callable[[bytes], tuple[int, int]]
) -> Segment | None:
    try:
        found = _tcp_of(buf, link)
    except (IndexError, struct.error, ValueError):
        return None
    if found is None:
        return None
    src, dst, tcp = found
    if len(tcp) < 20:
        return None
    sport, dport, seq, ack = _TCP_HEAD.unpack_from(tcp)
    offset = (tcp[12] >> 4) * 4
    if offset < 20 or offset > len(tcp):
        return None
    return Segment(frame, time, src, sport, dst, dport, seq, tcp[13], bytes(tcp[offset:]), ack)


def _pcap_frames(stream: BinaryIO, head: bytes) -> tuple[int, Iterator[tuple[int, float, bytes]]]:
    order, unit = _PCAP_MAGIC[head[:4]]
    rest = stream.read(20)
    if len(rest) < 20:
        raise CaptureError("pcap file header cut short")
    link_type = struct.Struct(order + "20xI").unpack(head + rest)[0] & 0x0FFFFFFF
    record = struct.Struct(order + "IIII")

    def frames() -> Iterator[tuple[int, float, bytes]]:
        frame = 0
        while True:
            header = stream.read(16)
            if not header:
                return
            frame += 1
            if len(header) < 16:
                raise CaptureError("file ends inside a record header", frame=frame)
            sec, frac, caplen, _ = record.unpack(header)
            if caplen > 256 * 1024 * 1024:
                raise CaptureError(f"record length {caplen} is not plausible", frame=frame)
            data = stream.read(caplen)
            if len(data) < caplen:
                raise CaptureError(
                    f"file ends inside a record ({len(data)} of {caplen} bytes)", frame=frame
                )
            yield frame, sec + frac * unit, data

    return link_type, frames()


def _pcapng_frames(stream: io.BytesIO) -> tuple[int, Iterator[tuple[int, float, bytes]]]:
    try:
        reader = dpkt.pcapng.Reader(stream)
    except (ValueError, dpkt.UnpackError, struct.error) as err:
        raise CaptureError(f"pcapng file header unreadable: {err}") from None
    link_type = reader.datalink()

    def frames() -> Iterator[tuple[int, float, bytes]]:
        frame = 0
        packets = iter(reader)
        while True:
            try:
                time, data = next(packets)
            except StopIteration:
                return
            except (ValueError, dpkt.UnpackError, dpkt.NeedData, struct.error) as err:
                raise CaptureError(f"pcapng block unreadable: {err}", frame=frame + 1) from None
            frame += 1
            yield frame, float(time), bytes(data)

    return link_type, frames()


def read_segments(stream: BinaryIO) -> tuple[str, Iterator[Segment]]:
    """The link type's name and the TCP segments of a pcap or pcapng capture, in order.

    Raises
    ------
    CaptureError
        At once for a file that is not a capture or has an unknown link type; while
        iterating, for a file cut short (after every whole frame before it).
    """
    head = stream.read(4)
    if head in _PCAP_MAGIC:
        link_type, frames = _pcap_frames(stream, head)
    elif head == _PCAPNG_MAGIC:  # dpkt reads it from the start: hand it the whole file
        link_type, frames = _pcapng_frames(io.BytesIO(head + stream.read()))
    else:
        raise CaptureError(f"not a pcap or pcapng file (starts with {head.hex()})")
    link = _LINK_TYPES.get(link_type)
    if link is None:
        raise CaptureError(f"link type {link_type} is not supported")

    def segments() -> Iterator[Segment]:
        for frame, time, data in frames:
            segment = _segment(frame, time, data, link)
            if segment is not None:
                yield segment

    return LINK_TYPE_NAMES[link_type], segments()
