"""PDU framing: the 6-byte PDU header, the PDU types, and P-DATA-TF's PDV items.

Every PDU starts with a 6-byte header (PS3.8 9.3.1, and the first three fields of each
PDU's table): PDU type, a reserved byte, and the big-endian length of the rest. A
P-DATA-TF PDU's rest is a list of PDV items (PS3.8 9.3.5, Tables 9-22 and 9-23), each
a 4-byte item length, the presentation context ID, and the PDV: a message control
header byte (Annex E.2) followed by a fragment of a command set or data set.

The header and PDV item are declared once below with construct; the hot paths use
``struct`` formats derived from those declarations (:mod:`dimsewire.codec._derive`).
The seven PDUs as objects live in :mod:`dimsewire.codec.upper_layer`.
"""

from __future__ import annotations

import construct as c

from ..errors import PDUError, nbytes
from ._derive import derive_struct

__all__ = [
    "A_ABORT",
    "A_ASSOCIATE_AC",
    "A_ASSOCIATE_RJ",
    "A_ASSOCIATE_RQ",
    "A_RELEASE_RP",
    "A_RELEASE_RQ",
    "COMMAND",
    "LAST",
    "PDU_TYPES",
    "P_DATA_TF",
    "RESERVED_BITS",
    "PDUHeader",
    "PDVItem",
    "PDVItemHeader",
    "PDataTFStructure",
    "parse_pdu_header",
    "pdu_header",
    "pdu_name",
    "split_pdv_items",
]

# The PDU types: PS3.8 9.3.1 lists the seven PDUs; each one's table gives its type value.
A_ASSOCIATE_RQ = 0x01  # Table 9-11
A_ASSOCIATE_AC = 0x02  # Table 9-17
A_ASSOCIATE_RJ = 0x03  # Table 9-21
P_DATA_TF = 0x04  # Table 9-22
A_RELEASE_RQ = 0x05  # Table 9-24
A_RELEASE_RP = 0x06  # Table 9-25
A_ABORT = 0x07  # Table 9-26

#: The seven PDU types of PS3.8 9.3.1, by type value.
PDU_TYPES: dict[int, str] = {
    A_ASSOCIATE_RQ: "A-ASSOCIATE-RQ",
    A_ASSOCIATE_AC: "A-ASSOCIATE-AC",
    A_ASSOCIATE_RJ: "A-ASSOCIATE-RJ",
    P_DATA_TF: "P-DATA-TF",
    A_RELEASE_RQ: "A-RELEASE-RQ",
    A_RELEASE_RP: "A-RELEASE-RP",
    A_ABORT: "A-ABORT",
}

# Message control header bits, PS3.8 Annex E.2.
COMMAND = 0x01  # bit 0: 1 = command information, 0 = data set information
LAST = 0x02  # bit 1: 1 = last fragment of the command set or data set
RESERVED_BITS = 0xFC  # bits 2-7: sent as 0, not tested on receipt

# PS3.8 9.3.1 and bytes 1-6 of Tables 9-11, 9-17, 9-21, 9-22, 9-24 to 9-26: the header
# every PDU starts with.
PDUHeader = c.Struct(
    "pdu_type" / c.Int8ub,  # 01H..07H
    "reserved" / c.Padding(1),  # 00H, not tested
    "pdu_length" / c.Int32ub,  # bytes that follow
)

# PS3.8 Table 9-23: Presentation Data Value item, up to the fragment.
PDVItemHeader = c.Struct(
    "item_length" / c.Int32ub,  # context ID + control header + fragment
    "presentation_context_id" / c.Int8ub,  # odd, 1..255
    "message_control_header" / c.Int8ub,  # Annex E.2
)

# PS3.8 Table 9-23: a whole PDV item.
PDVItem = c.Struct(
    *PDVItemHeader.subcons,
    "fragment" / c.Bytes(c.this.item_length - 2),
)

