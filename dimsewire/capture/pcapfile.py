"""Capture files to frames: pcap and pcapng.

pcap files are read directly (a 24-byte file header, then a 16-byte header per record)
and pcapng files block by block (draft-ietf-opsawg-pcapng), so that a file cut short is
noticed at the exact record and memory holds one record; each frame's bytes come with
their place in the file (what ``--workers`` reads segments back by).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import DecodeError
from .links import LINK_TYPE_NAMES, LINKS, NO_INTERFACE, Link, unsupported

__all__ = ["MAX_RECORD", "CaptureError", "Frame", "read_frames"]


class CaptureError(DecodeError):
    """The capture file cannot be read (not pcap/pcapng, unknown link type, cut short):
    a :class:`~dimsewire.DecodeError`, placed by the frame it stopped at."""

    where = "capture"

    def __init__(self, reason: str, *, frame: int | None = None) -> None:
        self.frame = frame
        super().__init__(reason)

    def _text(self) -> str:
        text = f"{self.where}: {self.reason}"
        return text if self.frame is None else f"{text} (frame {self.frame})"


_PCAP_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
_PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"

#: A frame: (number in its file from 1, time, bytes, where the bytes start in the file, link)
Frame = tuple[int, float, bytes, int, Link]

MAX_RECORD = 256 * 1024 * 1024  # a record or block claiming more is damage, not data


def _pcap_frames(stream: BinaryIO, head: bytes) -> tuple[int, Iterator[Frame]]:
    order, unit = _PCAP_MAGIC[head[:4]]
    rest = stream.read(20)
    if len(rest) < 20:
        raise CaptureError("pcap file header cut short")
    link_type = struct.Struct(order + "20xI").unpack(head + rest)[0] & 0x0FFFFFFF
    link = LINKS.get(link_type)
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
#: Compiled formats by byte order (never str formats: see tests/test_struct_formats.py):
#: "HHI" an interface's link type and snapshot length, "HH" an option's code and length,
#: "II" a block's type and length...
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
    link: Link  # its link layer (looked up once, not per frame)
    divisor: float = 1e6  # timestamp units per second
    offset: int = 0  # seconds added to every timestamp


def _interface(body: bytes, order: str) -> _Interface:
    """An Interface Description Block's link type, snapshot length and time options."""
    link_type, _, snaplen = _NG[order]["HHI"].unpack_from(body)
    interface = _Interface(link_type, snaplen, LINKS.get(link_type, unsupported))
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
    last_time = 0.0  # of the frame before: a frame without a time takes it

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
        if header[:4] == _PCAPNG_MAGIC:  # a section header: its own byte order
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
        nonlocal frame, last_time
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
            return frame, last_time, b"", start + 8, unsupported
        else:
            return None
        frame += 1
        if iface >= len(interfaces):
            raise CaptureError(f"packet of undeclared interface {iface}", frame=frame)
        if at + caplen > len(body):
            raise CaptureError(f"packet length {caplen} exceeds its block", frame=frame)
        interface = interfaces[iface]
        if high >= 0:
            last_time = interface.offset + (((high << 32) | low) / interface.divisor)
        return frame, last_time, body[at : at + caplen], start + 8 + at, interface.link

    before: list[Frame] = []  # frames without a packet before the first interface
    try:
        first = block(head)
        assert first is not None
        while True:  # up to the first interface: its link type is the capture's
            found = block()
            if found is None:  # no packet either: an empty capture, as Wireshark reads it
                return NO_INTERFACE, iter(before)
            if found[0] == _IDB:
                interfaces.append(_interface(found[2], order))
                break
            got = packet(*found)  # a packet raises: no interface is declared yet
            if got is not None:
                before.append(got)
    except struct.error:
        raise CaptureError("pcapng header unreadable") from None
    link_type = interfaces[0].link_type
    if link_type not in LINKS:
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
