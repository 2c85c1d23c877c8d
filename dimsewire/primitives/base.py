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

import os
import re
from io import BytesIO
from pathlib import Path
from typing import Any, ClassVar

from pydicom.tag import BaseTag

from ..errors import Deviation
from ._validate import VALID_UIDS, uid_problem
from .parameters import PARAMETERS, Param
from .status import StatusCategory, status_category

__all__ = ["DATA_SET_PARAMETERS", "STATUS_DETAILS", "DimsePrimitive", "slots"]


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


class _Checks:
    """What validity checks in one direction of one primitive class, from its table."""

    __slots__ = ("data_set", "mandatory", "uids", "unused")

    def __init__(self, table: tuple[tuple[str, str, str], ...], column: int) -> None:
        rows = [(row[0], row[column]) for row in table]
        data_sets = [k for k, need in rows if k in DATA_SET_PARAMETERS and need != "-"]
        #: (slot, keyword) of the mandatory parameters
        self.mandatory = tuple((_slot(k), k) for k, need in rows if need == "M")
        #: (slot, keyword, default) of the parameters this direction does not have
        self.unused = tuple((_slot(k), k, PARAMETERS[k].default) for k, need in rows if need == "-")
        #: (slot, keyword) of the UIDs
        self.uids = tuple((_slot(k), k) for k, _need in rows if k in _UIDS)
        self.data_set = data_sets[0] if data_sets else None


def _generated_problems(cls: type[DimsePrimitive], response: bool) -> Any:
    """``request_problems`` or ``response_problems`` for one class, as straight-line code.

    The setters guarantee each value's type and range, so what is left for the usual,
    valid primitive is a few comparisons: mandatory parameters set, the other direction's
    unset, UIDs among those found valid (a decoded primitive may hold what no setter
    allows), an in-memory data set even and not empty; then the status rules, cached.
    Any doubt goes to the general ``_problems``, which words every problem.
    """
    checks = cls._CHECKS[response]
    doubts = [f"self.{slot} is None" for slot, _k in checks.mandatory]
    for slot, _keyword, default in checks.unused:
        assert default is None or type(default) is int
        doubts.append(
            f"self.{slot} is not None"
            if default is None
            else f"(self.{slot} is not None and self.{slot} != {default!r})"
        )
    mandatory = {slot for slot, _k in checks.mandatory}
    for slot, _keyword in checks.uids:
        if slot in mandatory:
            doubts.append(f"self.{slot} not in valid_uids")
        elif slot not in {s for s, _k, _d in checks.unused}:
            doubts.append(f"(self.{slot} is not None and self.{slot} not in valid_uids)")
    general = f"self._problems(response={response})"
    lines = ["def problems(self):"]
    if doubts:
        lines += [f"    if {' or '.join(doubts)}:", f"        return {general}"]
    if checks.data_set is not None:
        lines += [
            f"    value = self._{checks.data_set}",
            "    if value is not None and (",
            "        type(value) is not BytesIO or not (size := len(value.getvalue())) or size & 1",
            "    ):",
            f"        return {general}",
        ]
    lines.append("    return self.status_problems()" if response else "    return []")
    for line in lines:
        assert all(part.isidentifier() for part in re.findall(r"self\.(\w+)", line))
    namespace: dict[str, Any] = {"valid_uids": VALID_UIDS, "BytesIO": BytesIO}
    exec("\n".join(lines), namespace)  # built from the class's own table
    function = namespace["problems"]
    function.__name__ = "response_problems" if response else "request_problems"
    function.__qualname__ = f"{cls.__name__}.{function.__name__}"
    function.__doc__ = getattr(DimsePrimitive, function.__name__).__doc__
    function._generated = True
    return function


#: How many (status, details present) outcomes of the status rules a class keeps.
_STATUS_CACHE_LIMIT = 4096


