"""One association, sans-IO: what was negotiated, and the PDUs of both directions.

:class:`Association` follows the PDUs of one association as they pass, in either
direction, and knows after negotiation each accepted presentation context's abstract
and transfer syntax and each side's maximum PDU length (PS3.8 7.1, 9.3.2-9.3.3, D.1).
It decodes Identifiers with the right transfer syntax. A capture reader feeds it both
directions; an endpoint uses :class:`AssociationEndpoint`, which adds a
:class:`~dimsewire.Reassembler` for the peer's bytes and fragments outgoing messages
to the peer's limit.

Negotiation rules followed here (PS3.8 9.3.3.2, Table 9-18): a presentation context is
accepted only when the A-ASSOCIATE-AC gives it result 0 and the A-ASSOCIATE-RQ
proposed it. A rejected context still carries a Transfer Syntax sub-item on the wire
(DCMTK and Orthanc put Implicit VR Little Endian there); it is not taken as accepted.
A Maximum Length of 0, or none at all, means no limit.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path
from typing import Literal

from pydicom import Dataset

from .codec.assembler import StreamSelector
from .codec.events import Event, MessageReceived, PDUReceived
from .codec.fragmenter import Buffer, encode_message, encode_message_buffers
from .codec.identifier import decode_identifier, encode_identifier
from .codec.item_objects import PresentationContextAC, PresentationContextRQ, UserInformation
from .codec.stream import DEFAULT_MAX_PDU_LENGTH, Reassembler
from .codec.upper_layer import (
    PDU,
    Abort,
    AssociateAC,
    AssociateRJ,
    AssociateRQ,
    PDataTF,
    ReleaseRP,
    ReleaseRQ,
    encode_pdu,
)
from .errors import AssociationError, Deviation
from .part10 import Part10DataSet, open_data_set
from .primitives import DimsePrimitive

__all__ = [
    "AcceptedContext",
    "Association",
    "AssociationEndpoint",
    "PDUStream",
    "Side",
    "State",
    "answer_contexts",
    "negotiated_contexts",
]

Side = Literal["requestor", "acceptor"]


class State(enum.Enum):
    """Where the association is (a summary of the PS3.8 9.2 state machine)."""

    IDLE = "idle"  # nothing seen yet
    REQUESTED = "requested"  # A-ASSOCIATE-RQ sent, no answer yet
    ESTABLISHED = "established"  # A-ASSOCIATE-AC: data may flow
    RELEASING = "releasing"  # A-RELEASE-RQ sent, no A-RELEASE-RP yet
    RELEASED = "released"  # A-RELEASE-RP
    REJECTED = "rejected"  # A-ASSOCIATE-RJ
    ABORTED = "aborted"  # A-ABORT


@dataclass(frozen=True, slots=True)
class AcceptedContext:
    """A presentation context the acceptor accepted."""

    context_id: int
    abstract_syntax: str
    transfer_syntax: str


def negotiated_contexts(
    rq: AssociateRQ, ac: AssociateAC
) -> tuple[dict[int, AcceptedContext], dict[int, PresentationContextAC], list[Deviation]]:
    """Accepted contexts, rejected ones, and what the AC did that the standard does not.

    A context counts as accepted only with result 0, an ID the RQ proposed, and a
    transfer syntax; one the RQ did not propose among its transfer syntaxes is accepted
    (the acceptor will use it) and reported.
    """
    proposed: dict[int, PresentationContextRQ] = {}
    for item in rq.presentation_contexts:
        proposed.setdefault(item.context_id, item)
    accepted: dict[int, AcceptedContext] = {}
    rejected: dict[int, PresentationContextAC] = {}
    deviations: list[Deviation] = []
    for result in ac.presentation_contexts:
        asked = proposed.get(result.context_id)
        if asked is None:
            deviations.append(
                Deviation(
                    "unproposed-context",
                    f"A-ASSOCIATE-AC answers presentation context {result.context_id}, "
                    "which the A-ASSOCIATE-RQ did not propose",
                )
            )
            continue
        if not result.accepted or result.transfer_syntax is None:
            rejected[result.context_id] = result
            continue
        if result.transfer_syntax not in asked.transfer_syntaxes:
            deviations.append(
                Deviation(
                    "unproposed-transfer-syntax",
                    f"presentation context {result.context_id} accepted with transfer "
                    f"syntax {result.transfer_syntax}, which was not proposed for it",
                )
            )
        accepted[result.context_id] = AcceptedContext(
            result.context_id, asked.abstract_syntax, result.transfer_syntax
        )
    return accepted, rejected, deviations


def answer_contexts(
    rq: AssociateRQ, supported: Mapping[str, Sequence[str]]
) -> tuple[PresentationContextAC, ...]:
    """The acceptor's answer to each proposed context, in the RQ's order.

    A context is accepted with the first transfer syntax of the requestor's list that
    `supported` lists for its abstract syntax (PS3.8 9.3.3.2); otherwise it is rejected
    with result 3 (abstract syntax not supported) or 4 (transfer syntaxes not
    supported), carrying the first proposed transfer syntax as DCMTK does.
    """
    answers = []
    for ctx in rq.presentation_contexts:
        ours = supported.get(ctx.abstract_syntax)
        if ours is None:
            answers.append(PresentationContextAC(ctx.context_id, 3, ctx.transfer_syntaxes[0]))
            continue
        chosen = next((ts for ts in ctx.transfer_syntaxes if ts in ours), None)
        if chosen is None:
            answers.append(PresentationContextAC(ctx.context_id, 4, ctx.transfer_syntaxes[0]))
        else:
            answers.append(PresentationContextAC(ctx.context_id, 0, chosen))
    return tuple(answers)


def _limit(user_information: UserInformation) -> int:
    return user_information.max_length or 0


def _echo(rq: AssociateRQ, ac: AssociateAC) -> AssociateAC:
    """`ac` carrying the request's bytes 11-74 (reserved in the AC, PS3.8 Table 9-17)."""
    asked = (rq.called_ae_title, rq.calling_ae_title)
    if (ac.called_ae_title, ac.calling_ae_title) != asked:
        raise ValueError(
            "the AE title fields of an A-ASSOCIATE-AC are reserved and carry the "
            f"A-ASSOCIATE-RQ's (PS3.8 Table 9-17): called {asked[0]!r}, calling "
            f"{asked[1]!r}, not {ac.called_ae_title!r}, {ac.calling_ae_title!r}"
        )
    return replace(ac, received_fields=rq.received_fields)


