"""What the streaming reassembler hands out (past tense, keyword-only, immutable)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Deviation
from ..primitives import DimsePrimitive
from .upper_layer import PDU

__all__ = [
    "DataSetFragmentReceived",
    "Event",
    "MessageReceived",
    "MessageStarted",
    "PDUReceived",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageReceived:
    """A whole DIMSE message arrived.

    Attributes
    ----------
    primitive : DimsePrimitive
        The service's primitive (or OtherCommand for an undefined command field),
        with ``context_id`` set.
    context_id : int
        The presentation context the message travelled on.
    deviations : tuple of Deviation
        What decoding tolerated (also on ``primitive.deviations``).
    offset : int
        Stream offset of the first PDU that carried part of the message.
    streamed : bool
        True when the data set was handed out in :class:`DataSetFragmentReceived`
        events (the primitive's data set parameter is then None).
    """

    primitive: DimsePrimitive
    context_id: int
    deviations: tuple[Deviation, ...]
    offset: int
    streamed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageStarted:
    """The command set of a message whose data set will come as fragment events.

    Only from a Reassembler (or AssociationEndpoint) given ``stream_data_sets``, for a
    message it selected. The primitive is complete but for its data set; the
    :class:`DataSetFragmentReceived` events follow, then :class:`MessageReceived` with
    ``streamed=True`` and the same primitive.

    Attributes
    ----------
    primitive : DimsePrimitive
        The message's primitive (a C-STORE-RQ's SOP Class and Instance UIDs are known).
    context_id : int
        The presentation context, hence the data set's transfer syntax.
    offset : int
        Stream offset of the first PDU of the message.
    """

    primitive: DimsePrimitive
    context_id: int
    offset: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DataSetFragmentReceived:
    """One fragment of a streamed data set, exactly as it travelled.

    Attributes
    ----------
    data : memoryview
        The fragment: a read-only view of the received PDU, no copy, valid as long as
        it is kept.
    last : bool
        The last fragment of the data set (PS3.8 E.2).
    context_id : int
        The presentation context.
    offset : int
        Stream offset of the PDU that carried it.
    """

    data: memoryview
    last: bool
    context_id: int
    offset: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PDUReceived:
    """A PDU other than P-DATA-TF arrived (association, release or abort); or any PDU,
    P-DATA-TF included, from a Reassembler made with ``pdata_events=True``.

    Attributes
    ----------
    pdu_type : int
        0x01 to 0x07 (PS3.8 9.3.1); 0x04 only with ``pdata_events``.
    name : str
        The PDU's name, e.g. ``"A-ASSOCIATE-RQ"``.
    pdu : PDU
        The decoded PDU: :class:`~dimsewire.pdus.AssociateRQ`, ``AssociateAC``,
        ``AssociateRJ``, ``ReleaseRQ``, ``ReleaseRP``, ``Abort`` (or ``PDataTF``).
    raw : bytes
        The whole PDU as received, header included.
    offset : int
        Stream offset of the PDU.
    """

    pdu_type: int
    name: str
    pdu: PDU
    raw: bytes
    offset: int


Event = MessageReceived | PDUReceived | MessageStarted | DataSetFragmentReceived
