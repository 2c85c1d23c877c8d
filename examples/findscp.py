"""A small asyncio C-FIND SCP built only on dimsewire, pydicom and the standard library.

It answers Patient Root and Study Root Query/Retrieve FIND and Modality Worklist FIND
from data sets held in memory (loaded from DICOM files on the command line), one
pending C-FIND-RSP per match, and honours C-CANCEL-RQ between matches (PS3.4 C.4.1.2,
C.4.1.3: status FE00 after a cancel). It also accepts the Verification SOP Class and
answers each C-ECHO-RQ with a C-ECHO-RSP, status Success (PS3.7 9.1.5, PS3.4 A.4).

Run::

    python examples/findscp.py --port 11112 path/to/*.dcm
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydicom import Dataset, dcmread
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dimsewire import (
    C_CANCEL,
    C_ECHO,
    C_FIND,
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    AssociationEndpoint,
    DecodeError,
    MessageReceived,
    PDUReceived,
)
from dimsewire.association import State, answer_contexts
from dimsewire.pdus import Abort, AssociateRQ, ReleaseRP, ReleaseRQ, associate_ac

PATIENT_ROOT = "1.2.840.10008.5.1.4.1.2.1.1"
STUDY_ROOT = "1.2.840.10008.5.1.4.1.2.2.1"
WORKLIST = "1.2.840.10008.5.1.4.31"
VERIFICATION = "1.2.840.10008.1.1"  # Verification SOP Class (PS3.4 A.4)
TRANSFER_SYNTAXES = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
SUPPORTED = dict.fromkeys((PATIENT_ROOT, STUDY_ROOT, WORKLIST, VERIFICATION), TRANSFER_SYNTAXES)

# The unique key of each Query/Retrieve level (PS3.4 C.6.1.1): one answer per value.
LEVEL_KEYS = {
    "PATIENT": "PatientID",
    "STUDY": "StudyInstanceUID",
    "SERIES": "SeriesInstanceUID",
    "IMAGE": "SOPInstanceUID",
}
NOT_KEYS = {"QueryRetrieveLevel", "SpecificCharacterSet"}


# --- matching (PS3.4 C.2.2.2, simplified) -----------------------------------------------


def _value_matches(key: object, value: object) -> bool:
    if key in (None, "") or (isinstance(key, (list, tuple)) and not key):
        return True  # universal matching
    if value is None:
        return False
    key_text, value_text = str(key), str(value)
    if "*" in key_text or "?" in key_text:  # wild card matching, case-sensitive
        pattern = "".join(
            ".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in key_text
        )
        return re.fullmatch(pattern, value_text, flags=re.DOTALL) is not None
    if "-" in key_text and len(key_text) <= 35 and key_text.replace("-", "").isdigit():
        low, _, high = key_text.partition("-")  # range matching of dates and times
        return (not low or value_text >= low) and (not high or value_text <= high)
    return key_text == value_text


def match(query: Dataset, candidate: Dataset) -> Dataset | None:
    """The response Identifier if `candidate` matches `query`, else None."""
    answer = Dataset()
    for elem in query:
        keyword = elem.keyword
        if keyword in NOT_KEYS:
            continue
        have = candidate.get(keyword)
        if elem.VR == "SQ":
            items = list(elem.value or [])
            if not items or not len(items[0]):
                setattr(answer, keyword, DicomSequence(list(have or [])))
                continue
            found = [m for item in have or [] if (m := match(items[0], item)) is not None]
            if not found:
                return None
            setattr(answer, keyword, DicomSequence(found))
            continue
        if not _value_matches(elem.value, have):
            return None
        setattr(answer, keyword, have if have is not None else "")
    return answer


def find_matches(sop_class: str, query: Dataset, datasets: Sequence[Dataset]) -> Iterator[Dataset]:
    """The response Identifiers for `query`; ValueError if it is not a valid query."""
    level = query.get("QueryRetrieveLevel")
    if sop_class != WORKLIST and level not in LEVEL_KEYS:
        raise ValueError(f"QueryRetrieveLevel {level!r} is not one of {sorted(LEVEL_KEYS)}")
    seen: set[str] = set()
    unique = LEVEL_KEYS.get(str(level), "")
    for ds in datasets:
        answer = match(query, ds)
        if answer is None:
            continue
        if sop_class != WORKLIST:
            if (key := str(ds.get(unique, ""))) in seen:
                continue
            seen.add(key)
            answer.QueryRetrieveLevel = level
        yield answer


# --- the SCP -----------------------------------------------------------------------------


@dataclass
class FindSCP:
    """Serve C-FIND; each connection is one association.

    Attributes
    ----------
    datasets : sequence of Dataset
        What the Query/Retrieve models answer from (composite instances).
    worklist : sequence of Dataset
        What the Modality Worklist model answers from (worklist items).
    max_pdu_length : int
        The Maximum Length announced (0: no limit).
    pending_delay : float
        Seconds to wait before each pending response (to let a C-CANCEL arrive).
    log : list of str
        One line per request: SOP class, then matches sent and final status for a
        C-FIND, or the Message ID and status for a C-ECHO.
    pdus_sent : int
        P-DATA-TF PDUs sent so far, on all associations.
    """

    datasets: Sequence[Dataset]
    worklist: Sequence[Dataset] = ()
    max_pdu_length: int = 16382
    pending_delay: float = 0.0
    log: list[str] = field(default_factory=list)
    pdus_sent: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Run one association to its end."""
        endpoint = AssociationEndpoint("acceptor", max_pdu_length=self.max_pdu_length)
        events: asyncio.Queue[MessageReceived | PDUReceived | None] = asyncio.Queue()
        pump = asyncio.create_task(self._pump(reader, endpoint, events, writer))
        try:
            await self._serve(endpoint, events, writer)
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        endpoint: AssociationEndpoint,
        events: asyncio.Queue[MessageReceived | PDUReceived | None],
        writer: asyncio.StreamWriter,
    ) -> None:
        """Bytes from the peer to events, until the connection ends (then None)."""
        try:
            while data := await reader.read(65536):
                endpoint.receive_data(data)
                for event in endpoint.events():
                    # without stream_data_sets only messages and PDUs come out
                    assert isinstance(event, (MessageReceived, PDUReceived))
                    events.put_nowait(event)
                if answer := endpoint.data_to_send():  # e.g. its own A-ASSOCIATE-RJ
                    writer.write(answer)
        except DecodeError as err:
            print(f"findscp: {err}", file=sys.stderr)
            writer.write(Abort(source=2, reason=0).encode())  # PS3.8 9.3.8: provider abort
        except (ConnectionError, OSError):
            pass
        events.put_nowait(None)

    async def _serve(
        self,
        endpoint: AssociationEndpoint,
        events: asyncio.Queue[MessageReceived | PDUReceived | None],
        writer: asyncio.StreamWriter,
    ) -> None:
        cancelled: set[int] = set()
        while (event := await events.get()) is not None:
            if isinstance(event, PDUReceived):
                pdu = event.pdu
                if isinstance(pdu, AssociateRQ):
                    if endpoint.state is State.REJECTED:  # the endpoint has answered
                        return
                    ac = associate_ac(
                        pdu,
                        answer_contexts(pdu, SUPPORTED),
                        max_length=self.max_pdu_length,
                        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
                        implementation_version_name=IMPLEMENTATION_VERSION_NAME,
                    )
                    writer.write(endpoint.send_pdu(ac))
                elif isinstance(pdu, ReleaseRQ):
                    writer.write(endpoint.send_pdu(ReleaseRP()))
                    await writer.drain()
                    return
                else:  # A-ABORT
                    return
            elif isinstance(event.primitive, C_CANCEL):
                cancelled.add(event.primitive.MessageIDBeingRespondedTo or 0)
            elif isinstance(event.primitive, C_FIND):
                await self._find(endpoint, event, events, writer, cancelled)
            elif isinstance(event.primitive, C_ECHO):
                writer.writelines(self._echo(endpoint, event))
            await writer.drain()

    def _echo(self, endpoint: AssociationEndpoint, event: MessageReceived) -> list[bytes]:
        """The C-ECHO-RSP to a C-ECHO-RQ: status Success (PS3.4 A.4, PS3.7 9.3.5)."""
        request = event.primitive
        assert isinstance(request, C_ECHO)
        rsp = C_ECHO()
        rsp.MessageIDBeingRespondedTo = request.MessageID or 0
        rsp.AffectedSOPClassUID = request.AffectedSOPClassUID  # U(=): echoed
        rsp.Status = 0x0000
        pdus = endpoint.send_message(rsp, event.context_id)
        self.pdus_sent += len(pdus)
        self.log.append(f"{request.AffectedSOPClassUID} echo={request.MessageID} status=0x0000")
        return pdus

    async def _find(
        self,
        endpoint: AssociationEndpoint,
        event: MessageReceived,
        events: asyncio.Queue[MessageReceived | PDUReceived | None],
        writer: asyncio.StreamWriter,
        cancelled: set[int],
    ) -> None:
        request = event.primitive
        assert isinstance(request, C_FIND)
        association = endpoint.association
        context_id = event.context_id
        sop_class = str(request.AffectedSOPClassUID)
        message_id = request.MessageID or 0

        def response(status: int, identifier: Dataset | None = None) -> list[bytes]:
            rsp = C_FIND()
            rsp.MessageIDBeingRespondedTo = message_id
            rsp.AffectedSOPClassUID = sop_class
            rsp.Status = status
            if identifier is not None:
                rsp.Identifier = association.encode_identifier(identifier, context_id)
            pdus = endpoint.send_message(rsp, context_id, pack=True)
            self.pdus_sent += len(pdus)
            return pdus

        sent, status = 0, 0x0000
        try:
            query = association.decode_identifier(request) or Dataset()
            source = self.worklist if sop_class == WORKLIST else self.datasets
            answers = list(find_matches(sop_class, query, source))
        except (ValueError, KeyError):
            answers, status = [], 0xA900  # Identifier does not match SOP Class
        for answer in answers:
            if self.pending_delay:
                await asyncio.sleep(self.pending_delay)
            else:
                await asyncio.sleep(0)  # let a C-CANCEL-RQ in
            self._take_cancels(events, cancelled)
            if message_id in cancelled:
                status = 0xFE00  # Matching terminated due to Cancel request
                break
            writer.writelines(response(0xFF00, answer))
            await writer.drain()
            sent += 1
        cancelled.discard(message_id)
        writer.writelines(response(status))
        self.log.append(f"{sop_class} matches={sent} status=0x{status:04X}")

    @staticmethod
    def _take_cancels(
        events: asyncio.Queue[MessageReceived | PDUReceived | None], cancelled: set[int]
    ) -> None:
        """Move C-CANCEL-RQs from the queue into `cancelled`; keep every other event."""
        kept = []
        while not events.empty():
            event = events.get_nowait()
            if isinstance(event, MessageReceived) and isinstance(event.primitive, C_CANCEL):
                cancelled.add(event.primitive.MessageIDBeingRespondedTo or 0)
            else:
                kept.append(event)
        for event in kept:
            events.put_nowait(event)


async def serve(scp: FindSCP, host: str, port: int) -> asyncio.Server:
    """Start listening; the caller owns the returned server."""
    return await asyncio.start_server(scp.handle, host, port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="DICOM files to answer from")
    parser.add_argument("--worklist", nargs="*", type=Path, default=[], help="worklist files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11112)
    parser.add_argument("--max-pdu", type=int, default=16382)
    args = parser.parse_args(argv)
    scp = FindSCP(
        [dcmread(path) for path in args.files],
        [dcmread(path) for path in args.worklist],
        max_pdu_length=args.max_pdu,
    )

    async def run() -> None:
        server = await serve(scp, args.host, args.port)
        print(f"findscp: listening on {args.host}:{args.port}")
        async with server:
            await server.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
