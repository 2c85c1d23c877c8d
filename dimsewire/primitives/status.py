"""DIMSE response statuses: what a Status (0000,0900) value means on a given service.

A status code means what the table of its service says: 0000 ends a C-FIND with "Matching is
complete - No final Identifier is supplied.", a C-MOVE with "Sub-operations Complete - No
Failures or Warnings" and an N-SET with plain "Success". :func:`status_info` reads, in order:

1. the table of the service: PS3.4 A.4 (C-ECHO), B.2.3 (C-STORE), C.4.1.1.4 (C-FIND, with
   the Repository Query statuses of C.6.4.5), C.4.2.1.5 (C-MOVE), C.4.3.1.4 (C-GET); for a
   DIMSE-N service, the statuses its PS3.7 10.1 "Status" section lists, named as in Annex C;
2. the general statuses of PS3.7 Annex C, e.g. 0122 "Refused: SOP Class not supported" on a
   C-STORE, or 0113 "No such Event Type" on an N-GET (which does not list it);
3. the status class ranges of Annex C (Warning 0001, Bxxx; Failure Axxx, Cxxx, other 01xx
   and 02xx), with ``known=False``. Annex C allows no other value, so anything else is
   treated as a Failure.

A row written with trailing x's ("A7xx") covers every code it matches, as the PS3.4 tables
mean it. Annex C fixes the class of every code, and no service table disagrees: the
category of a status never depends on the service, only its meaning and source do.

Meanings are worded as in the 2024-2026 editions; older ones called A900 "Identifier does
not match SOP Class" and Cxxx on a C-FIND, C-MOVE or C-GET "Unable to process". Service
class statuses beyond these tables (Storage Commitment, Print, UPS, frame-level retrieve
...) are not included: they fall back to Annex C and its ranges.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from typing import NamedTuple

from ._validate import check_status

__all__ = [
    "PENDING_STATUSES",
    "StatusCategory",
    "StatusInfo",
    "c_find_status",
    "general_status",
    "status_category",
    "status_info",
]


class StatusCategory(str, enum.Enum):
    """The five status classes of PS3.7 Annex C (C.1 to C.5)."""

    SUCCESS = "Success"
    PENDING = "Pending"
    CANCEL = "Cancel"
    WARNING = "Warning"
    FAILURE = "Failure"


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """What one status code means.

    Attributes
    ----------
    code : int
        The Status (0000,0900) value, 0..0xFFFF.
    category : StatusCategory
        Its status class (PS3.7 Annex C).
    meaning : str
        The standard's meaning, e.g. "Matching terminated due to Cancel request", or
        "unrecognised status" for a code no table defines.
    source : str
        Where the standard defines it, e.g. "PS3.4 C.4.1.1.4" or "PS3.7 C.5.21".
    known : bool
        False when the code is defined nowhere and was categorised by its range.
    """

    code: int
    category: StatusCategory
    meaning: str
    source: str
    known: bool

    def __str__(self) -> str:
        """Return e.g. ``"0xFE00 Cancel: Matching terminated due to Cancel request"``."""
        return f"0x{self.code:04X} {self.category.value}: {self.meaning}"


_SUCCESS, _PENDING, _CANCEL, _WARNING, _FAILURE = StatusCategory  # in definition order


class _Row(NamedTuple):
    """One row of a status table, its code written as the PS3 table writes it."""

    codes: str  # one code, "A801", or every code a pattern matches, "A7xx" (A700-A7FF)
    category: StatusCategory
    meaning: str
    section: str = ""  # where the row is defined, if not in its table's section


class _Table(NamedTuple):
    """A status table: the part and section of the standard holding it, and its rows."""

    part: str
    section: str
    rows: tuple[_Row, ...]


# PS3.7 Annex C "Status Type Encoding": the general statuses, meaning = section title. 0001,
# FF00 and FF01 have no section: Annex C gives only their class and leaves the meaning to PS3.4.
_ANNEX_C = _Table(
    "PS3.7",
    "Annex C",
    (
        _Row("0000", _SUCCESS, "Success", "C.1.1"),
        _Row("FF00", _PENDING, "Pending (Service Class specific, see PS3.4)"),
        _Row("FF01", _PENDING, "Pending (Service Class specific, see PS3.4)"),
        _Row("FE00", _CANCEL, "Cancel", "C.3.1"),
        _Row("0001", _WARNING, "Warning (Service Class specific, see PS3.4)"),
        _Row("0107", _WARNING, "Attribute List warning", "C.4.2"),
        _Row("0116", _WARNING, "Attribute Value out of range", "C.4.3"),
        _Row("0122", _FAILURE, "Refused: SOP Class not supported", "C.5.6"),
        _Row("0119", _FAILURE, "Class-Instance conflict", "C.5.7"),
        _Row("0111", _FAILURE, "Duplicate SOP Instance", "C.5.8"),
        _Row("0210", _FAILURE, "Duplicate invocation", "C.5.9"),
        _Row("0115", _FAILURE, "Invalid argument value", "C.5.10"),
        _Row("0106", _FAILURE, "Invalid Attribute Value", "C.5.11"),
        _Row("0117", _FAILURE, "Invalid SOP Instance", "C.5.12"),  # "Invalid object instance" once
        _Row("0120", _FAILURE, "Missing Attribute", "C.5.13"),
        _Row("0121", _FAILURE, "Missing Attribute Value", "C.5.14"),
        _Row("0212", _FAILURE, "Mistyped argument", "C.5.15"),
        _Row("0114", _FAILURE, "No such argument", "C.5.16"),
        _Row("0105", _FAILURE, "No such Attribute", "C.5.17"),
        _Row("0113", _FAILURE, "No such Event Type", "C.5.18"),
        _Row("0112", _FAILURE, "No such SOP Instance", "C.5.19"),
        _Row("0118", _FAILURE, "No such SOP Class", "C.5.20"),
        _Row("0110", _FAILURE, "Processing Failure", "C.5.21"),
        _Row("0213", _FAILURE, "Resource limitation", "C.5.22"),
        _Row("0211", _FAILURE, "Unrecognized operation", "C.5.23"),
        _Row("0123", _FAILURE, "No such Action Type", "C.5.24"),
        _Row("0124", _FAILURE, "Refused: Not authorized", "C.5.25"),
    ),
)

_DATA_SET_MISMATCH = "Error: Data Set does not match SOP Class"
_UNABLE_TO_PROCESS = "Failed: Unable to process"
_NO_MATCH_COUNT = "Refused: Out of Resources - Unable to calculate number of matches"
_NO_SUB_OPERATIONS = "Refused: Out of Resources - Unable to perform sub-operations"
_SUB_OPERATIONS_DONE = "Sub-operations Complete - No Failures or Warnings"
_SUB_OPERATIONS_WARNED = "Sub-operations Complete - One or more Failures or Warnings"
_SUB_OPERATIONS_CANCELLED = "Sub-operations terminated due to Cancel Indication"

# The PS3.4 tables of the DIMSE-C services (C-CANCEL has no response, so no status).
_C_SERVICE_TABLES: dict[str, _Table] = {
    # PS3.4 A.4, Verification: Success; its failures are Annex C's (PS3.7 9.1.5.1.4).
    "C-ECHO": _Table("PS3.4", "A.4", (_Row("0000", _SUCCESS, "Success"),)),
    # PS3.4 B.2.3, Table B.2-1 "C-STORE Response Status Values".
    "C-STORE": _Table(
        "PS3.4",
        "B.2.3",
        (
            _Row("0000", _SUCCESS, "Success"),
            _Row("B000", _WARNING, "Coercion of Data Elements"),
            _Row("B007", _WARNING, "Data Set does not match SOP Class"),
            _Row("B006", _WARNING, "Elements Discarded"),
            _Row("A7xx", _FAILURE, "Refused: Out of Resources"),
            _Row("A9xx", _FAILURE, _DATA_SET_MISMATCH),
            _Row("Cxxx", _FAILURE, "Error: Cannot understand"),
        ),
    ),
    # PS3.4 C.4.1.1.4, Table C.4-1 "C-FIND Response Status Values", and the two statuses
    # the Repository Query SOP Class adds in its SCP behaviour (PS3.4 C.6.4.5).
    "C-FIND": _Table(
        "PS3.4",
        "C.4.1.1.4",
        (
            _Row("0000", _SUCCESS, "Matching is complete - No final Identifier is supplied."),
            _Row(
                "FF00",
                _PENDING,
                "Matches are continuing - Current Match is supplied and any Optional Keys"
                " were supported in the same manner as Required Keys.",
            ),
            _Row(
                "FF01",
                _PENDING,
                "Matches are continuing - Warning that one or more Optional Keys were not"
                " supported for existence and/or matching for this Identifier.",
            ),
            _Row("FE00", _CANCEL, "Matching terminated due to Cancel request"),
            _Row("A700", _FAILURE, "Refused: Out of resources"),
            _Row("A900", _FAILURE, _DATA_SET_MISMATCH),
            _Row("Cxxx", _FAILURE, _UNABLE_TO_PROCESS),
            _Row(
                "B001",
                _WARNING,
                "Matching reached response limit, subsequent request may return additional matches",
                "C.6.4.5",
            ),
            _Row("A710", _FAILURE, "Invalid Prior Record Key", "C.6.4.5.3"),
        ),
    ),
    # PS3.4 C.4.3.1.4, Table C.4-3 "C-GET Response Status Values".
    "C-GET": _Table(
        "PS3.4",
        "C.4.3.1.4",
        (
            _Row("0000", _SUCCESS, _SUB_OPERATIONS_DONE),
            _Row("FF00", _PENDING, "Sub-operations are continuing"),
            _Row("FE00", _CANCEL, _SUB_OPERATIONS_CANCELLED),
            _Row("B000", _WARNING, _SUB_OPERATIONS_WARNED),
            _Row("A701", _FAILURE, _NO_MATCH_COUNT),
            _Row("A702", _FAILURE, _NO_SUB_OPERATIONS),
            _Row("A900", _FAILURE, _DATA_SET_MISMATCH),
            _Row("Cxxx", _FAILURE, _UNABLE_TO_PROCESS),
        ),
    ),
    # PS3.4 C.4.2.1.5, Table C.4-2 "C-MOVE Response Status Values": C-GET's and A801.
    "C-MOVE": _Table(
        "PS3.4",
        "C.4.2.1.5",
        (
            _Row("0000", _SUCCESS, _SUB_OPERATIONS_DONE),
            _Row("FF00", _PENDING, "Sub-operations are continuing"),
            _Row("FE00", _CANCEL, _SUB_OPERATIONS_CANCELLED),
            _Row("B000", _WARNING, _SUB_OPERATIONS_WARNED),
            _Row("A701", _FAILURE, _NO_MATCH_COUNT),
            _Row("A702", _FAILURE, _NO_SUB_OPERATIONS),
            _Row("A801", _FAILURE, "Refused: Move Destination unknown"),
            _Row("A900", _FAILURE, _DATA_SET_MISMATCH),
            _Row("Cxxx", _FAILURE, _UNABLE_TO_PROCESS),
        ),
    ),
}

# PS3.7 10.1.x "Status": the statuses each DIMSE-N service lists, by code; their names and
# classes are those of Annex C. Its "Service Class specific" Warning and Failure values are
# left to the Annex C ranges.
_N_SERVICE_STATUSES: dict[str, tuple[str, str]] = {
    "N-EVENT-REPORT": (
        "10.1.1.1.8",
        "0000 0110 0112 0113 0114 0115 0117 0118 0119 0210 0211 0212 0213",
    ),
    "N-GET": ("10.1.2.1.9", "0000 0107 0110 0112 0117 0118 0119 0124 0210 0211 0212 0213"),
    "N-SET": (
        "10.1.3.1.9",
        "0000 0105 0106 0107 0110 0112 0116 0117 0118 0119 0121 0124 0210 0211 0212 0213",
    ),
    "N-ACTION": (
        "10.1.4.1.10",
        "0000 0110 0112 0114 0115 0117 0118 0119 0123 0124 0210 0211 0212 0213",
    ),
    "N-CREATE": (
        "10.1.5.1.6",
        "0000 0105 0106 0107 0110 0111 0116 0117 0118 0120 0121 0124 0210 0211 0212 0213",
    ),
    "N-DELETE": ("10.1.6.1.7", "0000 0110 0112 0117 0118 0119 0124 0210 0211 0212 0213"),
}


def _n_service_table(section: str, codes: str) -> _Table:
    """The table of a DIMSE-N service: the codes it lists, with Annex C's class and name."""
    annex_c = {row.codes: row for row in _ANNEX_C.rows}
    rows = tuple(
        _Row(code, annex_c[code].category, annex_c[code].meaning) for code in codes.split()
    )
    return _Table("PS3.7", section, rows)


