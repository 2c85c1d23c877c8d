"""A small asyncio C-STORE SCP built only on dimsewire, pydicom and the standard library.

Each received object is written as a Part 10 file, ``DIR/<SOPInstanceUID>.dcm``,
bit-preserving: the File Meta Information is built from the C-STORE-RQ (Affected SOP
Class and Instance UIDs) and the presentation context's transfer syntax, with the
calling AE title as Source AE Title (PS3.10 7.1), and the data set's fragments are
appended exactly as they arrived, as they arrive (``AssociationEndpoint(...,
stream_data_sets=...)``): an object of any size is received in memory bounded by the
PDU size. A file appears under its name only when its last fragment is in; an
association that ends in the middle of an object leaves nothing behind.

Negotiation (PS3.8 9.3.3.2): every Storage SOP Class pydicom knows (with
``--promiscuous`` any abstract syntax) is accepted in the first transfer syntax the
requestor offers for it, whatever it is: the data set is stored, never decoded. The
Verification SOP Class is accepted too and each C-ECHO-RQ answered Success (PS3.4 A.4,
PS3.7 9.1.5). Other abstract syntaxes are rejected (result 3). With
``--require-called-aet`` a request calling another AE title than ``--aet`` is rejected
(PS3.8 Table 9-21: rejected-permanent, service-user, called-AE-title-not-recognized).

C-STORE-RSP status (PS3.4 B.2.3, PS3.7 9.1.1): Success (0000) once the file is complete
on disk. Otherwise a Failure with an ErrorComment, and no file:

* A700 (Refused: Out of Resources) when the file cannot be written: an I/O error, or a
  file of that name exists already. Conformance note: this SCP never overwrites; a second
  store of an instance it holds is refused, and the first file is kept as it was.
* C000 (Error: Cannot understand) when the request cannot be stored as sent: its
  Affected SOP Instance UID is not a UID (it names the file), a File Meta element cannot
  be built from it, or it carries no data set.

Associations are served concurrently. SIGTERM or SIGINT stops the server: no new
associations; an association receiving an object may finish it (and gets its
response) for up to ``--grace`` seconds; then every open association is aborted
(A-ABORT, PS3.8 7.3) and the program exits with status 0.

Run::

    python examples/storescp.py --port 11112 --out received/
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pydicom.uid

from dimsewire import (
    C_ECHO,
    C_STORE,
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    AssociationEndpoint,
    DataSetFragmentReceived,
    DecodeError,
    Event,
    MessageReceived,
    MessageStarted,
    PDUReceived,
)
from dimsewire.association import State
from dimsewire.part10 import Part10Writer
from dimsewire.pdus import (
    Abort,
    AssociateRJ,
    AssociateRQ,
    PresentationContextAC,
    ReleaseRP,
    ReleaseRQ,
    associate_ac,
)

VERIFICATION = "1.2.840.10008.1.1"  # Verification SOP Class (PS3.4 A.4)
#: Every Storage SOP Class pydicom names (PS3.4 B.5), "For Presentation/Processing" too.
STORAGE_SOP_CLASSES = frozenset(
    str(uid)
    for name, uid in vars(pydicom.uid).items()
    if isinstance(uid, pydicom.uid.UID)
    and re.search(r"Storage(ForPresentation|ForProcessing)?\Z", name)
)
_UID = re.compile(r"[0-9.]{1,64}\Z")  # PS3.5 9.1: digits and dots; also a safe file name
READ_SIZE = 1024 * 1024  # at most this much is read from a connection at once

SUCCESS = 0x0000
OUT_OF_RESOURCES = 0xA700  # PS3.4 Table B.2-1: Refused: Out of Resources
CANNOT_UNDERSTAND = 0xC000  # PS3.4 Table B.2-1: Error: Cannot understand


def _comment(text: str) -> str:
    """An ErrorComment: LO, at most 64 characters (PS3.7 C.4, PS3.5 6.2)."""
    return text if len(text) <= 64 else text[:61] + "..."


@dataclass
class StoreSCP:
    """Serve C-STORE and C-ECHO; each connection is one association.

    Attributes
    ----------
    out : Path
        Where received objects are written.
    ae_title : str
        This SCP's AE title (checked only with `require_called_aet`).
    max_pdu_length : int
        The Maximum Length announced (0: no limit).
    require_called_aet : bool
        Reject a request whose Called AE Title is not `ae_title`.
    promiscuous : bool
        Accept any abstract syntax for storage, not only the Storage SOP Classes.
    timeout : float
        Seconds an association may stay silent before it is aborted.
    artim : float
        Seconds to wait, once an association has ended, for the peer to close the
        connection (the ARTIM timer of PS3.8 9.2) before closing it from here.
    echo : bool
        Print each log line as well (``storescp: ...``).
    log : list of str
        One line per event worth telling (also printed when `echo` is true).
    stored : list of Path
        The files written, in order.
    """

    out: Path
    ae_title: str = "STORESCP"
    max_pdu_length: int = 16382
    require_called_aet: bool = False
    promiscuous: bool = False
    timeout: float = 60.0
    artim: float = 5.0
    echo: bool = False
    log: list[str] = field(default_factory=list)
    stored: list[Path] = field(default_factory=list)
    _open: set[_Association] = field(default_factory=set)

    def say(self, line: str) -> None:
        """Log one line (and print it, with `echo`)."""
        self.log.append(line)
        if self.echo:
            print(f"storescp: {line}", flush=True)

    def supports(self, abstract_syntax: str) -> bool:
        """Whether a presentation context for `abstract_syntax` is accepted."""
        if abstract_syntax == VERIFICATION:
            return True
        return self.promiscuous or abstract_syntax in STORAGE_SOP_CLASSES

    async def shutdown(self, server: asyncio.Server, grace: float) -> None:
        """Stop: no new associations; finish objects in progress for up to `grace`
        seconds; abort every association still open."""
        server.close()
        for association in list(self._open):
            association.stopping = True
            if association.store is None:
                association.abort_now("stopping: association aborted")  # idle
        closed = [association.closed for association in self._open]
        if closed:
            _, pending = await asyncio.wait(closed, timeout=grace)
            for association in list(self._open):
                association.abort_now("stopping: object unfinished, association aborted")
            if pending:
                _, pending = await asyncio.wait(pending, timeout=5)
            for association in list(self._open):  # the last resort: should be none left
                association.transport.abort()
            await asyncio.wait(closed)
        await server.wait_closed()


@dataclass
class _Store:
    """One C-STORE-RQ being received: where its data set goes, or why it does not."""

    request: C_STORE
    context_id: int
    writer: Part10Writer | None = None
    status: int = SUCCESS
    comment: str | None = None

    def fail(self, status: int, comment: str) -> None:
        """Give up on this object: the partial file goes, the rest is dropped."""
        if self.writer is not None:
            self.writer.abort()
            self.writer = None
        if self.status == SUCCESS:
            self.status, self.comment = status, _comment(comment)


class _Association(asyncio.Protocol):
    """One connection: bytes in and out of an AssociationEndpoint, events to files.

    Driven by the transport's callbacks (no task, no stream buffer): each chunk the
    transport reads (a ``bytes`` object of up to READ_SIZE) goes to the endpoint as it
    is, which frames it in place; the data set fragments it hands out are views of it,
    written to the file with no copy in between.
    """

    def __init__(self, scp: StoreSCP) -> None:
        self.scp = scp
        self.endpoint = AssociationEndpoint(
            "acceptor",
            max_pdu_length=scp.max_pdu_length,
            stream_data_sets=lambda primitive: isinstance(primitive, C_STORE),
        )
        self.transport: asyncio.Transport
        self.closed: asyncio.Future[None]  # done once the connection is closed
        self.calling_ae = "?"
        self.store: _Store | None = None  # the object being received
        self.stopping = False  # the SCP is stopping: abort once the object is done
        self.ended = False  # released, aborted or rejected: only closing is left
        self.lingering = False  # ended: waiting for the peer to close (ARTIM)
        self.closed_by_us = False  # abort_now() closed the connection
        self.lost = False  # the connection is closed
        self._heard = 0.0  # loop time of the last bytes received
        self._timer: asyncio.TimerHandle | None = None

    # -- the transport's callbacks -------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        # asyncio's selector transport reads at most its max_size at once (256 KiB, an
        # attribute, undocumented): 1 MiB reads mean fewer wake-ups and fewer PDUs cut
        # across two reads (copied to be framed). Other transports keep their own size.
        if isinstance(getattr(transport, "max_size", None), int):
            transport.max_size = READ_SIZE  # type: ignore[attr-defined]
        loop = asyncio.get_running_loop()
        self.closed = loop.create_future()
        self.scp._open.add(self)
        self._heard = loop.time()
        self._timer = loop.call_at(self._heard + self.scp.timeout, self._check_silence)

    def data_received(self, data: bytes) -> None:
        if self.lingering or self.closed_by_us:
            return  # whatever still comes is ignored
        self._heard = asyncio.get_running_loop().time()
        self.endpoint.receive_data(data)
        self._take_events()
        if not self.ended and self.stopping and self.store is None:
            self.scp.say(f"{self.calling_ae}: stopping: aborting the association")
            self._end()

    def eof_received(self) -> bool:
        if not (self.lingering or self.closed_by_us):
            self.endpoint.receive_eof()
            self._take_events()
            if not self.ended:
                self._end()
        return False  # the transport closes (once what is written has gone)

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None and not self.closed_by_us and not self.lingering:
            self.scp.say(f"{self.calling_ae}: connection lost: {exc}")
        self.lost = True
        if not self.ended:
            self._end()
        if self._timer is not None:
            self._timer.cancel()
        self.scp._open.discard(self)
        if not self.closed.done():
            self.closed.set_result(None)

    def pause_writing(self) -> None:
        self.transport.pause_reading()  # the peer does not read: neither do we

    def resume_writing(self) -> None:
        self.transport.resume_reading()

    # -- the association's course --------------------------------------------------------

    def _take_events(self) -> None:
        """Handle every event the bytes received complete, up to the association's end."""
        endpoint = self.endpoint
        try:
            for event in endpoint.events():
                self._handle(event)
                if self.ended:
                    break
        except DecodeError as err:
            self.scp.say(f"{self.calling_ae}: {err}: aborting")
            self._abort(source=2)  # the provider objects to what came (PS3.8 9.3.8)
            self.ended = True
        if (rj := endpoint.data_to_send()) != b"":
            self.transport.write(rj)  # the endpoint's own A-ASSOCIATE-RJ
            self.ended = True
        if self.ended:
            self._end()

    def _end(self) -> None:
        """The association is over here: drop an unfinished object, A-ABORT if the
        association is still open, then linger until the peer closes."""
        self.ended = True
        if self.store is not None:
            self.store.fail(OUT_OF_RESOURCES, "association ended")
            self.scp.say(
                f"{self.calling_ae}: association ended inside "
                f"{self.store.request.AffectedSOPInstanceUID}: nothing kept"
            )
            self.store = None
        if self.lost:
            return
        self._abort(source=0)  # if still open: the service-user aborts (PS3.8 7.3)
        if not self.closed_by_us and not self.lingering:
            self._linger()

    def _linger(self) -> None:
        """After an A-ASSOCIATE-RJ, A-RELEASE-RP or A-ABORT the acceptor waits for the
        requestor to close the connection, for at most the ARTIM time-out (PS3.8 9.2,
        state Sta13): closing at once can lose the PDU on the way."""
        self.lingering = True
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.scp.artim, self._artim_expired)

    def _artim_expired(self) -> None:
        self._timer = None
        if self.transport.get_write_buffer_size():
            self.transport.abort()  # the peer reads nothing any more
        else:
            self.transport.close()

    def _check_silence(self) -> None:
        """The idle timer: abort an association silent for `timeout` seconds."""
        self._timer = None
        if self.ended:
            return
        loop = asyncio.get_running_loop()
        due = self._heard + self.scp.timeout
        if loop.time() < due:
            self._timer = loop.call_at(due, self._check_silence)
            return
        self.scp.say(f"{self.calling_ae}: silent for {self.scp.timeout} s: aborting")
        self._end()

    def abort_now(self, why: str) -> None:
        """From outside (the SCP is stopping): A-ABORT and close, dropping an
        unfinished object."""
        if self.closed_by_us:
            return
        if self.endpoint.state in (State.REQUESTED, State.ESTABLISHED, State.RELEASING):
            self.scp.say(f"{self.calling_ae}: {why}")
            self._abort(source=0)
        self.closed_by_us = True
        self._end()
        self.transport.close()

    def _abort(self, source: int) -> None:
        """Send an A-ABORT unless the association has ended already."""
        if self.endpoint.state in (State.REQUESTED, State.ESTABLISHED, State.RELEASING):
            with contextlib.suppress(Exception):
                self.transport.write(self.endpoint.send_pdu(Abort(source=source, reason=0)))

    # -- events ---------------------------------------------------------------------------

    def _handle(self, event: Event) -> None:
        if isinstance(event, DataSetFragmentReceived):
            self._fragment(event)
        elif isinstance(event, MessageStarted):
            self._started(event)
        elif isinstance(event, MessageReceived):
            self._message(event)
        else:
            self._pdu(event)

    def _pdu(self, event: PDUReceived) -> None:
        pdu = event.pdu
        if isinstance(pdu, AssociateRQ):
            self.calling_ae = pdu.calling_ae_title
            if self.endpoint.state is State.REJECTED:
                self.scp.say(f"{self.calling_ae}: rejected (protocol version)")
                return  # the endpoint's own A-ASSOCIATE-RJ goes out after this
            if self.scp.require_called_aet and pdu.called_ae_title != self.scp.ae_title:
                self.transport.write(self.endpoint.send_pdu(AssociateRJ(1, 1, 7)))
                self.scp.say(f"{self.calling_ae}: rejected: called {pdu.called_ae_title!r}")
                self.ended = True
                return
            # Each context on its own (one SOP class may come in several, one per
            # transfer syntax): accepted in the first transfer syntax it offers if its
            # abstract syntax is supported, else result 3 (PS3.8 Table 9-18).
            answers = tuple(
                PresentationContextAC(ctx.context_id, 0, ctx.transfer_syntaxes[0])
                if self.scp.supports(ctx.abstract_syntax)
                else PresentationContextAC(ctx.context_id, 3, ctx.transfer_syntaxes[0])
                for ctx in pdu.presentation_contexts
            )
            ac = associate_ac(
                pdu,
                answers,
                max_length=self.scp.max_pdu_length,
                implementation_class_uid=IMPLEMENTATION_CLASS_UID,
                implementation_version_name=IMPLEMENTATION_VERSION_NAME,
            )
            self.transport.write(self.endpoint.send_pdu(ac))
            accepted = sum(answer.result == 0 for answer in answers)
            self.scp.say(f"{self.calling_ae}: associated, {accepted}/{len(answers)} contexts")
        elif isinstance(pdu, ReleaseRQ):
            self.transport.write(self.endpoint.send_pdu(ReleaseRP()))
            self.scp.say(f"{self.calling_ae}: released")
            self.ended = True
        elif isinstance(pdu, Abort):
            self.scp.say(f"{self.calling_ae}: aborted by the peer ({pdu.source_name})")
            self.ended = True

    def _started(self, event: MessageStarted) -> None:
        request = event.primitive
        assert isinstance(request, C_STORE)  # the only kind selected for streaming
        store = self.store = _Store(request, event.context_id)
        uid = request.AffectedSOPInstanceUID or ""
        if not _UID.match(uid):
            store.fail(CANNOT_UNDERSTAND, "AffectedSOPInstanceUID is not a UID")
            return
        path = self.scp.out / f"{uid}.dcm"
        try:
            store.writer = Part10Writer(
                path,
                sop_class_uid=str(request.AffectedSOPClassUID),
                sop_instance_uid=uid,
                transfer_syntax=self.endpoint.association.context(event.context_id).transfer_syntax,
                source_ae_title=self.calling_ae,
            )
        except FileExistsError:
            store.fail(OUT_OF_RESOURCES, "instance stored here already; not overwritten")
        except ValueError as err:
            store.fail(CANNOT_UNDERSTAND, f"File Meta: {err}")
        except OSError as err:
            store.fail(OUT_OF_RESOURCES, f"cannot write: {err.strerror or err}")

    def _fragment(self, event: DataSetFragmentReceived) -> None:
        store = self.store
        assert store is not None  # the endpoint sends MessageStarted first
        if store.writer is None:
            return  # failed already: the rest of the data set is dropped
        try:
            store.writer.write(event.data)
            if event.last:
                self.scp.stored.append(store.writer.finish())
                store.writer = None
        except FileExistsError:  # appeared while this one was received
            store.fail(OUT_OF_RESOURCES, "instance stored here already; not overwritten")
        except OSError as err:
            store.fail(OUT_OF_RESOURCES, f"cannot write: {err.strerror or err}")

    def _message(self, event: MessageReceived) -> None:
        request = event.primitive
        if isinstance(request, C_STORE):
            store = self.store or _Store(request, event.context_id)
            self.store = None
            if not event.streamed:
                store.fail(CANNOT_UNDERSTAND, "the C-STORE-RQ carries no data set")
            if store.writer is not None:  # cannot happen: the last fragment finished it
                store.fail(CANNOT_UNDERSTAND, "the data set did not end")
            self._respond_store(store)
        elif isinstance(request, C_ECHO):
            response = C_ECHO()
            response.MessageIDBeingRespondedTo = request.MessageID or 0
            response.AffectedSOPClassUID = request.AffectedSOPClassUID
            response.Status = SUCCESS
            self.transport.writelines(self.endpoint.send_message(response, event.context_id))
            self.scp.say(f"{self.calling_ae}: C-ECHO {request.MessageID}: status 0x0000")
        else:
            # only Storage and Verification contexts are accepted: nothing else belongs
            self.scp.say(f"{self.calling_ae}: unexpected {type(request).__name__}: aborting")
            self.ended = True  # the finally clause sends the A-ABORT

    def _respond_store(self, store: _Store) -> None:
        """The C-STORE-RSP (PS3.7 9.3.1.2): Affected SOP Class/Instance UID echoed."""
        request = store.request
        response = C_STORE()
        response.MessageIDBeingRespondedTo = request.MessageID or 0
        response.AffectedSOPClassUID = request.AffectedSOPClassUID
        response.AffectedSOPInstanceUID = request.AffectedSOPInstanceUID
        response.Status = store.status
        if store.comment is not None:
            response.ErrorComment = store.comment
        self.transport.writelines(self.endpoint.send_message(response, store.context_id))
        what = f"{self.calling_ae}: C-STORE {request.AffectedSOPInstanceUID}"
        if store.status == SUCCESS:
            self.scp.say(f"{what}: stored {self.scp.stored[-1]}")
        else:
            self.scp.say(f"{what}: status 0x{store.status:04X} {store.comment}")


