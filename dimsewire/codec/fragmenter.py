"""Split a message into PDV items inside P-DATA-TF PDUs (PS3.8 9.3.5, Annex E).

Rules followed when sending:

* every P-DATA-TF PDU's variable field (its PDV items) is at most the peer's maximum
  length; 0 means no limit (PS3.8 D.1);
* every fragment has an even number of bytes (PS3.8 Annex E.1), so one PDV per PDU
  carries at most ``max_pdu_length - 6`` bytes rounded down to even;
* the command set goes first, then the data set; the last fragment of each has bit 1
  of the message control header set (Annex E.2); no PDV is empty.

With ``pack=False`` the output is byte for byte what pynetdicom 3.0.4 sends at every even
maximum. With an odd maximum pynetdicom sends odd fragments; dimsewire rounds down.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO

from ..primitives import DimsePrimitive
from .framing import (
    COMMAND,
    LAST,
    P_DATA_TF,
    PDU_HEADER,
    PDU_HEADER_SIZE,
    PDV_HEADER,
    PDV_HEADER_SIZE,
    SINGLE_PDV_HEADER,
)
from .messages import from_primitive

__all__ = ["encode_message", "encode_message_buffers"]

Buffer = bytes | memoryview
_MAX_FRAGMENT = 0xFFFFFFFF - PDV_HEADER_SIZE - 1  # largest even fragment a PDU length can hold


def _check_arguments(context_id: object, max_pdu_length: object) -> int:
    """The largest fragment for one PDV per PDU."""
    if not isinstance(context_id, int) or isinstance(context_id, bool):
        raise TypeError(f"context_id must be an int, not {type(context_id).__name__}")
    if not (1 <= context_id <= 255 and context_id % 2):
        raise ValueError(
            f"context_id must be an odd int from 1 to 255 (PS3.8 9.3.2.2), not {context_id}"
        )
    if not isinstance(max_pdu_length, int) or isinstance(max_pdu_length, bool):
        raise TypeError(f"max_pdu_length must be an int, not {type(max_pdu_length).__name__}")
    if max_pdu_length == 0:
        return _MAX_FRAGMENT
    if not 8 <= max_pdu_length <= 0xFFFFFFFF:
        raise ValueError(
            "max_pdu_length must be 0 (no limit) or from 8 to 4294967295: a PDV item "
            f"needs 6 bytes and an even fragment at least 2, not {max_pdu_length}"
        )
    return (max_pdu_length - PDV_HEADER_SIZE) & ~1


def _pdvs(data: memoryview, command: bool, fragment: int) -> Iterator[tuple[int, memoryview]]:
    """(message control header, fragment) pairs for one command set or data set."""
    flags = COMMAND if command else 0
    size = len(data)
    for start in range(0, size, fragment):
        end = start + fragment
        yield (flags | LAST if end >= size else flags), data[start:end]


def _unpacked(
    parts: list[tuple[memoryview, bool]], context_id: int, fragment: int
) -> Iterator[list[Buffer]]:
    pack_header = SINGLE_PDV_HEADER.pack
    for data, command in parts:
        for control, piece in _pdvs(data, command, fragment):
            size = len(piece)
            header = pack_header(P_DATA_TF, size + 6, size + 2, context_id, control)
            yield [header, piece]


def _packed(
    parts: list[tuple[memoryview, bool]], context_id: int, max_pdu_length: int
) -> Iterator[list[Buffer]]:
    """As many PDVs per PDU as fit.

    A part (command set or data set) starts in the room another part left in a PDU
    when it fits there whole, or when splitting it there saves a PDU; otherwise it
    starts a new PDU, so packing never adds a fragment that buys nothing.
    """
    limit = max_pdu_length or (_MAX_FRAGMENT + PDV_HEADER_SIZE)
    full = (limit - PDV_HEADER_SIZE) & ~1  # fragment of a PDV alone in its PDU
    pack_pdv = PDV_HEADER.pack
    buffers: list[Buffer] = []
    used = 0
    for data, command in parts:
        flags = COMMAND if command else 0
        start, size = 0, len(data)
        room = (limit - used - PDV_HEADER_SIZE) & ~1
        if buffers and room < size and -(-(size - room) // full) == -(-size // full):
            room = 0  # using the room saves no PDU
        while start < size:
            if room < 2:
                yield [PDU_HEADER.pack(P_DATA_TF, used), *buffers]
                buffers, used, room = [], 0, full
            end = min(size, start + room)
            control = flags | LAST if end == size else flags
            buffers += (pack_pdv(end - start + 2, context_id, control), data[start:end])
            used += PDV_HEADER_SIZE + end - start
            start = end
            room = (limit - used - PDV_HEADER_SIZE) & ~1
    if buffers:
        yield [PDU_HEADER.pack(P_DATA_TF, used), *buffers]


def encode_message_buffers(
    primitive: DimsePrimitive, context_id: int, max_pdu_length: int, *, pack: bool = False
) -> Iterator[list[Buffer]]:
    """Encode a message as P-DATA-TF PDUs, each given as a list of buffers.

    The buffers of one PDU, written in order, are that PDU; pass them to
    ``socket.sendmsg`` as they are. Data set fragments are ``memoryview`` slices of the
    primitive's Identifier: nothing is copied, so do not change the Identifier until
    the buffers are sent.

    Parameters and errors are those of :func:`encode_message`.
    """
    fragment = _check_arguments(context_id, max_pdu_length)
    command_set, data_set = from_primitive(primitive)
    parts = [(memoryview(command_set), True)]
    if data_set is not None:
        parts.append((memoryview(_contents(data_set)), False))
    if pack:
        return _packed(parts, context_id, max_pdu_length)
    return _unpacked(parts, context_id, fragment)


def _contents(data_set: BytesIO) -> bytes:
    # getvalue() hands out the BytesIO's own buffer when it can: no copy in CPython.
    return data_set.getvalue()


def encode_message(
    primitive: DimsePrimitive, context_id: int, max_pdu_length: int, *, pack: bool = False
) -> Iterator[bytes]:
    """Encode a message as whole P-DATA-TF PDUs (PS3.8 9.3.5, Annex E).

    Parameters
    ----------
    primitive : DimsePrimitive
        The message: any DIMSE primitive but OtherCommand; one with a Status is sent as
        the service's response (e.g. a C_STORE with a Status as a C-STORE-RSP).
    context_id : int
        The accepted presentation context, an odd number from 1 to 255.
    max_pdu_length : int
        The peer's maximum length for a P-DATA-TF PDU's PDV items (its Maximum Length
        sub-item, PS3.8 D.1); 0 for no limit. At least 8 otherwise.
    pack : bool
        False: one PDV per PDU, byte-identical to pynetdicom at even maxima. True: as
        many PDVs as fit in each PDU; never more PDUs than with False.

    Returns
    -------
    iterator of bytes
        Each item one whole PDU, header included.

    Raises
    ------
    TypeError, ValueError
        Bad arguments, or a primitive that is not a complete, conformant message (an
        empty or odd-length Identifier included).
    """
    buffers = encode_message_buffers(primitive, context_id, max_pdu_length, pack=pack)
    return (b"".join(pdu) for pdu in buffers)


assert PDU_HEADER_SIZE == PDV_HEADER_SIZE == 6
