"""The DIMSE service parameters: one typed, validating descriptor each (PS3.7 9.1, 10.1).

A primitive class names the parameters it has as class attributes (``MessageID =
MESSAGE_ID``); the descriptor stores the checked value in the instance's ``_MessageID``
slot. Each descriptor's two type parameters are what reading gives and what assigning
takes, so a type checker knows that ``prim.AffectedSOPClassUID = "1.2"`` is fine and that
``prim.AffectedSOPClassUID`` is a ``pydicom.uid.UID``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from io import BytesIO
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from pydicom.tag import BaseTag
from pydicom.uid import UID

from ._validate import (
    VALID_UIDS,
    check_ae_title,
    check_data_set,
    check_lo_text,
    check_message_id,
    check_priority,
    check_status,
    check_tag_list,
    check_tags,
    check_uid,
    check_us,
)

__all__ = ["PARAMETERS", "Param"]

Get = TypeVar("Get")
Set = TypeVar("Set")

Tags = Sequence[int | BaseTag | tuple[int, int]]
DataSetInput = BytesIO | bytes | bytearray | memoryview | os.PathLike[str] | Any


# How a setter takes the common value without calling its checker, per kind of check
# (anything else goes to the checker, which normalises it or raises naming the parameter).
# `{slot}` is where the value is kept.
_FAST_SETTERS: dict[Callable[..., Any], tuple[str, ...]] = {
    check_us: ("if type(value) is int and 0 <= value <= 0xFFFF:", "    self.{slot} = value"),
    check_status: ("if type(value) is int and 0 <= value <= 0xFFFF:", "    self.{slot} = value"),
    check_uid: (  # a str seen before: its UID, checked once (UIDs are immutable)
        "if type(value) is str and (uid := valid_uids.get(value)) is not None:",
        "    self.{slot} = uid",
    ),
    check_data_set: ("if value is None or type(value) is BytesIO:", "    self.{slot} = value"),
}


def _accessors(
    keyword: str, check: Callable[[Any, str], Any], listed: bool
) -> tuple[Callable[[Any], Any], Callable[[Any, Any], None]]:
    """The getter and setter of a parameter, as straight-line code built once.

    A property calls them from C: a descriptor class with ``__get__``/``__set__``
    written in Python costs about half as much again per access, and primitives are
    built once per message.
    """
    slot = "_" + keyword
    assert slot.isidentifier()
    got = "value if value is None else list(value)" if listed else "value"
    lines = ["def fget(self):", f"    value = self.{slot}", f"    return {got}"]
    lines.append("def fset(self, value):")
    fast = _FAST_SETTERS.get(check)
    if fast is not None:
        lines += ["    " + line.format(slot=slot) for line in fast]
        lines += ["    else:", f"        self.{slot} = check(value, {keyword!r})"]
    else:
        lines.append(f"    self.{slot} = check(value, {keyword!r})")
    namespace: dict[str, Any] = {"check": check, "valid_uids": VALID_UIDS, "BytesIO": BytesIO}
    exec("\n".join(lines), namespace)  # built from the parameter's own declaration
    return namespace["fget"], namespace["fset"]


class Param(property, Generic[Get, Set]):
    """A validating parameter: reading gives `Get`, assigning takes `Set`.

    Attributes
    ----------
    keyword : str
        The parameter's name: its command element's keyword (PS3.7 Annex E) or, for a
        data set, pynetdicom's attribute name.
    slot : str
        Where an instance keeps the checked value: ``"_" + keyword``.
    default : object
        The value of a new primitive (None but for Priority).
    listed : bool
        Kept as a tuple of tags, read as a new list.
    """

    def __init__(
        self,
        keyword: str,
        check: Callable[[Any, str], Any],
        doc: str,
        *,
        listed: bool = False,
        default: object = None,
    ) -> None:
        fget, fset = _accessors(keyword, check, listed)
        super().__init__(fget, fset, None, doc)
        self.__doc__ = doc  # a subclass's instance keeps it in its dict, not property's slot
        self.keyword = keyword
        self.slot = "_" + keyword
        self.listed = listed
        self.default = default

    def __set_name__(self, owner: type, name: str) -> None:
        if name != self.keyword:
            raise TypeError(f"{owner.__name__}.{name} is the {self.keyword} parameter")

    if TYPE_CHECKING:  # what a type checker sees; at run time property's own, in C

        @overload
        def __get__(self, instance: None, owner: type | None = None) -> Param[Get, Set]: ...
        @overload
        def __get__(self, instance: object, owner: type | None = None) -> Get: ...
        def __get__(self, instance: object, owner: type | None = None) -> Any: ...
        def __set__(self, instance: object, value: Set) -> None: ...

    def __repr__(self) -> str:
        return f"<parameter {self.keyword}>"


def _priority(value: object, _name: str) -> int:
    return check_priority(value)


_FAST_SETTERS[_priority] = ("if type(value) is int and 0 <= value <= 2:", "    self.{slot} = value")


def _uid(keyword: str, doc: str) -> Param[UID | None, str | bytes | None]:
    return Param(keyword, check_uid, doc)


def _us(keyword: str, doc: str) -> Param[int | None, int | None]:
    return Param(keyword, check_us, doc)


def _data_set(keyword: str, doc: str) -> Param[BytesIO | None, DataSetInput | None]:
    return Param(keyword, check_data_set, doc)


MESSAGE_ID = Param[int | None, int | None](
    "MessageID", check_message_id, "Identifies a request (US, PS3.7 9.1.1.1.1)."
)
MESSAGE_ID_BEING_RESPONDED_TO = Param[int | None, int | None](
    "MessageIDBeingRespondedTo",
    check_message_id,
    "The Message ID of the request this answers or cancels (US, PS3.7 9.1.1.1.2).",
)
AFFECTED_SOP_CLASS_UID = _uid(
    "AffectedSOPClassUID",
    "The SOP Class operated on (UI, PS3.7 9.1.1.1.3); set from str, bytes or UID.",
)
AFFECTED_SOP_INSTANCE_UID = _uid(
    "AffectedSOPInstanceUID", "The SOP Instance operated on (UI, PS3.7 9.1.1.1.4, 10.1.1.1.2)."
)
REQUESTED_SOP_CLASS_UID = _uid(
    "RequestedSOPClassUID", "The SOP Class the request is for (UI, PS3.7 10.1.2.1.1)."
)
REQUESTED_SOP_INSTANCE_UID = _uid(
    "RequestedSOPInstanceUID", "The SOP Instance the request is for (UI, PS3.7 10.1.2.1.2)."
)
PRIORITY = Param[int, int](
    "Priority",
    _priority,
    "0 (medium), 1 (high) or 2 (low, the default) (US, PS3.7 9.1.1.1.6).",
    default=2,
)
MOVE_DESTINATION = Param[str | None, str | bytes | None](
    "MoveDestination",
    check_ae_title,
    "The AE title the C-MOVE sub-operations store to (AE, PS3.7 9.1.4.1.4).",
)
MOVE_ORIGINATOR_APPLICATION_ENTITY_TITLE = Param[str | None, str | bytes | None](
    "MoveOriginatorApplicationEntityTitle",
    check_ae_title,
    "The AE title of the C-MOVE SCU a C-STORE works for (AE, PS3.7 9.1.1.1.7).",
)
MOVE_ORIGINATOR_MESSAGE_ID = Param[int | None, int | None](
    "MoveOriginatorMessageID",
    check_message_id,
    "The Message ID of the C-MOVE a C-STORE works for (US, PS3.7 9.1.1.1.8).",
)
STATUS = Param[int | None, int | None](
    "Status", check_status, "The response status, 0..0xFFFF (US, PS3.7 Annex C)."
)
OFFENDING_ELEMENT = Param[list[BaseTag] | None, Tags | None](
    "OffendingElement",
    check_tags,
    "Tags of the elements in error (AT, PS3.7 C.4, C.5); a copy of the stored list.",
    listed=True,
)
ERROR_COMMENT = Param[str | None, str | None](
    "ErrorComment",
    check_lo_text,
    "Text describing a Warning or Failure (LO, at most 64 characters, PS3.7 C.4, C.5).",
)
ERROR_ID = _us("ErrorID", "A Warning or Failure code of the service (US, PS3.7 C.5).")
ATTRIBUTE_IDENTIFIER_LIST = Param[list[BaseTag] | None, Tags | None](
    "AttributeIdentifierList",
    check_tag_list,
    "Tags of attributes (AT, PS3.7 10.1.2.1.3); an empty list means all attributes.",
    listed=True,
)
EVENT_TYPE_ID = _us("EventTypeID", "The event reported (US, PS3.7 10.1.1.1.4, PS3.4 per class).")
ACTION_TYPE_ID = _us(
    "ActionTypeID", "The action asked for (US, PS3.7 10.1.4.1.4, PS3.4 per class)."
)
NUMBER_OF_REMAINING_SUBOPERATIONS = _us(
    "NumberOfRemainingSuboperations", "C-GET/C-MOVE sub-operations remaining (PS3.7 9.1.3.1.5)."
)
NUMBER_OF_COMPLETED_SUBOPERATIONS = _us(
    "NumberOfCompletedSuboperations", "C-GET/C-MOVE sub-operations completed (PS3.7 9.1.3.1.6)."
)
NUMBER_OF_FAILED_SUBOPERATIONS = _us(
    "NumberOfFailedSuboperations", "C-GET/C-MOVE sub-operations failed (PS3.7 9.1.3.1.7)."
)
NUMBER_OF_WARNING_SUBOPERATIONS = _us(
    "NumberOfWarningSuboperations",
    "C-GET/C-MOVE sub-operations with a warning (PS3.7 9.1.3.1.8).",
)
DATA_SET = Param[Any, DataSetInput | None](
    "DataSet",
    check_data_set,
    "The SOP Instance to store, encoded (PS3.7 9.1.1.1.10): an io.BytesIO (bytes-like "
    "values are wrapped), a binary file object streamed from its position when sent, or an "
    "os.PathLike to a Part 10 file.",
)
IDENTIFIER = _data_set(
    "Identifier", "The encoded query or retrieve keys, or a match (PS3.7 9.1.2.1.4)."
)
EVENT_INFORMATION = _data_set("EventInformation", "The encoded event information (10.1.1.1.5).")
EVENT_REPLY = _data_set("EventReply", "The encoded event reply (PS3.7 10.1.1.1.6).")
ATTRIBUTE_LIST = _data_set("AttributeList", "The encoded attributes (PS3.7 10.1.2.1.4).")
MODIFICATION_LIST = _data_set(
    "ModificationList", "The encoded attributes to change (PS3.7 10.1.3.1.3)."
)
ACTION_INFORMATION = _data_set(
    "ActionInformation", "The encoded action information (PS3.7 10.1.4.1.5)."
)
ACTION_REPLY = _data_set("ActionReply", "The encoded action reply (PS3.7 10.1.4.1.6).")

#: Every DIMSE parameter by keyword.
PARAMETERS: dict[str, Param[Any, Any]] = {
    param.keyword: param for param in list(globals().values()) if isinstance(param, Param)
}
