"""A small asyncio C-FIND SCU built only on dimsewire and the standard library.

It shows how to embed dimsewire in an Upper Layer of your own: the socket is asyncio's,
every byte that goes out comes from :class:`dimsewire.AssociationEndpoint`, and every
byte that comes in goes to it. Sequence (PS3.8 7.1-7.3, PS3.4 C.4.1):

A-ASSOCIATE-RQ -> A-ASSOCIATE-AC, C-FIND-RQ -> C-FIND-RSP (pending)... -> C-FIND-RSP
(final), optionally a C-CANCEL-RQ after N matches, then A-RELEASE-RQ -> A-RELEASE-RP.

Run::

    python examples/findscu.py 127.0.0.1 11112 -k QueryRetrieveLevel=PATIENT \\
        -k "PatientName=DOE^*" -k PatientID
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from pydicom import Dataset
from pydicom.datadict import tag_for_keyword
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dimsewire import (
    C_CANCEL,
    C_FIND,
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    AssociationEndpoint,
    MessageReceived,
    PDUReceived,
    StatusCategory,
    c_find_status,
)
from dimsewire.pdus import Abort, AssociateAC, AssociateRJ, ReleaseRP, ReleaseRQ, associate_rq

MODELS = {
    "patient": "1.2.840.10008.5.1.4.1.2.1.1",  # Patient Root Q/R Information Model - FIND
    "study": "1.2.840.10008.5.1.4.1.2.2.1",  # Study Root Q/R Information Model - FIND
    "worklist": "1.2.840.10008.5.1.4.31",  # Modality Worklist Information Model - FIND
}


class PeerError(Exception):
    """The peer rejected or aborted the association, or closed the connection."""


@dataclass
class FindResult:
    """What one C-FIND brought back."""

    matches: list[Dataset] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    cancelled: bool = False  # a C-CANCEL-RQ was sent
    peer_max_pdu_length: int | None = None
    pdus_sent: int = 0  # P-DATA-TF PDUs sent (C-FIND-RQ and C-CANCEL-RQ)

    @property
    def final_status(self) -> int | None:
        """The status of the last response."""
        return self.statuses[-1] if self.statuses else None


class Connection:
    """An AssociationEndpoint on an asyncio stream: PDUs and messages in and out."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        endpoint: AssociationEndpoint,
    ) -> None:
        self.reader, self.writer, self.endpoint = reader, writer, endpoint
        self.pdus_received = 0

    async def next_event(self, timeout: float) -> MessageReceived | PDUReceived:
        """The next event from the peer; PeerError if the connection closes."""
        while (event := self.endpoint.next_event()) is None:
            data = await asyncio.wait_for(self.reader.read(65536), timeout)
            if not data:
                self.endpoint.receive_eof()
                if (event := self.endpoint.next_event()) is not None:
                    break
                raise PeerError("the peer closed the connection")
            self.endpoint.receive_data(data)
        # without stream_data_sets the endpoint hands out only these two kinds
        assert isinstance(event, (MessageReceived, PDUReceived))
        return event

    async def release(self, timeout: float) -> None:
        """A-RELEASE-RQ, then wait for the A-RELEASE-RP (PS3.8 7.2)."""
        await self.send(self.endpoint.send_pdu(ReleaseRQ()))
        while not isinstance(event := await self.next_event(timeout), PDUReceived):
            pass  # PS3.8 7.2: messages may still arrive before the A-RELEASE-RP
        if not isinstance(event.pdu, ReleaseRP):
            raise PeerError(f"expected A-RELEASE-RP, got {event.name}")

    async def send(self, data: bytes | list[bytes]) -> None:
        """Write and drain."""
        self.writer.writelines([data] if isinstance(data, bytes) else data)
        await self.writer.drain()


