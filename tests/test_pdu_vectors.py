"""The Upper Layer PDUs against the hand-worked vectors ``fixtures/vectors/a-*.hex``.

Each file spells one PDU field by field, citing the PS3.8 (and PS3.7 Annex D) table of
each field. Every vector is checked both ways by one helper (decoding gives the expected
object, encoding the object gives the file's bytes), then read with pynetdicom 3.0.4,
which must see the same field values, and through a :class:`Reassembler` fed one byte at
a time and in hypothesis-chosen pieces.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hexvectors import VECTORS, load_hex, split_pdus
from hypothesis import given, settings
from hypothesis import strategies as st
from pynetdicom import pdu as pyn_pdu

from dimsewire import (
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    PDUReceived,
    Reassembler,
)
from dimsewire.pdus import (
    PDU,
    Abort,
    ApplicationContext,
    AssociateAC,
    AssociateRJ,
    AssociateRQ,
    ImplementationClassUID,
    ImplementationVersionName,
    MaximumLength,
    PresentationContextAC,
    PresentationContextRQ,
    ReleaseRP,
    ReleaseRQ,
    UserInformation,
    associate_ac,
    associate_rq,
    decode_pdu,
    encode_pdu,
)

STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
IMPLICIT_VR_LE = "1.2.840.10008.1.2"
DICOM_APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"
DCMTK_CLASS_UID = "1.2.276.0.7230010.3.0.3.6.8"  # DCMTK 3.6.8
DCMTK_VERSION_NAME = "OFFIS_DCMTK_368"

A_ASSOCIATE_RQ = AssociateRQ(
    "DCMQRSCP",
    "FINDSCU",
    (
        ApplicationContext(DICOM_APPLICATION_CONTEXT),
        PresentationContextRQ(1, STUDY_ROOT_FIND, (IMPLICIT_VR_LE,)),
        UserInformation(
            (
                MaximumLength(16382),
                ImplementationClassUID(IMPLEMENTATION_CLASS_UID),
                ImplementationVersionName(IMPLEMENTATION_VERSION_NAME),
            )
        ),
    ),
)
A_ASSOCIATE_AC = AssociateAC(
    "DCMQRSCP",
    "FINDSCU",
    (
        ApplicationContext(DICOM_APPLICATION_CONTEXT),
        PresentationContextAC(1, 0, IMPLICIT_VR_LE),
        UserInformation(
            (
                MaximumLength(16384),
                ImplementationClassUID(DCMTK_CLASS_UID),
                ImplementationVersionName(DCMTK_VERSION_NAME),
            )
        ),
    ),
)

# file, expected object, pynetdicom class, PDU size in bytes (as worked out in the file)
VECTORS_PDUS: list[tuple[str, PDU, Any, int]] = [
    ("a-associate-rq.hex", A_ASSOCIATE_RQ, pyn_pdu.A_ASSOCIATE_RQ, 236),
    ("a-associate-ac.hex", A_ASSOCIATE_AC, pyn_pdu.A_ASSOCIATE_AC, 190),
    ("a-associate-rj.hex", AssociateRJ(1, 1, 7), pyn_pdu.A_ASSOCIATE_RJ, 10),
    ("a-release-rq.hex", ReleaseRQ(), pyn_pdu.A_RELEASE_RQ, 10),
    ("a-release-rp.hex", ReleaseRP(), pyn_pdu.A_RELEASE_RP, 10),
    ("a-abort.hex", Abort(2, 2), pyn_pdu.A_ABORT_RQ, 10),
]
IDS = [name.removesuffix(".hex") for name, *_ in VECTORS_PDUS]


def check_both_ways(path: str, expected: PDU) -> bytes:
    """Decode the vector and compare with `expected`; encode `expected` and compare with
    the vector. Returns the vector's bytes."""
    data = load_hex(VECTORS / path)
    assert encode_pdu(expected).hex(" ") == data.hex(" ")  # hex, so a mismatch shows where
    assert expected.encode() == data
    decoded = decode_pdu(data)
    assert type(decoded) is type(expected)
    assert decoded == expected
    assert decoded.encode() == data
    return data


def pynetdicom_read(cls: Any, data: bytes) -> Any:
    """pynetdicom's PDU object for `data`; it must write back the same bytes."""
    theirs = cls()
    theirs.decode(data)
    assert bytes(theirs.encode()) == data
    return theirs


