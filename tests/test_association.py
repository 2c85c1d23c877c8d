"""The sans-IO association helper: negotiation, limits, state rules; and against dcmqrscp."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from peers import PATIENT_ROOT_FIND, dcmqrscp_server, make_patient_studies, requires_dcmtk
from pydicom import Dataset
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dimsewire import (
    C_CANCEL,
    C_FIND,
    IMPLEMENTATION_CLASS_UID,
    Association,
    AssociationEndpoint,
    AssociationError,
    Deviation,
    ItemError,
    MessageReceived,
    PDUError,
    PDUReceived,
    decode_message,
    encode_message,
)
from dimsewire.association import State, answer_contexts
from dimsewire.pdus import (
    Abort,
    AssociateAC,
    AssociateRJ,
    AssociateRQ,
    PresentationContextAC,
    ReleaseRP,
    ReleaseRQ,
    associate_ac,
    associate_rq,
    decode_pdu,
)

STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
UNKNOWN_SOP_CLASS = "1.2.3.4.5.6"


def rq(max_length: int = 16382) -> AssociateRQ:
    return associate_rq(
        "SCP",
        "SCU",
        [
            (1, PATIENT_ROOT_FIND, [ExplicitVRLittleEndian, ImplicitVRLittleEndian]),
            (3, STUDY_ROOT_FIND, [ExplicitVRBigEndian]),
            (5, UNKNOWN_SOP_CLASS, [ImplicitVRLittleEndian]),
        ],
        max_length=max_length,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
    )


SUPPORTED = {PATIENT_ROOT_FIND: [ImplicitVRLittleEndian], STUDY_ROOT_FIND: [ImplicitVRLittleEndian]}


def established(
    scu_max: int = 16382, scp_max: int = 1024
) -> tuple[AssociationEndpoint, AssociationEndpoint]:
    """An SCU and SCP endpoint that negotiated with each other's bytes."""
    scu = AssociationEndpoint("requestor", max_pdu_length=scu_max)
    scp = AssociationEndpoint("acceptor", max_pdu_length=scp_max)
    request = rq(scu_max)
    scp.receive_data(scu.send_pdu(request))
    (event,) = scp.events()
    assert isinstance(event, PDUReceived) and event.pdu == request
    ac = associate_ac(
        request,
        answer_contexts(request, SUPPORTED),
        max_length=scp_max,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
    )
    scu.receive_data(scp.send_pdu(ac))
    (event,) = scu.events()
    assert isinstance(event, PDUReceived) and event.pdu == ac
    return scu, scp


def find_rq(identifier: bytes = b"\x10\x00\x10\x00\x02\x00\x00\x00A ") -> C_FIND:
    prim = C_FIND()
    prim.MessageID = 7
    prim.AffectedSOPClassUID = PATIENT_ROOT_FIND
    prim.Identifier = identifier
    return prim


def test_answer_contexts_accepts_the_requestors_first_supported_syntax() -> None:
    assert answer_contexts(rq(), SUPPORTED) == (
        PresentationContextAC(1, 0, ImplicitVRLittleEndian),
        PresentationContextAC(3, 4, ExplicitVRBigEndian),  # transfer syntaxes not supported
        PresentationContextAC(5, 3, ImplicitVRLittleEndian),  # abstract syntax not supported
    )


def test_negotiation_from_both_sides() -> None:
    scu, scp = established(scu_max=0, scp_max=1024)
    for side in (scu, scp):
        assoc = side.association
        assert assoc.state is State.ESTABLISHED
        assert list(assoc.contexts) == [1]
        assert assoc.context(1).transfer_syntax == ImplicitVRLittleEndian
        assert assoc.context(1).abstract_syntax == PATIENT_ROOT_FIND
        assert sorted(assoc.rejected_contexts) == [3, 5]
        assert (assoc.requestor_max_pdu_length, assoc.acceptor_max_pdu_length) == (0, 1024)
        assert assoc.max_pdu_length_for("requestor") == 1024
        assert assoc.max_pdu_length_for("acceptor") == 0  # no limit
        assert assoc.deviations == []


