"""Records: what ``dimsewire decode`` reports, as JSON-ready dicts (schema in the README).

One builder per record type (association events, messages, PDUs, problems, the end of
a connection) and the helpers for their fields: names of UIDs, command elements, user
information. :mod:`dimsewire.capture.conversation` decides when a record is due.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from pydicom import config
from pydicom.uid import UID

from ..association import Association, Side
from ..codec.command_dictionary import command_name
from ..codec.events import MessageReceived, PDUReceived
from ..codec.item_objects import UserInformation
from ..codec.upper_layer import (
    PDU,
    Abort,
    AssociateAC,
    AssociateRJ,
    AssociateRQ,
    PDataTF,
)
from ..errors import DecodeError, Deviation
from ..primitives import DimsePrimitive, OtherCommand, general_status, status_info
from .dicom_json import identifier_json
from .packets import Segment

__all__ = [
    "Record",
    "association_record",
    "connection_end_record",
    "data_set",
    "message_fields",
    "message_record",
    "pdu_record",
    "problem_record",
    "record_head",
    "uid_name",
    "user_information_fields",
]

Record = dict[str, Any]


@lru_cache(maxsize=1024)
def uid_name(uid: str | None) -> str | None:
    """pydicom's name for a UID, None if it has none."""
    if not uid:
        return None
    name = UID(uid, validation_mode=config.IGNORE).name  # a peer's bad UID: no warning
    return None if name == uid else str(name)


def data_set(prim: DimsePrimitive) -> bytes | None:
    """The bytes of the message's data set, whatever its parameter; None if it has none."""
    if isinstance(prim, OtherCommand):
        data = prim.DataSet
    else:
        name = prim.RESPONSE_DATA_SET if prim.is_response else prim.REQUEST_DATA_SET
        data = None if name is None else getattr(prim, name)
        if data is None:
            data = prim.extra_data_set
    return None if data is None else bytes(data.getvalue())


def user_information_fields(info: UserInformation) -> Record:
    """The User Information sub-items a record shows (PS3.8 D.1, PS3.7 D.3.3.2)."""
    return {
        "max_pdu_length": info.max_length,
        "implementation_class_uid": info.implementation_class_uid,
        "implementation_version_name": info.implementation_version_name,
    }


_SHOWN_ELEMENTS = {
    0x0002: "AffectedSOPClassUID",
    0x0110: "MessageID",
    0x0120: "MessageIDBeingRespondedTo",
    0x0700: "Priority",
    0x0800: "CommandDataSetType",
    0x0900: "Status",
    0x0901: "OffendingElement",
    0x0902: "ErrorComment",
}


def message_fields(prim: DimsePrimitive) -> Record:
    """The command name and the command elements of a decoded message, JSON-ready."""
    elements = prim.command_elements or {}
    fields: Record = {}
    field = elements.get(0x0100)
    fields["command"] = command_name(field) if isinstance(field, int) else prim.msg_type
    names = _SHOWN_ELEMENTS
    fields["CommandField"] = elements.get(0x0100)
    for tag, keyword in names.items():
        if tag in elements:
            value = elements[tag]
            if isinstance(value, list):
                value = [f"({int(t) >> 16:04X},{int(t) & 0xFFFF:04X})" for t in value]
            fields[keyword] = value
    if "AffectedSOPClassUID" in fields:
        fields["AffectedSOPClassName"] = uid_name(str(fields["AffectedSOPClassUID"]))
    if "Status" in fields and isinstance(fields["Status"], int):
        code = fields["Status"]
        # the table of the message's service; Annex C alone for an undefined command
        info = (
            general_status(code)
            if isinstance(prim, OtherCommand)
            else status_info(prim.msg_type, code)
        )
        fields["status_category"] = info.category.value
        fields["status_meaning"] = info.meaning
    others = {
        f"({tag >> 16:04X},{tag & 0xFFFF:04X})": value
        for tag, value in elements.items()
        if tag not in names and tag not in (0x0000, 0x0100)
    }
    if others:
        fields["other_elements"] = {
            k: v if isinstance(v, (int, str)) else repr(v) for k, v in others.items()
        }
    return fields


# --- one builder per record type ----------------------------------------------------------


def record_head(assoc: int | None, kind: str, side: Side | None, seg: Segment | None) -> Record:
    """The fields every record starts with: type, association, direction, time, frame."""
    record: Record = {"type": kind}
    if assoc is not None:
        record["assoc"] = assoc
    if side is not None:
        record["direction"] = side
    if seg is not None:
        record["time"] = seg.time
        record["frame"] = seg.frame
    return record