class Association:
    """The negotiated state of one association, fed with its PDUs as they pass.

    Attributes
    ----------
    state : State
    request : AssociateRQ or None
    accept : AssociateAC or None
    reject : AssociateRJ or None
    abort : Abort or None
    contexts : dict of int to AcceptedContext
        The accepted presentation contexts, by ID.
    rejected_contexts : dict of int to PresentationContextAC
        The contexts the acceptor turned down, with their results.
    deviations : list of Deviation
        What the negotiation did that the standard does not allow but left clear.
    """

    def __init__(self) -> None:
        self.state = State.IDLE
        self.request: AssociateRQ | None = None
        self.accept: AssociateAC | None = None
        self.reject: AssociateRJ | None = None
        self.abort: Abort | None = None
        self.contexts: dict[int, AcceptedContext] = {}
        self.rejected_contexts: dict[int, PresentationContextAC] = {}
        self.deviations: list[Deviation] = []
        self._releasing: set[Side] = set()

    # -- negotiation results ---------------------------------------------------------

    @property
    def requestor_max_pdu_length(self) -> int | None:
        """The requestor's Maximum Length (0: no limit); None before the RQ."""
        return None if self.request is None else _limit(self.request.user_information)

    @property
    def acceptor_max_pdu_length(self) -> int | None:
        """The acceptor's Maximum Length (0: no limit); None before the AC."""
        return None if self.accept is None else _limit(self.accept.user_information)

    def max_pdu_length_for(self, sender: Side) -> int:
        """The largest P-DATA-TF variable field `sender` may send (0: no limit).

        Raises
        ------
        RuntimeError
            Before the association is established.
        """
        limit = (
            self.acceptor_max_pdu_length if sender == "requestor" else self.requestor_max_pdu_length
        )
        if limit is None or self.accept is None:
            raise RuntimeError("the association is not established: no maximum length yet")
        return limit

    def context(self, context_id: int) -> AcceptedContext:
        """The accepted presentation context `context_id`.

        Raises
        ------
        KeyError
            The context was not accepted (or never proposed); the message says which.
        """
        try:
            return self.contexts[context_id]
        except KeyError:
            if context_id in self.rejected_contexts:
                why = f"rejected ({self.rejected_contexts[context_id].result_name})"
            else:
                why = "not negotiated on this association"
            raise KeyError(f"presentation context {context_id} was {why}") from None

    def find_context(self, abstract_syntax: str, transfer_syntax: str | None = None) -> int:
        """The ID of an accepted context for `abstract_syntax` (and `transfer_syntax`).

        Raises
        ------
        KeyError
            None was accepted.
        """
        for ctx in self.contexts.values():
            if ctx.abstract_syntax == abstract_syntax and transfer_syntax in (
                None,
                ctx.transfer_syntax,
            ):
                return ctx.context_id
        proposed = self.request.presentation_contexts if self.request is not None else ()
        why = [
            f"context {ctx.context_id} {self.rejected_contexts[ctx.context_id].result_name}"
            for ctx in proposed
            if ctx.abstract_syntax == abstract_syntax and ctx.context_id in self.rejected_contexts
        ]
        reason = f": {'; '.join(why)}" if why else ""
        raise KeyError(f"no accepted presentation context for {abstract_syntax}{reason}")

    def decode_identifier(self, primitive: DimsePrimitive) -> Dataset | None:
        """The primitive's Identifier decoded in its context's transfer syntax.

        None when the message has no Identifier.

        Raises
        ------
        KeyError
            The primitive's context was not accepted.
        IdentifierError
            The Identifier does not decode.
        """
        data = getattr(primitive, "Identifier", None)
        if data is None or primitive.context_id is None:
            return None
        ts = self.context(primitive.context_id).transfer_syntax
        return decode_identifier(data.getvalue(), ts)

    def encode_identifier(self, dataset: Dataset, context_id: int) -> bytes:
        """`dataset` encoded in the transfer syntax of context `context_id`."""
        return encode_identifier(dataset, self.context(context_id).transfer_syntax)

    # -- following the PDUs ------------------------------------------------------------

    def observe(self, pdu: PDU, sender: Side, *, offset: int | None = None) -> None:
        """Take note of one PDU that `sender` sent.

        Raises
        ------
        AssociationError
            A PDU the state does not allow (the state is left as it was).
        """
        state = self.state
        if isinstance(pdu, Abort):
            self.abort = pdu
            self.state = State.ABORTED
        elif isinstance(pdu, AssociateRQ):
            self._expect(state is State.IDLE and sender == "requestor", pdu, sender, offset)
            self._check_version(pdu, offset)
            self.request = pdu
            self.state = State.REQUESTED
        elif isinstance(pdu, AssociateAC):
            self._expect(state is State.REQUESTED and sender == "acceptor", pdu, sender, offset)
            assert self.request is not None
            self._check_version(pdu, offset)
            self.contexts, self.rejected_contexts, deviations = negotiated_contexts(
                self.request, pdu
            )
            self.deviations += deviations
            self.accept = pdu
            self.state = State.ESTABLISHED
        elif isinstance(pdu, AssociateRJ):
            self._expect(state is State.REQUESTED and sender == "acceptor", pdu, sender, offset)
            self.reject = pdu
            self.state = State.REJECTED
        elif isinstance(pdu, ReleaseRQ):
            self._expect(state in (State.ESTABLISHED, State.RELEASING), pdu, sender, offset)
            self._releasing.add(sender)
            self.state = State.RELEASING
        elif isinstance(pdu, ReleaseRP):
            other: Side = "acceptor" if sender == "requestor" else "requestor"
            self._expect(state is State.RELEASING and other in self._releasing, pdu, sender, offset)
            self._releasing.discard(other)
            if not self._releasing:  # PS3.8 9.2.4: after a release collision, two RPs
                self.state = State.RELEASED
        elif isinstance(pdu, PDataTF):
            self._expect(state in (State.ESTABLISHED, State.RELEASING), pdu, sender, offset)

    def check_message(self, context_id: int, sender: Side, offset: int | None = None) -> None:
        """Raise AssociationError unless a message may travel on `context_id` now."""
        if self.state not in (State.ESTABLISHED, State.RELEASING):
            raise AssociationError(
                f"a DIMSE message from the {sender} while the association is {self.state.value}",
                offset=offset,
            )
        if context_id not in self.contexts:
            try:
                self.context(context_id)
            except KeyError as err:
                raise AssociationError(
                    f"a DIMSE message from the {sender} on a context that cannot carry it: "
                    f"{err.args[0]} (PS3.8 9.3.5)",
                    offset=offset,
                ) from None

    def _check_version(self, pdu: AssociateRQ | AssociateAC, offset: int | None) -> None:
        """Report a protocol-version without bit 0 (version 1, PS3.8 Tables 9-11, 9-17)."""
        if not pdu.protocol_version & 1:
            name, table = ("RQ", "9-11") if isinstance(pdu, AssociateRQ) else ("AC", "9-17")
            self.deviations.append(
                Deviation(
                    "protocol-version",
                    f"A-ASSOCIATE-{name} protocol-version 0x{pdu.protocol_version:04X} does "
                    f"not have bit 0 set (version 1, PS3.8 Table {table})",
                    offset,
                )
            )

    def _expect(self, allowed: bool, pdu: PDU, sender: Side, offset: int | None) -> None:
        if not allowed:
            raise AssociationError(
                f"{type(pdu).__name__} from the {sender} is not allowed while the "
                f"association is {self.state.value} (PS3.8 9.2)",
                offset=offset,
            )


