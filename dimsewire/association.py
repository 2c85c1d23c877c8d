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

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydicom import Dataset

from .codec.events import Event, MessageReceived, PDUReceived
from .codec.fragmenter import encode_message
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
from .primitives import DimsePrimitive

__all__ = [
    "AcceptedContext",
    "Association",
    "AssociationEndpoint",
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
            self.request = pdu
            self.state = State.REQUESTED
        elif isinstance(pdu, AssociateAC):
            self._expect(state is State.REQUESTED and sender == "acceptor", pdu, sender, offset)
            assert self.request is not None
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

    Parameters
    ----------
    local : "requestor" or "acceptor"
        Which side this endpoint is.
    max_pdu_length : int
        The Maximum Length this side announces (0: no limit); incoming P-DATA-TF PDUs
        longer than this are refused from their header.
    strict : bool
        Raise on deviations instead of reporting them on the messages.
    """

    def __init__(
        self,
        local: Side,
        *,
        max_pdu_length: int = DEFAULT_MAX_PDU_LENGTH,
        strict: bool = False,
    ) -> None:
        if local not in ("requestor", "acceptor"):
            raise ValueError(f"local must be 'requestor' or 'acceptor', not {local!r}")
        self.local: Side = local
        self.peer: Side = "acceptor" if local == "requestor" else "requestor"
        self.association = Association()
        self.max_pdu_length = max_pdu_length
        self._reassembler = Reassembler(max_pdu_length=max_pdu_length, strict=strict)

    @property
    def state(self) -> State:
        """The association's state."""
        return self.association.state

    def send_pdu(self, pdu: PDU) -> bytes:
        """The bytes of a PDU this side sends, noted in the association's state.

        Raises
        ------
        AssociationError
            The PDU is not allowed now (an A-ASSOCIATE-AC from the requestor, ...).
        ValueError
            A field does not fit; or this side's own A-ASSOCIATE-RQ/-AC announces a
            Maximum Length other than `max_pdu_length`.
        """
        if isinstance(pdu, (AssociateRQ, AssociateAC)):
            announced = _limit(pdu.user_information)
            if announced != self.max_pdu_length:
                raise ValueError(
                    f"the PDU announces a Maximum Length of {announced}, this endpoint "
                    f"receives up to {self.max_pdu_length}"
                )
        data = encode_pdu(pdu)
        self.association.observe(pdu, self.local)
        return data

    def send_message(
        self, primitive: DimsePrimitive, context_id: int, *, pack: bool = False
    ) -> list[bytes]:
        """The P-DATA-TF PDUs of one message, each within the peer's Maximum Length.

        Raises
        ------
        AssociationError
            The association is not established or the context was not accepted.
        """
        self.association.check_message(context_id, self.local)
        limit = self.association.max_pdu_length_for(self.local)
        return list(encode_message(primitive, context_id, limit, pack=pack))

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
        elif isinstance(event, MessageReceived):
            self.association.check_message(event.context_id, self.peer, event.offset)
        return event

    def events(self) -> Iterator[Event]:
        """Every event the bytes received so far complete."""
        while (event := self.next_event()) is not None:
            yield event