@pytest.mark.parametrize(("path", "expected", "pyn_class", "size"), VECTORS_PDUS, ids=IDS)
def test_vector_both_ways(path: str, expected: PDU, pyn_class: Any, size: int) -> None:
    data = check_both_ways(path, expected)
    assert len(data) == size
    assert split_pdus(data) == [data]  # exactly one PDU: 6-byte header + PDU-length
    assert data[0] == expected.pdu_type
    assert data[1] == 0  # reserved (PS3.8 9.3.1)
    theirs = pynetdicom_read(pyn_class, data)
    assert theirs.pdu_type == expected.pdu_type
    assert theirs.pdu_length == size - 6


def test_a_associate_rq_as_pynetdicom_reads_it() -> None:
    data = check_both_ways("a-associate-rq.hex", A_ASSOCIATE_RQ)
    theirs = pynetdicom_read(pyn_pdu.A_ASSOCIATE_RQ, data)
    assert theirs.protocol_version == A_ASSOCIATE_RQ.protocol_version == 1
    assert theirs.called_ae_title == A_ASSOCIATE_RQ.called_ae_title == "DCMQRSCP"
    assert theirs.calling_ae_title == A_ASSOCIATE_RQ.calling_ae_title == "FINDSCU"
    assert theirs.application_context_name == A_ASSOCIATE_RQ.application_context_name
    (their_context,) = theirs.presentation_context
    (our_context,) = A_ASSOCIATE_RQ.presentation_contexts
    assert their_context.context_id == our_context.context_id == 1
    assert their_context.abstract_syntax == our_context.abstract_syntax == STUDY_ROOT_FIND
    assert their_context.transfer_syntax == list(our_context.transfer_syntaxes)
    their_info, our_info = theirs.user_information, A_ASSOCIATE_RQ.user_information
    assert their_info.maximum_length == our_info.max_length == A_ASSOCIATE_RQ.max_length == 16382
    assert their_info.implementation_class_uid == our_info.implementation_class_uid
    assert our_info.implementation_class_uid == IMPLEMENTATION_CLASS_UID
    assert their_info.implementation_version_name == our_info.implementation_version_name
    assert our_info.implementation_version_name == "DIMSEWIRE_010"


def test_a_associate_ac_as_pynetdicom_reads_it() -> None:
    data = check_both_ways("a-associate-ac.hex", A_ASSOCIATE_AC)
    theirs = pynetdicom_read(pyn_pdu.A_ASSOCIATE_AC, data)
    assert theirs.protocol_version == A_ASSOCIATE_AC.protocol_version == 1
    # the reserved fields carry the RQ's AE titles (PS3.8 Table 9-17)
    assert theirs.reserved_aet == A_ASSOCIATE_AC.called_ae_title == "DCMQRSCP"
    assert theirs.reserved_aec == A_ASSOCIATE_AC.calling_ae_title == "FINDSCU"
    assert theirs.application_context_name == A_ASSOCIATE_AC.application_context_name
    (their_context,) = theirs.presentation_context
    (our_context,) = A_ASSOCIATE_AC.presentation_contexts
    assert their_context.presentation_context_id == our_context.context_id == 1
    assert their_context.result_reason == our_context.result == 0
    assert our_context.accepted
    assert our_context.result_name == "acceptance"
    assert their_context.transfer_syntax == our_context.transfer_syntax == IMPLICIT_VR_LE
    their_info, our_info = theirs.user_information, A_ASSOCIATE_AC.user_information
    assert their_info.maximum_length == our_info.max_length == 16384
    assert their_info.implementation_class_uid == our_info.implementation_class_uid
    assert our_info.implementation_class_uid == DCMTK_CLASS_UID
    assert their_info.implementation_version_name == our_info.implementation_version_name
    assert our_info.implementation_version_name == DCMTK_VERSION_NAME


def test_the_vectors_are_what_the_helpers_build() -> None:
    rq = associate_rq(
        "DCMQRSCP",
        "FINDSCU",
        [(1, STUDY_ROOT_FIND, [IMPLICIT_VR_LE])],
        max_length=16382,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
        implementation_version_name=IMPLEMENTATION_VERSION_NAME,
    )
    assert rq == A_ASSOCIATE_RQ
    ac = associate_ac(
        rq,
        [PresentationContextAC(1, 0, IMPLICIT_VR_LE)],
        max_length=16384,
        implementation_class_uid=DCMTK_CLASS_UID,
        implementation_version_name=DCMTK_VERSION_NAME,
    )
    assert ac == A_ASSOCIATE_AC