_SERVICE_TABLES: dict[str, _Table] = {
    **_C_SERVICE_TABLES,
    **{name: _n_service_table(*listed) for name, listed in _N_SERVICE_STATUSES.items()},
}

# PS3.7 Annex C status class ranges, for codes no table defines: (first, last, class).
_RANGES: tuple[tuple[int, int, StatusCategory], ...] = (
    (0x0100, 0x02FF, _FAILURE),  # 01xx and 02xx (0107 and 0116 are in _ANNEX_C)
    (0xA000, 0xAFFF, _FAILURE),  # Axxx
    (0xB000, 0xBFFF, _WARNING),  # Bxxx
    (0xC000, 0xCFFF, _FAILURE),  # Cxxx
)


class _Span(NamedTuple):
    """The codes an x-pattern row covers, first to last, and what they mean."""

    first: int
    last: int
    category: StatusCategory
    meaning: str
    source: str


class _Lookup(NamedTuple):
    """A table compiled for lookup: single codes in a dict, x-patterns as spans."""

    codes: dict[int, StatusInfo]
    spans: tuple[_Span, ...]

    def get(self, code: int) -> StatusInfo | None:
        """Return what the table says of `code`, or None if it says nothing."""
        info = self.codes.get(code)
        if info is not None:
            return info
        for span in self.spans:
            if span.first <= code <= span.last:
                return StatusInfo(code, span.category, span.meaning, span.source, True)
        return None


