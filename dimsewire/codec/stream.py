"""From a TCP byte stream to PDUs and messages; and whole PDUs to one message.

PDUs are framed by their 6-byte header (PS3.8 9.3.1); P-DATA-TF PDUs are opened into
PDV items and handed to :class:`~dimsewire.codec.assembler.MessageAssembler`. A PDU
length over the local limit is rejected from the header, before any body is buffered.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from io import BytesIO
from typing import Any

from ..errors import (
    DecodeError,
    FragmentError,
    PDUError,
    PDUTooLargeError,
    TruncatedError,
    nbytes,
)
from ..primitives import DimsePrimitive
from .assembler import (
    DEFAULT_MAX_MESSAGE_SIZE,
    MessageAssembler,
    Rule,
    StreamFragment,
    StreamSelector,
    StreamStarted,
)
from .command_set import decode_command_set
from .events import (
    DataSetFragmentReceived,
    Event,
    MessageReceived,
    MessageStarted,
    PDUReceived,
)
from .framing import (
    COMMAND,
    LAST,
    P_DATA_TF,
    PDU_HEADER,
    PDU_HEADER_SIZE,
    PDV_HEADER_SIZE,
    SINGLE_PDV_HEADER,
    parse_pdu_header,
    pdu_name,
    split_pdv_items,
)
from .items import DEFAULT_MAX_ITEMS
from .messages import attach_data_set, command_primitive, decode_shaped, has_data_set
from .upper_layer import PDV, PDataTF, decode_pdu

__all__ = ["DEFAULT_MAX_PDU_LENGTH", "Reassembler", "decode_message"]

#: pynetdicom's default maximum; DCMTK proposes 16384 (PS3.8 D.1).
DEFAULT_MAX_PDU_LENGTH = 16382
#: Cap on PDUs other than P-DATA-TF (A-ASSOCIATE-RQ with many contexts stays far below).
DEFAULT_MAX_CONTROL_PDU_LENGTH = 1024 * 1024


def _feed_pdata(
    assembler: MessageAssembler, body: memoryview, offset: int, done: list[Any]
) -> None:
    """Append to `done` what a P-DATA-TF body completes; `offset` is the PDU's.

    That is each primitive of a whole message and, for streamed messages, the
    assembler's StreamStarted / StreamFragment outputs. A fault in the body is raised
    only after the outputs before it are in `done`, so that the caller loses none.
    """
    if not len(body):
        assembler.report(Rule.EMPTY_P_DATA, "P-DATA-TF PDU with no PDV items (PS3.8 9.3.5)", offset)
    items, error = split_pdv_items(body, offset + PDU_HEADER_SIZE)
    add = assembler.add
    for context_id, control, fragment, item_offset in items:
        prim = add(context_id, control, fragment, item_offset)
        if prim is not None:
            done.append(prim)
    if error is not None:
        raise error


class Reassembler:
    """Sans-IO decoder for the bytes of one direction of an association.

    Feed it bytes in any chunking with :meth:`receive_data` and take events with
    :meth:`next_event` (or iterate :meth:`events`): :class:`MessageReceived` for each
    whole DIMSE message, :class:`PDUReceived` with the decoded PDU for every other
    PDU (A-ASSOCIATE, A-RELEASE, A-ABORT).

    Errors are raised from :meth:`next_event` only after every event before the fault
    has been handed out. A :class:`~dimsewire.errors.PDUError` loses the PDU framing:
    the reassembler stays broken and raises it again. After a FragmentError,
    CommandSetError or IdentifierError the message at fault is dropped and decoding
    goes on with the next PDU; so it does after an ItemError or other fault inside a
    PDU other than P-DATA-TF, since its length still frames it.

    Parameters
    ----------
    max_pdu_length : int
        The local maximum length of a P-DATA-TF PDU (the value this side sent in its
        Maximum Length sub-item, PS3.8 D.1); 0 for none, in which case the message
        cap bounds a P-DATA-TF PDU instead.
    max_message_size : int
        Cap on one reassembled message (command set plus data set).
    max_control_pdu_length : int
        Cap on the PDUs other than P-DATA-TF.
    strict : bool
        Raise on every deviation instead of reporting it.
    max_items : int
        Cap on the items and sub-items of one A-ASSOCIATE PDU.
    pdata_events : bool
        Also hand out a :class:`PDUReceived` for each P-DATA-TF PDU (its ``pdu`` a
        :class:`~dimsewire.pdus.PDataTF` with the PDV items), before the messages
        it completes: for tools that show the wire, not for endpoints.
    stream_data_sets : callable, optional
        ``stream_data_sets(primitive) -> bool``, asked for each message whose command
        set says a data set follows (e.g. ``lambda p: isinstance(p, C_STORE)``). For the
        messages it selects the data set is not collected: :class:`MessageStarted`
        comes when the command set is complete, a :class:`DataSetFragmentReceived` for
        each fragment as its PDU arrives, then :class:`MessageReceived` with
        ``streamed=True``. Memory stays bounded by the maximum PDU length whatever the
        data set's size, and ``max_message_size`` does not apply to those messages.
    """

    def __init__(
        self,
        *,
        max_pdu_length: int = DEFAULT_MAX_PDU_LENGTH,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        max_control_pdu_length: int = DEFAULT_MAX_CONTROL_PDU_LENGTH,
        strict: bool = False,
        pdata_events: bool = False,
        max_items: int = DEFAULT_MAX_ITEMS,
        stream_data_sets: StreamSelector | None = None,
    ) -> None:
        if not isinstance(max_pdu_length, int) or max_pdu_length < 0:
            raise ValueError(f"max_pdu_length must be an int >= 0, not {max_pdu_length!r}")
        if not isinstance(max_control_pdu_length, int) or max_control_pdu_length < 0:
            raise ValueError(
                f"max_control_pdu_length must be an int >= 0, not {max_control_pdu_length!r}"
            )
        self._assembler = MessageAssembler(
            max_message_size=max_message_size, strict=strict, stream=stream_data_sets
        )
        self._pdata_limit = max_pdu_length or max_message_size + 64 * 1024
        self._control_limit = max_control_pdu_length
        # Received bytes are never gathered into one growing buffer: each chunk is framed
        # where it is, and only a PDU that straddles two chunks is copied (once).
        self._buffer: bytes | memoryview = b""  # the chunk being framed (read-only)
        self._pos = 0  # start of unread bytes in _buffer
        self._consumed = 0  # stream offset of _buffer[0]
        self._queue: deque[bytes | memoryview] = deque()  # chunks after _buffer
        self._queued = 0  # bytes in _queue
        self._message_start: int | None = None
        self._pending: deque[Event] = deque()
        self._error: DecodeError | None = None
        self._broken: DecodeError | None = None
        self._eof = False
        self._pdata_events = pdata_events
        self._max_items = max_items

    @property
    def offset(self) -> int:
        """Stream offset of the next byte not yet framed into a PDU."""
        return self._consumed + self._pos

    @property
    def broken(self) -> bool:
        """Whether a fault has lost the PDU framing: nothing more can be decoded."""
        return self._broken is not None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a whole PDU."""
        return len(self._buffer) - self._pos + self._queued

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Add bytes from the stream.

        A ``bytes`` object (what a socket's ``recv`` or asyncio's ``data_received``
        gives) is framed where it is, without a copy: the PDVs and streamed fragments
        handed out are views of it. Mutable input is copied first, since the caller may
        reuse it. Only a PDU cut across two chunks is copied together.
        """
        if self._eof:
            raise RuntimeError("receive_data after receive_eof")
        if type(data) is not bytes:
            data = bytes(data)
        if not data:
            return
        if self._pos == len(self._buffer) and not self._queue:
            self._consumed += self._pos
            self._buffer, self._pos = data, 0
        else:
            self._queue.append(data)
            self._queued += len(data)

    def _top_up(self, want: int) -> bool:
        """Make the current chunk hold `want` unread bytes, from the queued chunks.

        False when they are not all here yet. The unread rest of the current chunk and
        just the bytes wanted from the next chunks are copied into one new chunk; what
        is left of the last chunk used stays queued as a view, uncopied.
        """
        buffer, pos = self._buffer, self._pos
        have = len(buffer) - pos
        if have + self._queued < want:
            return False
        parts: list[bytes | memoryview] = [memoryview(buffer)[pos:]] if have else []
        need = want - have
        queue = self._queue
        while need > 0:
            chunk = queue[0]
            if len(chunk) <= need:
                queue.popleft()
                parts.append(chunk)
                need -= len(chunk)
                self._queued -= len(chunk)
            else:
                view = memoryview(chunk)
                parts.append(view[:need])
                queue[0] = view[need:]
                self._queued -= need
                need = 0
        self._consumed += pos
        self._buffer, self._pos = b"".join(parts), 0
        return True

    def _next_chunk(self) -> bool:
        """Move to the next queued chunk once the current one is used up."""
        if self._pos < len(self._buffer) or not self._queue:
            return False
        self._consumed += len(self._buffer)
        chunk = self._queue.popleft()
        self._queued -= len(chunk)
        self._buffer, self._pos = chunk, 0
        return True

    def receive_eof(self) -> None:
        """The stream has ended; a partial PDU or message is then reported."""
        self._eof = True

    def events(self) -> Iterator[Event]:
        """Every event the bytes received so far complete."""
        while (event := self.next_event()) is not None:
            yield event

    def next_event(self) -> Event | None:
        """The next event, or None until more bytes arrive.

        Raises
        ------
        DecodeError
            A subclass naming the fault and its stream offset.
        """
        while True:
            if self._pending:
                return self._pending.popleft()
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            if self._broken is not None:
                raise self._broken
            if not self._frame_one():
                return None

    def _frame_one(self) -> bool:
        """Frame and process one PDU if it is all here; False if more bytes are needed."""
        buffer, pos = self._buffer, self._pos
        available = len(buffer) - pos
        if available < PDU_HEADER_SIZE:
            if self._next_chunk() or self._top_up(PDU_HEADER_SIZE):
                return self._frame_one()
            if self._eof:
                return self._end_of_stream(available + self._queued, self._consumed + pos)
            return False
        offset = self._consumed + pos
        try:
            pdu_type, length = parse_pdu_header(buffer, pos, offset=offset)
            limit = self._pdata_limit if pdu_type == P_DATA_TF else self._control_limit
            if limit and length > limit:
                raise PDUTooLargeError(length, limit, offset=offset)
        except PDUError as err:
            self._broken = err
            raise
        if available - PDU_HEADER_SIZE < length:
            if self._top_up(PDU_HEADER_SIZE + length):
                return self._frame_one()
            if self._eof:
                return self._end_of_stream(available + self._queued, offset)
            return False
        end = pos + PDU_HEADER_SIZE + length
        try:
            if pdu_type == P_DATA_TF:
                self._process_pdata(buffer, pos, end, offset)
            else:
                self._process_control(bytes(buffer[pos:end]), pdu_type, offset)
        finally:
            self._pos = end
        return True

    def _process_control(self, raw: bytes, pdu_type: int, offset: int) -> None:
        # The PDU is framed by its length, so a malformed body loses only itself.
        try:
            pdu = decode_pdu(raw, offset, max_items=self._max_items)
        except DecodeError as err:
            self._error = err
            return
        self._pending.append(
            PDUReceived(pdu_type=pdu_type, name=pdu_name(pdu_type), pdu=pdu, raw=raw, offset=offset)
        )

    def _process_pdata(self, buffer: bytes | memoryview, pos: int, end: int, offset: int) -> None:
        assembler = self._assembler
        # A view of received bytes (immutable), kept by the fragments without a copy.
        body = memoryview(buffer)[pos + PDU_HEADER_SIZE : end]
        if self._pdata_events:
            self._pdata_event(body, offset)
        done: list[Any] = []
        try:
            _feed_pdata(assembler, memoryview(body), offset, done)
        except PDUError as err:
            self._broken = err
        except DecodeError as err:
            self._error = err
        pending = self._pending
        for item in done:
            start = offset if self._message_start is None else self._message_start
            if isinstance(item, StreamStarted):
                prim = item.primitive
                assert prim.context_id is not None
                pending.append(
                    MessageStarted(primitive=prim, context_id=prim.context_id, offset=start)
                )
                self._message_start = start
                continue
            streamed = isinstance(item, StreamFragment)
            if streamed:
                assert self._message_start is not None
                pending.append(
                    DataSetFragmentReceived(
                        data=item.data,
                        last=item.last,
                        context_id=item.context_id,
                        offset=offset,
                    )
                )
                if item.primitive is None:
                    continue
                prim = item.primitive
            else:
                prim = item
            assert prim.context_id is not None
            pending.append(
                MessageReceived(
                    primitive=prim,
                    context_id=prim.context_id,
                    deviations=prim.deviations,
                    offset=start,
                    streamed=streamed,
                )
            )
            self._message_start = None
        if not assembler.in_progress:
            self._message_start = None
        elif self._message_start is None:
            self._message_start = offset

    def _pdata_event(self, body: bytes | memoryview, offset: int) -> None:
        items, _ = split_pdv_items(memoryview(body), offset + PDU_HEADER_SIZE)
        pdu = PDataTF(tuple(PDV(cid, control, bytes(frag)) for cid, control, frag, _ in items))
        raw = PDU_HEADER.pack(P_DATA_TF, len(body)) + bytes(body)
        self._pending.append(
            PDUReceived(pdu_type=P_DATA_TF, name="P-DATA-TF", pdu=pdu, raw=raw, offset=offset)
        )

    def _end_of_stream(self, available: int, offset: int) -> bool:
        if available:
            self._broken = TruncatedError(
                f"stream ends {nbytes(available)} into a PDU", offset=offset
            )
        elif self._assembler.in_progress:
            self._broken = TruncatedError(
                "stream ends inside a message: its last fragment never came", offset=offset
            )
        else:
            return False
        raise self._broken


def _more_than_one(offset: int) -> FragmentError:
    return FragmentError(
        "the PDUs hold more than one message", rule=Rule.ONE_MESSAGE.value, offset=offset
    )


def decode_message(
    pdus: Iterable[bytes | bytearray | memoryview],
    *,
    strict: bool = False,
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
) -> DimsePrimitive:
    """Decode whole P-DATA-TF PDUs that carry exactly one complete message.

    Parameters
    ----------
    pdus : iterable of bytes-like
        Each item one whole P-DATA-TF PDU, header included.
    strict : bool
        Raise on every deviation instead of reporting it on ``primitive.deviations``.
    max_message_size : int
        Cap on the message's size.

    Returns
    -------
    DimsePrimitive
        The service's primitive (C_ECHO, C_STORE, ... N_DELETE), or OtherCommand for a
        command field the standard does not define; with ``context_id`` set.

    Raises
    ------
    DecodeError
        A subclass; offsets count from the start of the first PDU, as if the PDUs were
        one stream.
    """
    if isinstance(pdus, (list, tuple)):  # can be read twice: the fast path may give up
        simple = _decode_simple(pdus, strict, max_message_size)
        if simple is not None:
            return simple
    assembler = MessageAssembler(max_message_size=max_message_size, strict=strict)
    done: list[Any] = []  # the message, once complete (more is an error)
    unpack_header = PDU_HEADER.unpack_from
    offset = 0
    for pdu in pdus:
        with memoryview(pdu) as view:
            if view.ndim != 1 or view.itemsize != 1:
                raise TypeError("each PDU must be a one-dimensional bytes-like object")
            size = len(view)
            if size < PDU_HEADER_SIZE:
                raise TruncatedError(
                    f"PDU of {nbytes(size)} is shorter than the 6-byte PDU header", offset=offset
                )
            pdu_type, length = unpack_header(view)
            if pdu_type != P_DATA_TF:
                parse_pdu_header(view, offset=offset)  # an unknown type is reported as such
                raise PDUError(
                    f"expected a P-DATA-TF PDU (type 04H), got {pdu_name(pdu_type)}",
                    offset=offset,
                )
            if length != size - PDU_HEADER_SIZE:
                error = TruncatedError if length > size - PDU_HEADER_SIZE else PDUError
                raise error(
                    f"PDU length field says {nbytes(length)} follow the header, "
                    f"{size - PDU_HEADER_SIZE} do",
                    offset=offset,
                )
            _feed_pdata(assembler, view[PDU_HEADER_SIZE:], offset, done)
            if done and (len(done) > 1 or assembler.in_progress):
                raise _more_than_one(offset)
        offset += size
    result: DimsePrimitive | None = done[0] if done else None
    if result is None:
        raise TruncatedError(
            "PDUs end before the message is complete: its last fragment never came"
            if assembler.in_progress
            else "no PDV items: the PDUs hold no message",
            offset=offset,
        )
    return result


_SINGLE = SINGLE_PDV_HEADER.unpack_from
_PDV_START = PDU_HEADER_SIZE + PDV_HEADER_SIZE  # where a lone PDV's fragment starts


def _decode_simple(
    pdus: list[Any] | tuple[Any, ...], strict: bool, max_message_size: int
) -> DimsePrimitive | None:
    """decode_message for the common case, or None to take the general path.

    The common case: ``bytes`` PDUs of one PDV each, even non-empty fragments on one
    context, the control headers in Annex E order (command fragments, the last one
    flagged, then the data set's if CommandDataSetType announces one). Anything else,
    which may need a deviation, a FragmentError or an offset, goes the general way.
    """
    command: list[bytes] = []
    data: list[bytes] = []
    context_id = -1
    data_phase = done = False
    total = 0
    for pdu in pdus:
        size = len(pdu)
        if type(pdu) is not bytes or size <= _PDV_START or size % 2 or done:
            return None
        pdu_type, length, item_length, context, control = _SINGLE(pdu)
        if pdu_type != P_DATA_TF or length != size - 6 or item_length != size - 10:
            return None
        if context != context_id:
            if context_id != -1:
                return None
            context_id = context
        total += size - _PDV_START
        if total > max_message_size:
            return None
        if not data_phase:
            if control == COMMAND | LAST:
                data_phase = True
            elif control != COMMAND:
                return None
            command.append(pdu)
        else:
            if control == LAST:
                done = True
            elif control != 0:
                return None
            data.append(pdu)
    if not data_phase:
        return None
    raw = command[0][_PDV_START:] if len(command) == 1 else _join(command)
    shaped = decode_shaped(raw, context_id) if not strict else None
    if shaped is not None:
        prim, follows = shaped
    else:
        cs = decode_command_set(raw, strict=strict)
        follows = has_data_set(cs)
        if follows == done:
            prim = command_primitive(cs, context_id, strict=strict)
    if follows != done:  # a data set missing or unannounced: reported elsewhere
        return None
    if done:
        data_set = data[0][_PDV_START:] if len(data) == 1 else _join(data)
        attach_data_set(prim, BytesIO(data_set), strict=strict)
    else:
        attach_data_set(prim, None, strict=strict)
    return prim


def _join(pdus: list[bytes]) -> bytes:
    return b"".join([memoryview(pdu)[_PDV_START:] for pdu in pdus])