def test_a_associate_rj_as_pynetdicom_reads_it() -> None:
    data = check_both_ways("a-associate-rj.hex", AssociateRJ(1, 1, 7))
    theirs = pynetdicom_read(pyn_pdu.A_ASSOCIATE_RJ, data)
    assert (theirs.result, theirs.source, theirs.reason_diagnostic) == (1, 1, 7)
    assert theirs.result_str == "Rejected (Permanent)"
    assert theirs.source_str == "DUL service-user"
    assert theirs.reason_str == "Called AE title not recognised"
    ours = decode_pdu(data)
    assert isinstance(ours, AssociateRJ)
    assert ours.result_name == "rejected-permanent"
    assert ours.source_name == "DICOM UL service-user"
    assert ours.reason_name == "called-AE-title-not-recognized"


def test_a_abort_as_pynetdicom_reads_it() -> None:
    data = check_both_ways("a-abort.hex", Abort(2, 2))
    theirs = pynetdicom_read(pyn_pdu.A_ABORT_RQ, data)
    assert (theirs.source, theirs.reason_diagnostic) == (2, 2)
    assert theirs.source_str == "DUL service-provider"
    assert theirs.reason_str == "Unexpected PDU"
    ours = decode_pdu(data)
    assert isinstance(ours, Abort)
    assert ours.source_name == "DICOM UL service-provider (initiated abort)"
    assert ours.reason_name == "unexpected-PDU"


@pytest.mark.parametrize(
    ("path", "pyn_class"),
    [("a-release-rq.hex", pyn_pdu.A_RELEASE_RQ), ("a-release-rp.hex", pyn_pdu.A_RELEASE_RP)],
    ids=["a-release-rq", "a-release-rp"],
)
def test_release_as_pynetdicom_reads_it(path: str, pyn_class: Any) -> None:
    data = load_hex(VECTORS / path)
    theirs = pynetdicom_read(pyn_class, data)
    assert decode_pdu(data).pdu_type == theirs.pdu_type
    assert bytes(pyn_class().encode()) == data  # pynetdicom's own, built from nothing


def test_every_upper_layer_vector_is_tested() -> None:
    assert sorted(p.name for p in VECTORS.glob("a-*.hex")) == sorted(p for p, *_ in VECTORS_PDUS)


# --- the vectors as one byte stream through the Reassembler ----------------------------

STREAM = b"".join(load_hex(VECTORS / path) for path, *_ in VECTORS_PDUS)
OFFSETS = [0, 236, 426, 436, 446, 456]  # running sums of the PDU sizes above; 466 in all


def reassemble(pieces: list[bytes]) -> list[PDUReceived]:
    reassembler = Reassembler()
    events = []
    for piece in pieces:
        reassembler.receive_data(piece)
        events += list(reassembler.events())
    reassembler.receive_eof()
    events += list(reassembler.events())
    assert all(isinstance(event, PDUReceived) for event in events)
    return events  # type: ignore[return-value]


def check_stream_events(events: list[PDUReceived]) -> None:
    assert [event.pdu for event in events] == [pdu for _, pdu, *_ in VECTORS_PDUS]
    assert [event.offset for event in events] == OFFSETS
    assert [event.name for event in events] == [
        "A-ASSOCIATE-RQ",
        "A-ASSOCIATE-AC",
        "A-ASSOCIATE-RJ",
        "A-RELEASE-RQ",
        "A-RELEASE-RP",
        "A-ABORT",
    ]
    assert b"".join(event.raw for event in events) == STREAM


def test_vectors_one_byte_at_a_time() -> None:
    assert len(STREAM) == 466
    check_stream_events(reassemble([STREAM[i : i + 1] for i in range(len(STREAM))]))


@settings(max_examples=50, deadline=None)
@given(cuts=st.lists(st.integers(0, len(STREAM)), max_size=12).map(sorted))
def test_vectors_in_any_pieces(cuts: list[int]) -> None:
    bounds = [0, *cuts, len(STREAM)]
    check_stream_events(reassemble([STREAM[a:b] for a, b in itertools.pairwise(bounds)]))
