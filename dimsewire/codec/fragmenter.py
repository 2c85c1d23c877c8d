"""Split a message into PDV items inside P-DATA-TF PDUs (PS3.8 9.3.5, Annex E).

Rules followed when sending:

* every P-DATA-TF PDU's variable field (its PDV items) is at most the peer's maximum
  length; 0 means no limit (PS3.8 D.1);
* every fragment has an even number of bytes (PS3.8 Annex E.1), so one PDV per PDU
  carries at most ``max_pdu_length - 6`` bytes rounded down to even;
* the command set goes first, then the data set; the last fragment of each has bit 1
  of the message control header set (Annex E.2); no PDV is empty.

With ``pack=False`` the output is byte for byte what pynetdicom 3.0.4 sends at every even
maximum. With an odd maximum pynetdicom sends odd fragments; dimsewire rounds down. With
a maximum of 0 (no limit) pynetdicom sends a whole data set in one fragment; dimsewire
cuts fragments of at most :data:`MAX_FRAGMENT_WITHOUT_LIMIT` (1 MiB), so that a 5 GB
object never has to be one PDU.

A data set given as a binary file object (anything with ``readinto``, other than
``io.BytesIO``) is streamed: read in blocks of about :data:`READ_BLOCK` bytes as the PDUs
are taken, never whole, and its length need not be known (the last fragment is the one
the source ends in). The bytes go out exactly as read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from io import BytesIO
from typing import Any, BinaryIO

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

__all__ = [
    "MAX_FRAGMENT_WITHOUT_LIMIT",
    "READ_BLOCK",
    "encode_message",
    "encode_message_buffers",
]

Buffer = bytes | memoryview
#: Largest fragment sent to a peer whose maximum length is 0, "no limit" (PS3.8 D.1).
MAX_FRAGMENT_WITHOUT_LIMIT = 1024 * 1024
#: About how much of a streamed data set is read at a time (a multiple of the fragment).
READ_BLOCK = 1024 * 1024
_ONE_PDV = SINGLE_PDV_HEADER.pack
_CL = COMMAND | LAST  # the control header of a command set's last fragment
# Parts of a message: (bytes of the command set or an in-memory data set, or a reader
# of a streamed one; whether it is the command set).
_Part = tuple[memoryview | BinaryIO, bool]


def _check_arguments(context_id: object, max_pdu_length: object) -> int:
    """The largest fragment for one PDV per PDU."""
    if (
        type(context_id) is int
        and type(max_pdu_length) is int
        and context_id & 1
        and 1 <= context_id <= 255
        and 8 <= max_pdu_length <= 0xFFFFFFFF
    ):  # the common case in one test; anything else is looked at below
        return (max_pdu_length - PDV_HEADER_SIZE) & ~1
    if not isinstance(context_id, int) or isinstance(context_id, bool):
        raise TypeError(f"context_id must be an int, not {type(context_id).__name__}")
    if not (1 <= context_id <= 255 and context_id % 2):
        raise ValueError(
            f"context_id must be an odd int from 1 to 255 (PS3.8 9.3.2.2), not {context_id}"
        )
    if not isinstance(max_pdu_length, int) or isinstance(max_pdu_length, bool):
        raise TypeError(f"max_pdu_length must be an int, not {type(max_pdu_length).__name__}")
    if max_pdu_length == 0:
        return MAX_FRAGMENT_WITHOUT_LIMIT
    if not 8 <= max_pdu_length <= 0xFFFFFFFF:
        raise ValueError(
            "max_pdu_length must be 0 (no limit) or from 8 to 4294967295: a PDV item "
            f"needs 6 bytes and an even fragment at least 2, not {max_pdu_length}"
        )
    return (max_pdu_length - PDV_HEADER_SIZE) & ~1


def _pdvs(data: memoryview | BinaryIO, command: bool, fragment: int) -> Iterator[tuple[int, Any]]:
    """(message control header, fragment) pairs for one command set or data set."""
    flags = COMMAND if command else 0
    if not isinstance(data, memoryview):
        for piece, last in _read_fragments(data, fragment):
            yield (flags | LAST if last else flags), piece
        return
    size = len(data)
    for start in range(0, size, fragment):
        end = start + fragment
        yield (flags | LAST if end >= size else flags), data[start:end]


def _fill(source: BinaryIO, block: bytearray) -> int:
    """Read until `block` is full or the source ends; the number of bytes read."""
    view = memoryview(block)
    filled, size = 0, len(block)
    while filled < size:
        count = source.readinto(view[filled:])  # type: ignore[attr-defined]
        if not count:  # 0 at the end; None from a non-blocking source with nothing yet
            if count is None:
                raise ValueError("the data set source is non-blocking and had no data ready")
            break
        filled += count
    view.release()
    return filled


def _read_fragments(source: BinaryIO, fragment: int) -> Iterator[tuple[memoryview, bool]]:
    """Fragments of a streamed data set, each marked whether it is the last.

    Two blocks alternate: the next is read before the current block's last fragment is
    handed out, so that the last fragment is known without knowing the length. A
    fragment stays valid until the PDU after it has been taken.
    """
    block_size = max(1, READ_BLOCK // fragment) * fragment
    blocks = [bytearray(block_size), bytearray(block_size)]
    current = 0
    size = _fill(source, blocks[0])
    total = size
    if not size:
        raise ValueError("the data set source is empty (PS3.8 Annex E: no empty PDVs)")
    while True:
        following = _fill(source, blocks[1 - current]) if size == block_size else 0
        total += following
        if not following and total % 2:
            raise ValueError(
                f"the data set source ended after {total} bytes, an odd length (PS3.5 7.1: "
                "data sets are even); the message is incomplete and must be aborted"
            )
        view = memoryview(blocks[current])
        for start in range(0, size, fragment):
            end = min(start + fragment, size)
            yield view[start:end], not following and end == size
        if not following:
            return
        current, size = 1 - current, following


def _unpacked(parts: Iterable[_Part], context_id: int, fragment: int) -> Iterator[list[Buffer]]:
    pack_header = SINGLE_PDV_HEADER.pack
    for data, command in parts:
        for control, piece in _pdvs(data, command, fragment):
            size = len(piece)
            header = pack_header(P_DATA_TF, size + 6, size + 2, context_id, control)
            yield [header, piece]


def _packed(
    parts: list[tuple[memoryview, bool]], context_id: int, max_pdu_length: int
) -> Iterator[list[Buffer]]:
    """As many PDVs per PDU as fit (in-memory parts only).

    A part (command set or data set) starts in the room another part left in a PDU
    when it fits there whole, or when splitting it there saves a PDU; otherwise it
    starts a new PDU, so packing never adds a fragment that buys nothing.
    """
    limit = max_pdu_length or (MAX_FRAGMENT_WITHOUT_LIMIT + PDV_HEADER_SIZE)
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
    primitive's data set: nothing is copied, so do not change it until the buffers are
    sent. For a streamed data set (a file object) the slices are of two reused read
    blocks: send each PDU before taking the next.

    Parameters and errors are those of :func:`encode_message`.
    """
    fragment = _check_arguments(context_id, max_pdu_length)
    command_set, data_set = from_primitive(primitive)
    return _buffers(command_set, data_set, context_id, max_pdu_length, fragment, pack)