def test_a_rejected_context_carrying_a_transfer_syntax_is_not_accepted() -> None:
    scu, _ = established()
    rejected = scu.association.rejected_contexts[5]
    assert rejected.transfer_syntax == ImplicitVRLittleEndian  # on the wire, as DCMTK sends
    with pytest.raises(KeyError) as err:
        scu.association.context(5)
    assert err.value.args[0] == (
        "presentation context 5 was rejected (abstract-syntax-not-supported (provider rejection))"
    )
    with pytest.raises(AssociationError) as error:
        scu.send_message(find_rq(), 5)
    assert str(error.value) == (
        "association: a DIMSE message from the requestor on a context that cannot carry it: "
        "presentation context 5 was rejected (abstract-syntax-not-supported (provider "
        "rejection)) (PS3.8 9.3.5)"
    )


def test_messages_are_fragmented_to_the_peers_limit_and_decode_with_its_syntax() -> None:
    scu, scp = established(scu_max=0, scp_max=64)
    query = Dataset()
    query.PatientID = ""
    query.PatientComments = "long." * 40
    identifier = scu.association.encode_identifier(query, 1)
    pdus = scu.send_message(find_rq(identifier), 1)
    assert len(pdus) > 4
    assert all(len(pdu) - 6 <= 64 for pdu in pdus)
    scp.receive_data(b"".join(pdus))
    (event,) = scp.events()
    assert isinstance(event, MessageReceived) and event.context_id == 1
    assert scp.association.decode_identifier(event.primitive) == query
    # and the other way, with no limit: one PDU per PDV however large, or one packed
    rsp = C_FIND()
    rsp.MessageIDBeingRespondedTo = 7
    rsp.AffectedSOPClassUID = PATIENT_ROOT_FIND
    rsp.Status = 0xFF00
    rsp.Identifier = identifier
    # a 88-byte command set (group length, class UID 28, field, ID, data set type, status)
    assert [len(pdu) for pdu in scp.send_message(rsp, 1)] == [6 + 6 + 88, 6 + 6 + len(identifier)]
    assert len(scp.send_message(rsp, 1, pack=True)) == 1


def test_unproposed_transfer_syntax_and_context_are_reported() -> None:
    assoc = Association()
    request = rq()
    assoc.observe(request, "requestor")
    ac = associate_ac(
        request,
        [
            PresentationContextAC(1, 0, ExplicitVRBigEndian),
            PresentationContextAC(7, 0, ImplicitVRLittleEndian),
        ],
        max_length=0,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
    )
    assoc.observe(ac, "acceptor")
    assert assoc.context(1).transfer_syntax == ExplicitVRBigEndian
    assert 7 not in assoc.contexts
    assert assoc.deviations == [
        Deviation(
            "unproposed-transfer-syntax",
            "presentation context 1 accepted with transfer syntax 1.2.840.10008.1.2.2, "
            "which was not proposed for it",
        ),
        Deviation(
            "unproposed-context",
            "A-ASSOCIATE-AC answers presentation context 7, which the A-ASSOCIATE-RQ did not "
            "propose",
        ),
    ]


def test_state_rules() -> None:
    assoc = Association()
    with pytest.raises(AssociationError) as err:
        assoc.observe(ReleaseRQ(), "requestor", offset=12)
    assert str(err.value) == (
        "association: ReleaseRQ from the requestor is not allowed while the association is "
        "idle (PS3.8 9.2) (offset 12)"
    )
    assert assoc.state is State.IDLE
    with pytest.raises(AssociationError):
        assoc.observe(rq(), "acceptor")
    assoc.observe(rq(), "requestor")
    with pytest.raises(RuntimeError, match="not established"):
        assoc.max_pdu_length_for("requestor")
    assoc.observe(AssociateRJ(1, 1, 7), "acceptor")
    assert assoc.state is State.REJECTED
    assert assoc.reject is not None and assoc.reject.reason_name == "called-AE-title-not-recognized"


