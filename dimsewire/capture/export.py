"""``dimsewire decode --export DIR``: every C-STORE data set of a capture as a file.

Each C-STORE-RQ's data set (C-GET and C-MOVE sub-operations included) is written as it
arrives, fragment by fragment, through :class:`~dimsewire.part10.Part10Writer`:
bit-preserving (a deflated data set stays deflated), File Meta Information from the
command's AffectedSOPClassUID and AffectedSOPInstanceUID, the negotiated transfer syntax,
dimsewire's implementation class UID and version name, and the sending AE's title as
SourceApplicationEntityTitle. Memory stays bounded by one PDU, whatever the object's size.

File names (PS3.10 asks nothing of them; these never overwrite a file):

* ``<SOPInstanceUID>.dcm``; a second store of the same instance, in this capture or in a
  file already there, ``<SOPInstanceUID>.2.dcm``, then ``.3.dcm``, ...;
* ``<SOPInstanceUID>.transfer-syntax-unknown.dataset``: the data set alone, no File Meta,
  when the capture misses the association's negotiation (or the context was not
  accepted), so that no transfer syntax can be claimed;
* ``assoc<N>-message<M>.no-valid-uids.dataset``: the data set alone, when the command's
  SOP Class or Instance UID is missing or is not a UID (no File Meta can name it);
* a data set whose bytes were lost (a gap in the capture, a broken PDU, a capture that
  ends inside it) is not written at all: its partial file is removed and a problem
  record says so.

Until complete, a file has the name ``... .partial``: an interrupted run leaves nothing
that looks whole.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from ..part10 import PARTIAL_SUFFIX, Part10Writer

__all__ = ["ExportWriter", "Exporter"]

_UID = re.compile(r"[0-9.]{1,64}\Z")


class _RawWriter:
    """The data set bytes alone, under a partial name until complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial_path = path.with_name(path.name + PARTIAL_SUFFIX)
        self._file = open(self.partial_path, "xb")  # noqa: SIM115  # closed by finish/abort
        self.data_set_length = 0

    def write(self, fragment: bytes | bytearray | memoryview) -> None:
        self.data_set_length += self._file.write(fragment)

    def finish(self) -> Path:
        self._file.close()
        os.link(self.partial_path, self.path)  # fails rather than replace a file
        os.unlink(self.partial_path)
        return self.path

    def abort(self) -> None:
        if not self._file.closed:
            self._file.close()
            self.partial_path.unlink(missing_ok=True)


_Make = Callable[[Path], "Part10Writer | _RawWriter"]


class ExportWriter:
    """One object being exported: write fragments, then finish or abort."""

    def __init__(self, exporter: Exporter, writer: Part10Writer | _RawWriter, name: str) -> None:
        self._exporter = exporter
        self._writer = writer
        self._name = name
        self.path = writer.path

    @property
    def length(self) -> int:
        """Data set bytes written so far."""
        return self._writer.data_set_length

    def write(self, fragment: bytes | bytearray | memoryview) -> None:
        """Append one fragment, unchanged."""
        self._writer.write(fragment)

    def finish(self) -> tuple[Path, int]:
        """Give the complete file its name; return it and where its data set starts."""
        path = self._writer.finish()
        self._exporter.finished(self._name, path)
        return path, path.stat().st_size - self.length

    def abort(self) -> None:
        """Remove the partial file: the data set never completed."""
        self._writer.abort()
        self._exporter.aborted(self._name)


