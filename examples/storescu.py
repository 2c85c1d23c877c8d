"""A small asyncio C-STORE SCU built only on dimsewire and the standard library.

It sends DICOM Part 10 files as they are, bit for bit: each file's data set is streamed
from the file in its own transfer syntax while the PDUs go out (never read whole, so a
file of any size travels in bounded memory). Sequence (PS3.8 7.1-7.2, PS3.7 9.1.1,
PS3.4 B.2):

A-ASSOCIATE-RQ proposing one presentation context per distinct (SOP Class, transfer
syntax) pair of the files (PS3.8 9.3.2.2: a context holds one abstract syntax; one
transfer syntax each, so that the acceptor cannot pick another) -> A-ASSOCIATE-AC;
then per file C-STORE-RQ -> C-STORE-RSP; then A-RELEASE-RQ -> A-RELEASE-RP. More than
128 pairs (PS3.8 9.3.2.2: odd context IDs 1-255) take several associations in turn.

dimsewire does not re-encode a data set (PS3.5 10: it travels in the negotiated
transfer syntax), so a file whose context the peer rejected is not sent; it fails.

Exit status: 0 if every file was stored with status Success (0000); 1 otherwise, each
file that was not named on stderr with why (another status, with the peer's
ErrorComment; no accepted presentation context; not a Part 10 file; the association
rejected, aborted or timed out); 2 for a usage error.

Run::

    python examples/storescu.py 127.0.0.1 11112 CT1.dcm CT2.dcm --aec STORESCP
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from dimsewire import (
    C_STORE,
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    AssociationEndpoint,
    DecodeError,
    FileMetaError,
    MessageReceived,
    PDUReceived,
    status_info,
)
from dimsewire.part10 import open_data_set
from dimsewire.pdus import Abort, AssociateAC, AssociateRJ, ReleaseRP, ReleaseRQ, associate_rq

#: PS3.8 9.3.2.2: presentation context IDs are odd numbers 1-255, so 128 per association.
MAX_CONTEXTS = 128


class PeerError(Exception):
    """The association failed: refused, rejected, aborted, closed or timed out."""


@dataclass(frozen=True)
class StoreFile:
    """A file to send, with what its File Meta Information says (PS3.10 7.1)."""

    path: Path
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax: str


@dataclass
class StoreResult:
    """What became of one file.

    Attributes
    ----------
    path : Path
    status : int or None
        The C-STORE-RSP's Status (PS3.4 B.2.3), None when no response came.
    error_comment : str or None
        The response's ErrorComment, if the peer sent one.
    problem : str or None
        Why the file was not sent or not answered (None when a response came).
    """

    path: Path
    status: int | None = None
    error_comment: str | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Stored with status Success (0000)."""
        return self.status == 0x0000

    def describe(self) -> str:
        """One line: the status in the standard's words, or the problem."""
        if self.status is None:
            return f"{self.path}: not stored: {self.problem}"
        text = f"{self.path}: status {status_info('C-STORE', self.status)}"
        if self.error_comment:
            text += f" ({self.error_comment})"
        return text


def read_file(path: Path) -> StoreFile | StoreResult:
    """What the file's File Meta says, or a result saying why it cannot be sent."""
    try:
        with open_data_set(path) as data_set:
            meta = data_set.meta
    except (FileMetaError, OSError) as err:
        return StoreResult(path, problem=f"cannot read its File Meta: {err}")
    return StoreFile(path, meta.sop_class_uid, meta.sop_instance_uid, meta.transfer_syntax)


def batches(files: Sequence[StoreFile]) -> Iterator[list[StoreFile]]:
    """The files in order, cut where a batch would need more than MAX_CONTEXTS contexts."""
    batch: list[StoreFile] = []
    pairs: set[tuple[str, str]] = set()
    for item in files:
        pair = (item.sop_class_uid, item.transfer_syntax)
        if pair not in pairs and len(pairs) == MAX_CONTEXTS:
            yield batch
            batch, pairs = [], set()
        pairs.add(pair)
        batch.append(item)
    if batch:
        yield batch


def contexts_for(files: Sequence[StoreFile]) -> list[tuple[int, str, list[str]]]:
    """One presentation context per distinct (SOP Class, transfer syntax) pair, IDs 1, 3, ..."""
    pairs = list(dict.fromkeys((f.sop_class_uid, f.transfer_syntax) for f in files))
    return [(2 * i + 1, sop_class, [ts]) for i, (sop_class, ts) in enumerate(pairs)]


