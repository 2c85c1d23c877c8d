"""Synthetic captures for tests: a C-FIND association as TCP segments in a pcap/pcapng.

The PDUs are made by dimsewire's own endpoints (checked against real peers elsewhere);
the TCP/IP/link framing by dpkt, so the capture reader is tested against a second
implementation of those layers.
"""

from __future__ import annotations

import io
import socket
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import dpkt
from pydicom import Dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dimsewire import C_CANCEL, C_FIND, IMPLEMENTATION_CLASS_UID, AssociationEndpoint
from dimsewire.association import answer_contexts
from dimsewire.pdus import ReleaseRP, ReleaseRQ, associate_ac, associate_rq

PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
CLIENT = ("10.0.0.1", 40001)
SERVER = ("10.0.0.2", 11112)


@dataclass
class Packet:
    """One TCP segment to write: who sends, its sequence offset, flags and data."""

    from_client: bool
    offset: int  # stream offset of the first data byte (SYN/FIN take none here)
    data: bytes
    flags: int = dpkt.tcp.TH_ACK
    time: float = 0.0
    ack: int = 0  # stream offset of the other side's next byte: all before it received


def conversation(
    *, matches: int = 3, max_pdu: int = 16382, cancel_after: int | None = None
) -> list[tuple[bool, bytes]]:
    """The PDUs of one association in order: (from the client?, bytes)."""
    scu = AssociationEndpoint("requestor", max_pdu_length=max_pdu)
    scp = AssociationEndpoint("acceptor", max_pdu_length=max_pdu)
    out: list[tuple[bool, bytes]] = []
    rq = associate_rq(
        "FINDSCP",
        "FINDSCU",
        [(1, PATIENT_ROOT_FIND, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])],
        max_length=max_pdu,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
    )
    out.append((True, scu.send_pdu(rq)))
    scp.association.observe(rq, "requestor")
    ac = associate_ac(
        rq,
        answer_contexts(rq, {PATIENT_ROOT_FIND: [ImplicitVRLittleEndian]}),
        max_length=max_pdu,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
    )
    out.append((False, scp.send_pdu(ac)))
    scu.association.observe(ac, "acceptor")
    query = Dataset()
    query.QueryRetrieveLevel = "PATIENT"
    query.PatientName = "DOE^*"
    query.PatientID = ""
    request = C_FIND()
    request.MessageID = 5
    request.AffectedSOPClassUID = PATIENT_ROOT_FIND
    request.Identifier = scu.association.encode_identifier(query, 1)
    out += [(True, pdu) for pdu in scu.send_message(request, 1)]
    for i in range(matches):
        if cancel_after is not None and i == cancel_after:
            cancel = C_CANCEL()
            cancel.MessageIDBeingRespondedTo = 5
            out += [(True, pdu) for pdu in scu.send_message(cancel, 1)]
            break
        match = Dataset()
        match.QueryRetrieveLevel = "PATIENT"
        match.PatientName = f"DOE^{i}"
        match.PatientID = f"PID{i:04d}"
        rsp = C_FIND()
        rsp.MessageIDBeingRespondedTo = 5
        rsp.AffectedSOPClassUID = PATIENT_ROOT_FIND
        rsp.Status = 0xFF00
        rsp.Identifier = scp.association.encode_identifier(match, 1)
        out += [(False, pdu) for pdu in scp.send_message(rsp, 1)]
    final = C_FIND()
    final.MessageIDBeingRespondedTo = 5
    final.AffectedSOPClassUID = PATIENT_ROOT_FIND
    final.Status = 0xFE00 if cancel_after is not None and cancel_after < matches else 0x0000
    out += [(False, pdu) for pdu in scp.send_message(final, 1)]
    out.append((True, ReleaseRQ().encode()))
    out.append((False, ReleaseRP().encode()))
    return out