def test_release_and_release_collision() -> None:
    scu, scp = established()
    scp.receive_data(scu.send_pdu(ReleaseRQ()))
    (event,) = scp.events()
    assert isinstance(event.pdu, ReleaseRQ) and scp.state is State.RELEASING  # type: ignore[union-attr]
    scu.receive_data(scp.send_pdu(ReleaseRP()))
    assert [type(e.pdu) for e in scu.events()] == [ReleaseRP]  # type: ignore[union-attr]
    assert scu.state is scp.state is State.RELEASED

    assoc = established()[0].association  # PS3.8 9.2.4: both ask, both answer
    assoc.observe(ReleaseRQ(), "requestor")
    assoc.observe(ReleaseRQ(), "acceptor")
    assoc.observe(ReleaseRP(), "acceptor")
    assert assoc.state is State.RELEASING
    assoc.observe(ReleaseRP(), "requestor")
    assert assoc.state is State.RELEASED


def test_message_before_negotiation_and_after_abort() -> None:
    scp = AssociationEndpoint("acceptor")
    scp.receive_data(b"".join(encode_message(find_rq(), 1, 16382)))
    with pytest.raises(AssociationError) as err:
        scp.next_event()
    assert str(err.value) == (
        "association: a DIMSE message from the requestor while the association is idle (offset 0)"
    )
    _, scp = established()
    scp.receive_data(Abort(0, 0).encode())
    assert [type(e.pdu) for e in scp.events()] == [Abort]  # type: ignore[union-attr]
    assert scp.state is State.ABORTED
    with pytest.raises(AssociationError):
        scp.send_message(find_rq(), 1)


def test_send_pdu_checks_the_announced_maximum() -> None:
    scu = AssociationEndpoint("requestor", max_pdu_length=4096)
    with pytest.raises(ValueError, match="announces") as err:
        scu.send_pdu(rq(16382))
    assert str(err.value) == (
        "the PDU announces a Maximum Length of 16382, this endpoint receives up to 4096"
    )


def test_reassembler_reports_a_bad_control_pdu_and_goes_on() -> None:
    scu, scp = established()
    bad_release = b"\x05\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00"  # 5-byte body
    start = len(rq().encode())  # the A-ASSOCIATE-RQ came first on this stream
    cancel = C_CANCEL()
    cancel.MessageIDBeingRespondedTo = 7
    scp.receive_data(bad_release + b"".join(scu.send_message(cancel, 1)))
    with pytest.raises(PDUError) as err:
        scp.next_event()
    assert str(err.value) == (
        f"PDU: A-RELEASE-RQ has a 5-byte body, the standard's is 4 (PS3.8 9.3) (offset {start})"
    )
    event = scp.next_event()
    assert isinstance(event, MessageReceived) and isinstance(event.primitive, C_CANCEL)
    assert event.offset == start + len(bad_release)


def test_reassembler_item_error_names_the_item() -> None:
    raw = bytearray(rq().encode())
    # the first item after the 68 fixed bytes is the Application Context item: make its
    # length run past the PDU
    raw[6 + 68 + 2 : 6 + 68 + 4] = b"\xff\xff"
    endpoint = AssociationEndpoint("acceptor")
    endpoint.receive_data(bytes(raw))
    with pytest.raises(ItemError) as err:
        endpoint.next_event()
    assert err.value.item == "Application Context item (10H)"
    assert err.value.offset == 6 + 68
    assert endpoint.state is State.IDLE


# --- against a real acceptor ---------------------------------------------------------------


