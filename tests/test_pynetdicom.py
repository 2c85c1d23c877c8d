"""Differential tests against pynetdicom 3.0.4, both directions.

Where pynetdicom follows the standard (every even maximum PDU length, and 0) dimsewire
must produce the same bytes. With an odd maximum pynetdicom sends odd fragments (PS3.8
Annex E.1 wants even ones): dimsewire rounds down to even, and decodes pynetdicom's
odd fragments with a reported deviation.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    NAMED_MAXIMA,
    max_pdu_lengths,
    odd_max_pdu_lengths,
    primitives,
    pynetdicom_decode,
    pynetdicom_encode,
    pynetdicom_twin,
    requests,
    responses,
)

from dimsewire import C_CANCEL, C_FIND, decode_message, encode_message

contexts = st.integers(0, 127).map(lambda n: 2 * n + 1)
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(prim=primitives, context_id=contexts, max_pdu=max_pdu_lengths)
def test_same_bytes_as_pynetdicom(prim: C_FIND | C_CANCEL, context_id: int, max_pdu: int) -> None:
    assert list(encode_message(prim, context_id, max_pdu)) == pynetdicom_encode(
        prim, context_id, max_pdu
    )


@pytest.mark.parametrize("max_pdu", NAMED_MAXIMA)
@settings(max_examples=60, deadline=None)
@given(prim=st.one_of(requests(), responses()))
def test_same_bytes_at_each_named_maximum(prim: C_FIND, max_pdu: int) -> None:
    assert list(encode_message(prim, 1, max_pdu)) == pynetdicom_encode(prim, 1, max_pdu)


@SETTINGS
@given(prim=primitives, max_pdu=odd_max_pdu_lengths)
def test_odd_maximum_sends_even_fragments_within_the_limit(
    prim: C_FIND | C_CANCEL, max_pdu: int
) -> None:
    pdus = list(encode_message(prim, 1, max_pdu))
    for pdu in pdus:
        assert len(pdu) - 6 <= max_pdu
        assert (len(pdu) - 12) % 2 == 0  # one PDV: 6 + 6 header bytes, then the fragment
    assert pdus == list(encode_message(prim, 1, max_pdu - 1))
    assert decode_message(pdus) == prim


@SETTINGS
@given(prim=primitives, max_pdu=st.one_of(max_pdu_lengths, odd_max_pdu_lengths))
def test_decode_pynetdicom_bytes(prim: C_FIND | C_CANCEL, max_pdu: int) -> None:
    pdus = pynetdicom_encode(prim, 1, max_pdu)
    decoded = decode_message(pdus)
    assert decoded == prim
    assert decoded.context_id == 1
    odd = [dev for dev in decoded.deviations if dev.rule == "odd-fragment"]
    assert len(odd) == sum((len(pdu) - 12) % 2 for pdu in pdus)
    assert len(decoded.deviations) == len(odd)


@SETTINGS
@given(prim=primitives, max_pdu=max_pdu_lengths, pack=st.booleans())
def test_pynetdicom_decodes_our_bytes(prim: C_FIND | C_CANCEL, max_pdu: int, pack: bool) -> None:
    theirs = pynetdicom_decode(list(encode_message(prim, 1, max_pdu, pack=pack)))
    twin = pynetdicom_twin(prim)
    if isinstance(prim, C_CANCEL):
        assert theirs.MessageIDBeingRespondedTo == twin.MessageIDBeingRespondedTo
        return
    for name in ("MessageID", "MessageIDBeingRespondedTo", "Status", "ErrorComment"):
        assert getattr(theirs, name) == getattr(twin, name), name
    if prim.Status is None:
        assert theirs.Priority == twin.Priority
    assert theirs.AffectedSOPClassUID == twin.AffectedSOPClassUID
    offending = theirs.OffendingElement  # pynetdicom gives a bare tag for one value
    if isinstance(offending, int):
        offending = [offending]
    expected = twin.OffendingElement
    assert (None if offending is None else [int(t) for t in offending]) == expected
    if prim.Identifier is None:
        assert theirs.Identifier is None or theirs.Identifier.getvalue() == b""
    else:
        assert theirs.Identifier.getvalue() == prim.Identifier.getvalue()


def test_empty_identifier_is_refused_where_pynetdicom_announces_and_sends_nothing() -> None:
    prim = C_FIND()
    prim.MessageID = 1
    prim.AffectedSOPClassUID = "1.2.840.10008.5.1.4.1.2.1.1"
    prim.Identifier = io.BytesIO()
    theirs = pynetdicom_encode(prim, 1, 16382)
    assert len(theirs) == 1  # the command set only...
    assert theirs[0][-2:] == b"\x01\x00"  # ...saying CommandDataSetType 0x0001: a data set follows
    with pytest.raises(ValueError, match=r"Identifier is empty"):
        list(encode_message(prim, 1, 16382))