def _buffers(
    command_set: bytes,
    data_set: Any,
    context_id: int,
    max_pdu_length: int,
    fragment: int,
    pack: bool,
) -> Iterator[list[Buffer]]:
    command = memoryview(command_set)
    if data_set is None:
        parts: list[Any] = [(command, True)]
    elif isinstance(data_set, BytesIO):
        # getvalue() hands out the BytesIO's own buffer when it can: no copy in CPython.
        parts = [(command, True), (memoryview(data_set.getvalue()), False)]
    elif isinstance(data_set, (str, os.PathLike)):
        raise TypeError(
            "the data set is a path: send it with AssociationEndpoint.send_message, or "
            "pass the file object from dimsewire.part10.open_data_set(path)"
        )
    else:
        # A streamed source: one PDV per PDU after the command set, also when packing.
        if pack:
            return _chain(
                _packed([(command, True)], context_id, max_pdu_length),
                context_id,
                data_set,
                fragment,
            )
        return _unpacked([(command, True), (data_set, False)], context_id, fragment)
    if pack:
        return _packed(parts, context_id, max_pdu_length)
    return _unpacked(parts, context_id, fragment)


def _chain(
    first: Iterator[list[Buffer]], context_id: int, source: BinaryIO, fragment: int
) -> Iterator[list[Buffer]]:
    yield from first
    yield from _unpacked([(source, False)], context_id, fragment)


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
    fragment = _check_arguments(context_id, max_pdu_length)
    command_set, data_set = from_primitive(primitive)
    size = len(command_set)
    if size <= fragment and not pack:
        # The common small message: one PDU per part, built without generators.
        if data_set is None:
            return iter([_ONE_PDV(P_DATA_TF, size + 6, size + 2, context_id, _CL) + command_set])
        if type(data_set) is BytesIO:
            data = data_set.getvalue()  # the BytesIO's own bytes when it can (CPython)
            length = len(data)
            if length <= fragment:
                return iter(
                    [
                        _ONE_PDV(P_DATA_TF, size + 6, size + 2, context_id, _CL) + command_set,
                        _ONE_PDV(P_DATA_TF, length + 6, length + 2, context_id, LAST) + data,
                    ]
                )
    buffers = _buffers(command_set, data_set, context_id, max_pdu_length, fragment, pack)
    return (b"".join(pdu) for pdu in buffers)


assert PDU_HEADER_SIZE == PDV_HEADER_SIZE == 6