def _compile(table: _Table) -> _Lookup:
    """Compile `table`: "A801" -> one code, "A7xx" -> a span of codes A700 to A7FF."""
    codes: dict[int, StatusInfo] = {}
    spans: list[_Span] = []
    for row in table.rows:
        source = f"{table.part} {row.section or table.section}"
        fixed = row.codes.rstrip("x")
        width = 4 * (len(row.codes) - len(fixed))  # bits the x's stand for
        first = int(fixed, 16) << width
        if width:
            spans.append(
                _Span(first, first | ((1 << width) - 1), row.category, row.meaning, source)
            )
        else:
            codes[first] = StatusInfo(first, row.category, row.meaning, source, True)
    return _Lookup(codes, tuple(spans))


_GENERAL = _compile(_ANNEX_C)
_LOOKUPS = {name: _compile(table) for name, table in _SERVICE_TABLES.items()}
_SERVICE_NAMES = ", ".join(_LOOKUPS)

PENDING_STATUSES: frozenset[int] = frozenset(
    code for code, info in _LOOKUPS["C-FIND"].codes.items() if info.category is _PENDING
)
"""The C-FIND Pending statuses (PS3.4 C.4.1.1.4): more responses follow."""


def _checked(code: object) -> int:
    """Return `code` as an int 0..0xFFFF or raise TypeError/ValueError naming it."""
    value = check_status(code, "status") if code is not None else None
    if value is None:
        raise TypeError("status must be an int from 0 to 65535 (0xFFFF), not NoneType")
    return int(value)


