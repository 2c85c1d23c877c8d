"""Captured frames to TCP segments: IPv4 and IPv6 over the link layers of
:mod:`.links`, from the files :mod:`.pcapfile` reads.

Packets that are not TCP, IP fragments and damaged headers are skipped.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .links import ETHERTYPE_IPV4, ETHERTYPE_IPV6, Link
from .pcapfile import CaptureError, Frame, read_frames

__all__ = ["CaptureError", "Frame", "Segment", "read_frames", "read_segments", "segment_of"]


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
    file: int = 0  # which file of a series it is in (from 0, as given)


FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10

_TCP_HEAD = struct.Struct(">HHII")  # source port, destination port, sequence, ack


def _tcp_of(buf: bytes, link: Link) -> tuple[str, str, int, int] | None:
    """(source, destination, start, end) of the TCP segment in a frame, None if it holds
    no whole one."""
    ethertype, pos = link(buf)
    if ethertype == ETHERTYPE_IPV4:
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
    if ethertype == ETHERTYPE_IPV6:
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


def segment_of(
    frame: int, time: float, buf: bytes, offset: int, link: Link, file: int = 0
) -> Segment | None:
    """The TCP segment in one frame (`buf`, found at `offset` in file number `file`), or
    None."""
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
        offset + begin, file,
    )  # fmt: skip


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
