"""Hypothesis strategies for valid C-FIND and C-CANCEL primitives, and pynetdicom twins."""

from __future__ import annotations

import io
from typing import Any

from hypothesis import strategies as st
from pynetdicom import dimse_messages, dimse_primitives
from pynetdicom.dimse_messages import DIMSEMessage
from pynetdicom.pdu import P_DATA_TF

from dimsewire import C_CANCEL, C_FIND

#: Even max PDU lengths the issue names, plus edge values.
NAMED_MAXIMA = (0, 8, 10, 12, 14, 32, 100, 4096, 16382, 16384, 65536, 1024 * 1024)

_component = st.one_of(st.just("0"), st.integers(1, 10**12).map(str))
uids = (
    st.lists(_component, min_size=2, max_size=12).map(".".join).filter(lambda uid: len(uid) <= 64)
)
message_ids = st.integers(0, 0xFFFF)
identifiers = st.one_of(
    st.binary(min_size=1, max_size=300),
    st.binary(min_size=1, max_size=20_000),
).map(lambda data: data if len(data) % 2 == 0 else data + b"\x00")
comments = (
    st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="\\"), max_size=64
    ).map(str.rstrip)  # LO trailing spaces are not significant: the decoder drops them
)
tags = st.one_of(
    st.integers(0, 0xFFFFFFFF),
    st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)),
)
max_pdu_lengths = st.one_of(
    st.sampled_from(NAMED_MAXIMA),
    st.integers(4, 40_000).map(lambda half: 2 * half),
)
odd_max_pdu_lengths = st.integers(4, 20_000).map(lambda half: 2 * half + 1)


@st.composite
def requests(draw: st.DrawFn) -> C_FIND:
    prim = C_FIND()
    prim.MessageID = draw(message_ids)
    prim.AffectedSOPClassUID = draw(uids)
    prim.Priority = draw(st.sampled_from((0, 1, 2)))
    prim.Identifier = draw(identifiers)
    return prim


_FAILURES_WITH_COMMENT = (0xA700, 0xA900, 0xC000, 0xC123, 0xCFFF)


@st.composite
def responses(draw: st.DrawFn) -> C_FIND:
    """Conformant C-FIND responses of every status class (PS3.4 C.4.1.1.4)."""
    prim = C_FIND()
    prim.MessageIDBeingRespondedTo = draw(message_ids)
    if draw(st.booleans()):
        prim.AffectedSOPClassUID = draw(uids)
    kind = draw(st.sampled_from(("pending", "plain", "failure")))
    if kind == "pending":
        prim.Status = draw(st.sampled_from((0xFF00, 0xFF01)))
        prim.Identifier = draw(identifiers)
    elif kind == "plain":
        prim.Status = draw(st.sampled_from((0x0000, 0xFE00, 0x0122, 0xB000, 0x0107)))
    else:
        status = draw(st.sampled_from(_FAILURES_WITH_COMMENT))
        prim.Status = status
        if draw(st.booleans()):
            prim.ErrorComment = draw(comments)
        if status != 0xA700 and draw(st.booleans()):
            prim.OffendingElement = draw(st.lists(tags, min_size=1, max_size=6))
    return prim


@st.composite
def cancels(draw: st.DrawFn) -> C_CANCEL:
    prim = C_CANCEL()
    prim.MessageIDBeingRespondedTo = draw(message_ids)
    return prim


primitives = st.one_of(requests(), responses(), cancels())


def pynetdicom_twin(prim: C_FIND | C_CANCEL) -> Any:
    """The same primitive built with pynetdicom's classes."""
    if isinstance(prim, C_CANCEL):
        twin = dimse_primitives.C_CANCEL()
        twin.MessageIDBeingRespondedTo = prim.MessageIDBeingRespondedTo
        return twin
    twin = dimse_primitives.C_FIND()
    for name in ("MessageID", "MessageIDBeingRespondedTo", "Priority", "Status", "ErrorComment"):
        value = getattr(prim, name)
        if value is not None:
            setattr(twin, name, value)
    if prim.AffectedSOPClassUID is not None:
        twin.AffectedSOPClassUID = str(prim.AffectedSOPClassUID)
    if prim.OffendingElement is not None:
        twin.OffendingElement = [int(tag) for tag in prim.OffendingElement]
    if prim.Identifier is not None:
        twin.Identifier = io.BytesIO(prim.Identifier.getvalue())
    return twin


def pynetdicom_encode(prim: C_FIND | C_CANCEL, context_id: int, max_pdu_length: int) -> list[bytes]:
    """pynetdicom 3.0.4's PDUs for `prim`: primitive_to_message, encode_msg, P_DATA_TF."""
    if isinstance(prim, C_CANCEL):
        message = dimse_messages.C_CANCEL_RQ()
    elif prim.Status is None:
        message = dimse_messages.C_FIND_RQ()
    else:
        message = dimse_messages.C_FIND_RSP()
    message.primitive_to_message(pynetdicom_twin(prim))
    return [P_DATA_TF(pdata).encode() for pdata in message.encode_msg(context_id, max_pdu_length)]


def pynetdicom_decode(pdus: list[bytes]) -> Any:
    """pynetdicom 3.0.4's primitive for whole P-DATA-TF PDUs."""
    message = DIMSEMessage()
    done = False
    for raw in pdus:
        pdu = P_DATA_TF()
        pdu.decode(raw)
        done = message.decode_msg(pdu.to_primitive())
    assert done, "pynetdicom did not complete the message"
    return message.message_to_primitive()
