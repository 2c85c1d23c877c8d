"""Value representations of the command set: value layouts and padding (PS3.5 6.2).

The command set is always Implicit VR Little Endian (PS3.7 6.3.1), so every value is
little endian and its VR comes from the command dictionary. This module is the one
place that knows how each VR is laid out and padded.
"""

from __future__ import annotations

from typing import Any

import construct as c

__all__ = ["FIXED_LENGTH", "LONG_VRS", "PAD_BYTE", "TEXT_VRS", "VALUE", "pad"]

#: One tag of an AT value: group then element, each a 16-bit little-endian word (PS3.5 6.2).
AT_TAG = c.Struct(
    "group" / c.Int16ul,
    "element" / c.Int16ul,
)

#: The value field of an element, per VR; ``this.length`` is the element's value length.
VALUE: dict[str, c.Construct[Any, Any]] = {
    "US": c.Int16ul,  # unsigned short, 2 bytes
    "UL": c.Int32ul,  # unsigned long, 4 bytes
    "AT": c.Array(c.this.length // 4, AT_TAG),  # attribute tags, 4 bytes each
    "US*": c.Array(c.this.length // 2, c.Int16ul),  # US with VM 1-n (retired Overlays)
    "UI": c.Bytes(c.this.length),  # digits and dots, NUL-padded to even length
    "AE": c.Bytes(c.this.length),  # space-padded text, at most 16 characters
    "SH": c.Bytes(c.this.length),  # space-padded text, at most 16 characters
    "LO": c.Bytes(c.this.length),  # space-padded text, at most 64 characters
    "ST": c.Bytes(c.this.length),  # space-padded text, at most 1024 characters
    "LT": c.Bytes(c.this.length),  # space-padded text, at most 10240 characters
    "CS": c.Bytes(c.this.length),  # space-padded code string, at most 16 characters
    "IS": c.Bytes(c.this.length),  # space-padded integer string, at most 12 characters
}

#: VRs whose value is padded text.
TEXT_VRS = frozenset({"UI", "AE", "SH", "LO", "ST", "LT", "CS", "IS"})

#: VRs whose Explicit VR element header has two reserved bytes and a 32-bit value length
#: (PS3.5 7.1.2, Table 7.1-1); every other VR has a 16-bit length (Table 7.1-2).
LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})

#: Value length of the fixed-size VRs.
FIXED_LENGTH = {"US": 2, "UL": 4}

#: The byte that pads an odd-length value to even length (PS3.5 6.2, 7.1.1).
PAD_BYTE = {"UI": b"\x00"} | dict.fromkeys(TEXT_VRS - {"UI"}, b" ")


def pad(vr: str, value: bytes) -> bytes:
    """`value` padded to even length with the VR's padding byte."""
    return value + PAD_BYTE[vr] if len(value) % 2 else value
