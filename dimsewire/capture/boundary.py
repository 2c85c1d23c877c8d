"""Where a PDU starts, found in bytes whose framing was lost (PS3.8 9.3.1).

After a lost segment, a broken PDU, or at the start of a capture that begins inside an
association, decoding resumes at a PDU boundary that can be proven from the bytes: a
plausible header (its PDV items too, for P-DATA-TF) whose length ends exactly where the
bytes end or where another plausible header starts.
"""

from __future__ import annotations

import re

from ..codec.assembler import DEFAULT_MAX_MESSAGE_SIZE
from ..codec.framing import P_DATA_TF, PDU_HEADER_SIZE, PDU_TYPES, PDV_HEADER_SIZE, RESERVED_BITS
from ..codec.stream import DEFAULT_MAX_CONTROL_PDU_LENGTH
from ..codec.upper_layer import ASSOCIATE_FIXED_SIZE, FIXED_BODY_SIZES

__all__ = ["MAX_CONTROL", "MAX_MESSAGE", "find_boundary", "plausible"]

MAX_CONTROL = DEFAULT_MAX_CONTROL_PDU_LENGTH
MAX_MESSAGE = DEFAULT_MAX_MESSAGE_SIZE
_HEADER_CANDIDATE = re.compile(rb"[\x01-\x07]\x00", re.DOTALL)  # a PDU type, reserved 00H


def plausible(buf: bytes | bytearray, pos: int) -> int | None:
    """The length of a PDU that could start at `pos` (header only), else None."""
    if len(buf) - pos < PDU_HEADER_SIZE:
        return None
    pdu_type, reserved = buf[pos], buf[pos + 1]
    if pdu_type not in PDU_TYPES or reserved:
        return None
    length = int.from_bytes(buf[pos + 2 : pos + PDU_HEADER_SIZE], "big")
    if pdu_type in FIXED_BODY_SIZES:
        return length if length == FIXED_BODY_SIZES[pdu_type] else None
    if pdu_type != P_DATA_TF:  # A-ASSOCIATE-RQ, -AC
        return length if ASSOCIATE_FIXED_SIZE <= length <= MAX_CONTROL else None
    if length < PDV_HEADER_SIZE or length > MAX_MESSAGE:
        return None
    # every PDV item header in the bytes at hand must fit the PDU and look like one
    end = pos + PDU_HEADER_SIZE + length
    item = pos + PDU_HEADER_SIZE
    while item + PDV_HEADER_SIZE <= min(end, len(buf)):
        item_length = int.from_bytes(buf[item : item + 4], "big")
        context, control = buf[item + 4], buf[item + 5]
        if (
            item_length < 2
            or item + 4 + item_length > end
            or not context & 1
            or control & RESERVED_BITS
        ):
            return None
        item += 4 + item_length
    if item < end <= len(buf):
        return None  # the items do not fill the PDU exactly
    return length


def find_boundary(buf: bytes | bytearray, start: int, *, final: bool) -> int | None:
    """The first offset >= `start` where a PDU provably starts; None if none (yet).

    Proof: a plausible header (PDV items included, see `_plausible`) whose length ends
    exactly at the end of the bytes at hand, or at another plausible header. A candidate
    that runs past the bytes at hand proves nothing yet and is passed over: a later
    proven one is taken (a false header claiming a long body must not stall decoding).
    """
    for match in _HEADER_CANDIDATE.finditer(buf, start):
        pos = match.start()
        length = plausible(buf, pos)
        if length is None:
            continue
        after = pos + 6 + length
        if after == len(buf):
            return pos
        if after > len(buf):
            continue
        if plausible(buf, after) is not None or (len(buf) - after < 6 and not final):
            return pos
    return None
