"""Reassemble PDV fragments into messages, enforcing PS3.8 Annex E.

This module is the one place that knows the sequencing rules of PS3.8 Annex E and
9.3.5.1. Rules whose break leaves the message ambiguous raise :class:`FragmentError`
with ``rule`` set to one of :class:`Rule`; the rest are reported as deviations
(``strict=True`` raises them too).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

from ..errors import Deviation, FragmentError, MessageTooLargeError
from ..primitives import DimsePrimitive
from .command_set import decode_command_set
from .framing import COMMAND, LAST, RESERVED_BITS
from .messages import (
    STREAMED,
    attach_data_set,
    command_primitive,
    decode_shaped,
    has_data_set,
    streams_to_parameter,
)

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "MessageAssembler",
    "Rule",
    "StreamFragment",
    "StreamStarted",
]

#: Default cap on one reassembled message (command set plus data set).
DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024 * 1024


class Rule(str, enum.Enum):
    """The fragment rules, by the name reported in ``FragmentError.rule``."""

    # Raised: the message cannot be reassembled unambiguously.
    COMMAND_BEFORE_DATA = "command-before-data"  # E.2: command fragments precede data set ones
    NO_INTERLEAVING = "no-interleaving"  # 9.3.5.1: one message at a time
    ONE_CONTEXT = "one-context"  # 9.3.5.1: one presentation context per message
    DATA_SET_MISSING = "data-set-missing"  # PS3.7 E.1-1: CommandDataSetType says one follows
    UNEXPECTED_DATA_SET = "unexpected-data-set"  # PS3.7 E.1-1: CommandDataSetType 0101H
    MESSAGE_SIZE_CAP = "message-size-cap"  # local limit, not the standard's
    ONE_MESSAGE = "one-message"  # decode_message: the PDUs hold exactly one message
    # Reported: the meaning stays clear.
    ODD_FRAGMENT = "odd-fragment"  # E.1: fragments have an even length
    RESERVED_BITS = "reserved-bits"  # E.2: bits 2-7 are 0; receivers ignore them
    EMPTY_PDV = "empty-pdv"  # E.1: a PDV carries at least one byte of fragment
    EMPTY_P_DATA = "empty-p-data"  # 9.3.5: a P-DATA-TF holds one or more PDV items

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class StreamStarted:
    """The command set of a message whose data set will be handed out in fragments."""

    primitive: DimsePrimitive


@dataclass(frozen=True, slots=True)
class StreamFragment:
    """One fragment of a streamed data set; `primitive` is set on the last one.

    `data` is a read-only view of the received PDU, valid for as long as it is kept.
    """

    data: memoryview
    last: bool
    primitive: DimsePrimitive | None
    context_id: int


Output = DimsePrimitive | StreamStarted | StreamFragment | None
StreamSelector = Callable[[DimsePrimitive], bool]


class MessageAssembler:
    """Turns PDVs into primitives, one message at a time (sans-IO, no framing).

    Parameters
    ----------
    max_message_size : int
        Cap on the bytes of one message (command set plus data set); a peer that never
        sets the last-fragment bit cannot grow a buffer past it.
    strict : bool
        Raise on every deviation instead of reporting it.
    stream : callable, optional
        Called with the primitive of each message whose command set says a data set
        follows; when it returns True, the data set is not kept but handed out fragment
        by fragment (:class:`StreamStarted`, then :class:`StreamFragment`), and the
        message's size is not capped. Memory then stays bounded by the PDU size.
    """

    __slots__ = (
        "_command",
        "_context_id",
        "_data",
        "_deviations",
        "_prim",
        "_size",
        "_streaming",
        "max_message_size",
        "stream",
        "strict",
    )

    def __init__(
        self,
        *,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        strict: bool = False,
        stream: StreamSelector | None = None,
    ) -> None:
        if not isinstance(max_message_size, int) or max_message_size < 1:
            raise ValueError(f"max_message_size must be a positive int, not {max_message_size!r}")
        self.max_message_size = max_message_size
        self.strict = strict
        self.stream = stream
        self._reset()

    def _reset(self) -> None:
        self._context_id: int | None = None
        self._command: list[bytes] = []
        self._prim: DimsePrimitive | None = None  # the command's primitive once complete
        self._data: list[bytes | memoryview] | None = None  # data set fragments, joined once
        self._deviations: list[Deviation] = []
        self._size = 0
        self._streaming = False

    @property
    def in_progress(self) -> bool:
        """True between the first fragment of a message and its last."""
        return self._context_id is not None

    def report(self, rule: Rule, reason: str, offset: int | None) -> None:
        """Record a tolerated deviation against the current message (or raise if strict)."""
        if self.strict:
            self._reset()
            raise FragmentError(reason, rule=rule.value, offset=offset)
        self._deviations.append(Deviation(rule.value, reason, offset))

    def _fail(self, rule: Rule, reason: str, offset: int) -> FragmentError:
        self._reset()
        return FragmentError(reason, rule=rule.value, offset=offset)

    def add(self, context_id: int, control: int, fragment: memoryview, offset: int) -> Output:
        """Take one PDV; return the primitive when its message is complete.

        For a streamed message, return :class:`StreamStarted` when its command set is
        complete and a :class:`StreamFragment` for each data set fragment.

        Parameters
        ----------
        context_id, control : int
            The presentation context ID and message control header of the PDV item.
        fragment : memoryview
            The fragment. A view of an immutable ``bytes`` object is kept as it is until
            the message is complete and then joined in one copy; any other is copied
            now, so the caller may reuse its buffer.
        offset : int
            Position of the PDV item in the caller's input, for reports.
        """
        if control & RESERVED_BITS:
            self.report(
                Rule.RESERVED_BITS,
                f"message control header 0x{control:02X} has reserved bits set (PS3.8 E.2)",
                offset,
            )
        size = len(fragment)
        if size % 2:
            self.report(Rule.ODD_FRAGMENT, f"fragment of odd length {size} (PS3.8 E.1)", offset)
        elif not size:
            self.report(Rule.EMPTY_PDV, "PDV with an empty fragment (PS3.8 E.1)", offset)
        is_command = control & COMMAND
        if self._context_id is None:
            if not is_command:
                raise self._fail(
                    Rule.UNEXPECTED_DATA_SET,
                    "data set fragment with no message in progress: a command set must come "
                    "first, and one with CommandDataSetType 0101H is followed by none",
                    offset,
                )
            self._context_id = context_id
        elif context_id != self._context_id:
            raise self._fail(
                Rule.ONE_CONTEXT,
                f"fragment on presentation context {context_id} inside a message on context "
                f"{self._context_id} (PS3.8 9.3.5.1)",
                offset,
            )
        self._size += size
        if self._size > self.max_message_size and not self._streaming:
            size_seen = self._size
            self._reset()
            raise MessageTooLargeError(size_seen, self.max_message_size, offset=offset)
        if is_command:
            if self._prim is not None:
                if self._data is None:
                    raise self._fail(
                        Rule.DATA_SET_MISSING,
                        "command fragment while the data set announced by CommandDataSetType "
                        "is still expected",
                        offset,
                    )
                raise self._fail(
                    Rule.NO_INTERLEAVING,
                    "command fragment inside the data set of the current message (PS3.8 "
                    "9.3.5.1: no interleaving)",
                    offset,
                )
            self._command.append(bytes(fragment))
            if control & LAST:
                return self._command_done()
            return None
        if self._prim is None:
            raise self._fail(
                Rule.COMMAND_BEFORE_DATA,
                "data set fragment before the last command fragment (PS3.8 E.2)",
                offset,
            )
        if self._streaming:
            last = bool(control & LAST)
            view = fragment if isinstance(fragment.obj, bytes) else memoryview(bytes(fragment))
            done = self._finish(STREAMED) if last else None
            return StreamFragment(view.toreadonly(), last, done, context_id)
        if self._data is None:
            self._data = []
        self._data.append(fragment if isinstance(fragment.obj, bytes) else bytes(fragment))
        if control & LAST:
            return self._finish(BytesIO(b"".join(self._data)))  # one copy, exact size
        return None

    def _command_done(self) -> Output:
        command = self._command[0] if len(self._command) == 1 else b"".join(self._command)
        assert self._context_id is not None
        try:
            # a command set of a layout seen before, with nothing to report: its primitive
            # straight from the values (the same primitive, as the tests check)
            shaped = None if self.strict else decode_shaped(command, self._context_id)
            if shaped is not None:
                self._prim, data_follows = shaped
            else:
                cs = decode_command_set(command, strict=self.strict)
                data_follows = has_data_set(cs)
                self._prim = command_primitive(cs, self._context_id, strict=self.strict)
        except Exception:
            self._reset()
            raise
        if not data_follows:
            return self._finish(None)
        if self.stream is not None and streams_to_parameter(self._prim):
            self._streaming = bool(self.stream(self._prim))
            if self._streaming:
                return StreamStarted(self._prim)
        return None

    def _finish(self, data: BytesIO | None) -> DimsePrimitive:
        prim, deviations = self._prim, self._deviations
        self._reset()
        assert prim is not None
        attach_data_set(prim, data, strict=self.strict)
        if deviations:
            prim.deviations = (*deviations, *prim.deviations)
        return prim
