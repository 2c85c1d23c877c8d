"""Differential tests against pynetdicom 3.0.4, both directions, every DIMSE service.

Where pynetdicom follows the standard (every even maximum PDU length, and 0) dimsewire
must produce the same bytes. Where it cannot, the case is excluded from the equality by
name, citing the rule, and pinned by a test of its own below:

* odd maximum PDU length: pynetdicom sends odd fragments (PS3.8 Annex E.1 wants even
  ones); dimsewire rounds down to even, and decodes pynetdicom's odd fragments with a
  reported deviation;
* N-CREATE-RSP Attribute Identifier List (PS3.7 Annex C.4.2 related field): pynetdicom
  has no such element in its N-CREATE-RSP, so it cannot send it nor decode it;
* an empty Attribute Identifier List (PS3.7 10.1.2.1.3) decodes in pynetdicom as none;
* one data set per pynetdicom primitive whatever its name (PS3.7 10.1.1: Event
  Information and Event Reply are two parameters);
* an empty Identifier: pynetdicom announces a data set and sends none (PS3.7 6.3.1,
  PS3.8 Annex E: no empty PDVs).
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    NAMED_MAXIMA,
    PYNETDICOM_CANNOT_SEND,
    any_max_pdu_lengths,
    comparison_names,
    max_pdu_lengths,
    message_name,
    odd_max_pdu_lengths,
    pynetdicom_can_send,
    pynetdicom_decode,
    pynetdicom_encode,
    pynetdicom_expected,
    pynetdicom_twin,
    pynetdicom_view,
    with_maximum,
    without_unsendable,
)

from dimsewire import (
    C_FIND,
    N_CREATE,
    N_EVENT_REPORT,
    N_GET,
    DimsePrimitive,
    decode_message,
    encode_message,
)

contexts = st.integers(0, 127).map(lambda n: 2 * n + 1)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fragments(pdu: bytes) -> list[int]:
    """The fragment length of each PDV of a P-DATA-TF PDU (item length less 2)."""
    lengths, pos = [], 6
    while pos < len(pdu):
        item = int.from_bytes(pdu[pos : pos + 4], "big")
        lengths.append(item - 2)
        pos += 4 + item
    assert pos == len(pdu)
    return lengths


@SETTINGS
@given(case=with_maximum(max_pdu_lengths), context_id=contexts)
def test_same_bytes_as_pynetdicom(case: tuple[DimsePrimitive, int], context_id: int) -> None:
    prim, max_pdu = case
    theirs = pynetdicom_encode(prim, context_id, max_pdu)
    ours = list(encode_message(prim, context_id, max_pdu))
    if pynetdicom_can_send(prim):
        assert ours == theirs
    else:  # PYNETDICOM_CANNOT_SEND: it leaves the element out, all else is the same
        assert ours != theirs
        assert list(encode_message(without_unsendable(prim), context_id, max_pdu)) == theirs


@pytest.mark.parametrize("max_pdu", NAMED_MAXIMA)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_same_bytes_at_each_named_maximum(max_pdu: int, data: st.DataObject) -> None:
    prim, _ = data.draw(with_maximum(st.just(max_pdu)))
    sendable = without_unsendable(prim)
    assert list(encode_message(sendable, 1, max_pdu)) == pynetdicom_encode(prim, 1, max_pdu)


@SETTINGS
@given(case=with_maximum(odd_max_pdu_lengths))
def test_odd_maximum_sends_even_fragments_within_the_limit(
    case: tuple[DimsePrimitive, int],
) -> None:
    prim, max_pdu = case
    pdus = list(encode_message(prim, 1, max_pdu))
    for pdu in pdus:
        assert len(pdu) - 6 <= max_pdu
        assert [size % 2 for size in _fragments(pdu)] == [0]
    assert pdus == list(encode_message(prim, 1, max_pdu - 1))
    assert decode_message(pdus) == prim
    # pynetdicom fills each PDU to the odd maximum: its fragments are odd (PS3.8 E.1 breach)
    theirs = pynetdicom_encode(prim, 1, max_pdu)
    full = [pdu for pdu in theirs[:-1] if len(pdu) - 6 == max_pdu]
    assert all(_fragments(pdu)[0] % 2 == 1 for pdu in full)


@SETTINGS
@given(case=with_maximum(any_max_pdu_lengths))
def test_decode_pynetdicom_bytes(case: tuple[DimsePrimitive, int]) -> None:
    prim, max_pdu = case
    pdus = pynetdicom_encode(prim, 1, max_pdu)
    decoded = decode_message(pdus)
    assert decoded == without_unsendable(prim)
    assert decoded.context_id == 1
    odd = [dev for dev in decoded.deviations if dev.rule == "odd-fragment"]
    assert len(odd) == sum(size % 2 for pdu in pdus for size in _fragments(pdu))
    assert len(decoded.deviations) == len(odd)


@SETTINGS
@given(case=with_maximum(any_max_pdu_lengths), pack=st.booleans())
def test_pynetdicom_decodes_our_bytes(case: tuple[DimsePrimitive, int], pack: bool) -> None:
    prim, max_pdu = case
    theirs = pynetdicom_decode(list(encode_message(prim, 1, max_pdu, pack=pack)))
    assert type(theirs).__name__ == type(prim).__name__
    assert pynetdicom_view(theirs, comparison_names(prim)) == pynetdicom_expected(prim)


# -- the cases excluded above, each pinned ------------------------------------------------


def _n_create_rsp() -> N_CREATE:
    prim = N_CREATE()
    prim.MessageIDBeingRespondedTo = 7
    prim.Status = 0x0107  # Attribute List warning: names the attributes (PS3.7 C.4.2)
    prim.AttributeIdentifierList = [0x00100010, 0x00100020]
    return prim


def test_n_create_rsp_attribute_identifier_list_is_beyond_pynetdicom() -> None:
    prim = _n_create_rsp()
    assert ("N-CREATE-RSP", "AttributeIdentifierList") in PYNETDICOM_CANNOT_SEND
    ours = list(encode_message(prim, 1, 0))
    # (0000,1005) AT, length 8: (0010,0010) (0010,0020), the last element of our command set
    element = bytes.fromhex("00000510 08000000 1000 1000 1000 2000")
    assert ours[0].endswith(element)
    theirs = pynetdicom_encode(prim, 1, 0)
    assert element not in theirs[0]
    assert len(ours[0]) - len(theirs[0]) == len(element)
    assert pynetdicom_decode(ours).Status == 0x0107
    assert not hasattr(pynetdicom_decode(ours), "AttributeIdentifierList")
    back = decode_message(ours)
    assert back == prim
    assert back.AttributeIdentifierList == [0x00100010, 0x00100020]


def test_empty_attribute_identifier_list_decodes_as_absent_in_pynetdicom() -> None:
    prim = N_GET()
    prim.MessageID = 3
    prim.RequestedSOPClassUID = "1.2.840.10008.5.1.1.16"
    prim.RequestedSOPInstanceUID = "1.2.840.10008.5.1.1.17"
    prim.AttributeIdentifierList = []  # all attributes (PS3.7 10.1.2.1.3)
    ours = list(encode_message(prim, 1, 16382))
    assert ours == pynetdicom_encode(prim, 1, 16382)  # the same zero-length element
    assert ours[0].endswith(bytes.fromhex("00000510 00000000"))
    assert pynetdicom_decode(ours).AttributeIdentifierList is None
    assert decode_message(ours).AttributeIdentifierList == []


def test_pynetdicom_keeps_one_data_set_per_primitive() -> None:
    prim = N_EVENT_REPORT()
    prim.MessageID = 9
    prim.AffectedSOPClassUID = "1.2.840.10008.1.20.1"
    prim.AffectedSOPInstanceUID = "1.2.840.10008.1.20.1.1"
    prim.EventTypeID = 1
    prim.EventInformation = b"\x08\x00\x18\x00\x02\x00\x00\x001\x00"
    twin = pynetdicom_twin(prim)
    twin.EventReply = io.BytesIO(b"\x00\x00")  # replaces EventInformation in pynetdicom
    assert twin.EventInformation.getvalue() == b"\x00\x00"
    theirs = pynetdicom_decode(list(encode_message(prim, 1, 16382)))
    assert theirs.EventReply.getvalue() == prim.EventInformation.getvalue()
    decoded = decode_message(encode_message(prim, 1, 16382))
    assert decoded.EventInformation.getvalue() == prim.EventInformation.getvalue()
    assert decoded.EventReply is None
    assert pynetdicom_expected(prim)["EventReply"] == prim.EventInformation.getvalue()


def test_empty_identifier_is_refused_where_pynetdicom_announces_and_sends_nothing() -> None:
    prim = C_FIND()
    prim.MessageID = 1
    prim.AffectedSOPClassUID = "1.2.840.10008.5.1.4.1.2.1.1"
    prim.Identifier = io.BytesIO()
    theirs = pynetdicom_encode(prim, 1, 16382)
    assert len(theirs) == 1  # the command set only...
    assert theirs[0][-2:] == b"\x01\x00"  # ...saying CommandDataSetType 0x0001: a data set follows
    with pytest.raises(
        ValueError,
        match=r"^cannot send C-FIND-RQ: Identifier is empty \(PS3\.8 Annex E: no empty PDVs\)$",
    ):
        list(encode_message(prim, 1, 16382))


def test_message_names() -> None:
    prim = _n_create_rsp()
    assert message_name(prim) == "N-CREATE-RSP"
    assert not pynetdicom_can_send(prim)
    assert without_unsendable(prim).AttributeIdentifierList is None
    assert prim.AttributeIdentifierList is not None  # the original is left alone
