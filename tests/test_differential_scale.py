"""Nothing lost, at scale: thousands of random C-FIND messages with a fixed seed.

pynetdicom's PDUs decode in dimsewire to an equal primitive, fed to the streaming
Reassembler in random chunks as well as to decode_message; dimsewire's PDUs (random
maximum, packed or not) decode in pynetdicom to the same parameters. derandomize=True
fixes hypothesis's seed, so every run checks the same 3000 cases.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    max_pdu_lengths,
    odd_max_pdu_lengths,
    primitives,
    pynetdicom_decode,
    pynetdicom_encode,
    pynetdicom_twin,
)

from dimsewire import C_CANCEL, C_FIND, MessageReceived, Reassembler, decode_message, encode_message

SCALE = settings(
    max_examples=3000,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
any_max = st.one_of(max_pdu_lengths, odd_max_pdu_lengths)


@SCALE
@given(prim=primitives, max_pdu=any_max, chunk=st.integers(1, 4096))
def test_pynetdicom_to_dimsewire(prim: C_FIND | C_CANCEL, max_pdu: int, chunk: int) -> None:
    pdus = pynetdicom_encode(prim, 3, max_pdu)
    assert decode_message(pdus) == prim
    stream = b"".join(pdus)
    reassembler = Reassembler(max_pdu_length=0)
    events = []
    for i in range(0, len(stream), chunk):
        reassembler.receive_data(stream[i : i + chunk])
        events += list(reassembler.events())
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, MessageReceived)
    assert (event.primitive, event.context_id, event.offset) == (prim, 3, 0)


@SCALE
@given(prim=primitives, max_pdu=any_max, pack=st.booleans())
def test_dimsewire_to_pynetdicom(prim: C_FIND | C_CANCEL, max_pdu: int, pack: bool) -> None:
    theirs = pynetdicom_decode(list(encode_message(prim, 5, max_pdu, pack=pack)))
    twin = pynetdicom_twin(prim)
    names = ["MessageIDBeingRespondedTo"]
    if isinstance(prim, C_FIND):
        names += ["MessageID", "Status", "ErrorComment", "AffectedSOPClassUID"]
        if prim.Status is None:
            names.append("Priority")
        data = theirs.Identifier.getvalue() if theirs.Identifier is not None else b""
        assert data == (prim.Identifier.getvalue() if prim.Identifier is not None else b"")
    for name in names:
        assert getattr(theirs, name) == getattr(twin, name), name
