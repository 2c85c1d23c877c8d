"""Link layers of captured frames: where the IP packet starts, by pcap link type.

Link types (tcpdump.org/linktypes.html): Ethernet (with 802.1Q tags), BSD loopback (null
and loop), raw IP, Linux cooked capture v1 and v2 (what ``tcpdump -i any`` writes), raw
IPv4 and IPv6.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

__all__ = [
    "ETHERTYPE_IPV4",
    "ETHERTYPE_IPV6",
    "LINKS",
    "LINK_TYPE_NAMES",
    "NO_INTERFACE",
    "Link",
    "unsupported",
]

# Link-layer header types (tcpdump.org/linktypes.html) to a function finding the IP packet.
ETHERTYPE_IPV4, ETHERTYPE_IPV6, _VLAN = 0x0800, 0x86DD, (0x8100, 0x88A8)


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


def _null(buf: bytes) -> tuple[int, int]:
    family = _FAMILY.unpack_from(buf)[0] if buf[:2] != b"\x00\x00" else buf[3]
    if family == 2:
        return ETHERTYPE_IPV4, 4
    if family in (10, 24, 28, 30):
        return ETHERTYPE_IPV6, 4
    return 0, 4


def _raw(buf: bytes) -> tuple[int, int]:
    version = buf[0] >> 4 if buf else 0
    return {4: ETHERTYPE_IPV4, 6: ETHERTYPE_IPV6}.get(version, 0), 0


#: A link layer: a frame's bytes to (ethertype, where its IP packet starts)
Link = Callable[[bytes], tuple[int, int]]

LINKS: dict[int, Link] = {
    0: _null,  # DLT_NULL
    1: _ethernet,  # DLT_EN10MB
    12: _raw,  # DLT_RAW (OpenBSD numbering)
    14: _raw,
    101: _raw,  # LINKTYPE_RAW
    108: _null,  # DLT_LOOP (network byte order family)
    113: lambda buf: (int.from_bytes(buf[14:16], "big"), 16),  # Linux cooked (SLL)
    276: lambda buf: (int.from_bytes(buf[0:2], "big"), 20),  # Linux cooked v2 (SLL2)
    228: lambda buf: (ETHERTYPE_IPV4, 0),  # LINKTYPE_IPV4
    229: lambda buf: (ETHERTYPE_IPV6, 0),  # LINKTYPE_IPV6
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
NO_INTERFACE = -1  # a pcapng file declaring no interface (editcap's when it keeps no frame)
LINK_TYPE_NAMES[NO_INTERFACE] = "no interface"


def unsupported(buf: bytes) -> tuple[int, int]:
    """The link layer of an interface whose type is not supported: no IP found."""
    return 0, 0
