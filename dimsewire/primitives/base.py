"""What every DIMSE primitive shares: parameters, validity, decode reports, equality.

A primitive class declares its parameter table, the one of PS3.7 9.1 or 10.1, as rows of
``(parameter, request/indication, response/confirmation)`` with the standard's codes
(``M`` mandatory, ``U`` user option, ``C`` conditional, ``-`` not used; ``U(=)`` and
``C(=)`` as U and C). From that table the class gets a validating property per
parameter, pynetdicom's ``REQUEST_KEYWORDS`` / ``RESPONSE_KEYWORDS`` /
``STATUS_OPTIONAL_KEYWORDS``, and the generic checks of :meth:`request_problems` and
:meth:`response_problems`; a class adds only its own conditional rules.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, ClassVar

from pydicom.tag import BaseTag

from ..errors import Deviation
from ._validate import (
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
    uid_problem,
)
from .status import StatusCategory, status_info

__all__ = ["DATA_SET_PARAMETERS", "STATUS_DETAILS", "DimsePrimitive", "Parameter"]


@dataclass(frozen=True, slots=True)
class Parameter:
    """One DIMSE service parameter: how it is checked and what it means.

    Attributes
    ----------
    keyword : str
        The parameter's name, which is also its command element's keyword (PS3.7 Annex E)
        or, for a data set, pynetdicom's attribute name.
    check : callable
        ``check(value, keyword)`` returns the stored form or raises TypeError/ValueError.
    doc : str
        The property's docstring.
    listed : bool
        Stored as a tuple of tags and handed out as a new list.
    default : object
        The value of a new primitive (None but for Priority).
    """

    keyword: str
    check: Callable[[Any, str], Any]
    doc: str
    listed: bool = False
    default: object = None


def _priority(value: object, _name: str) -> int:
    return check_priority(value)


_ROWS = (
    Parameter("MessageID", check_message_id, "Identifies a request (US, PS3.7 9.1.1.1.1)."),
    Parameter(
        "MessageIDBeingRespondedTo",
        check_message_id,
        "The Message ID of the request this answers or cancels (US, PS3.7 9.1.1.1.2).",
    ),
    Parameter(
        "AffectedSOPClassUID",
        check_uid,
        "The SOP Class operated on (UI, PS3.7 9.1.1.1.3); set from str, bytes or UID.",
    ),
    Parameter(
        "AffectedSOPInstanceUID",
        check_uid,
        "The SOP Instance operated on (UI, PS3.7 9.1.1.1.4, 10.1.1.1.2).",
    ),
    Parameter(
        "RequestedSOPClassUID",
        check_uid,
        "The SOP Class the request is for (UI, PS3.7 10.1.2.1.1).",
    ),
    Parameter(
        "RequestedSOPInstanceUID",
        check_uid,
        "The SOP Instance the request is for (UI, PS3.7 10.1.2.1.2).",
    ),
    Parameter(
        "Priority",
        _priority,
        "0 (medium), 1 (high) or 2 (low, the default) (US, PS3.7 9.1.1.1.6).",
        default=2,
    ),
    Parameter(
        "MoveDestination",
        check_ae_title,
        "The AE title the C-MOVE sub-operations store to (AE, PS3.7 9.1.4.1.4).",
    ),
    Parameter(
        "MoveOriginatorApplicationEntityTitle",
        check_ae_title,
        "The AE title of the C-MOVE SCU a C-STORE works for (AE, PS3.7 9.1.1.1.7).",
    ),
    Parameter(
        "MoveOriginatorMessageID",
        check_message_id,
        "The Message ID of the C-MOVE a C-STORE works for (US, PS3.7 9.1.1.1.8).",
    ),
    Parameter("Status", check_status, "The response status, 0..0xFFFF (US, PS3.7 Annex C)."),
    Parameter(
        "OffendingElement",
        check_tags,
        "Tags of the elements in error (AT, PS3.7 C.4, C.5); a copy of the stored list.",
        listed=True,
    ),
    Parameter(
        "ErrorComment",
        check_lo_text,
        "Text describing a Warning or Failure (LO, at most 64 characters, PS3.7 C.4, C.5).",
    ),
    Parameter("ErrorID", check_us, "A Warning or Failure code of the service (US, PS3.7 C.5)."),
    Parameter(
        "AttributeIdentifierList",
        check_tag_list,
        "Tags of attributes (AT, PS3.7 10.1.2.1.3); an empty list means all attributes.",
        listed=True,
    ),
    Parameter(
        "EventTypeID", check_us, "The event reported (US, PS3.7 10.1.1.1.4, PS3.4 per class)."
    ),
    Parameter(
        "ActionTypeID", check_us, "The action asked for (US, PS3.7 10.1.4.1.4, PS3.4 per class)."
    ),
    *(
        Parameter(
            f"NumberOf{kind}Suboperations",
            check_us,
            f"C-GET/C-MOVE sub-operations {kind.lower()} (US, PS3.7 9.1.3.1.{n}).",
        )
        for n, kind in enumerate(("Remaining", "Completed", "Failed", "Warning"), start=5)
    ),
    *(
        Parameter(name, check_data_set, f"{what} (PS3.7 {where}); bytes-like values are wrapped.")
        for name, what, where in (
            ("DataSet", "The SOP Instance to store, encoded", "9.1.1.1.10"),
            ("Identifier", "The encoded query or retrieve keys, or a match", "9.1.2.1.4"),
            ("EventInformation", "The encoded event information", "10.1.1.1.5"),
            ("EventReply", "The encoded event reply", "10.1.1.1.6"),
            ("AttributeList", "The encoded attributes", "10.1.2.1.4"),
            ("ModificationList", "The encoded attributes to change", "10.1.3.1.3"),
            ("ActionInformation", "The encoded action information", "10.1.4.1.5"),
            ("ActionReply", "The encoded action reply", "10.1.4.1.6"),
        )
    ),
)

#: Every DIMSE parameter by keyword.
PARAMETERS: dict[str, Parameter] = {row.keyword: row for row in _ROWS}

#: The parameters that are encoded data sets, not command elements.
DATA_SET_PARAMETERS = frozenset(
    {
        "DataSet",
        "Identifier",
        "EventInformation",
        "EventReply",
        "AttributeList",
        "ModificationList",
        "ActionInformation",
        "ActionReply",
    }
)

#: Response parameters that go only with a Warning or Failure status: the related fields
#: of PS3.7 Annex C (C.4, C.5).
STATUS_DETAILS = frozenset(
    {"OffendingElement", "ErrorComment", "ErrorID", "AttributeIdentifierList"}
)
_DETAIL_CATEGORIES = frozenset({StatusCategory.WARNING, StatusCategory.FAILURE})
_UIDS = (
    "AffectedSOPClassUID",
    "AffectedSOPInstanceUID",
    "RequestedSOPClassUID",
    "RequestedSOPInstanceUID",
)


def _slot(keyword: str) -> str:
    return "_" + keyword


def slots(table: tuple[tuple[str, str, str], ...]) -> tuple[str, ...]:
    """The ``__slots__`` of a primitive class with this parameter table."""
    return tuple(_slot(keyword) for keyword, _rq, _rsp in table)


def _property(row: Parameter) -> property:
    slot, keyword, check = _slot(row.keyword), row.keyword, row.check

    def setter(self: DimsePrimitive, value: Any) -> None:
        setattr(self, slot, check(value, keyword))

    if row.listed:

        def getter(self: DimsePrimitive) -> Any:
            value = getattr(self, slot)
            return None if value is None else list(value)

        return property(getter, setter, doc=row.doc)
    return property(operator.attrgetter(slot), setter, doc=row.doc)


def _used(need: str) -> bool:
    return need != "-"


class DimsePrimitive:
    """Base of the DIMSE service primitives (PS3.7 7.5, 9.1, 10.1).

    A primitive with a ``Status`` is a response (confirmation), one without is a request
    (indication); C-CANCEL has only a request.

    Attributes
    ----------
    context_id : int or None
        The presentation context the message travelled on; set when decoded.
    deviations : tuple of Deviation
        The departures from the standard that decoding tolerated (empty for a
        primitive built locally). See :mod:`dimsewire.errors`.
    extra_elements : dict of BaseTag to bytes
        Command elements decoded that have no parameter in this message (unknown,
        retired, or belonging to another message), kept with their raw value bytes.
    command_elements : dict of int to object, or None
        Every command dictionary element of the command set as decoded, by tag (for
        example (0000,0800) CommandDataSetType as sent); None when built locally.
    extra_data_set : io.BytesIO or None
        A data set that arrived with a message that has none (reported as the deviation
        ``data-set-not-allowed``), kept so that nothing received is lost.
    """

    __slots__ = (
        "command_elements",
        "context_id",
        "deviations",
        "extra_data_set",
        "extra_elements",
    )

    #: PS3.7 9.1 / 10.1 parameter table: (parameter, request, response) usage codes.
    _TABLE: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    #: Parameter names compared by ``==`` and shown by ``repr``, in table order.
    _PARAMETERS: ClassVar[tuple[str, ...]] = ()
    _DEFAULTS: ClassVar[tuple[tuple[str, object], ...]] = ()
    #: pynetdicom's names: the mandatory parameters of a request and of a response, and
    #: the parameters that go with some statuses only.
    REQUEST_KEYWORDS: ClassVar[tuple[str, ...]] = ()
    RESPONSE_KEYWORDS: ClassVar[tuple[str, ...]] = ()
    STATUS_OPTIONAL_KEYWORDS: ClassVar[tuple[str, ...]] = ()
    #: The data set parameter of a request and of a response, if the message has one.
    REQUEST_DATA_SET: ClassVar[str | None] = None
    RESPONSE_DATA_SET: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table = cls.__dict__.get("_TABLE")
        if table is None:
            return
        cls._PARAMETERS = tuple(keyword for keyword, _rq, _rsp in table)
        cls._DEFAULTS = tuple((_slot(k), PARAMETERS[k].default) for k in cls._PARAMETERS)
        cls.REQUEST_KEYWORDS = tuple(k for k, rq, _rsp in table if rq == "M")
        cls.RESPONSE_KEYWORDS = tuple(k for k, _rq, rsp in table if rsp == "M")
        cls.STATUS_OPTIONAL_KEYWORDS = tuple(
            k for k, _rq, rsp in table if k in STATUS_DETAILS and _used(rsp)
        )
        for keyword, rq, rsp in table:
            if keyword not in cls.__dict__:
                setattr(cls, keyword, _property(PARAMETERS[keyword]))
            if keyword in DATA_SET_PARAMETERS:
                if _used(rq):
                    cls.REQUEST_DATA_SET = keyword
                if _used(rsp):
                    cls.RESPONSE_DATA_SET = keyword

    def __init__(self) -> None:
        self.context_id: int | None = None
        self.deviations: tuple[Deviation, ...] = ()
        self.extra_elements: dict[BaseTag, bytes] = {}
        self.command_elements: dict[int, object] | None = None
        self.extra_data_set: BytesIO | None = None
        for slot, default in self._DEFAULTS:
            setattr(self, slot, default)

    @property
    def msg_type(self) -> str:
        """The DIMSE service name, as pynetdicom gives it: ``"C-FIND"``, ``"N-GET"``."""
        return type(self).__name__.replace("_", "-")

    @property
    def is_response(self) -> bool:
        """True when ``Status`` is set: the primitive is a response/confirmation."""
        return getattr(self, "_Status", None) is not None

    # -- validity ---------------------------------------------------------------------

    def request_problems(self) -> list[str]:
        """Why this is not a valid request (empty when it is): PS3.7 9.1 / 10.1."""
        return self._problems(response=False)

    def response_problems(self) -> list[str]:
        """Why this is not a valid response (empty when it is): PS3.7 9.1 / 10.1, Annex C."""
        return self._problems(response=True)

    @property
    def is_valid_request(self) -> bool:
        """True if this is a complete, conformant request."""
        return not self.request_problems()

    @property
    def is_valid_response(self) -> bool:
        """True if this is a complete, conformant response."""
        return not self.response_problems()

    def _problems(self, *, response: bool) -> list[str]:
        column = 2 if response else 1
        kind = "response" if response else "request"
        problems = []
        for row in self._TABLE:
            keyword, need = row[0], row[column]
            value = getattr(self, _slot(keyword))
            if need == "M" and value is None:
                problems.append(f"{keyword} is missing")
            elif need == "-" and value is not None and value != PARAMETERS[keyword].default:
                problems.append(f"{keyword} is not a parameter of a {self.msg_type} {kind}")
        for keyword in _UIDS:
            uid = getattr(self, _slot(keyword), None)
            if uid is not None and (bad := uid_problem(uid)) is not None:
                problems.append(f"{keyword} is not a valid UID: {bad}")
        data_set = self.RESPONSE_DATA_SET if response else self.REQUEST_DATA_SET
        if data_set is not None:
            problems.extend(_data_set_problems(getattr(self, _slot(data_set)), data_set))
        if response:
            problems.extend(self.status_problems())
        return problems

    def status_problems(self) -> list[str]:
        """Breaks of the rules tying response parameters to the Status.

        PS3.7 Annex C (C.4, C.5): ErrorComment, ErrorID, OffendingElement and (for
        N-services) AttributeIdentifierList go only with a Warning or Failure status.
        Subclasses add their service's rules. Empty when Status is not set.
        """
        status = getattr(self, "_Status", None)
        if status is None:
            return []
        category = status_info(self.msg_type, status).category
        if category in _DETAIL_CATEGORIES:
            return []
        return [
            f"{keyword} goes only with a Warning or Failure status, not 0x{status:04X} "
            f"({category.value})"
            for keyword in self.STATUS_OPTIONAL_KEYWORDS
            if getattr(self, _slot(keyword)) is not None
        ]

    # -- comparison and display -------------------------------------------------------

    def _values(self) -> tuple[Any, ...]:
        values = [getattr(self, _slot(name)) for name in self._PARAMETERS]
        return tuple(v.getvalue() if isinstance(v, BytesIO) else v for v in values)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, DimsePrimitive)
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        shown = []
        column = 2 if self.is_response else 1
        for row, value in zip(self._TABLE, self._values(), strict=True):
            name = row[0]
            if value is None or (row[column] == "-" and value == PARAMETERS[name].default):
                continue
            if name in DATA_SET_PARAMETERS:
                shown.append(
                    f"{name}=<{len(value)} bytes>"
                    if isinstance(value, bytes)
                    else f"{name}=<streamed from {value!r}>"
                )
            elif name == "Status":
                shown.append(f"Status=0x{value:04X}")
            else:
                shown.append(f"{name}={value!r}")
        if self.context_id is not None:
            shown.append(f"context_id={self.context_id}")
        return f"{type(self).__name__}({', '.join(shown)})"


def _data_set_problems(value: Any, name: str) -> list[str]:
    """An in-memory or seekable data set must be even and not empty (PS3.5 7.1, PS3.8 E.1).

    A source that cannot seek is checked as it is read, when sent.
    """
    if value is None or isinstance(value, Path):
        return []
    if isinstance(value, BytesIO):
        with value.getbuffer() as view:
            size = view.nbytes
    else:
        try:
            if not value.seekable():
                return []
            here = value.tell()
            size = value.seek(0, os.SEEK_END) - here
            value.seek(here)
        except (AttributeError, OSError, ValueError):
            return []
    if size == 0:
        return [f"{name} is empty (PS3.8 Annex E: no empty PDVs)"]
    if size % 2:
        return [f"{name} has odd length {size} (PS3.5 7.1: data sets are even)"]
    return []