def _generated_status_problems(cls: type[DimsePrimitive], slots: tuple[str, ...]) -> Any:
    """``status_problems`` for one class: its rules' outcome cached per Status and per
    which of `slots` (all the rules look at, and only whether they are set) are set."""
    key = ", ".join(["status", *(f"self.{slot} is None" for slot in slots)])
    lines = [
        "def status_problems(self):",
        "    status = self._Status",
        "    if status is None:",
        "        return []",
        "    if type(self) is not cls:  # a subclass may have rules of its own",
        "        return self._status_rules()",
        f"    key = ({key},)",
        "    found = cache.get(key)",
        "    if found is None:",
        "        found = tuple(self._status_rules())",
        "        if len(cache) < limit:",
        "            cache[key] = found",
        "    return list(found)",
    ]
    assert all(slot.isidentifier() for slot in slots)
    namespace: dict[str, Any] = {"cls": cls, "cache": {}, "limit": _STATUS_CACHE_LIMIT}
    exec("\n".join(lines), namespace)  # built from the class's own table
    function = namespace["status_problems"]
    function.__qualname__ = f"{cls.__name__}.status_problems"
    function.__doc__ = DimsePrimitive.status_problems.__doc__
    function._generated = True
    return function


def _generated_init(defaults: tuple[tuple[str, object], ...]) -> Any:
    """An ``__init__`` that sets every slot in straight-line code, as dataclasses do.

    Primitives are built once per message, so this is on the hot path of encoding and
    decoding; a loop of ``setattr`` costs about three times as much.
    """
    lines = [
        "def __init__(self):",
        "    self.context_id = None",
        "    self.deviations = ()",
        "    self.extra_elements = {}",
        "    self._command_elements = None",
        "    self.extra_data_set = None",
    ]
    for slot, default in defaults:
        assert slot.isidentifier()
        assert default is None or type(default) is int
        lines.append(f"    self.{slot} = {default!r}")
    namespace: dict[str, Any] = {}
    exec("\n".join(lines), namespace)  # built from the class's own table
    init = namespace["__init__"]
    init.__doc__ = "A primitive with every parameter unset (Priority 2, low)."
    return init


def _used(need: str) -> bool:
    return need != "-"


