"""The JSON-ready fields of records: names of UIDs, command elements, user information."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydicom import config
from pydicom.uid import UID

from ..codec.command_dictionary import command_name
from ..codec.item_objects import UserInformation
from ..primitives import DimsePrimitive, OtherCommand, general_status, status_info

__all__ = ["Record", "data_set", "message_fields", "uid_name", "user_information_fields"]

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
