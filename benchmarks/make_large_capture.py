"""Write a large pcap of C-FIND traffic for the capture-decoding benchmark.

Run: python benchmarks/make_large_capture.py [PATH] [--mb 60]

Associations, one after another on port 11112 from distinct client ports: each an
A-ASSOCIATE-RQ/AC, a C-FIND-RQ, 2000 pending C-FIND-RSPs with ~400-byte matches and
a final one, then A-RELEASE. PDUs come from dimsewire's own endpoints; Ethernet, IPv4 and
TCP headers (1460-byte segments, real sequence and acknowledgment numbers) are packed
here. Nothing needs a live peer; the file is not committed.
"""

from __future__ import annotations

import argparse
import struct
import sys
import tempfile
from pathlib import Path

from pydicom import Dataset
from pydicom.uid import ImplicitVRLittleEndian

from dimsewire import C_FIND, IMPLEMENTATION_CLASS_UID, AssociationEndpoint
from dimsewire.association import answer_contexts
from dimsewire.pdus import ReleaseRP, ReleaseRQ, associate_ac, associate_rq

SOP_CLASS = "1.2.840.10008.5.1.4.1.2.2.1"  # Study Root Q/R FIND
SEGMENT = 1460
CLIENT, SERVER = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
ETHERNET = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"


def conversation(matches: int) -> list[tuple[bool, bytes]]:
    """One association's PDUs in order: (sent by the client?, bytes)."""
    scu = AssociationEndpoint("requestor")
    scp = AssociationEndpoint("acceptor")
    rq = associate_rq(
        "ANY-SCP",
        "FINDSCU",
        [(1, SOP_CLASS, [ImplicitVRLittleEndian])],
        max_length=16382,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
    )
    out = [(True, scu.send_pdu(rq))]
    scp.association.observe(rq, "requestor")
    ac = associate_ac(
        rq,
        answer_contexts(rq, {SOP_CLASS: [ImplicitVRLittleEndian]}),
        max_length=16382,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
    )
    out.append((False, scp.send_pdu(ac)))
    scu.association.observe(ac, "acceptor")
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyDate = "20240101-20241231"
    query.StudyInstanceUID = ""
    request = C_FIND()
    request.MessageID = 1
    request.AffectedSOPClassUID = SOP_CLASS
    request.Identifier = scu.association.encode_identifier(query, 1)
    out += [(True, pdu) for pdu in scu.send_message(request, 1)]
    for i in range(matches):
        match = Dataset()
        match.QueryRetrieveLevel = "STUDY"
        match.PatientName = f"PATIENT^{i:06d}"
        match.PatientID = f"PID{i:08d}"
        match.StudyDate = "20240315"
        match.StudyDescription = "CT CHEST ABDOMEN PELVIS WITH CONTRAST"
        match.StudyInstanceUID = f"1.2.826.0.1.3680043.8.498.{i}.{i * 7919 % 1000003}"
        match.AccessionNumber = f"ACC{i:09d}"
        match.InstitutionName = "GENERAL HOSPITAL OF SOMEWHERE"
        match.ReferringPhysicianName = "SMITH^ALICE"
        match.ModalitiesInStudy = ["CT", "SR"]
        rsp = C_FIND()
        rsp.MessageIDBeingRespondedTo = 1
        rsp.AffectedSOPClassUID = SOP_CLASS
        rsp.Status = 0xFF00
        rsp.Identifier = scp.association.encode_identifier(match, 1)
        out += [(False, pdu) for pdu in scp.send_message(rsp, 1, pack=True)]
    final = C_FIND()
    final.MessageIDBeingRespondedTo = 1
    final.AffectedSOPClassUID = SOP_CLASS
    final.Status = 0x0000
    out += [(False, pdu) for pdu in scp.send_message(final, 1)]
    out += [(True, ReleaseRQ().encode()), (False, ReleaseRP().encode())]
    return out


def _frame(from_client: bool, port: int, seq: int, ack: int, flags: int, data: bytes) -> bytes:
    src, dst = (CLIENT, SERVER) if from_client else (SERVER, CLIENT)
    sport, dport = (port, 11112) if from_client else (11112, port)
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    return ETHERNET + ip + tcp


def write(path: Path, megabytes: int) -> int:
    """Write associations until the file holds `megabytes` MB; return the count."""
    pdus = conversation(2000)
    limit = megabytes * 1_000_000
    written, count, time = 0, 0, 1_700_000_000.0
    with path.open("wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        while written < limit:
            port = 20000 + count
            seq = {True: 1000, False: 50000}
            frames = [_frame(True, port, seq[True] - 1, 0, 0x02, b"")]
            frames.append(_frame(False, port, seq[False] - 1, seq[True], 0x12, b""))
            for from_client, pdu in pdus:
                for i in range(0, len(pdu), SEGMENT):
                    chunk = pdu[i : i + SEGMENT]
                    frames.append(
                        _frame(
                            from_client, port, seq[from_client], seq[not from_client], 0x18, chunk
                        )
                    )
                    seq[from_client] += len(chunk)
            for side in (True, False):
                frames.append(_frame(side, port, seq[side], seq[not side], 0x11, b""))
            for frame in frames:
                time += 0.0001
                sec, usec = int(time), int((time % 1) * 1e6)
                record = struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame
                out.write(record)
                written += len(record)
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "path", nargs="?", type=Path, default=Path(tempfile.gettempdir()) / "dimsewire-large.pcap"
    )
    parser.add_argument("--mb", type=int, default=60, help="size to reach, in MB")
    args = parser.parse_args(argv)
    count = write(args.path, args.mb)
    size = args.path.stat().st_size
    print(f"{args.path}: {size / 1e6:.1f} MB, {count} associations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