class Connection:
    """An AssociationEndpoint on an asyncio stream.

    The write buffer's high-water mark is 0, so ``drain()`` returns only once the
    transport has handed every byte to the kernel. That matters: the data set fragments
    of :meth:`AssociationEndpoint.stream_message` are views of two read blocks that are
    reused, valid only until the next PDU is taken, and a transport may keep a view
    instead of a copy (asyncio does from Python 3.12). It also bounds memory: at most
    one PDU waits in user space.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        endpoint: AssociationEndpoint,
        timeout: float,
    ) -> None:
        self.reader, self.writer, self.endpoint = reader, writer, endpoint
        self.timeout = timeout
        writer.transport.set_write_buffer_limits(high=0)

    async def send(self, buffers: Sequence[bytes | memoryview]) -> None:
        """Write one PDU (or a few), and wait until the kernel has taken them."""
        self.writer.writelines(buffers)
        if self.writer.transport.get_write_buffer_size():
            await asyncio.wait_for(self.writer.drain(), self.timeout)
        else:
            await self.writer.drain()  # raises if the connection is lost

    async def next_event(self) -> MessageReceived | PDUReceived:
        """The next message or PDU from the peer; PeerError if the connection closes."""
        eof = False
        while True:
            event = self.endpoint.next_event()
            if isinstance(event, (MessageReceived, PDUReceived)):
                return event
            if event is not None:
                continue  # no stream_data_sets here: nothing else comes out
            if eof:
                raise PeerError("the peer closed the connection")
            data = await asyncio.wait_for(self.reader.read(65536), self.timeout)
            if data:
                self.endpoint.receive_data(data)
            else:
                self.endpoint.receive_eof()
                eof = True

    async def why_lost(self) -> str:
        """After a failed write: an A-ABORT the peer sent before closing, if any."""
        with contextlib.suppress(Exception):
            while True:
                event = await asyncio.wait_for(self.next_event(), 1.0)
                if isinstance(event, PDUReceived) and isinstance(event.pdu, Abort):
                    return f"association aborted: {event.pdu.source_name}"
        return "the peer closed the connection"

    async def associate(
        self, contexts: list[tuple[int, str, list[str]]], *, called_ae: str, calling_ae: str
    ) -> None:
        """A-ASSOCIATE-RQ -> A-ASSOCIATE-AC (PS3.8 7.1); PeerError on anything else."""
        request = associate_rq(
            called_ae,
            calling_ae,
            contexts,
            max_length=self.endpoint.max_pdu_length,
            implementation_class_uid=IMPLEMENTATION_CLASS_UID,
            implementation_version_name=IMPLEMENTATION_VERSION_NAME,
        )
        await self.send([self.endpoint.send_pdu(request)])
        event = await self.next_event()
        pdu = event.pdu if isinstance(event, PDUReceived) else None
        if isinstance(pdu, AssociateRJ):
            raise PeerError(
                f"association rejected: {pdu.result_name}, {pdu.source_name}, {pdu.reason_name}"
            )
        if isinstance(pdu, Abort):
            raise PeerError(f"association aborted: {pdu.source_name}")
        if not isinstance(pdu, AssociateAC):
            raise PeerError(f"expected A-ASSOCIATE-AC, got {event!r}")

    async def release(self) -> None:
        """A-RELEASE-RQ, then wait for the A-RELEASE-RP (PS3.8 7.2)."""
        await self.send([self.endpoint.send_pdu(ReleaseRQ())])
        while not isinstance(event := await self.next_event(), PDUReceived):
            pass  # PS3.8 7.2: a message may still arrive before the A-RELEASE-RP
        if not isinstance(event.pdu, ReleaseRP):
            raise PeerError(f"expected A-RELEASE-RP, got {event.name}")

    def _refused(self, item: StoreFile) -> str:
        """Why no context carries `item`: the acceptor's result for the one proposed."""
        text = (
            f"no accepted presentation context for {item.sop_class_uid} in transfer "
            f"syntax {item.transfer_syntax}"
        )
        association = self.endpoint.association
        assert association.request is not None
        for ctx in association.request.presentation_contexts:
            pair = (ctx.abstract_syntax, tuple(ctx.transfer_syntaxes))
            if pair == (item.sop_class_uid, (item.transfer_syntax,)):
                rejected = association.rejected_contexts.get(ctx.context_id)
                why = "not answered" if rejected is None else rejected.result_name
                return f"{text}: context {ctx.context_id} {why}"
        return text

    async def store(self, item: StoreFile, message_id: int) -> StoreResult:
        """One C-STORE-RQ with the file's data set, and its C-STORE-RSP (PS3.7 9.1.1)."""
        association = self.endpoint.association
        try:
            context_id = association.find_context(item.sop_class_uid, item.transfer_syntax)
        except KeyError:
            return StoreResult(item.path, problem=self._refused(item))
        request = C_STORE()
        request.MessageID = message_id
        request.AffectedSOPClassUID = item.sop_class_uid
        request.AffectedSOPInstanceUID = item.sop_instance_uid
        request.DataSet = item.path  # opened as a Part 10 file, streamed as it is sent
        try:
            pdus = self.endpoint.stream_message(request, context_id)
        except (ValueError, OSError) as err:
            # checked before the first PDU (an odd-length data set, a file that changed
            # since it was read): nothing was sent, the association goes on
            return StoreResult(item.path, problem=f"not sent: {err}")
        try:
            with pdus:  # closes the file, also when the association goes down mid-way
                for buffers in pdus:  # a fault in here leaves the message unfinished
                    await self.send(buffers)
        except ConnectionError as err:
            raise PeerError(await self.why_lost()) from err
        while True:
            event = await self.next_event()
            if isinstance(event, PDUReceived):
                pdu = event.pdu
                if isinstance(pdu, Abort):
                    raise PeerError(f"association aborted: {pdu.source_name}")
                raise PeerError(f"{event.name} instead of a C-STORE-RSP")
            response = event.primitive
            if isinstance(response, C_STORE) and response.MessageIDBeingRespondedTo == message_id:
                # Status is mandatory (PS3.7 Table 9.3-2): the decoder reports it if absent
                status = 0xC000 if response.Status is None else response.Status
                return StoreResult(item.path, status, response.ErrorComment)


