"""Part 10 files to and from the wire, streamed: the one module that opens them.

Sending: :func:`open_data_set` opens a Part 10 file (PS3.10 7.1), reads its File Meta
Information and hands back a binary file object positioned at the data set, which a
``C_STORE.DataSet`` streams from as its PDUs are taken. The bytes go out exactly as they
are in the file; the file's transfer syntax (``.transfer_syntax``) must be the
presentation context's, which :meth:`dimsewire.AssociationEndpoint.send_message` checks
before anything is sent.

Receiving: :class:`Part10Writer` writes a data set that arrives in fragments (see
``Reassembler(stream_data_sets=...)``) as a Part 10 file, bit-preserving: File Meta
Information from the C-STORE command and the negotiated transfer syntax, then the
fragments appended unchanged (deflated data stays deflated). The file is written under a
temporary name and takes its own name only when the last fragment is in: a stream that
ends early leaves no file that looks complete.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from .codec.implementation import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME
from .codec.part10 import FileMeta, encode_file_meta, read_file_meta

__all__ = ["PARTIAL_SUFFIX", "Part10DataSet", "Part10Writer", "open_data_set"]

#: Suffix of a file still being written (renamed away when complete).
PARTIAL_SUFFIX = ".partial"
#: Bytes a Part10Writer gathers before writing to its file. Small fragments are
#: gathered (16 KiB ones four to a write()); larger ones are written as they are, with
#: no copy. Not more: writes of 1 MiB cost 2-3 times as much system time (1 GiB
#: received, max PDU 131072: 0.9-1.7 s against 0.5 s at 64 KiB) on a virtual machine
#: that returns free memory to its host: the kernel fills them with large page cache
#: folios, taken from the blocks it has handed back.
WRITE_BUFFER = 64 * 1024


class Part10DataSet(io.RawIOBase):
    """The data set of an open Part 10 file: reads start after the File Meta.

    Attributes
    ----------
    meta : FileMeta
        The File Meta Information read from the file.
    path : pathlib.Path
        The file.
    """

    def __init__(self, path: Path, raw: BinaryIO, meta: FileMeta) -> None:
        super().__init__()
        self.path = path
        self.meta = meta
        self._raw = raw
        self._start = meta.data_set_offset

    @property
    def transfer_syntax(self) -> str:
        """(0002,0010) TransferSyntaxUID: the data set's transfer syntax."""
        return self.meta.transfer_syntax

    @property
    def sop_class_uid(self) -> str:
        """(0002,0002) MediaStorageSOPClassUID."""
        return self.meta.sop_class_uid

    @property
    def sop_instance_uid(self) -> str:
        """(0002,0003) MediaStorageSOPInstanceUID."""
        return self.meta.sop_instance_uid

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        return self._raw.readinto(buffer)  # type: ignore[attr-defined, no-any-return]

    def tell(self) -> int:
        return self._raw.tell() - self._start

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_SET:
            offset += self._start
        return self._raw.seek(offset, whence) - self._start

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()

    def __repr__(self) -> str:
        return f"<Part10DataSet {str(self.path)!r} {self.transfer_syntax}>"


def open_data_set(path: str | os.PathLike[str]) -> Part10DataSet:
    """Open a Part 10 file for sending its data set without reading it whole.

    Parameters
    ----------
    path : str or os.PathLike
        A DICOM file with preamble, ``DICM`` and File Meta Information (PS3.10 7.1).

    Returns
    -------
    Part10DataSet
        A binary file object at the data set, with ``.transfer_syntax``,
        ``.sop_class_uid`` and ``.sop_instance_uid``; close it (or use ``with``).

    Raises
    ------
    FileMetaError
        The file is not a Part 10 file, or its File Meta lacks what sending needs.
    OSError
        The file cannot be opened.
    """
    file_path = Path(path)
    raw = open(file_path, "rb")  # noqa: SIM115  # handed to the caller, closed by it
    try:
        meta = read_file_meta(raw)
    except BaseException:
        raw.close()
        raise
    return Part10DataSet(file_path, raw, meta)


class Part10Writer:
    """Write a received data set as a Part 10 file, fragment by fragment.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create. It appears only when :meth:`finish` is called; until then
        the bytes go to ``path`` + :data:`PARTIAL_SUFFIX`.
    sop_class_uid, sop_instance_uid : str
        From the C-STORE-RQ's AffectedSOPClassUID and AffectedSOPInstanceUID: the File
        Meta's MediaStorageSOPClassUID and MediaStorageSOPInstanceUID.
    transfer_syntax : str
        The presentation context's transfer syntax.
    source_ae_title : str, optional
        The sending AE's title, for SourceApplicationEntityTitle (0002,0016).
    overwrite : bool
        Replace an existing file at `path` when finishing (default: refuse, so that two
        stores of one instance never overwrite each other silently).

    Use it as a context manager: leaving the block by an exception, or without
    :meth:`finish`, removes the partial file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        sop_class_uid: str,
        sop_instance_uid: str,
        transfer_syntax: str,
        source_ae_title: str | None = None,
        overwrite: bool = False,
    ) -> None:
        self.path = Path(path)
        self.partial_path = self.path.with_name(self.path.name + PARTIAL_SUFFIX)
        self.overwrite = overwrite
        header = encode_file_meta(
            sop_class_uid=sop_class_uid,
            sop_instance_uid=sop_instance_uid,
            transfer_syntax=transfer_syntax,
            implementation_class_uid=IMPLEMENTATION_CLASS_UID,
            implementation_version_name=IMPLEMENTATION_VERSION_NAME,
            source_ae_title=source_ae_title,
        )
        if not overwrite and self.path.exists():
            raise FileExistsError(f"{self.path} exists: another store of the same instance?")
        # buffered: small fragments arrive a PDU at a time, a write() each costs twice
        self._file: BinaryIO | None = open(self.partial_path, "xb", buffering=WRITE_BUFFER)  # noqa: SIM115
        self._file.write(header)
        #: Where the data set starts in the file: after the preamble and File Meta.
        self.data_set_offset = len(header)
        #: Data set bytes written so far.
        self.data_set_length = 0

    def write(self, fragment: bytes | bytearray | memoryview) -> None:
        """Append one data set fragment, unchanged."""
        if self._file is None:
            raise ValueError(f"{self.path}: the writer is finished or aborted")
        self.data_set_length += self._file.write(fragment)

    def finish(self) -> Path:
        """Close the file and give it its name: the data set is complete.

        Raises
        ------
        FileExistsError
            Without `overwrite`, a file of that name appeared since the writer was made.
        OSError
            The file cannot be renamed. Either way the partial file is removed.
        """
        if self._file is None:
            raise ValueError(f"{self.path}: the writer is finished or aborted")
        self._file.close()
        self._file = None
        try:
            if self.overwrite:
                os.replace(self.partial_path, self.path)
            else:
                # link-then-unlink fails instead of replacing a file that appeared meanwhile
                os.link(self.partial_path, self.path)
        except BaseException:
            self.partial_path.unlink(missing_ok=True)  # it never takes its name
            raise
        if not self.overwrite:
            os.unlink(self.partial_path)
        return self.path

    def abort(self) -> None:
        """Remove the partial file: the data set never completed."""
        if self._file is not None:
            self._file.close()
            self._file = None
            self.partial_path.unlink(missing_ok=True)

    def __enter__(self) -> Part10Writer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.abort()
