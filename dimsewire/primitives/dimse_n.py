"""The DIMSE-N service primitives: N-EVENT-REPORT, N-GET, N-SET, N-ACTION, N-CREATE, N-DELETE.

Each class carries its parameter table from PS3.7 10.1 (``_TABLE``: parameter, then its
use in the request/indication and in the response/confirmation), plus the related
fields of the PS3.7 Annex C statuses its responses may carry (ErrorComment, ErrorID and,
where a status names attributes, AttributeIdentifierList). The attributes, types and
class constants follow ``pynetdicom.dimse_primitives`` 3.0.4; every setter validates.

pynetdicom keeps one data set per primitive whatever its name (setting ``EventReply``
replaces ``EventInformation``); here each data set parameter is its own attribute.
"""

from __future__ import annotations

from . import parameters as param
from .base import DimsePrimitive, slots

__all__ = ["N_ACTION", "N_CREATE", "N_DELETE", "N_EVENT_REPORT", "N_GET", "N_SET"]


class N_EVENT_REPORT(DimsePrimitive):
    """An N-EVENT-REPORT request or response: report an event (PS3.7 10.1.1)."""

    _TABLE = (  # PS3.7 Table 10.1-1
        ("MessageID", "M", "-"),
        ("MessageIDBeingRespondedTo", "-", "M"),
        ("AffectedSOPClassUID", "M", "U(=)"),
        ("AffectedSOPInstanceUID", "M", "U(=)"),
        ("EventTypeID", "M", "C(=)"),
        ("EventInformation", "U", "-"),
        ("EventReply", "-", "C"),
        ("Status", "-", "M"),
        ("ErrorID", "-", "C"),  # PS3.7 Annex C related fields
        ("ErrorComment", "-", "C"),
    )
    __slots__ = slots(_TABLE)
    MessageID = param.MESSAGE_ID
    MessageIDBeingRespondedTo = param.MESSAGE_ID_BEING_RESPONDED_TO
    AffectedSOPClassUID = param.AFFECTED_SOP_CLASS_UID
    AffectedSOPInstanceUID = param.AFFECTED_SOP_INSTANCE_UID
    EventTypeID = param.EVENT_TYPE_ID
    EventInformation = param.EVENT_INFORMATION
    EventReply = param.EVENT_REPLY
    Status = param.STATUS
    ErrorID = param.ERROR_ID
    ErrorComment = param.ERROR_COMMENT


class N_GET(DimsePrimitive):
    """An N-GET request or response: read attribute values (PS3.7 10.1.2).

    An empty ``AttributeIdentifierList`` in a request asks for all attributes
    (PS3.7 10.1.2.1.3); in a response the list names the attributes a warning or
    failure is about (Annex C.4.2).
    """

    _TABLE = (  # PS3.7 Table 10.1-2
        ("MessageID", "M", "-"),
        ("MessageIDBeingRespondedTo", "-", "M"),
        ("RequestedSOPClassUID", "M", "-"),
        ("RequestedSOPInstanceUID", "M", "-"),
        ("AttributeIdentifierList", "U", "C"),
        ("AffectedSOPClassUID", "-", "U"),
        ("AffectedSOPInstanceUID", "-", "U"),
        ("AttributeList", "-", "C"),
        ("Status", "-", "M"),
        ("ErrorID", "-", "C"),
        ("ErrorComment", "-", "C"),
    )
    __slots__ = slots(_TABLE)
    MessageID = param.MESSAGE_ID
    MessageIDBeingRespondedTo = param.MESSAGE_ID_BEING_RESPONDED_TO
    RequestedSOPClassUID = param.REQUESTED_SOP_CLASS_UID
    RequestedSOPInstanceUID = param.REQUESTED_SOP_INSTANCE_UID
    AttributeIdentifierList = param.ATTRIBUTE_IDENTIFIER_LIST
    AffectedSOPClassUID = param.AFFECTED_SOP_CLASS_UID
    AffectedSOPInstanceUID = param.AFFECTED_SOP_INSTANCE_UID
    AttributeList = param.ATTRIBUTE_LIST
    Status = param.STATUS
    ErrorID = param.ERROR_ID
    ErrorComment = param.ERROR_COMMENT


class N_SET(DimsePrimitive):
    """An N-SET request or response: change attribute values (PS3.7 10.1.3)."""

    _TABLE = (  # PS3.7 Table 10.1-3
        ("MessageID", "M", "-"),
        ("MessageIDBeingRespondedTo", "-", "M"),
        ("RequestedSOPClassUID", "M", "-"),
        ("RequestedSOPInstanceUID", "M", "-"),
        ("ModificationList", "M", "-"),
        ("AffectedSOPClassUID", "-", "U"),
        ("AffectedSOPInstanceUID", "-", "U"),
        ("AttributeList", "-", "U"),
        ("Status", "-", "M"),
        ("AttributeIdentifierList", "-", "C"),
        ("ErrorID", "-", "C"),
        ("ErrorComment", "-", "C"),
    )
    __slots__ = slots(_TABLE)
    MessageID = param.MESSAGE_ID
    MessageIDBeingRespondedTo = param.MESSAGE_ID_BEING_RESPONDED_TO
    RequestedSOPClassUID = param.REQUESTED_SOP_CLASS_UID
    RequestedSOPInstanceUID = param.REQUESTED_SOP_INSTANCE_UID
    ModificationList = param.MODIFICATION_LIST
    AffectedSOPClassUID = param.AFFECTED_SOP_CLASS_UID
    AffectedSOPInstanceUID = param.AFFECTED_SOP_INSTANCE_UID
    AttributeList = param.ATTRIBUTE_LIST
    Status = param.STATUS
    AttributeIdentifierList = param.ATTRIBUTE_IDENTIFIER_LIST
    ErrorID = param.ERROR_ID
    ErrorComment = param.ERROR_COMMENT


