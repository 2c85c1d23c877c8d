"""Records: what ``dimsewire decode`` reports, as JSON-ready dicts (schema in the README).

One builder per record type (association events, messages, PDUs, problems, the end of
a connection) and the helpers for their fields: names of UIDs, command elements, user
information. :mod:`dimsewire.capture.conversation` decides when a record is due.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from pydicom import config
from pydicom.uid import UID

from ..association import Association, Side
from ..codec.command_dictionary import COMMAND_ELEMENTS, command_name
from ..codec.events import MessageReceived, PDUReceived
from ..codec.item_objects import (
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    UnknownItem,
    UserIdentityAC,
    UserIdentityRQ,
    UserInformation,
)
from ..codec.tags import tag_json
from ..codec.upper_layer import (
    PDU,
    Abort,
    AssociateAC,
    AssociateRJ,
    AssociateRQ,
    PDataTF,
)
from ..errors import Deviation
from ..primitives import (
    DimsePrimitive,
    OtherCommand,
    StatusInfo,
    general_status,
    status_info,
)
from .datasets import SeenDataSet
from .packets import Segment

__all__ = [
    "JSON",
    "Record",
    "association_record",
    "connection_end_record",
    "data_set",
    "data_set_parameter",
    "json_line",
    "message_fields",
    "message_record",
    "pdu_record",
    "problem_record",
    "record_head",
    "transfer_syntax_note",
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
        name = prim.data_set_name
        data = None if name is None else getattr(prim, name)
        if data is None:
            data = prim.extra_data_set
    return None if data is None else bytes(data.getvalue())


def data_set_parameter(prim: DimsePrimitive) -> str:
    """The name of the message's data set parameter (PS3.7 9.1, 10.1): ``Identifier``,
    ``DataSet``, ``AttributeList``, ...; ``DataSet`` for one the message should not have."""
    if isinstance(prim, OtherCommand):
        return "DataSet"
    name = prim.data_set_name
    return name or "DataSet"


def transfer_syntax_note(association: Association, context_id: int) -> str:
    """Why a context's transfer syntax is unknown."""
    if association.request is None:
        return "transfer syntax unknown: the association's negotiation is not in the capture"
    return f"presentation context {context_id} was not accepted"


def _user_identity(item: UserIdentityRQ | UserIdentityAC) -> Record:
    """A User Identity sub-item without a secret in clear (PS3.7 D.3.3.7): a username is
    shown, a passcode, Kerberos ticket, SAML assertion, JWT or server response by length."""
    if isinstance(item, UserIdentityAC):
        return {"server_response_length": len(item.server_response)}
    fields: Record = {
        "type": item.identity_type,
        "type_name": item.identity_type_name,
        "positive_response_requested": item.positive_response_requested,
    }
    if item.identity_type in (1, 2):  # Username, Username and passcode
        fields["username"] = item.primary_field.decode("utf-8", "replace")
    else:
        fields["primary_field_length"] = len(item.primary_field)
    if item.identity_type == 2:
        fields["passcode_length"] = len(item.secondary_field)
    return fields


