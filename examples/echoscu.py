"""A small asyncio C-ECHO SCU built only on dimsewire and the standard library.

Is the peer there, and does it speak DICOM? Sequence (PS3.8 7.1-7.2, PS3.7 9.1.5,
PS3.4 A.4): A-ASSOCIATE-RQ proposing the Verification SOP Class -> A-ASSOCIATE-AC,
C-ECHO-RQ -> C-ECHO-RSP, then A-RELEASE-RQ -> A-RELEASE-RP.

Exit status: 0 if the peer answered Success (0000); 1 if it answered another status
(named on stderr); 2 if there was no answer to wait for (connection refused or closed,
association rejected or aborted, Verification not accepted, time-out) or a usage error.

Run::

    python examples/echoscu.py 127.0.0.1 11112 --aec ANY-SCP
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dimsewire import (
    C_ECHO,
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    AssociationEndpoint,
    MessageReceived,
    PDUReceived,
    status_info,
)
from dimsewire.pdus import Abort, AssociateAC, AssociateRJ, ReleaseRP, ReleaseRQ, associate_rq

VERIFICATION = "1.2.840.10008.1.1"  # Verification SOP Class (PS3.4 A.4)


class PeerError(Exception):
    """No echo: the connection, the association or the Verification context failed."""


async def _next_event(
    reader: asyncio.StreamReader, endpoint: AssociationEndpoint, timeout: float
) -> MessageReceived | PDUReceived:
    """The next message or PDU from the peer; PeerError if the connection closes first.

    (MessageStarted and DataSetFragmentReceived come only with ``stream_data_sets``,
    which this SCU does not ask for.)
    """
    eof = False
    while True:
        event = endpoint.next_event()
        if isinstance(event, (MessageReceived, PDUReceived)):
            return event
        if event is not None:
            continue
        if eof:
            raise PeerError("the peer closed the connection")
        data = await asyncio.wait_for(reader.read(65536), timeout)
        if data:
            endpoint.receive_data(data)
        else:
            endpoint.receive_eof()
            eof = True


async def echo(
    host: str,
    port: int,
    *,
    calling_ae: str = "ECHOSCU",
    called_ae: str = "ANY-SCP",
    max_pdu_length: int = 16382,
    timeout: float = 30.0,
) -> int:
    """One C-ECHO on a new association; returns the C-ECHO-RSP's Status.

    Raises
    ------
    PeerError
        The association was rejected or aborted, the peer did not accept the
        Verification SOP Class, or it closed the connection.
    OSError, TimeoutError
        No connection, or no answer within `timeout` seconds.
    """
    endpoint = AssociationEndpoint("requestor", max_pdu_length=max_pdu_length)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)

    async def send(data: bytes | list[bytes]) -> None:
        writer.writelines([data] if isinstance(data, bytes) else data)
        await writer.drain()

    async def release() -> None:  # PS3.8 7.2
        await send(endpoint.send_pdu(ReleaseRQ()))
        while not isinstance(event := await _next_event(reader, endpoint, timeout), PDUReceived):
            pass  # a message may still arrive before the A-RELEASE-RP
        if not isinstance(event.pdu, ReleaseRP):
            raise PeerError(f"expected A-RELEASE-RP, got {event.name}")

    try:
        rq = associate_rq(
            called_ae,
            calling_ae,
            [(1, VERIFICATION, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])],
            max_length=max_pdu_length,
            implementation_class_uid=IMPLEMENTATION_CLASS_UID,
            implementation_version_name=IMPLEMENTATION_VERSION_NAME,
        )
        await send(endpoint.send_pdu(rq))
        event = await _next_event(reader, endpoint, timeout)
        pdu = event.pdu if isinstance(event, PDUReceived) else None
        if isinstance(pdu, AssociateRJ):
            raise PeerError(
                f"association rejected: {pdu.result_name}, {pdu.source_name}, {pdu.reason_name}"
            )
        if isinstance(pdu, Abort):
            raise PeerError(f"association aborted: {pdu.source_name}")
        if not isinstance(pdu, AssociateAC):
            raise PeerError(f"expected A-ASSOCIATE-AC, got {event!r}")
        try:
            context_id = endpoint.association.find_context(VERIFICATION)
        except KeyError as err:
            await release()  # the association stands, it is just useless (PS3.8 7.2)
            raise PeerError(err.args[0]) from None

        request = C_ECHO()
        request.MessageID = 1
        request.AffectedSOPClassUID = VERIFICATION
        await send(endpoint.send_message(request, context_id))
        status: int | None = None
        while status is None:
            event = await _next_event(reader, endpoint, timeout)
            if isinstance(event, PDUReceived):
                raise PeerError(f"{event.name} instead of a C-ECHO-RSP")
            response = event.primitive
            if isinstance(response, C_ECHO) and response.MessageIDBeingRespondedTo == 1:
                # Status is mandatory (PS3.7 Table 9.3-13): the decoder reports it if absent
                status = 0xFFFF if response.Status is None else response.Status
        await release()
        return status
    except BaseException:
        if endpoint.state.value in ("requested", "established", "releasing"):
            writer.write(Abort().encode())  # PS3.8 7.4: abort rather than hang up silently
        raise
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--aet", default="ECHOSCU", help="calling AE title")
    parser.add_argument("--aec", default="ANY-SCP", help="called AE title")
    parser.add_argument("--max-pdu", type=int, default=16382)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per exchange")
    args = parser.parse_args(argv)
    try:
        status = asyncio.run(
            echo(
                args.host,
                args.port,
                calling_ae=args.aet,
                called_ae=args.aec,
                max_pdu_length=args.max_pdu,
                timeout=args.timeout,
            )
        )
    except asyncio.TimeoutError:  # TimeoutError from Python 3.11
        print(f"echoscu: no answer within {args.timeout} s", file=sys.stderr)
        return 2
    except (PeerError, OSError) as err:
        print(f"echoscu: {err}", file=sys.stderr)
        return 2
    info = status_info("C-ECHO", status)
    if status != 0x0000:
        print(f"echoscu: C-ECHO-RSP status {info}", file=sys.stderr)
        return 1
    print(f"echoscu: {args.host}:{args.port} answered, status {info}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
