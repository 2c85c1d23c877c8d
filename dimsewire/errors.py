"""Every way decoding can fail, and every deviation it tolerates.

The exception tree::

    ValueError
     └── DecodeError                 .reason, .offset: the base of every decoding failure
          ├── PDUError               a malformed PDU or PDV item (PS3.8 9.3)
          │    ├── PDUTooLargeError  .length, .limit: rejected from the 6-byte header alone
          │    └── ItemError         .item: a malformed A-ASSOCIATE item or sub-item
          ├── CommandSetError        .tag: a bad DIMSE command set (PS3.7 6.3.1, Annex E)
          ├── FragmentError          .rule: a broken fragment rule (PS3.8 Annex E)
          │    └── MessageTooLargeError  .size, .limit: reassembled message over its cap
          ├── IdentifierError        a data set that does not decode (PS3.5)
          ├── FileMetaError          a Part 10 file's preamble or File Meta Information
                                     that does not decode (PS3.10 7.1)
          ├── TruncatedError         input that ends inside a PDU or message
          ├── AssociationError       a PDU or message the association's state forbids
          │                          (PS3.8 9.2)
          └── CaptureError           .frame: a capture file that cannot be read (on)
                                     (dimsewire.capture: not pcap/pcapng, cut short)

Each message is built from the fields, for example::

    command set: element (0000,0110) needs 2 bytes, 1 left (offset 46)

``offset`` counts bytes from the start of what the raising layer reads: the command
set for :class:`CommandSetError`, the byte stream (or the concatenated PDUs given to
``decode_message``) for the others. It is ``None`` only where no position applies.

Decoding also tolerates deviations that leave the meaning clear (odd fragments, a
wrong CommandGroupLength, ...). Those are not raised but returned as
:class:`Deviation` records on the decoded message, unless the caller asked for
``strict=True``, in which case the matching exception above is raised instead.
Misuse of the API (a bad parameter value) raises plain ``TypeError``/``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "AssociationError",
    "CommandSetError",
    "DecodeError",
    "Deviation",
    "FileMetaError",
    "FragmentError",
    "IdentifierError",
    "ItemError",
    "MessageTooLargeError",
    "PDUError",
    "PDUTooLargeError",
    "TruncatedError",
]


def nbytes(count: int) -> str:
    """``"1 byte"``, ``"3 bytes"``: a byte count for a message."""
    return f"{count} byte" if count == 1 else f"{count} bytes"


class DecodeError(ValueError):
    """Bytes that could not be decoded.

    Attributes
    ----------
    reason : str
        What was wrong, in words.
    offset : int or None
        Byte offset of the fault in the input of the raising layer.
    """

    where: ClassVar[str] = "decode"

    def __init__(self, reason: str, *, offset: int | None = None) -> None:
        self.reason = reason
        self.offset = offset
        super().__init__(self._text())

    def _text(self) -> str:
        text = f"{self.where}: {self.reason}"
        if self.offset is not None:
            text += f" (offset {self.offset})"
        return text

    def __reduce__(self) -> tuple[object, ...]:  # keep keyword-only fields picklable
        return (_rebuild, (type(self), self.__dict__))


def _rebuild(cls: type[DecodeError], state: dict[str, object]) -> DecodeError:
    err = cls.__new__(cls)
    err.__dict__.update(state)
    ValueError.__init__(err, err._text())
    return err


class PDUError(DecodeError):
    """A PDU or PDV item whose structure is wrong (PS3.8 9.3)."""

    where = "PDU"


class PDUTooLargeError(PDUError):
    """A PDU whose length field exceeds the local maximum (PS3.8 9.3.1, D.1).

    Raised from the 6-byte PDU header, before any of the body is buffered.
    """

    def __init__(self, length: int, limit: int, *, offset: int | None = None) -> None:
        self.length = length
        self.limit = limit
        super().__init__(
            f"PDU length {length} exceeds the local maximum of {limit} bytes", offset=offset
        )


class ItemError(PDUError):
    """An item or sub-item of an A-ASSOCIATE PDU that cannot be decoded (PS3.8 9.3.2-9.3.3).

    Attributes
    ----------
    item : str
        The item at fault, for example ``"Presentation Context item (20H)"``.
    """

    def __init__(self, reason: str, *, item: str, offset: int | None = None) -> None:
        self.item = item
        super().__init__(f"{item}: {reason}", offset=offset)


class CommandSetError(DecodeError):
    """A DIMSE command set that cannot be decoded (PS3.7 6.3.1, Annex E).

    Attributes
    ----------
    tag : int or None
        The element at fault, as a 32-bit tag, where one is known.
    """

    where = "command set"

    def __init__(self, reason: str, *, offset: int | None = None, tag: int | None = None) -> None:
        self.tag = tag
        super().__init__(reason, offset=offset)


class FragmentError(DecodeError):
    """Fragments (PDVs) that break a rule of PS3.8 Annex E.

    Attributes
    ----------
    rule : str
        The rule that broke, named as in :class:`dimsewire.codec.assembler.Rule`.
    """

    where = "fragment"

    def __init__(self, reason: str, *, rule: str, offset: int | None = None) -> None:
        self.rule = rule
        super().__init__(reason, offset=offset)


class MessageTooLargeError(FragmentError):
    """A message whose fragments add up to more than the reassembly cap."""

    def __init__(self, size: int, limit: int, *, offset: int | None = None) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"message of at least {size} bytes exceeds the cap of {limit} bytes",
            rule="message-size-cap",
            offset=offset,
        )


class IdentifierError(DecodeError):
    """A data set (Identifier) that does not decode in its transfer syntax."""

    where = "identifier"


class FileMetaError(DecodeError):
    """A Part 10 file whose preamble or File Meta Information cannot be read (PS3.10 7.1).

    ``offset`` counts from the start of the file.
    """

    where = "file meta"


class TruncatedError(DecodeError):
    """Input that ends inside a PDU, a PDV item or a message."""

    where = "truncated"


class AssociationError(DecodeError):
    """A PDU or message the association's state does not allow (PS3.8 9.2, Table 9-10):
    an A-ASSOCIATE-AC without a request, a message on a context that was not accepted,
    data before the association is established."""

    where = "association"


@dataclass(frozen=True, slots=True)
class Deviation:
    """A departure from the standard that decoding tolerated.

    Attributes
    ----------
    rule : str
        Short name of the rule that was bent (for example ``"odd-fragment"``).
    reason : str
        What was seen, in words.
    offset : int or None
        Where, as for :attr:`DecodeError.offset`.
    """

    rule: str
    reason: str
    offset: int | None = None

    def __str__(self) -> str:
        text = f"{self.rule}: {self.reason}"
        if self.offset is not None:
            text += f" (offset {self.offset})"
        return text
