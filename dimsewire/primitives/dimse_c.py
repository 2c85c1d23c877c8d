"""The DIMSE-C service primitives: C-ECHO, C-STORE, C-FIND, C-GET, C-MOVE, C-CANCEL.

Each class carries its parameter table from PS3.7 9.1 (``_TABLE``: parameter, then its
use in the request/indication and in the response/confirmation). The attributes, types
and class constants follow ``pynetdicom.dimse_primitives`` 3.0.4; unlike pynetdicom,
every setter validates its value and names the parameter, and ``is_valid_request`` /
``is_valid_response`` apply the whole table and the status rules, not only the
mandatory parameters.
"""

from __future__ import annotations

from . import parameters as param
from .base import DimsePrimitive, slots
from .status import StatusCategory, status_category

__all__ = ["C_CANCEL", "C_ECHO", "C_FIND", "C_GET", "C_MOVE", "C_STORE"]

_PENDING = StatusCategory.PENDING


class C_ECHO(DimsePrimitive):
    """A C-ECHO request or response: verify that the peer is there (PS3.7 9.1.5)."""

    _TABLE = (  # PS3.7 Table 9.1-5
        ("MessageID", "M", "-"),
        ("MessageIDBeingRespondedTo", "-", "M"),
        ("AffectedSOPClassUID", "M", "U(=)"),
        ("Status", "-", "M"),
        ("ErrorComment", "-", "C"),  # PS3.7 Annex C related field
    )
    __slots__ = slots(_TABLE)
    MessageID = param.MESSAGE_ID
    MessageIDBeingRespondedTo = param.MESSAGE_ID_BEING_RESPONDED_TO
    AffectedSOPClassUID = param.AFFECTED_SOP_CLASS_UID
    Status = param.STATUS
    ErrorComment = param.ERROR_COMMENT


class C_STORE(DimsePrimitive):
    """A C-STORE request or response: store one SOP Instance (PS3.7 9.1.1).

    The request's ``DataSet`` is the encoded SOP Instance in the presentation context's
    transfer syntax. ``MoveOriginatorApplicationEntityTitle`` and
    ``MoveOriginatorMessageID`` are set when the store is a C-MOVE sub-operation.
    """

    _TABLE = (  # PS3.7 Table 9.1-1
        ("MessageID", "M", "-"),
        ("MessageIDBeingRespondedTo", "-", "M"),
        ("AffectedSOPClassUID", "M", "U(=)"),
        ("AffectedSOPInstanceUID", "M", "U(=)"),
        ("Priority", "M", "-"),
        ("MoveOriginatorApplicationEntityTitle", "U", "-"),
        ("MoveOriginatorMessageID", "U", "-"),
        ("DataSet", "M", "-"),
        ("Status", "-", "M"),
        ("OffendingElement", "-", "C"),
        ("ErrorComment", "-", "C"),
    )
    __slots__ = slots(_TABLE)
    MessageID = param.MESSAGE_ID
    MessageIDBeingRespondedTo = param.MESSAGE_ID_BEING_RESPONDED_TO
    AffectedSOPClassUID = param.AFFECTED_SOP_CLASS_UID
    AffectedSOPInstanceUID = param.AFFECTED_SOP_INSTANCE_UID
    Priority = param.PRIORITY
    MoveOriginatorApplicationEntityTitle = param.MOVE_ORIGINATOR_APPLICATION_ENTITY_TITLE
    MoveOriginatorMessageID = param.MOVE_ORIGINATOR_MESSAGE_ID
    DataSet = param.DATA_SET
    Status = param.STATUS
    OffendingElement = param.OFFENDING_ELEMENT
    ErrorComment = param.ERROR_COMMENT


class C_FIND(DimsePrimitive):
    """A C-FIND request or response: query (PS3.7 9.1.2, PS3.4 C.4.1).

    The request's ``Identifier`` holds the query keys; a Pending response's the match.
    Message ID is "U" in the response (Table 9.1-2), but the C-FIND-RSP command set has
    no element for it (Table 9.3-4), so it is not sent.
    """

    _TABLE = (  # PS3.7 Table 9.1-2
        ("MessageID", "M", "U"),
        ("MessageIDBeingRespondedTo", "-", "M"),
        ("AffectedSOPClassUID", "M", "U(=)"),
        ("Priority", "M", "-"),
        ("Identifier", "M", "C"),
        ("Status", "-", "M"),
        ("OffendingElement", "-", "C"),
        ("ErrorComment", "-", "C"),
    )
    __slots__ = slots(_TABLE)
    MessageID = param.MESSAGE_ID
    MessageIDBeingRespondedTo = param.MESSAGE_ID_BEING_RESPONDED_TO
    AffectedSOPClassUID = param.AFFECTED_SOP_CLASS_UID
    Priority = param.PRIORITY
    Identifier = param.IDENTIFIER
    Status = param.STATUS
    OffendingElement = param.OFFENDING_ELEMENT
    ErrorComment = param.ERROR_COMMENT

    _STATUS_RULE_PARAMETERS = ("Identifier",)

    def _status_rules(self) -> list[str]:
        """Annex C's rules, and PS3.4 C.4.1.1.4: an Identifier with, and only with, Pending."""
        problems = super()._status_rules()
        status = self._Status  # type: ignore[attr-defined]
        if status is None:
            return problems
        pending = status_category("C-FIND", status) is _PENDING
        if pending and self._Identifier is None:  # type: ignore[attr-defined]
            problems.append(
                f"a Pending status (0x{status:04X}) needs an Identifier (PS3.4 C.4.1.1.4)"
            )
        if not pending and self._Identifier is not None:  # type: ignore[attr-defined]
            problems.append(
                f"an Identifier goes only with a Pending status, not 0x{status:04X} "
                "(PS3.4 C.4.1.1.4)"
            )
        return problems