def user_information_fields(info: UserInformation) -> Record:
    """The User Information sub-items a record shows (PS3.8 D.1, PS3.7 D.3.3): maximum
    length, implementation, and those present of asynchronous operations window, role
    selection, SOP class (common) extended negotiation, user identity, unknown sub-items."""
    fields: Record = {
        "max_pdu_length": info.max_length,
        "implementation_class_uid": info.implementation_class_uid,
        "implementation_version_name": info.implementation_version_name,
    }
    window = info.async_operations_window
    if window is not None:
        fields["async_operations_window"] = {
            "invoked": window.invoked,
            "performed": window.performed,
        }
    roles = [
        {
            "sop_class_uid": item.sop_class_uid,
            "sop_class_name": uid_name(item.sop_class_uid),
            "scu_role": item.scu_role,
            "scp_role": item.scp_role,
        }
        for item in info.role_selections
    ]
    if roles:
        fields["role_selections"] = roles
    extended = [
        {
            "sop_class_uid": item.sop_class_uid,
            "sop_class_name": uid_name(item.sop_class_uid),
            "application_information": item.application_information.hex(),
        }
        for item in info.sub_items
        if isinstance(item, SOPClassExtendedNegotiation)
    ]
    if extended:
        fields["extended_negotiation"] = extended
    common = [
        {
            "sop_class_uid": item.sop_class_uid,
            "sop_class_name": uid_name(item.sop_class_uid),
            "service_class_uid": item.service_class_uid,
            "service_class_name": uid_name(item.service_class_uid),
            "related_general_sop_classes": list(item.related_general_sop_classes),
        }
        for item in info.sub_items
        if isinstance(item, SOPClassCommonExtendedNegotiation)
    ]
    if common:
        fields["common_extended_negotiation"] = common
    identity = info.user_identity
    if identity is not None:
        fields["user_identity"] = _user_identity(identity)
    unknown = [
        {"item_type": item.item_type, "length": len(item.raw) - 4}
        for item in info.sub_items
        if isinstance(item, UnknownItem)
    ]
    if unknown:
        fields["unknown_sub_items"] = unknown
    return fields


#: UIDs whose name a record shows beside them, under the keyword with "Name" for "UID".
_NAMED_UIDS = frozenset({0x0002, 0x0003})

#: Event and action types of the SOP classes that define them (PS3.4 J.3, H.4, CC.2), by
#: (SOP class, type): the type's name shown beside EventTypeID or ActionTypeID.
_STORAGE_COMMITMENT = "1.2.840.10008.1.20.1"
_TYPE_NAMES: dict[tuple[int, str, int], str] = {
    # Storage Commitment Push Model (PS3.4 J.3.2, J.3.3)
    (0x1008, _STORAGE_COMMITMENT, 1): "Request Storage Commitment",
    (0x1002, _STORAGE_COMMITMENT, 1): "Storage Commitment Request Successful",
    (0x1002, _STORAGE_COMMITMENT, 2): "Storage Commitment Request Complete - Failures Exist",
    # Basic Film Session and Film Box (PS3.4 H.4.1.2.4, H.4.2.2.4)
    (0x1008, "1.2.840.10008.5.1.1.1", 1): "Print",
    (0x1008, "1.2.840.10008.5.1.1.2", 1): "Print",
    # Printer (PS3.4 H.4.6.2.1) and Print Job (H.4.5.2.1)
    (0x1002, "1.2.840.10008.5.1.1.16", 1): "Normal",
    (0x1002, "1.2.840.10008.5.1.1.16", 2): "Warning",
    (0x1002, "1.2.840.10008.5.1.1.16", 3): "Failure",
    (0x1002, "1.2.840.10008.5.1.1.14", 1): "Pending",
    (0x1002, "1.2.840.10008.5.1.1.14", 2): "Printing",
    (0x1002, "1.2.840.10008.5.1.1.14", 3): "Done",
    (0x1002, "1.2.840.10008.5.1.1.14", 4): "Failure",
}


def _value(vr: str, value: object) -> object:
    """A command element's value as JSON: AT as DICOM JSON writes it ("GGGGEEEE", a list
    for every AT element), raw bytes as hex, numbers and text as they are."""
    if vr == "AT":
        tags = value if isinstance(value, (list, tuple)) else [value]
        return [tag_json(tag) for tag in tags if isinstance(tag, int)]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [_value(vr, v) for v in value]
    return value


def _status(prim: DimsePrimitive, code: int) -> StatusInfo:
    """What `code` means on the message's service (Annex C alone for an undefined one)."""
    if isinstance(prim, OtherCommand):
        return general_status(code)
    try:
        return status_info(prim.msg_type, code)
    except ValueError:  # a C-CANCEL-RQ carrying a Status: no table
        return general_status(code)