def _service_lookup(service: object) -> _Lookup:
    """Return the compiled table of `service` or raise TypeError/ValueError naming them all."""
    if not isinstance(service, str):
        raise TypeError(
            f"service must be a str, one of {_SERVICE_NAMES}, not {type(service).__name__}"
        )
    lookup = _LOOKUPS.get(service)
    if lookup is None:
        why = ": a C-CANCEL has no response, so no status" if service == "C-CANCEL" else ""
        raise ValueError(f"service must be one of {_SERVICE_NAMES}, not {service!r}{why}")
    return lookup


def _by_range(code: int) -> StatusInfo:
    """Categorise a code no table defines by the ranges of PS3.7 Annex C."""
    for first, last, category in _RANGES:
        if first <= code <= last:
            return StatusInfo(code, category, "unrecognised status", "PS3.7 Annex C", False)
    outside = "none (outside every PS3.7 Annex C range)"
    return StatusInfo(code, _FAILURE, "unrecognised status", outside, False)


def general_status(code: int) -> StatusInfo:
    """Look up a DIMSE status in the general statuses of PS3.7 Annex C alone.

    Parameters
    ----------
    code : int
        The Status (0000,0900) value, 0..0xFFFF.

    Returns
    -------
    StatusInfo
        The Annex C status, or for a code Annex C does not define, its status class by
        code range with ``known=False`` (Failure when no range holds it).

    Raises
    ------
    TypeError
        If `code` is not an int (a bool is not accepted).
    ValueError
        If `code` is outside 0..0xFFFF.
    """
    value = _checked(code)
    info = _GENERAL.get(value)
    return info if info is not None else _by_range(value)