class N_ACTION(DimsePrimitive):
    """An N-ACTION request or response: ask for an action (PS3.7 10.1.4)."""

    _TABLE = (  # PS3.7 Table 10.1-4
        ("MessageID", "M", "-"),
        ("MessageIDBeingRespondedTo", "-", "M"),
        ("RequestedSOPClassUID", "M", "-"),
        ("RequestedSOPInstanceUID", "M", "-"),
        ("ActionTypeID", "M", "C(=)"),
        ("ActionInformation", "U", "-"),
        ("AffectedSOPClassUID", "-", "U"),
        ("AffectedSOPInstanceUID", "-", "U"),
        ("ActionReply", "-", "C"),
        ("Status", "-", "M"),
        ("ErrorID", "-", "C"),
        ("ErrorComment", "-", "C"),
    )
    __slots__ = slots(_TABLE)
    MessageID = param.MESSAGE_ID
    MessageIDBeingRespondedTo = param.MESSAGE_ID_BEING_RESPONDED_TO
    RequestedSOPClassUID = param.REQUESTED_SOP_CLASS_UID
    RequestedSOPInstanceUID = param.REQUESTED_SOP_INSTANCE_UID
    ActionTypeID = param.ACTION_TYPE_ID
    ActionInformation = param.ACTION_INFORMATION
    AffectedSOPClassUID = param.AFFECTED_SOP_CLASS_UID
    AffectedSOPInstanceUID = param.AFFECTED_SOP_INSTANCE_UID
    ActionReply = param.ACTION_REPLY
    Status = param.STATUS
    ErrorID = param.ERROR_ID
    ErrorComment = param.ERROR_COMMENT


class N_CREATE(DimsePrimitive):
    """An N-CREATE request or response: create a SOP Instance (PS3.7 10.1.5)."""

    _TABLE = (  # PS3.7 Table 10.1-5
        ("MessageID", "M", "-"),
        ("MessageIDBeingRespondedTo", "-", "M"),
        ("AffectedSOPClassUID", "M", "U(=)"),
        ("AffectedSOPInstanceUID", "U", "C"),
        ("AttributeList", "U", "U"),
        ("Status", "-", "M"),
        ("AttributeIdentifierList", "-", "C"),
        ("ErrorID", "-", "C"),
        ("ErrorComment", "-", "C"),
    )
    __slots__ = slots(_TABLE)
    MessageID = param.MESSAGE_ID
    MessageIDBeingRespondedTo = param.MESSAGE_ID_BEING_RESPONDED_TO
    AffectedSOPClassUID = param.AFFECTED_SOP_CLASS_UID
    AffectedSOPInstanceUID = param.AFFECTED_SOP_INSTANCE_UID
    AttributeList = param.ATTRIBUTE_LIST
    Status = param.STATUS
    AttributeIdentifierList = param.ATTRIBUTE_IDENTIFIER_LIST
    ErrorID = param.ERROR_ID
    ErrorComment = param.ERROR_COMMENT


class N_DELETE(DimsePrimitive):
    """An N-DELETE request or response: delete a SOP Instance (PS3.7 10.1.6)."""

    _TABLE = (  # PS3.7 Table 10.1-6
        ("MessageID", "M", "-"),
        ("MessageIDBeingRespondedTo", "-", "M"),
        ("RequestedSOPClassUID", "M", "-"),
        ("RequestedSOPInstanceUID", "M", "-"),
        ("AffectedSOPClassUID", "-", "U"),
        ("AffectedSOPInstanceUID", "-", "U"),
        ("Status", "-", "M"),
        ("ErrorID", "-", "C"),
        ("ErrorComment", "-", "C"),
    )
    __slots__ = slots(_TABLE)
    MessageID = param.MESSAGE_ID
    MessageIDBeingRespondedTo = param.MESSAGE_ID_BEING_RESPONDED_TO
    RequestedSOPClassUID = param.REQUESTED_SOP_CLASS_UID
    RequestedSOPInstanceUID = param.REQUESTED_SOP_INSTANCE_UID
    AffectedSOPClassUID = param.AFFECTED_SOP_CLASS_UID
    AffectedSOPInstanceUID = param.AFFECTED_SOP_INSTANCE_UID
    Status = param.STATUS
    ErrorID = param.ERROR_ID
    ErrorComment = param.ERROR_COMMENT