def message_fields(prim: DimsePrimitive) -> Record:
    """The command name and every command element of a decoded message, JSON-ready.

    Each element of the command dictionary (PS3.7 Annex E) comes under its keyword, in
    tag order, CommandGroupLength aside; an AffectedSOPClassUID or RequestedSOPClassUID
    gets its name beside it, a Status its category and meaning from the table of the
    message's service, an EventTypeID or ActionTypeID its name where the SOP class
    defines it. Elements the dictionary lacks go to ``other_elements``, by ``GGGGEEEE``,
    their value bytes in hex.
    """
    elements = prim.command_elements or {}
    fields: Record = {}
    field = elements.get(0x0100)
    fields["command"] = command_name(field) if isinstance(field, int) else prim.msg_type
    for tag in sorted(elements):
        row = COMMAND_ELEMENTS.get(tag)
        if row is None or tag == 0x0000:
            continue
        value = elements[tag]
        fields[row.keyword] = _value(row.vr, value)
        if tag in _NAMED_UIDS and isinstance(value, str):
            fields[row.keyword[:-3] + "Name"] = uid_name(value)
    code = fields.get("Status")
    if isinstance(code, int):
        info = _status(prim, code)
        fields["status_category"] = info.category.value
        fields["status_meaning"] = info.meaning
    sop_class = fields.get("AffectedSOPClassUID") or fields.get("RequestedSOPClassUID")
    for tag, keyword in ((0x1002, "EventTypeID"), (0x1008, "ActionTypeID")):
        kind = fields.get(keyword)
        if isinstance(kind, int) and isinstance(sop_class, str):
            name = _TYPE_NAMES.get((tag, sop_class, kind))
            if name is not None:
                fields[keyword[:-2] + "Name"] = name
    unknown = prim.elements if isinstance(prim, OtherCommand) else prim.extra_elements
    others = {
        tag_json(tag): _value("UN", value)
        for tag, value in sorted(unknown.items())
        if tag not in COMMAND_ELEMENTS
    }
    if others:
        fields["other_elements"] = others
    return fields


#: The one JSON encoder of the output (--json lines, Parquet's JSON text columns): made
#: once (json.dumps with an argument makes one per call), no cycle check (a record is a
#: tree). 9.9 us a C-FIND-RSP record, against 12.3 us for json.dumps of a filtered copy.
#: orjson took 1.6 us (0.08 s of a 4 s --json run of 48,168 records, against 0.59 s),
#: but would be another run-time dependency, compiled, and would change the output's
#: bytes: compact separators, raw UTF-8 instead of \u escapes, NaN as null.
JSON = json.JSONEncoder(default=str, check_circular=False)


def json_line(record: Record) -> str:
    """The record as one line of ``--json`` output."""
    return JSON.encode(record) + "\n"


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


def message_record(
    head: Record,
    event: MessageReceived,
    transfer_syntax: str | None,
    seen: SeenDataSet | None,
) -> Record:
    """A ``message`` record: the command's fields, then its data set (if it has one):
    which parameter it is, its length as it travelled, and what was decoded of it."""
    prim = event.primitive
    head["context_id"] = event.context_id
    head.update(message_fields(prim))
    head["transfer_syntax"] = transfer_syntax
    deviations = [str(dev) for dev in prim.deviations]
    if seen is not None:
        head["dataset_parameter"] = data_set_parameter(prim)
        head["dataset_length"] = seen.length
        shown = seen.shown
        if shown is not None:
            head["dataset"] = shown.json
            note = shown.note
            deviations += [f"data set: {text}" for text in shown.warnings]
        else:
            note = seen.note
        if note is not None:
            head["dataset_note"] = note
        if seen.exported is not None:
            head["exported_file"] = seen.exported
    if deviations:
        head["deviations"] = deviations
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