class AssociationEndpoint:
    """One side of an association, sans-IO: bytes in, events out, bytes to send.

    Feed the peer's bytes to :meth:`receive_data` and take events from
    :meth:`next_event`; turn PDUs and messages into bytes with :meth:`send_pdu` and
    :meth:`send_message`. Nothing here touches a socket.

    As the Upper Layer service provider, an acceptor answers an A-ASSOCIATE-RQ it
    cannot accept by itself (PS3.8 9.2, action AE-6): one whose protocol-version lacks
    bit 0 gets an A-ASSOCIATE-RJ, result 1 (rejected-permanent), source 2 (service
    provider, ACSE related function), reason 2 (protocol-version-not-supported)
    (Table 9-21). The request is still handed out as an event, with the association
    already rejected; :meth:`data_to_send` gives the A-ASSOCIATE-RJ's bytes to write.

    Parameters
    ----------
    local : "requestor" or "acceptor"
        Which side this endpoint is.
    max_pdu_length : int
        The Maximum Length this side announces (0: no limit); incoming P-DATA-TF PDUs
        longer than this are refused from their header.
    strict : bool
        Raise on deviations instead of reporting them on the messages.
    stream_data_sets : callable, optional
        Which received messages hand their data set out in fragments instead of
        collecting it (see :class:`~dimsewire.Reassembler`), e.g.
        ``lambda p: isinstance(p, C_STORE)`` for a storage SCP.
    """

    def __init__(
        self,
        local: Side,
        *,
        max_pdu_length: int = DEFAULT_MAX_PDU_LENGTH,
        strict: bool = False,
        stream_data_sets: StreamSelector | None = None,
    ) -> None:
        if local not in ("requestor", "acceptor"):
            raise ValueError(f"local must be 'requestor' or 'acceptor', not {local!r}")
        self.local: Side = local
        self.peer: Side = "acceptor" if local == "requestor" else "requestor"
        self.association = Association()
        self.max_pdu_length = max_pdu_length
        self._reassembler = Reassembler(
            max_pdu_length=max_pdu_length, strict=strict, stream_data_sets=stream_data_sets
        )
        self._outgoing = bytearray()  # what this side decided to send by itself

    @property
    def state(self) -> State:
        """The association's state."""
        return self.association.state

    def send_pdu(self, pdu: PDU) -> bytes:
        """The bytes of a PDU this side sends, noted in the association's state.

        An A-ASSOCIATE-AC goes out with the A-ASSOCIATE-RQ's bytes 11-74 as received
        (the reserved fields of PS3.8 Table 9-17).

        Raises
        ------
        AssociationError
            The PDU is not allowed now (an A-ASSOCIATE-AC from the requestor, ...).
        ValueError
            A field does not fit; this side's own A-ASSOCIATE-RQ/-AC announces a
            Maximum Length other than `max_pdu_length`; an A-ASSOCIATE-AC names other AE
            titles than the request.
        """
        if isinstance(pdu, (AssociateRQ, AssociateAC)):
            announced = _limit(pdu.user_information)
            if announced != self.max_pdu_length:
                raise ValueError(
                    f"the PDU announces a Maximum Length of {announced}, this endpoint "
                    f"receives up to {self.max_pdu_length}"
                )
        if isinstance(pdu, AssociateAC) and self.association.request is not None:
            pdu = _echo(self.association.request, pdu)
        data = encode_pdu(pdu)
        self.association.observe(pdu, self.local)
        return data

    def send_message(
        self, primitive: DimsePrimitive, context_id: int, *, pack: bool = False
    ) -> list[bytes]:
        """The P-DATA-TF PDUs of one message, each within the peer's Maximum Length.

        For a data set held in memory. A data set streamed from a file object or a path
        goes through :meth:`stream_message`, which never holds it whole.

        Raises
        ------
        AssociationError
            The association is not established or the context was not accepted.
        TypeError
            The data set is a file object or a path.
        """
        if _streamed_data_set(primitive) is not None:
            raise TypeError(
                "the data set is a file object or a path: send it with stream_message(), "
                "which reads it as the PDUs are taken"
            )
        self.association.check_message(context_id, self.local)
        limit = self.association.max_pdu_length_for(self.local)
        return list(encode_message(primitive, context_id, limit, pack=pack))

    def stream_message(
        self, primitive: DimsePrimitive, context_id: int, *, pack: bool = False
    ) -> PDUStream:
        """The P-DATA-TF PDUs of one message, lazily, each a list of buffers.

        Write each PDU's buffers in order (``socket.sendmsg`` takes them as they are)
        before taking the next: a streamed data set is read in bounded blocks that are
        reused. A data set given as a path is opened as a Part 10 file here
        (:func:`dimsewire.part10.open_data_set`) and closed when the iterator ends.

        Everything is checked before the first PDU: the association's state, the
        context, the primitive, and for a Part 10 file that its transfer syntax is the
        context's (no re-encoding: PS3.5 10.1 lets a data set travel only in the
        negotiated transfer syntax) and that its SOP Class and Instance UIDs are the
        primitive's Affected ones.

        Raises
        ------
        AssociationError
            The association is not established or the context was not accepted.
        ValueError
            A transfer syntax or UID mismatch, or a primitive that cannot be sent.
        FileMetaError
            The path is not a Part 10 file.
        """
        self.association.check_message(context_id, self.local)
        limit = self.association.max_pdu_length_for(self.local)
        source = _streamed_data_set(primitive)
        opened = None
        if isinstance(source, Path):
            opened = open_data_set(source)
            source = opened
        try:
            if source is not None:
                self._check_file(primitive, source, context_id)
            sending = primitive
            if opened is not None:
                sending = copy.copy(primitive)
                setattr(sending, f"_{primitive.data_set_name}", opened)  # where the path was
            pdus = encode_message_buffers(sending, context_id, limit, pack=pack)
        except BaseException:
            if opened is not None:
                opened.close()
            raise
        return PDUStream(pdus, opened)

    def _check_file(self, primitive: DimsePrimitive, source: object, context_id: int) -> None:
        """A Part 10 source must be in the context's transfer syntax and be the instance."""
        if not isinstance(source, Part10DataSet):
            return
        negotiated = self.association.context(context_id).transfer_syntax
        if source.transfer_syntax != negotiated:
            raise ValueError(
                f"{source.path} is in transfer syntax {source.transfer_syntax}, presentation "
                f"context {context_id} in {negotiated}: dimsewire sends a file's bytes as "
                "they are and does not re-encode them"
            )
        for keyword, value in (
            ("AffectedSOPClassUID", source.sop_class_uid),
            ("AffectedSOPInstanceUID", source.sop_instance_uid),
        ):
            mine = getattr(primitive, keyword, None)
            if mine is not None and mine != value:
                raise ValueError(
                    f"{source.path} holds {value} as its {keyword[8:]}, the primitive's "
                    f"{keyword} is {mine}"
                )

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Bytes from the peer."""
        self._reassembler.receive_data(data)

    def receive_eof(self) -> None:
        """The peer closed the connection."""
        self._reassembler.receive_eof()

    def next_event(self) -> Event | None:
        """The next event from the peer's bytes, or None until more arrive.

        Raises
        ------
        DecodeError
            Bad bytes (see :class:`~dimsewire.Reassembler`), or an
            :class:`AssociationError`: a PDU or message the state does not allow.
        """
        event = self._reassembler.next_event()
        if isinstance(event, PDUReceived):
            self.association.observe(event.pdu, self.peer, offset=event.offset)
            pdu = event.pdu
            if isinstance(pdu, AssociateRQ) and not pdu.protocol_version & 1:
                self._outgoing += self.send_pdu(AssociateRJ(1, 2, 2))  # PS3.8 Table 9-21
        elif isinstance(event, MessageReceived):
            self.association.check_message(event.context_id, self.peer, event.offset)
        return event

    def events(self) -> Iterator[Event]:
        """Every event the bytes received so far complete."""
        while (event := self.next_event()) is not None:
            yield event

    def data_to_send(self) -> bytes:
        """Bytes this endpoint decided to send by itself, to write to the peer (once).

        Today only the A-ASSOCIATE-RJ for a request without protocol version 1 (see
        the class description); empty when there is nothing.
        """
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data


def _streamed_data_set(primitive: DimsePrimitive) -> object | None:
    """The primitive's data set when it is a file object or a path, else None."""
    name = primitive.data_set_name
    value: object = None if name is None else getattr(primitive, "_" + name, None)
    if value is None or isinstance(value, BytesIO):
        return None
    return value


class PDUStream:
    """The PDUs of one message, lazily, each a list of buffers (from ``stream_message``).

    When the endpoint opened the data set's file, the stream closes it when exhausted,
    on :meth:`close` or at the end of a ``with`` block; call one of them when you stop
    early (an aborted association), as a file left to the garbage collector may be
    reported unclosed.
    """

    def __init__(self, pdus: Iterator[list[Buffer]], opened: Part10DataSet | None) -> None:
        self._pdus = pdus
        self._opened = opened

    def __iter__(self) -> PDUStream:
        return self

    def __enter__(self) -> PDUStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __next__(self) -> list[Buffer]:
        try:
            return next(self._pdus)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the file this stream opened, if any (the remaining PDUs are not sent)."""
        if self._opened is not None:
            self._opened.close()

    def __del__(self) -> None:
        self.close()