class _Retrieve(DimsePrimitive):
    """C-GET and C-MOVE: the rule on the sub-operation counts (PS3.7 9.1.3.1.5)."""

    __slots__ = ()
    _STATUS_RULE_PARAMETERS = ("NumberOfRemainingSuboperations",)

    def _status_rules(self) -> list[str]:
        """Annex C's rules, and: a Pending response gives the remaining sub-operations."""
        problems = super()._status_rules()
        status = self._Status  # type: ignore[attr-defined]
        if status is None:
            return problems
        pending = status_category(self.msg_type, status) is _PENDING
        if pending and self._NumberOfRemainingSuboperations is None:  # type: ignore[attr-defined]
            problems.append(
                f"a Pending status (0x{status:04X}) needs NumberOfRemainingSuboperations "
                "(PS3.7 9.1.3.1.5)"
            )
        return problems


class C_GET(_Retrieve):
    """A C-GET request or response: retrieve over this association (PS3.7 9.1.3)."""

    _TABLE = (  # PS3.7 Table 9.1-3
        ("MessageID", "M", "-"),
        ("MessageIDBeingRespondedTo", "-", "M"),
        ("AffectedSOPClassUID", "M", "U(=)"),
        ("Priority", "M", "-"),
        ("Identifier", "M", "U"),
        ("Status", "-", "M"),
        ("NumberOfRemainingSuboperations", "-", "C"),
        ("NumberOfCompletedSuboperations", "-", "C"),
        ("NumberOfFailedSuboperations", "-", "C"),
        ("NumberOfWarningSuboperations", "-", "C"),
        ("OffendingElement", "-", "C"),
        ("ErrorComment", "-", "C"),
    )
    __slots__ = slots(_TABLE)
    MessageID = param.MESSAGE_ID
    MessageIDBeingRespondedTo = param.MESSAGE_ID_BEING_RESPONDED_TO
    AffectedSOPClassUID = param.AFFECTED_SOP_CLASS_UID
    Priority = param.PRIORITY
    Identifier = param.IDENTIFIER
    Status = param.STATUS
    NumberOfRemainingSuboperations = param.NUMBER_OF_REMAINING_SUBOPERATIONS
    NumberOfCompletedSuboperations = param.NUMBER_OF_COMPLETED_SUBOPERATIONS
    NumberOfFailedSuboperations = param.NUMBER_OF_FAILED_SUBOPERATIONS
    NumberOfWarningSuboperations = param.NUMBER_OF_WARNING_SUBOPERATIONS
    OffendingElement = param.OFFENDING_ELEMENT
    ErrorComment = param.ERROR_COMMENT


class C_MOVE(_Retrieve):
    """A C-MOVE request or response: retrieve to another AE (PS3.7 9.1.4)."""

    _TABLE = (  # PS3.7 Table 9.1-4
        ("MessageID", "M", "-"),
        ("MessageIDBeingRespondedTo", "-", "M"),
        ("AffectedSOPClassUID", "M", "U(=)"),
        ("Priority", "M", "-"),
        ("MoveDestination", "M", "-"),
        ("Identifier", "M", "U"),
        ("Status", "-", "M"),
        ("NumberOfRemainingSuboperations", "-", "C"),
        ("NumberOfCompletedSuboperations", "-", "C"),
        ("NumberOfFailedSuboperations", "-", "C"),
        ("NumberOfWarningSuboperations", "-", "C"),
        ("OffendingElement", "-", "C"),
        ("ErrorComment", "-", "C"),
    )
    __slots__ = slots(_TABLE)
    MessageID = param.MESSAGE_ID
    MessageIDBeingRespondedTo = param.MESSAGE_ID_BEING_RESPONDED_TO
    AffectedSOPClassUID = param.AFFECTED_SOP_CLASS_UID
    Priority = param.PRIORITY
    MoveDestination = param.MOVE_DESTINATION
    Identifier = param.IDENTIFIER
    Status = param.STATUS
    NumberOfRemainingSuboperations = param.NUMBER_OF_REMAINING_SUBOPERATIONS
    NumberOfCompletedSuboperations = param.NUMBER_OF_COMPLETED_SUBOPERATIONS
    NumberOfFailedSuboperations = param.NUMBER_OF_FAILED_SUBOPERATIONS
    NumberOfWarningSuboperations = param.NUMBER_OF_WARNING_SUBOPERATIONS
    OffendingElement = param.OFFENDING_ELEMENT
    ErrorComment = param.ERROR_COMMENT


class C_CANCEL(DimsePrimitive):
    """A C-CANCEL request: stop the C-FIND, C-GET or C-MOVE with the given Message ID.

    It has no response, no Affected SOP Class UID, no Message ID, no Priority and never
    a data set (PS3.7 9.3.2.3, Table 9.3-5).
    """

    _TABLE = (("MessageIDBeingRespondedTo", "M", "-"),)  # PS3.7 9.3.2.3
    __slots__ = slots(_TABLE)
    MessageIDBeingRespondedTo = param.MESSAGE_ID_BEING_RESPONDED_TO

    def response_problems(self) -> list[str]:
        """A C-CANCEL is never a response."""
        return ["C-CANCEL has no response (PS3.7 9.3.2.3)"]