async def store_files(
    host: str,
    port: int,
    paths: Sequence[str | Path],
    *,
    calling_ae: str = "STORESCU",
    called_ae: str = "ANY-SCP",
    max_pdu_length: int = 16382,
    timeout: float = 30.0,
    on_result: Callable[[StoreResult], None] | None = None,
) -> list[StoreResult]:
    """Send each file with C-STORE; one result per path (unreadable files first).

    Parameters
    ----------
    max_pdu_length : int
        The Maximum Length this SCU announces (0: no limit); what it sends is bounded
        by the peer's.
    timeout : float
        Seconds to wait for a connection, a PDU from the peer, or the kernel to take
        one PDU.
    on_result : callable, optional
        Called with each result as it is known.
    """
    results: list[StoreResult] = []
    files: list[StoreFile] = []
    for path in paths:
        read = read_file(Path(path))
        if isinstance(read, StoreFile):
            files.append(read)
            continue
        results.append(read)
        if on_result is not None:
            on_result(read)
    failure: str | None = None  # once an association fails, the rest is not tried
    for batch in batches(files):
        done: list[StoreResult] = []
        if failure is None:
            try:
                await _store_batch(
                    host, port, batch, done, on_result, calling_ae, called_ae,
                    max_pdu_length, timeout,
                )  # fmt: skip
            except (PeerError, OSError, asyncio.TimeoutError, DecodeError, ValueError) as err:
                if isinstance(err, asyncio.TimeoutError):
                    failure = f"no answer within {timeout} s"
                else:
                    failure = str(err) or type(err).__name__
        for item in batch[len(done) :]:
            result = StoreResult(item.path, problem=failure)
            done.append(result)
            if on_result is not None:
                on_result(result)
        results += done
    return results


async def _store_batch(
    host: str,
    port: int,
    batch: list[StoreFile],
    done: list[StoreResult],
    on_result: Callable[[StoreResult], None] | None,
    calling_ae: str,
    called_ae: str,
    max_pdu_length: int,
    timeout: float,
) -> None:
    """One association for `batch`; appends a result per file to `done` as it comes."""
    endpoint = AssociationEndpoint("requestor", max_pdu_length=max_pdu_length)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    conn = Connection(reader, writer, endpoint, timeout)
    try:
        await conn.associate(contexts_for(batch), called_ae=called_ae, calling_ae=calling_ae)
        for number, item in enumerate(batch, 1):
            result = await conn.store(item, message_id=number)
            done.append(result)
            if on_result is not None:
                on_result(result)
        await conn.release()
    except BaseException:
        if endpoint.state.value in ("requested", "established", "releasing"):
            with contextlib.suppress(Exception):
                writer.write(Abort().encode())  # PS3.8 7.3: abort, do not just hang up
        raise
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("files", nargs="+", type=Path, help="DICOM Part 10 files")
    parser.add_argument("--aet", default="STORESCU", help="calling AE title")
    parser.add_argument("--aec", default="ANY-SCP", help="called AE title")
    parser.add_argument("--max-pdu", type=int, default=16382, help="0: no limit")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per exchange")
    args = parser.parse_args(argv)

    def report(result: StoreResult) -> None:
        print(f"storescu: {result.describe()}", file=sys.stdout if result.ok else sys.stderr)

    results = asyncio.run(
        store_files(
            args.host,
            args.port,
            args.files,
            calling_ae=args.aet,
            called_ae=args.aec,
            max_pdu_length=args.max_pdu,
            timeout=args.timeout,
            on_result=report,
        )
    )
    failed = [r for r in results if not r.ok]
    if failed:
        print(f"storescu: {len(failed)} of {len(results)} files not stored", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
