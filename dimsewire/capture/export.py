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
        self._exporter.release(self._name)
        self._exporter.written += 1
        return path, path.stat().st_size - self.length

    def abort(self) -> None:
        """Remove the partial file: the data set never completed."""
        self._writer.abort()
        self._exporter.release(self._name)


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
            name = self._name(f"assoc{assoc}-message{message_id}", ".no-valid-uids.dataset")
            return ExportWriter(self, _RawWriter(self.directory / name), name)
        assert isinstance(sop_class_uid, str)
        assert isinstance(sop_instance_uid, str)
        if transfer_syntax is None:
            name = self._name(sop_instance_uid, ".transfer-syntax-unknown.dataset")
            return ExportWriter(self, _RawWriter(self.directory / name), name)
        name = self._name(sop_instance_uid, ".dcm")
        source = source_ae_title
        if source is not None and (len(source) > 16 or not source.isascii()):
            source = None  # not an AE title File Meta can hold
        try:
            writer = Part10Writer(
                self.directory / name,
                sop_class_uid=sop_class_uid,
                sop_instance_uid=sop_instance_uid,
                transfer_syntax=transfer_syntax,
                source_ae_title=source,
            )
        except ValueError:  # a transfer syntax UID File Meta cannot hold
            self.release(name)
            name = self._name(sop_instance_uid, ".transfer-syntax-unknown.dataset")
            return ExportWriter(self, _RawWriter(self.directory / name), name)
        except BaseException:
            self.release(name)
            raise
        return ExportWriter(self, writer, name)