@pytest.mark.peer
@requires_dcmtk
def test_dcmqrscp_rejected_contexts_carry_a_transfer_syntax(tmp_path: Path) -> None:
    """dcmqrscp answers a context it rejects with a Transfer Syntax sub-item; we must not
    take it as accepted, and a C-FIND on the accepted one must work at its 4096 limit."""
    with dcmqrscp_server(tmp_path, make_patient_studies(4), max_pdu=4096) as (host, port):
        scu = AssociationEndpoint("requestor", max_pdu_length=4096)
        request = associate_rq(
            "DCMQRSCP",
            "DIMSEWIRE",
            [
                (1, UNKNOWN_SOP_CLASS, [ImplicitVRLittleEndian]),
                (3, PATIENT_ROOT_FIND, [ExplicitVRLittleEndian]),
            ],
            max_length=4096,
            implementation_class_uid=IMPLEMENTATION_CLASS_UID,
        )
        with socket.create_connection((host, port), timeout=30) as sock:

            def next_event() -> PDUReceived | MessageReceived:
                while (event := scu.next_event()) is None:
                    scu.receive_data(sock.recv(65536))
                return event

            sock.sendall(scu.send_pdu(request))
            answer = next_event()
            assert isinstance(answer, PDUReceived)
            results = {ctx.context_id: ctx for ctx in answer.pdu.presentation_contexts}  # type: ignore[union-attr]
            assert results[1].result == 3 and results[1].transfer_syntax == ImplicitVRLittleEndian
            assert results[3].result == 0 and results[3].transfer_syntax == ExplicitVRLittleEndian
            assoc = scu.association
            assert list(assoc.contexts) == [3] and list(assoc.rejected_contexts) == [1]
            assert assoc.acceptor_max_pdu_length == 4096

            query = Dataset()
            query.QueryRetrieveLevel = "PATIENT"
            query.PatientID = "PID0002"
            query.PatientName = ""
            request_msg = find_rq(assoc.encode_identifier(query, 3))
            sock.sendall(b"".join(scu.send_message(request_msg, 3)))
            first, final = next_event(), next_event()
            assert isinstance(first, MessageReceived) and isinstance(final, MessageReceived)
            assert (first.primitive.Status, final.primitive.Status) == (0xFF00, 0x0000)  # type: ignore[attr-defined]
            match = assoc.decode_identifier(first.primitive)
            assert match is not None and match.PatientName == "SMITH^JOHN"
            sock.sendall(scu.send_pdu(ReleaseRQ()))
            released = next_event()
            assert isinstance(released, PDUReceived) and isinstance(released.pdu, ReleaseRP)
            assert scu.state is State.RELEASED


def test_decode_message_still_refuses_control_pdus() -> None:
    with pytest.raises(ValueError, match="expected a P-DATA-TF PDU"):
        decode_message([ReleaseRQ().encode()])


# --- the A-ASSOCIATE-AC sends back the request's reserved fields (PS3.8 Table 9-17) ----


def rq_bytes_as_some_peers_send_them() -> bytes:
    """An A-ASSOCIATE-RQ whose bytes 11-74 a re-encoding from text would not give back:
    AE titles with leading spaces (not significant, PS3.8 Table 9-11) and non-zero
    reserved bytes 43-74 (sent as 00H, "not tested")."""
    data = bytearray(rq().encode())
    data[10:26] = b"  ANY-SCP       "  # bytes 11-26, Called-AE-title
    data[26:42] = b" FINDSCU        "  # bytes 27-42, Calling-AE-title
    data[42:74] = bytes(range(1, 33))  # bytes 43-74, reserved
    return bytes(data)


def test_associate_ac_sends_the_requests_fields_back_byte_for_byte() -> None:
    data = rq_bytes_as_some_peers_send_them()
    scp = AssociationEndpoint("acceptor", max_pdu_length=1024)
    scp.receive_data(data)
    (event,) = scp.events()
    assert isinstance(event, PDUReceived) and isinstance(event.pdu, AssociateRQ)
    request = event.pdu
    assert (request.called_ae_title, request.calling_ae_title) == ("ANY-SCP", "FINDSCU")
    ac = associate_ac(
        request,
        answer_contexts(request, SUPPORTED),
        max_length=1024,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
    )
    sent = scp.send_pdu(ac)
    assert sent[:2] == b"\x02\x00"
    assert sent[10:74] == data[10:74]