# PS3.8 Table 9-22: a whole P-DATA-TF PDU (type 04H), its PDV items filling its length.
PDataTFStructure = c.Struct(
    *PDUHeader.subcons,
    "pdv_items" / c.FixedSized(c.this.pdu_length, c.GreedyRange(PDVItem)),
)

# A P-DATA-TF PDU carrying one PDV item: the two headers packed at once.
SinglePDVHeader = c.Struct(*PDUHeader.subcons, *PDVItemHeader.subcons)

PDU_HEADER = derive_struct(PDUHeader)  # >BxI
PDV_HEADER = derive_struct(PDVItemHeader)  # >IBB
SINGLE_PDV_HEADER = derive_struct(SinglePDVHeader)  # >BxIIBB
PDU_HEADER_SIZE = PDU_HEADER.size
PDV_HEADER_SIZE = PDV_HEADER.size


def pdu_header(pdu_type: int, length: int) -> bytes:
    """The 6-byte header of a PDU of `pdu_type` whose body is `length` bytes."""
    return PDU_HEADER.pack(pdu_type, length)


def pdu_name(pdu_type: int) -> str:
    """``"P-DATA-TF"`` for 0x04, ``"unknown PDU type 0x09"`` otherwise."""
    return PDU_TYPES.get(pdu_type, f"unknown PDU type 0x{pdu_type:02X}")


def parse_pdu_header(
    header: bytes | bytearray | memoryview, pos: int = 0, *, offset: int | None = None
) -> tuple[int, int]:
    """(PDU type, PDU length) from the 6 bytes at `pos` of `header`.

    Raises PDUError for a type PS3.8 9.3.1 does not define, at `offset` (the header's
    offset in the stream; `pos` if not given); the caller checks lengths.
    """
    pdu_type, length = PDU_HEADER.unpack_from(header, pos)
    if pdu_type not in PDU_TYPES:
        raise PDUError(
            f"unknown PDU type 0x{pdu_type:02X} (PS3.8 9.3: 01H to 07H)",
            offset=pos if offset is None else offset,
        )
    return pdu_type, length


def split_pdv_items(
    body: memoryview, offset: int
) -> tuple[list[tuple[int, int, memoryview, int]], PDUError | None]:
    """The PDV items of a P-DATA-TF body (PS3.8 9.3.5), and the fault that ended them.

    Parameters
    ----------
    body : memoryview
        The bytes after the 6-byte PDU header.
    offset : int
        Offset of `body` in the caller's input, for error positions.

    Returns
    -------
    items : list of (context ID, message control header, fragment, offset of the item)
        Every well-formed item before the first fault.
    error : PDUError or None
        The fault (an item header cut short, an item length below 2 or running past
        the PDU), returned rather than raised so that the caller can first use the
        items before it.
    """
    end = len(body)
    unpack = PDV_HEADER.unpack_from
    if end >= PDV_HEADER_SIZE:
        length, context_id, control = unpack(body, 0)
        if length + 4 == end and length >= 2:  # the common case: one item fills the PDU
            return [(context_id, control, body[PDV_HEADER_SIZE:], offset)], None
    pos = 0
    items: list[tuple[int, int, memoryview, int]] = []
    while pos < end:
        if end - pos < PDV_HEADER_SIZE:
            return items, PDUError(
                f"PDV item header needs {PDV_HEADER_SIZE} bytes, {end - pos} left in the "
                "P-DATA-TF PDU",
                offset=offset + pos,
            )
        length, context_id, control = unpack(body, pos)
        if length < 2:
            return items, PDUError(
                f"PDV item length {length} is less than 2 (context ID and message control "
                "header, PS3.8 9.3.5.1)",
                offset=offset + pos,
            )
        if length > end - pos - 4:
            return items, PDUError(
                f"PDV item length {length} runs past the end of the P-DATA-TF PDU "
                f"({nbytes(end - pos - 4)} left)",
                offset=offset + pos,
            )
        start = pos + PDV_HEADER_SIZE
        items.append((context_id, control, body[start : pos + 4 + length], offset + pos))
        pos += 4 + length
    return items, None