class Exporter:
    """Names and opens the exported files in `directory` (created if missing)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._open: set[str] = set()  # names of the files being written
        #: Files written so far.
        self.written = 0

    def _name(self, stem: str, suffix: str) -> str:
        """The first of ``stem.suffix``, ``stem.2.suffix``, ... neither on disk nor open."""
        number = 1
        while True:
            name = f"{stem}{suffix}" if number == 1 else f"{stem}.{number}{suffix}"
            path = self.directory / name
            if name not in self._open and not path.exists():
                partial = path.with_name(name + PARTIAL_SUFFIX)
                if not partial.exists():
                    self._open.add(name)
                    return name
            number += 1

    def release(self, name: str) -> None:
        """A file is finished or aborted."""
        self._open.discard(name)

    def finished(self, name: str, path: Path) -> None:
        """The file `name` is complete at `path`."""
        self.release(name)
        self.written += 1

    def aborted(self, name: str) -> None:
        """The file `name` was removed: its data set never completed."""
        self.release(name)

    def _create(self, stem: str, suffix: str, make: _Make) -> ExportWriter:
        """A writer on the first free name ``stem[.N]suffix``, made by `make`."""
        name = self._name(stem, suffix)
        try:
            return ExportWriter(self, make(self.directory / name), name)
        except BaseException:
            self.release(name)
            raise

    def open(
        self,
        *,
        assoc: int,
        message_id: object,
        sop_class_uid: object,
        sop_instance_uid: object,
        transfer_syntax: str | None,
        source_ae_title: str | None,
    ) -> ExportWriter:
        """A writer for the data set of one C-STORE-RQ (see the module's naming rules).

        Raises
        ------
        OSError
            The file cannot be created.
        """
        valid = all(
            isinstance(uid, str) and _UID.match(uid) for uid in (sop_class_uid, sop_instance_uid)
        )
        if not valid:
            return self._create(
                f"assoc{assoc}-message{message_id}", ".no-valid-uids.dataset", _RawWriter
            )
        assert isinstance(sop_class_uid, str)
        assert isinstance(sop_instance_uid, str)
        if transfer_syntax is None:
            return self._create(sop_instance_uid, ".transfer-syntax-unknown.dataset", _RawWriter)
        source = source_ae_title
        if source is not None and (len(source) > 16 or not source.isascii()):
            source = None  # not an AE title File Meta can hold

        def part10(path: Path) -> Part10Writer:
            return Part10Writer(
                path,
                sop_class_uid=sop_class_uid,
                sop_instance_uid=sop_instance_uid,
                transfer_syntax=transfer_syntax,
                source_ae_title=source,
            )

        try:
            return self._create(sop_instance_uid, ".dcm", part10)
        except ValueError:  # a transfer syntax UID File Meta cannot hold
            return self._create(sop_instance_uid, ".transfer-syntax-unknown.dataset", _RawWriter)

    # -- files written elsewhere first (``--jobs N``) ----------------------------------------

    def reserve(self, stem: str, suffix: str) -> str:
        """Take the name the next file of `stem` and `suffix` gets, as :meth:`open` would."""
        return self._name(stem, suffix)

    def place(self, name: str, staged: Path) -> Path:
        """Move a complete file written elsewhere (on this file system) to its reserved
        `name`; like a file finished here, it never replaces one."""
        path = self.directory / name
        try:
            os.link(staged, path)  # fails rather than replace a file that appeared meanwhile
        finally:
            staged.unlink(missing_ok=True)
            self.release(name)
        self.written += 1
        return path


#: What a :class:`StagingExporter` did, in order: ``("open", token, stem, suffix)``,
#: ``("finish", token, path)``, ``("abort", token)``.
ExportEvent = tuple[str, ...]


class StagingExporter(Exporter):
    """Writes files as :class:`Exporter` does, but under provisional names in a staging
    directory, and keeps a log of what it did, so that another process can give them
    the names they would have had there (:meth:`Exporter.reserve`, :meth:`Exporter.place`).
    """

    def __init__(self, directory: str | os.PathLike[str], prefix: str) -> None:
        super().__init__(directory)
        self.prefix = prefix
        self.events: list[ExportEvent] = []
        self._count = 0

    def _create(self, stem: str, suffix: str, make: _Make) -> ExportWriter:
        self._count += 1
        token = f"{self.prefix}{self._count}"
        writer = ExportWriter(self, make(self.directory / f"{token}{suffix}"), token)
        self.events.append(("open", token, stem, suffix))
        return writer

    def finished(self, name: str, path: Path) -> None:
        self.events.append(("finish", name, str(path)))

    def aborted(self, name: str) -> None:
        self.events.append(("abort", name))

    def take_events(self) -> list[ExportEvent]:
        """The log since the last call."""
        events, self.events = self.events, []
        return events