def test_the_endpoint_puts_the_requests_fields_into_an_ac_built_by_hand() -> None:
    data = rq_bytes_as_some_peers_send_them()
    scp = AssociationEndpoint("acceptor", max_pdu_length=1024)
    scp.receive_data(data)
    (event,) = scp.events()
    assert isinstance(event.pdu, AssociateRQ)
    answer = answer_contexts(event.pdu, SUPPORTED)
    items = associate_ac(
        event.pdu, answer, max_length=1024, implementation_class_uid=IMPLEMENTATION_CLASS_UID
    ).items
    sent = scp.send_pdu(AssociateAC("ANY-SCP", "FINDSCU", items))
    assert sent[10:74] == data[10:74]


def test_an_ac_naming_other_ae_titles_than_the_request_is_refused() -> None:
    scp = AssociationEndpoint("acceptor", max_pdu_length=1024)
    scp.receive_data(rq_bytes_as_some_peers_send_them())
    (event,) = scp.events()
    assert isinstance(event.pdu, AssociateRQ)
    items = associate_ac(
        event.pdu, [], max_length=1024, implementation_class_uid=IMPLEMENTATION_CLASS_UID
    ).items
    with pytest.raises(ValueError, match="reserved") as err:
        scp.send_pdu(AssociateAC("OTHER", "FINDSCU", items))
    assert str(err.value) == (
        "the AE title fields of an A-ASSOCIATE-AC are reserved and carry the "
        "A-ASSOCIATE-RQ's (PS3.8 Table 9-17): called 'ANY-SCP', calling 'FINDSCU', "
        "not 'OTHER', 'FINDSCU'"
    )
    assert scp.state is State.REQUESTED  # nothing was sent


# --- the protocol-version field (PS3.8 Table 9-11: bit 0 set for version 1) ------------


def rq_of_version(version: int) -> bytes:
    data = bytearray(rq().encode())
    data[6:8] = version.to_bytes(2, "big")  # bytes 7-8, Protocol-version
    return bytes(data)


def test_a_request_without_protocol_version_1_decodes_and_is_reported() -> None:
    assoc = Association()
    request = decode_pdu(rq_of_version(0x0002))  # version 2 only: bit 0 clear
    assert isinstance(request, AssociateRQ) and request.protocol_version == 2
    assoc.observe(request, "requestor")
    assert assoc.deviations == [
        Deviation(
            "protocol-version",
            "A-ASSOCIATE-RQ protocol-version 0x0002 does not have bit 0 set "
            "(version 1, PS3.8 Table 9-11)",
        )
    ]


def test_an_acceptor_rejects_a_request_without_protocol_version_1() -> None:
    scp = AssociationEndpoint("acceptor", max_pdu_length=1024)
    scp.receive_data(rq_of_version(0x0000))
    (event,) = scp.events()  # the request is still handed out, for the record
    assert isinstance(event, PDUReceived) and isinstance(event.pdu, AssociateRQ)
    # PS3.8 Table 9-21: result 1 rejected-permanent, source 2 service-provider (ACSE
    # related function), reason 2 protocol-version-not-supported
    assert scp.data_to_send() == bytes([0x03, 0, 0, 0, 0, 4, 0, 1, 2, 2])
    assert scp.data_to_send() == b""  # handed out once
    assert scp.state is State.REJECTED
    assert scp.association.reject == AssociateRJ(1, 2, 2)
    assert scp.association.reject.reason_name == "protocol-version-not-supported"
    with pytest.raises(AssociationError):
        scp.send_pdu(associate_ac(event.pdu, [], max_length=1024, implementation_class_uid="1.2"))


def test_a_request_with_more_versions_than_1_is_accepted() -> None:
    # PS3.8 Table 9-11: "shall only test that bit 0 is set"
    scp = AssociationEndpoint("acceptor", max_pdu_length=1024)
    scp.receive_data(rq_of_version(0x0003))
    assert [type(event) for event in scp.events()] == [PDUReceived]
    assert scp.state is State.REQUESTED and scp.data_to_send() == b""
    assert scp.association.deviations == []