async def find(
    host: str,
    port: int,
    query: Dataset,
    *,
    model: str = "patient",
    calling_ae: str = "DIMSEWIRE",
    called_ae: str = "ANY-SCP",
    max_pdu_length: int = 16382,
    cancel_after: int | None = None,
    timeout: float = 30.0,
    on_match: Callable[[Dataset], None] | None = None,
) -> FindResult:
    """One C-FIND on a new association; returns the matches and the statuses.

    Parameters
    ----------
    model : str
        ``"patient"``, ``"study"`` or ``"worklist"`` (or a SOP Class UID).
    max_pdu_length : int
        The Maximum Length this SCU announces (0: no limit).
    cancel_after : int, optional
        Send C-CANCEL-RQ once this many matches have arrived.
    """
    sop_class = MODELS.get(model, model)
    endpoint = AssociationEndpoint("requestor", max_pdu_length=max_pdu_length)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    conn = Connection(reader, writer, endpoint)
    result = FindResult()
    try:
        rq = associate_rq(
            called_ae,
            calling_ae,
            [(1, sop_class, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])],
            max_length=max_pdu_length,
            implementation_class_uid=IMPLEMENTATION_CLASS_UID,
            implementation_version_name=IMPLEMENTATION_VERSION_NAME,
        )
        await conn.send(endpoint.send_pdu(rq))
        event = await conn.next_event(timeout)
        if not isinstance(event, PDUReceived) or not isinstance(event.pdu, AssociateAC):
            pdu = getattr(event, "pdu", None)
            if isinstance(pdu, AssociateRJ):
                raise PeerError(
                    f"association rejected: {pdu.result_name}, {pdu.source_name}, {pdu.reason_name}"
                )
            if isinstance(pdu, Abort):
                raise PeerError(f"association aborted: {pdu.source_name}")
            raise PeerError(f"expected A-ASSOCIATE-AC, got {event!r}")
        association = endpoint.association
        result.peer_max_pdu_length = association.acceptor_max_pdu_length
        try:
            context_id = association.find_context(sop_class)
        except KeyError:
            # the association stands, it is just useless: end it in order (PS3.8 7.2)
            await conn.release(timeout)
            raise

        request = C_FIND()
        request.MessageID = 1
        request.AffectedSOPClassUID = sop_class
        request.Identifier = association.encode_identifier(query, context_id)
        pdus = endpoint.send_message(request, context_id, pack=True)
        result.pdus_sent += len(pdus)
        await conn.send(pdus)

        while True:
            event = await conn.next_event(timeout)
            if isinstance(event, PDUReceived):
                raise PeerError(f"{event.name} during the C-FIND")
            response = event.primitive
            if not isinstance(response, C_FIND) or response.MessageIDBeingRespondedTo != 1:
                continue  # not an answer to our request
            assert response.Status is not None
            result.statuses.append(response.Status)
            if c_find_status(response.Status).category is not StatusCategory.PENDING:
                break
            match = association.decode_identifier(response)
            if match is not None:
                result.matches.append(match)
                if on_match is not None:
                    on_match(match)
            if (
                cancel_after is not None
                and not result.cancelled
                and len(result.matches) >= cancel_after
            ):
                cancel = C_CANCEL()
                cancel.MessageIDBeingRespondedTo = 1
                pdus = endpoint.send_message(cancel, context_id)
                result.pdus_sent += len(pdus)
                await conn.send(pdus)
                result.cancelled = True

        await conn.release(timeout)
    except BaseException:
        if endpoint.state.value in ("requested", "established", "releasing"):
            writer.write(Abort().encode())  # PS3.8 7.4: abort rather than hang up silently
        raise
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
    return result


def parse_key(text: str, query: Dataset) -> None:
    """``Keyword=value`` (or ``Keyword`` for a universal match) into `query`."""
    keyword, _, value = text.partition("=")
    if tag_for_keyword(keyword) is None:
        raise SystemExit(f"findscu: unknown keyword {keyword!r}")
    setattr(query, keyword, value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("-k", "--key", action="append", default=[], help="Keyword[=value]")
    parser.add_argument("-m", "--model", default="patient", help="patient, study, worklist")
    parser.add_argument("--aet", default="DIMSEWIRE", help="calling AE title")
    parser.add_argument("--aec", default="ANY-SCP", help="called AE title")
    parser.add_argument("--max-pdu", type=int, default=16382)
    parser.add_argument("--cancel-after", type=int)
    args = parser.parse_args(argv)
    query = Dataset()
    for key in args.key:
        parse_key(key, query)

    def show(match: Dataset) -> None:
        print(match)
        print()

    try:
        result = asyncio.run(
            find(
                args.host,
                args.port,
                query,
                model=args.model,
                calling_ae=args.aet,
                called_ae=args.aec,
                max_pdu_length=args.max_pdu,
                cancel_after=args.cancel_after,
                on_match=show,
            )
        )
    except (PeerError, OSError, TimeoutError) as err:
        print(f"findscu: {err}", file=sys.stderr)
        return 1
    status = result.final_status
    meaning = c_find_status(status).meaning if status is not None else "no response"
    print(f"{len(result.matches)} matches; final status 0x{status or 0:04X} ({meaning})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
