"""The C-FIND service primitive (PS3.7 9.1.2, PS3.4 C.4.1)."""

from __future__ import annotations

from io import BytesIO
from typing import ClassVar

from pydicom.tag import BaseTag
from pydicom.uid import UID

from ._validate import (
    check_identifier,
    check_lo_text,
    check_message_id,
    check_priority,
    check_status,
    check_tags,
    check_uid,
    uid_problem,
)
from .base import _RespondsTo
from .status import PENDING_STATUSES

__all__ = ["C_FIND"]


def _comment_allowed(status: int) -> bool:
    """ErrorComment goes only with A700, A900 or Cxxx (PS3.4 C.4.1.1.4, PS3.7 C.5)."""
    return status in (0xA700, 0xA900) or 0xC000 <= status <= 0xCFFF


def _offending_allowed(status: int) -> bool:
    """OffendingElement goes only with A900 or Cxxx (PS3.4 C.4.1.1.4, PS3.7 C.5)."""
    return status == 0xA900 or 0xC000 <= status <= 0xCFFF


class C_FIND(_RespondsTo):
    r"""A C-FIND request/indication or response/confirmation (PS3.7 9.1.2.1).

    ============================= ======= ========
    Parameter                     Req/ind Rsp/conf
    ============================= ======= ========
    Message ID                    M       \-
    Message ID Being Responded To \-      M
    Affected SOP Class UID        M       U(=)
    Priority                      M       \-
    Identifier                    M       C
    Status                        \-      M
    Offending Element             \-      C
    Error Comment                 \-      C
    ============================= ======= ========

    The attributes and their types follow pynetdicom's ``C_FIND``; every setter
    validates its value and raises ``TypeError``/``ValueError`` naming the parameter
    (pynetdicom accepts a bad Priority, an over-long ErrorComment or arbitrary
    OffendingElement values; this class does not). A primitive with a ``Status`` is a
    response, one without is a request.

    Attributes
    ----------
    MessageID : int or None
        Identifies the request (US, 0..65535).
    MessageIDBeingRespondedTo : int or None
        The MessageID of the request a response answers.
    AffectedSOPClassUID : pydicom.uid.UID or None
        The query/retrieve information model; set from str, bytes or UID.
    Priority : int
        0 (medium), 1 (high) or 2 (low, the default).
    Identifier : io.BytesIO or None
        The encoded query keys (request) or match (pending response). Bytes-like
        values are wrapped in a BytesIO.
    Status : int or None
        The response status (see :func:`dimsewire.c_find_status`).
    OffendingElement : list of pydicom BaseTag or None
        The elements in error, with status A900 or Cxxx.
    ErrorComment : str or None
        Free text (LO, at most 64 characters), with status A700, A900 or Cxxx.
    """

    __slots__ = (
        "_affected_sop_class_uid",
        "_error_comment",
        "_identifier",
        "_message_id",
        "_offending_element",
        "_priority",
        "_status",
    )

    REQUEST_KEYWORDS: ClassVar[tuple[str, ...]] = (
        "MessageID",
        "AffectedSOPClassUID",
        "Priority",
        "Identifier",
    )
    RESPONSE_KEYWORDS: ClassVar[tuple[str, ...]] = ("MessageIDBeingRespondedTo", "Status")
    STATUS_OPTIONAL_KEYWORDS: ClassVar[tuple[str, ...]] = ("OffendingElement", "ErrorComment")
    _PARAMETERS = (
        "MessageID",
        "MessageIDBeingRespondedTo",
        "AffectedSOPClassUID",
        "Priority",
        "Identifier",
        "Status",
        "OffendingElement",
        "ErrorComment",
    )

    def __init__(self) -> None:
        super().__init__()
        self._message_id: int | None = None
        self._affected_sop_class_uid: UID | None = None
        self._priority: int = 2
        self._identifier: BytesIO | None = None
        self._status: int | None = None
        self._offending_element: tuple[BaseTag, ...] | None = None
        self._error_comment: str | None = None

    # -- parameters -------------------------------------------------------------------

    @property
    def MessageID(self) -> int | None:
        """The request's Message ID (US, 0..65535, PS3.7 9.1.1.1.1)."""
        return self._message_id

    @MessageID.setter
    def MessageID(self, value: int | None) -> None:
        self._message_id = check_message_id(value, "MessageID")

    @property
    def AffectedSOPClassUID(self) -> UID | None:
        """The SOP Class of the query (UI, PS3.5 9.1 syntax)."""
        return self._affected_sop_class_uid

    @AffectedSOPClassUID.setter
    def AffectedSOPClassUID(self, value: str | bytes | UID | None) -> None:
        self._affected_sop_class_uid = check_uid(value, "AffectedSOPClassUID")

    @property
    def Priority(self) -> int:
        """0 (medium), 1 (high) or 2 (low, default) (PS3.7 9.1.1.1.6)."""
        return self._priority

    @Priority.setter
    def Priority(self, value: int) -> None:
        self._priority = check_priority(value)

    @property
    def Identifier(self) -> BytesIO | None:
        """The encoded Identifier data set, or None (PS3.7 9.1.2.1.4)."""
        return self._identifier

    @Identifier.setter
    def Identifier(self, value: BytesIO | bytes | bytearray | memoryview | None) -> None:
        self._identifier = check_identifier(value, "Identifier")

    @property
    def Status(self) -> int | None:
        """The response status, 0..0xFFFF (PS3.7 9.1.1.1.9, PS3.4 C.4.1.1.4)."""
        return self._status

    @Status.setter
    def Status(self, value: int | None) -> None:
        self._status = check_status(value)

    @property
    def OffendingElement(self) -> list[BaseTag] | None:
        """Tags of the elements in error (AT, PS3.7 C.5); a copy of the stored list."""
        return None if self._offending_element is None else list(self._offending_element)

    @OffendingElement.setter
    def OffendingElement(self, value: list[int | BaseTag | tuple[int, int]] | None) -> None:
        self._offending_element = check_tags(value, "OffendingElement")

    @property
    def ErrorComment(self) -> str | None:
        """Text describing an error (LO, at most 64 characters, PS3.7 C.5)."""
        return self._error_comment

    @ErrorComment.setter
    def ErrorComment(self, value: str | None) -> None:
        self._error_comment = check_lo_text(value, "ErrorComment")

    def _not_shown(self) -> tuple[str, ...]:
        return ("Priority",) if self._status is not None else ()

    # -- validity -----------------------------------------------------------------------

    def request_problems(self) -> list[str]:
        """Why this is not a valid C-FIND request (empty when it is).

        PS3.7 9.1.2.1: MessageID, AffectedSOPClassUID, Priority and a non-empty
        Identifier are mandatory; an encoded data set has even length (PS3.5 7.1).
        """
        problems = [
            f"{name} is missing" for name in self.REQUEST_KEYWORDS if getattr(self, name) is None
        ]
        if self._affected_sop_class_uid is not None:
            bad = uid_problem(self._affected_sop_class_uid)
            if bad is not None:
                problems.append(f"AffectedSOPClassUID is not a valid UID: {bad}")
        problems.extend(self._identifier_problems())
        return problems

    def response_problems(self) -> list[str]:
        """Why this is not a valid C-FIND response (empty when it is).

        PS3.7 9.1.2.1 and PS3.4 C.4.1.1.4: MessageIDBeingRespondedTo and Status are
        mandatory; an Identifier goes with, and only with, a Pending status (FF00,
        FF01); ErrorComment only with A700, A900 or Cxxx; OffendingElement only with
        A900 or Cxxx; so nothing optional with 0000, FE00 or 0122.
        """
        problems = [
            f"{name} is missing" for name in self.RESPONSE_KEYWORDS if getattr(self, name) is None
        ]
        problems.extend(self.status_problems())
        if self._affected_sop_class_uid is not None:
            bad = uid_problem(self._affected_sop_class_uid)
            if bad is not None:
                problems.append(f"AffectedSOPClassUID is not a valid UID: {bad}")
        problems.extend(self._identifier_problems())
        return problems

    def status_problems(self) -> list[str]:
        """Breaks of the rules tying the optional parameters to the Status.

        PS3.4 C.4.1.1.4 and PS3.7 Annex C: an Identifier with, and only with, a Pending
        status; ErrorComment only with A700, A900 or Cxxx; OffendingElement only with
        A900 or Cxxx. Empty when Status is not set.
        """
        status = self._status
        if status is None:
            return []
        problems = []
        pending = status in PENDING_STATUSES
        if pending and self._identifier is None:
            problems.append(f"a Pending status (0x{status:04X}) needs an Identifier")
        if not pending and self._identifier is not None:
            problems.append(f"an Identifier goes only with a Pending status, not 0x{status:04X}")
        if self._error_comment is not None and not _comment_allowed(status):
            problems.append(
                f"ErrorComment goes only with status A700, A900 or Cxxx, not 0x{status:04X}"
            )
        if self._offending_element is not None and not _offending_allowed(status):
            problems.append(
                f"OffendingElement goes only with status A900 or Cxxx, not 0x{status:04X}"
            )
        return problems

    def _identifier_problems(self) -> list[str]:
        if self._identifier is None:
            return []
        with self._identifier.getbuffer() as view:
            size = view.nbytes
        if size == 0:
            return ["Identifier is empty (PS3.8 Annex E: no empty PDVs)"]
        if size % 2:
            return [f"Identifier has odd length {size} (PS3.5 7.1: data sets are even)"]
        return []

    @property
    def is_valid_request(self) -> bool:
        """True if this is a complete, conformant C-FIND request."""
        return not self.request_problems()

    @property
    def is_valid_response(self) -> bool:
        """True if this is a complete, conformant C-FIND response."""
        return not self.response_problems()
