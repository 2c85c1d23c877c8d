"""Hand-built wire pieces for tests: each helper packs one PS3 table, nothing more."""

from __future__ import annotations

import struct

SOP_CLASS = b"1.2.840.10008.5.1.4.1.2.1.1\x00"  # Patient Root FIND, NUL-padded to 28


def element(tag: int, value: bytes) -> bytes:
    """An Implicit VR Little Endian element (PS3.5 Table 7.1-3)."""
    return struct.pack("<HHI", tag >> 16, tag & 0xFFFF, len(value)) + value


def us(tag: int, value: int) -> bytes:
    return element(tag, struct.pack("<H", value))


def command_set(*elements: bytes, group_length: int | None = None) -> bytes:
    """Elements preceded by CommandGroupLength (0000,0000), computed unless given."""
    body = b"".join(elements)
    length = len(body) if group_length is None else group_length
    return element(0x0000, struct.pack("<I", length)) + body


def find_rq(message_id: int = 7, *, data_set_type: int = 0x0001) -> bytes:
    """A C-FIND-RQ command set (PS3.7 Table 9.3-3)."""
    return command_set(
        element(0x0002, SOP_CLASS),
        us(0x0100, 0x0020),
        us(0x0110, message_id),
        us(0x0700, 0),
        us(0x0800, data_set_type),
    )


def find_rsp(status: int, *, data_set_type: int = 0x0101, extra: bytes = b"") -> bytes:
    """A C-FIND-RSP command set (PS3.7 Table 9.3-4)."""
    return command_set(
        element(0x0002, SOP_CLASS),
        us(0x0100, 0x8020),
        us(0x0120, 7),
        us(0x0800, data_set_type),
        us(0x0900, status),
        extra,
    )


def pdv(context_id: int, control: int, fragment: bytes) -> bytes:
    """A PDV item (PS3.8 Table 9-23)."""
    return struct.pack(">IBB", len(fragment) + 2, context_id, control) + fragment


def pdata(*items: bytes) -> bytes:
    """A P-DATA-TF PDU holding the given PDV items (PS3.8 Table 9-22)."""
    body = b"".join(items)
    return struct.pack(">BBI", 0x04, 0, len(body)) + body


IDENTIFIER = element(0x00080052, b"PATIENT ") + element(0x00100010, b"")
RELEASE_RQ = bytes.fromhex("05 00 00000004 00000000")
