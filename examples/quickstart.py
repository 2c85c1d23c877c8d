"""Encode a C-FIND-RQ into P-DATA-TF PDUs, show them, and decode them back.

Run: python examples/quickstart.py
"""

from __future__ import annotations

from pydicom import Dataset

from dimsewire import (
    C_FIND,
    MessageReceived,
    Reassembler,
    c_find_status,
    decode_identifier,
    encode_identifier,
    encode_message,
)

IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"


def main() -> None:
    query = Dataset()
    query.QueryRetrieveLevel = "PATIENT"
    query.PatientName = "DOE^*"
    query.PatientID = ""

    request = C_FIND()
    request.MessageID = 1
    request.AffectedSOPClassUID = PATIENT_ROOT_FIND
    request.Priority = 0
    request.Identifier = encode_identifier(query, IMPLICIT_VR_LITTLE_ENDIAN)

    match = Dataset()
    match.QueryRetrieveLevel = "PATIENT"
    match.PatientName = "DOE^JOHN"
    match.PatientID = "12345"
    pending = C_FIND()
    pending.MessageIDBeingRespondedTo = 1
    pending.AffectedSOPClassUID = PATIENT_ROOT_FIND
    pending.Status = 0xFF00
    pending.Identifier = encode_identifier(match, IMPLICIT_VR_LITTLE_ENDIAN)

    final = C_FIND()
    final.MessageIDBeingRespondedTo = 1
    final.AffectedSOPClassUID = PATIENT_ROOT_FIND
    final.Status = 0x0000

    stream = b""
    for name, prim, max_pdu in (
        ("request", request, 32),
        ("pending", pending, 16382),
        ("final", final, 0),
    ):
        pdus = list(encode_message(prim, 1, max_pdu))
        print(f"{name}: {len(pdus)} P-DATA-TF PDU(s) at max PDU length {max_pdu}")
        for pdu in pdus:
            print(f"  {pdu.hex(' ')}")
        stream += b"".join(pdus)

    reassembler = Reassembler(max_pdu_length=0)
    for i in range(0, len(stream), 7):  # any chunking works
        reassembler.receive_data(stream[i : i + 7])
    print("\ndecoded:")
    for event in reassembler.events():
        assert isinstance(event, MessageReceived)
        reply = event.primitive
        assert isinstance(reply, C_FIND)
        print(f"  {reply!r}")
        if reply.Status is not None:
            print(f"    status: {c_find_status(reply.Status)}")
        if reply.Identifier is not None:
            keys = decode_identifier(reply.Identifier, IMPLICIT_VR_LITTLE_ENDIAN)
            print(f"    identifier: {', '.join(f'{e.keyword}={e.value!r}' for e in keys)}")
    assert reassembler.buffered == 0


if __name__ == "__main__":
    main()