def _inherited(cls: type, name: str) -> bool:
    """Whether `cls` takes method `name` from DimsePrimitive or a generated one: no class
    between them words it its own way."""
    for klass in cls.__mro__:
        if klass is DimsePrimitive:
            return True
        method = klass.__dict__.get(name)
        if method is not None and not getattr(method, "_generated", False):
            return False
    return True


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
        "_command_elements",
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
    #: Per direction (request, response): what validity checks, from the table.
    _CHECKS: ClassVar[tuple[_Checks, ...]] = ()
    #: pynetdicom's names: the mandatory parameters of a request and of a response, and
    #: the parameters that go with some statuses only.
    REQUEST_KEYWORDS: ClassVar[tuple[str, ...]] = ()
    RESPONSE_KEYWORDS: ClassVar[tuple[str, ...]] = ()
    STATUS_OPTIONAL_KEYWORDS: ClassVar[tuple[str, ...]] = ()
    #: Parameters the class's own status rules look at (whether each is set), beside
    #: STATUS_OPTIONAL_KEYWORDS.
    _STATUS_RULE_PARAMETERS: ClassVar[tuple[str, ...]] = ()
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
        cls.__init__ = _generated_init(cls._DEFAULTS)  # type: ignore[method-assign]
        cls._CHECKS = (_Checks(table, 1), _Checks(table, 2))
        cls.REQUEST_KEYWORDS = tuple(k for k, rq, _rsp in table if rq == "M")
        cls.RESPONSE_KEYWORDS = tuple(k for k, _rq, rsp in table if rsp == "M")
        cls.STATUS_OPTIONAL_KEYWORDS = tuple(
            k for k, _rq, rsp in table if k in STATUS_DETAILS and _used(rsp)
        )
        declared = {k for k, v in vars(cls).items() if isinstance(v, Param)}
        if declared != set(cls._PARAMETERS):
            raise TypeError(
                f"{cls.__name__}: the parameters declared ({sorted(declared)}) are not those "
                f"of its table ({sorted(cls._PARAMETERS)})"
            )
        for keyword, rq, rsp in table:
            if keyword in DATA_SET_PARAMETERS:
                if _used(rq):
                    cls.REQUEST_DATA_SET = keyword
                if _used(rsp):
                    cls.RESPONSE_DATA_SET = keyword
        for name, response in (("request_problems", False), ("response_problems", True)):
            if _inherited(cls, name):  # not a class's own wording (C-CANCEL's response)
                setattr(cls, name, _generated_problems(cls, response))
        if "Status" in cls._PARAMETERS and _inherited(cls, "status_problems"):
            watched = (*cls.STATUS_OPTIONAL_KEYWORDS, *cls._STATUS_RULE_PARAMETERS)
            cls.status_problems = _generated_status_problems(  # type: ignore[method-assign]
                cls, tuple(_slot(k) for k in watched)
            )

    def __init__(self) -> None:
        self.context_id: int | None = None
        self.deviations: tuple[Deviation, ...] = ()
        self.extra_elements: dict[BaseTag, bytes] = {}
        self._command_elements: Any = None
        self.extra_data_set: BytesIO | None = None
        for slot, default in self._DEFAULTS:
            setattr(self, slot, default)

    @property
    def command_elements(self) -> dict[int, object] | None:
        """Every command element as decoded, by tag; None when built locally."""
        elements = self._command_elements
        if type(elements) is tuple:  # (function, arguments) from a fast decode: made on first use
            elements = self._command_elements = elements[0](*elements[1:])
        return elements  # type: ignore[no-any-return]

    @command_elements.setter
    def command_elements(self, value: dict[int, object] | None) -> None:
        self._command_elements = value

    @property
    def msg_type(self) -> str:
        """The DIMSE service name, as pynetdicom gives it: ``"C-FIND"``, ``"N-GET"``."""
        return type(self).__name__.replace("_", "-")

    @property
    def data_set_name(self) -> str | None:
        """The data set parameter of this message's direction (e.g. ``"EventReply"`` for a
        response), None when the message carries no data set (PS3.7 9.1, 10.1)."""
        return self.RESPONSE_DATA_SET if self.is_response else self.REQUEST_DATA_SET

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
        """Every problem, worded: the general path of the generated checks."""
        checks = self._CHECKS[response]
        problems = self._table_problems(checks, response)
        if checks.data_set is not None:
            value = getattr(self, "_" + checks.data_set)
            if value is not None:
                problems.extend(_data_set_problems(value, checks.data_set))
        if response:
            problems.extend(self.status_problems())
        return problems

    def _table_problems(self, checks: _Checks, response: bool) -> list[str]:
        problems = [
            f"{k} is missing" for slot, k in checks.mandatory if getattr(self, slot) is None
        ]
        for slot, keyword, default in checks.unused:
            value = getattr(self, slot)
            if value is not None and value != default:
                kind = "response" if response else "request"
                problems.append(f"{keyword} is not a parameter of a {self.msg_type} {kind}")
        for slot, keyword in checks.uids:  # a decoded primitive may hold what no setter allows
            uid = getattr(self, slot)
            if uid is not None and (bad := uid_problem(uid)) is not None:
                problems.append(f"{keyword} is not a valid UID: {bad}")
        return problems

    def status_problems(self) -> list[str]:
        """Breaks of the rules tying response parameters to the Status.

        PS3.7 Annex C (C.4, C.5): ErrorComment, ErrorID, OffendingElement and (for
        N-services) AttributeIdentifierList go only with a Warning or Failure status;
        some services add their own. Empty when Status is not set.
        """
        return self._status_rules()

    def _status_rules(self) -> list[str]:
        """The rules of :meth:`status_problems`, uncached: Annex C's here, a service's in
        its class (calling this first). They look only at the Status and at whether the
        parameters of ``STATUS_OPTIONAL_KEYWORDS`` and ``_STATUS_RULE_PARAMETERS`` are
        set: each class caches their outcome on those."""
        status = getattr(self, "_Status", None)
        if status is None:
            return []
        category = status_category(self.msg_type, status)
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
        # getvalue() shares the bytes a BytesIO was made from; getbuffer() would copy them
        size = len(value.getvalue())
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
