"""PDU framing and the P-DATA-TF PDU with its PDV items (PS3.8 9.3.1, 9.3.5, Annex E).

Every PDU starts with a 6-byte header: PDU type, a reserved byte, and the big-endian
length of the rest. A P-DATA-TF PDU's rest is a list of PDV items, each a 4-byte item
length, the presentation context ID, and the PDV: a message control header byte
(Annex E.2) followed by a fragment of a command set or data set.
"""

from __future__ import annotations

import construct as c

from ..errors import PDUError, nbytes
from ._derive import derive_struct

__all__ = [
    "COMMAND",
    "LAST",
    "PDU_TYPES",
    "RESERVED_BITS",
    "PDUHeader",
    "PDVItem",
    "PDVItemHeader",
    "PDataTF",
    "PDataTFHeader",
    "parse_pdu_header",
    "split_pdv_items",
]

#: PDU types of PS3.8 9.3, Table 9-11.
PDU_TYPES: dict[int, str] = {
    0x01: "A-ASSOCIATE-RQ",
    0x02: "A-ASSOCIATE-AC",
    0x03: "A-ASSOCIATE-RJ",
    0x04: "P-DATA-TF",
    0x05: "A-RELEASE-RQ",
    0x06: "A-RELEASE-RP",
    0x07: "A-ABORT",
}
P_DATA_TF = 0x04

# Message control header bits, PS3.8 Annex E.2.
COMMAND = 0x01  # bit 0: 1 = command information, 0 = data set information
LAST = 0x02  # bit 1: 1 = last fragment of the command set or data set
RESERVED_BITS = 0xFC  # bits 2-7: sent as 0, not tested on receipt

# PS3.8 9.3.1: the header common to every PDU.
PDUHeader = c.Struct(
    "pdu_type" / c.Int8ub,  # 01H..07H
    "reserved" / c.Padding(1),  # 00H, not tested
    "pdu_length" / c.Int32ub,  # bytes that follow
)

# PS3.8 Table 9-22: P-DATA-TF PDU fields before the PDV items.
PDataTFHeader = c.Struct(
    "pdu_type" / c.Const(P_DATA_TF, c.Int8ub),
    "reserved" / c.Padding(1),
    "pdu_length" / c.Int32ub,  # length of the PDV items
)

# PS3.8 Table 9-23: Presentation Data Value item, up to the fragment.
PDVItemHeader = c.Struct(
    "item_length" / c.Int32ub,  # context ID + control header + fragment
    "presentation_context_id" / c.Int8ub,  # odd, 1..255
    "message_control_header" / c.Int8ub,  # Annex E.2
)

PDVItem = c.Struct(
    *PDVItemHeader.subcons,
    "fragment" / c.Bytes(c.this.item_length - 2),
)

PDataTF = c.Struct(
    *PDataTFHeader.subcons,
    "pdv_items" / c.FixedSized(c.this.pdu_length, c.GreedyRange(PDVItem)),
)

# A P-DATA-TF PDU carrying one PDV item: the two headers packed at once.
SinglePDVHeader = c.Struct(*PDataTFHeader.subcons, *PDVItemHeader.subcons)

PDU_HEADER = derive_struct(PDUHeader)  # >BxI
PDATA_HEADER = derive_struct(PDataTFHeader)  # >BxI, type 04H
PDV_HEADER = derive_struct(PDVItemHeader)  # >IBB
SINGLE_PDV_HEADER = derive_struct(SinglePDVHeader)  # >BxIIBB
PDU_HEADER_SIZE = PDU_HEADER.size
PDV_HEADER_SIZE = PDV_HEADER.size


def pdu_name(pdu_type: int) -> str:
    """``"P-DATA-TF"`` for 0x04, ``"unknown PDU type 0x09"`` otherwise."""
    return PDU_TYPES.get(pdu_type, f"unknown PDU type 0x{pdu_type:02X}")


def parse_pdu_header(
    header: bytes | bytearray | memoryview, pos: int = 0, *, offset: int | None = None
) -> tuple[int, int]:
    """(PDU type, PDU length) from the 6 bytes at `pos` of `header`.

    Raises PDUError for a type PS3.8 9.3 does not define, at `offset` (the header's
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