def problem_record(
    head: Record, rule: str, reason: str, offset: int | None = None, length: int | None = None
) -> Record:
    """A ``problem``: the rule that broke, in words, where, and how many bytes it spans."""
    head.update(rule=rule, reason=reason, offset=offset)
    if length is not None:
        head["length"] = length
    return head


def pdu_record(head: Record, offset: int, event: PDUReceived) -> Record:
    """A ``pdu`` record (``--pdus``): type, name, length, and P-DATA-TF's PDV items."""
    head.update(
        offset=offset,
        pdu_type=event.pdu_type,
        name=event.name,
        length=len(event.raw) - 6,
    )
    if isinstance(event.pdu, PDataTF):
        head["pdvs"] = [
            {
                "context_id": pdv.context_id,
                "control_header": pdv.control_header,
                "command": pdv.is_command,
                "last": pdv.is_last,
                "length": len(pdv.fragment),
            }
            for pdv in event.pdu.pdvs
        ]
    return head


def association_record(
    head: Record,
    pdu: PDU,
    *,
    addresses: Mapping[Side, str] | None,
    deviations: list[Deviation],
) -> Record:
    """An ``a-associate-*``, ``a-release-*`` or ``a-abort`` record (PS3.8 9.3.2-9.3.8).

    `addresses` gives ``"ip:port"`` by side (None for a raw PDU file); `deviations` are
    what the association reported about this A-ASSOCIATE-RQ or -AC.
    """
    if isinstance(pdu, (AssociateRQ, AssociateAC)):
        head.update(
            calling_ae=pdu.calling_ae_title,
            called_ae=pdu.called_ae_title,
            **user_information_fields(pdu.user_information),
        )
        for side, address in (addresses or {}).items():
            head[side] = address
    if isinstance(pdu, AssociateRQ):
        head["contexts"] = [
            {
                "id": ctx.context_id,
                "abstract_syntax": ctx.abstract_syntax,
                "abstract_syntax_name": uid_name(ctx.abstract_syntax),
                "transfer_syntaxes": list(ctx.transfer_syntaxes),
                "transfer_syntax_names": [uid_name(ts) for ts in ctx.transfer_syntaxes],
            }
            for ctx in pdu.presentation_contexts
        ]
        head["deviations"] = [str(d) for d in deviations]
    elif isinstance(pdu, AssociateAC):
        head["contexts"] = [
            {
                "id": ctx.context_id,
                "result": ctx.result,
                "result_name": ctx.result_name,
                "transfer_syntax": ctx.transfer_syntax if ctx.accepted else None,
                "transfer_syntax_name": uid_name(ctx.transfer_syntax) if ctx.accepted else None,
            }
            for ctx in pdu.presentation_contexts
        ]
        head["deviations"] = [str(d) for d in deviations]
    elif isinstance(pdu, AssociateRJ):
        head.update(result=pdu.result, result_name=pdu.result_name)
    if isinstance(pdu, (AssociateRJ, Abort)):
        head.update(
            source=pdu.source,
            source_name=pdu.source_name,
            reason=pdu.reason,
            reason_name=pdu.reason_name,
        )
    return head


def message_record(head: Record, event: MessageReceived, association: Association) -> Record:
    """A ``message`` record: the command's fields and the Identifier as DICOM JSON,
    decoded in the transfer syntax the association negotiated for its context."""
    prim = event.primitive
    head["context_id"] = event.context_id
    head.update(message_fields(prim))
    ctx = association.contexts.get(event.context_id)
    data = data_set(prim)
    if ctx is None:
        head["transfer_syntax"] = None
        if data is not None:
            head["identifier"] = None
            head["identifier_note"] = (
                "transfer syntax unknown: the association's negotiation is not in the capture"
                if association.request is None
                else f"presentation context {event.context_id} was not accepted"
            )
            head["identifier_length"] = len(data)
    else:
        head["transfer_syntax"] = ctx.transfer_syntax
        if data is not None:
            try:
                head["identifier"] = identifier_json(data, ctx.transfer_syntax)
                head["_identifier"] = (data, ctx.transfer_syntax)  # for text output
            except (DecodeError, ValueError, TypeError) as err:
                head["identifier"] = None
                head["identifier_note"] = f"does not decode: {err}"
    if prim.deviations:
        head["deviations"] = [str(dev) for dev in prim.deviations]
    return head


def connection_end_record(
    head: Record, how: str, state: str, counts: Mapping[Side, Mapping[str, int]]
) -> Record:
    """A ``connection-end`` record: how it ended, the association's state, and what
    became of every byte of each direction."""
    head.update(how=how, state=state)
    if state in ("requested", "established", "releasing"):
        head["note"] = f"connection ended ({how}) without A-RELEASE or A-ABORT"
    for side, numbers in counts.items():
        head["bytes_" + side] = dict(numbers)
    return head