@functools.lru_cache(maxsize=4096)
def status_category(service: str, code: int) -> StatusCategory:
    """The status class of `code` in `service`'s table: :func:`status_info`'s category, cached.

    The primitives' status rules ask this for every response they check.
    """
    return status_info(service, code).category


def status_info(service: str, code: int) -> StatusInfo:
    """Look up the status of a response to a DIMSE service.

    The table of the service is read first (PS3.4 for the DIMSE-C services, the PS3.7 10.1
    lists for the DIMSE-N ones), then the general statuses of PS3.7 Annex C, then the code
    ranges of Annex C.

    Parameters
    ----------
    service : str
        The DIMSE service as a primitive's ``msg_type`` names it: "C-ECHO", "C-STORE",
        "C-FIND", "C-GET", "C-MOVE", "N-EVENT-REPORT", "N-GET", "N-SET", "N-ACTION",
        "N-CREATE" or "N-DELETE" (C-CANCEL has no response).
    code : int
        The Status (0000,0900) value of the response, 0..0xFFFF.

    Returns
    -------
    StatusInfo
        The status, with ``known=False`` when only its range categorised it.

    Raises
    ------
    TypeError
        If `service` is not a str, or `code` is not an int (a bool is not accepted).
    ValueError
        If `service` names no DIMSE service with a response, or `code` is outside
        0..0xFFFF. The service is checked first.

    Examples
    --------
    >>> str(status_info("C-MOVE", 0xA801))
    '0xA801 Failure: Refused: Move Destination unknown'
    >>> status_info("N-GET", 0x0000).meaning
    'Success'
    """
    lookup = _service_lookup(service)
    value = _checked(code)
    info = lookup.get(value)
    if info is not None:
        return info
    return general_status(value)


def c_find_status(code: int) -> StatusInfo:
    """Look up a C-FIND response status: ``status_info("C-FIND", code)``.

    PS3.4 C.4.1.1.4 (Table C.4-1, where every code C000-CFFF is "Failed: Unable to process")
    and the Repository Query statuses of C.6.4.5 first, then PS3.7 Annex C (e.g. 0122
    "Refused: SOP Class not supported"), then the code ranges of Annex C.

    Parameters
    ----------
    code : int
        The Status (0000,0900) value of a C-FIND-RSP, 0..0xFFFF.

    Returns
    -------
    StatusInfo
        The status, with ``known=False`` when only its range categorised it.

    Raises
    ------
    TypeError
        If `code` is not an int (a bool is not accepted).
    ValueError
        If `code` is outside 0..0xFFFF.
    """
    return status_info("C-FIND", code)