async def serve(scp: StoreSCP, host: str, port: int) -> asyncio.Server:
    """Start listening; the caller owns the returned server."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: _Association(scp), host, port)


async def run(scp: StoreSCP, host: str, port: int, grace: float, *, ready: bool = True) -> None:
    """Serve until SIGTERM or SIGINT, then shut down (see the module description)."""
    server = await serve(scp, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        if ready:
            bound = server.sockets[0].getsockname()
            print(f"storescp: listening on {bound[0]}:{bound[1]}", flush=True)
        await stop.wait()
        scp.say("stopping")
        await scp.shutdown(server, grace)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=11112, help="0: any free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--out", type=Path, required=True, help="directory for received files")
    parser.add_argument("--aet", default="STORESCP", help="this SCP's AE title")
    parser.add_argument("--require-called-aet", action="store_true")
    parser.add_argument("--promiscuous", action="store_true", help="accept any SOP class")
    parser.add_argument("--max-pdu", type=int, default=16382, help="0: no limit")
    parser.add_argument("--timeout", type=float, default=60.0, help="idle seconds")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds to finish on stop")
    parser.add_argument("-q", "--quiet", action="store_true", help="no line per event")
    args = parser.parse_args(argv)
    if not args.out.is_dir():
        parser.error(f"--out {args.out} is not a directory")
    scp = StoreSCP(
        args.out,
        ae_title=args.aet,
        max_pdu_length=args.max_pdu,
        require_called_aet=args.require_called_aet,
        promiscuous=args.promiscuous,
        timeout=args.timeout,
        echo=not args.quiet,
    )
    asyncio.run(run(scp, args.host, args.port, args.grace))
    return 0


if __name__ == "__main__":
    sys.exit(main())