def segments(pdus: Sequence[tuple[bool, bytes]], sizes: Sequence[int] = (1460,)) -> list[Packet]:
    """The PDUs cut into TCP segments of the given sizes (cycled), with handshake and FINs.

    A segment never holds bytes of both directions; segment boundaries fall anywhere,
    also inside PDU headers.
    """
    packets = [
        Packet(True, 0, b"", dpkt.tcp.TH_SYN),
        Packet(False, 0, b"", dpkt.tcp.TH_SYN | dpkt.tcp.TH_ACK),
    ]
    offsets = {True: 0, False: 0}
    turn = 0
    for from_client, pdu in pdus:
        pos = 0
        while pos < len(pdu):
            size = max(1, sizes[turn % len(sizes)])
            turn += 1
            chunk = pdu[pos : pos + size]
            ack = offsets[not from_client]
            packets.append(Packet(from_client, offsets[from_client], chunk, ack=ack))
            offsets[from_client] += len(chunk)
            pos += len(chunk)
    for side in (True, False):
        fin = dpkt.tcp.TH_FIN | dpkt.tcp.TH_ACK
        packets.append(Packet(side, offsets[side], b"", fin, ack=offsets[not side]))
    for i, packet in enumerate(packets):
        packet.time = 1_700_000_000 + i * 0.001
    return packets


ISN = {True: 0xFFFFFF00, False: 1000}  # the client's sequence numbers wrap around 2**32


def _tcp(packet: Packet, client: tuple[str, int], server: tuple[str, int]) -> dpkt.tcp.TCP:
    src, dst = (client, server) if packet.from_client else (server, client)
    syn = 0 if packet.flags & dpkt.tcp.TH_SYN else 1
    seq = (ISN[packet.from_client] + syn + packet.offset) % 2**32
    ack = (ISN[not packet.from_client] + 1 + packet.ack) % 2**32
    return dpkt.tcp.TCP(
        sport=src[1], dport=dst[1], seq=seq, ack=ack, flags=packet.flags, data=packet.data
    )


def _ip(packet: Packet, client: tuple[str, int], server: tuple[str, int], v6: bool) -> bytes:
    src, dst = (client, server) if packet.from_client else (server, client)
    tcp = _tcp(packet, client, server)
    if v6:
        ip6 = dpkt.ip6.IP6(
            src=socket.inet_pton(socket.AF_INET6, src[0]),
            dst=socket.inet_pton(socket.AF_INET6, dst[0]),
            nxt=6,
            hlim=64,
            data=tcp,
        )
        ip6.plen = len(bytes(tcp))
        return bytes(ip6)
    ip = dpkt.ip.IP(src=socket.inet_aton(src[0]), dst=socket.inet_aton(dst[0]), p=6, data=tcp)
    ip.len = 20 + len(bytes(tcp))
    return bytes(ip)


LINK_TYPES = {"ethernet": 1, "null": 0, "raw": 101, "sll": 113, "sll2": 276}


def frame(
    packet: Packet,
    link: str = "ethernet",
    *,
    client: tuple[str, int] = CLIENT,
    server: tuple[str, int] = SERVER,
) -> bytes:
    """One link-layer frame."""
    v6 = ":" in client[0]
    ip = _ip(packet, client, server, v6)
    ethertype = 0x86DD if v6 else 0x0800
    if link == "ethernet":
        return (
            b"\x02\x00\x00\x00\x00\x02"
            + b"\x02\x00\x00\x00\x00\x01"
            + struct.pack(">H", ethertype)
            + ip
        )
    if link == "null":
        return struct.pack("<I", 30 if v6 else 2) + ip
    if link == "raw":
        return ip
    if link == "sll":
        return struct.pack(">HHH8sH", 0, 772, 6, b"\0" * 8, ethertype) + ip
    if link == "sll2":
        return struct.pack(">HHIHBB8s", ethertype, 0, 1, 772, 0, 6, b"\0" * 8) + ip
    raise ValueError(link)


def pcap(
    packets: Sequence[Packet], link: str = "ethernet", *, ng: bool = False, **kw: object
) -> bytes:
    """A whole capture file of `packets`."""
    out = io.BytesIO()
    writer_cls = dpkt.pcapng.Writer if ng else dpkt.pcap.Writer
    writer = writer_cls(out, linktype=LINK_TYPES[link], snaplen=262144)
    for packet in packets:
        writer.writepkt(frame(packet, link, **kw), ts=packet.time)  # type: ignore[arg-type]
    return out.getvalue()
