"""DIMSE response statuses: what a Status (0000,0900) value means.

:func:`c_find_status` reads a C-FIND status with PS3.4 C.4.1.1.4 (Table C.4-1) first, then
PS3.7 Annex C; :func:`general_status` reads any DIMSE status with PS3.7 Annex C alone. A code
neither defines gets its status class from the Annex C code ranges (Warning 0001, Bxxx;
Failure Axxx, Cxxx, other 01xx and 02xx) with ``known=False``; Annex C allows no other
value, so anything else is treated as a Failure. Meanings are worded as in the 2024-2026
editions; older ones called A900 "Identifier does not match SOP Class" and Cxxx "Unable to
process".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ._validate import check_status

__all__ = ["PENDING_STATUSES", "StatusCategory", "StatusInfo", "c_find_status", "general_status"]


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

_C_FIND_SOURCE = "PS3.4 C.4.1.1.4"
_UNABLE_TO_PROCESS = "Failed: Unable to process"  # Table C.4-1: every code C000-CFFF

# PS3.4 C.4.1.1.4, Table C.4-1 "C-FIND Response Status Values": code -> (class, meaning).
_C_FIND_TABLE: dict[int, tuple[StatusCategory, str]] = {
    0x0000: (_SUCCESS, "Matching is complete - No final Identifier is supplied."),
    0xFF00: (
        _PENDING,
        "Matches are continuing - Current Match is supplied and any Optional Keys were"
        " supported in the same manner as Required Keys.",
    ),
    0xFF01: (
        _PENDING,
        "Matches are continuing - Warning that one or more Optional Keys were not supported"
        " for existence and/or matching for this Identifier.",
    ),
    0xFE00: (_CANCEL, "Matching terminated due to Cancel request"),
    0xA700: (_FAILURE, "Refused: Out of resources"),
    0xA900: (_FAILURE, "Error: Data Set does not match SOP Class"),  # was "Identifier ..."
}

# PS3.7 Annex C: code -> (section, class, meaning = section title). 0001, FF00 and FF01 have
# no section: Annex C gives only their status class and leaves the meaning to PS3.4.
_GENERAL_TABLE: dict[int, tuple[str, StatusCategory, str]] = {
    0x0000: ("C.1.1", _SUCCESS, "Success"),
    0xFF00: ("Annex C", _PENDING, "Pending (Service Class specific, see PS3.4)"),
    0xFF01: ("Annex C", _PENDING, "Pending (Service Class specific, see PS3.4)"),
    0xFE00: ("C.3.1", _CANCEL, "Cancel"),
    0x0001: ("Annex C", _WARNING, "Warning (Service Class specific, see PS3.4)"),
    0x0107: ("C.4.2", _WARNING, "Attribute List warning"),
    0x0116: ("C.4.3", _WARNING, "Attribute Value out of range"),
    0x0122: ("C.5.6", _FAILURE, "Refused: SOP Class not supported"),
    0x0119: ("C.5.7", _FAILURE, "Class-Instance conflict"),
    0x0111: ("C.5.8", _FAILURE, "Duplicate SOP Instance"),
    0x0210: ("C.5.9", _FAILURE, "Duplicate invocation"),
    0x0115: ("C.5.10", _FAILURE, "Invalid argument value"),
    0x0106: ("C.5.11", _FAILURE, "Invalid Attribute Value"),
    0x0117: ("C.5.12", _FAILURE, "Invalid SOP Instance"),  # "Invalid object instance" once
    0x0120: ("C.5.13", _FAILURE, "Missing Attribute"),
    0x0121: ("C.5.14", _FAILURE, "Missing Attribute Value"),
    0x0212: ("C.5.15", _FAILURE, "Mistyped argument"),
    0x0114: ("C.5.16", _FAILURE, "No such argument"),
    0x0105: ("C.5.17", _FAILURE, "No such Attribute"),
    0x0113: ("C.5.18", _FAILURE, "No such Event Type"),
    0x0112: ("C.5.19", _FAILURE, "No such SOP Instance"),
    0x0118: ("C.5.20", _FAILURE, "No such SOP Class"),
    0x0110: ("C.5.21", _FAILURE, "Processing Failure"),
    0x0213: ("C.5.22", _FAILURE, "Resource limitation"),
    0x0211: ("C.5.23", _FAILURE, "Unrecognized operation"),
    0x0123: ("C.5.24", _FAILURE, "No such Action Type"),
    0x0124: ("C.5.25", _FAILURE, "Refused: Not authorized"),
}

# PS3.7 Annex C status class ranges, for codes no table defines: (first, last, class).
_RANGES: tuple[tuple[int, int, StatusCategory], ...] = (
    (0x0100, 0x02FF, _FAILURE),  # 01xx and 02xx (0107 and 0116 are in _GENERAL_TABLE)
    (0xA000, 0xAFFF, _FAILURE),  # Axxx
    (0xB000, 0xBFFF, _WARNING),  # Bxxx
    (0xC000, 0xCFFF, _FAILURE),  # Cxxx
)

PENDING_STATUSES: frozenset[int] = frozenset({0xFF00, 0xFF01})
"""The C-FIND Pending statuses (PS3.4 C.4.1.1.4): more responses follow."""

_C_FIND_INFO = {
    code: StatusInfo(code, category, meaning, _C_FIND_SOURCE, True)
    for code, (category, meaning) in _C_FIND_TABLE.items()
}
_GENERAL_INFO = {
    code: StatusInfo(code, category, meaning, f"PS3.7 {section}", True)
    for code, (section, category, meaning) in _GENERAL_TABLE.items()
}


def _checked(code: object) -> int:
    """Return `code` as an int 0..0xFFFF or raise TypeError/ValueError naming it."""
    value = check_status(code, "status") if code is not None else None
    if value is None:
        raise TypeError("status must be an int from 0 to 65535 (0xFFFF), not NoneType")
    return int(value)


def _by_range(code: int) -> StatusInfo:
    """Categorise a code no table defines by the ranges of PS3.7 Annex C."""
    for first, last, category in _RANGES:
        if first <= code <= last:
            return StatusInfo(code, category, "unrecognised status", "PS3.7 Annex C", False)
    outside = "none (outside every PS3.7 Annex C range)"
    return StatusInfo(code, _FAILURE, "unrecognised status", outside, False)


def general_status(code: int) -> StatusInfo:
    """Look up a DIMSE status in the general statuses of PS3.7 Annex C.

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
    info = _GENERAL_INFO.get(value)
    return info if info is not None else _by_range(value)


def c_find_status(code: int) -> StatusInfo:
    """Look up a C-FIND response status (PS3.4 C.4.1.1.4, Table C.4-1).

    The C-FIND table is read first (every code C000-CFFF is "Failed: Unable to process"),
    then the general statuses of PS3.7 Annex C (e.g. 0122 "Refused: SOP Class not
    supported"), then the code ranges of Annex C.

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
    value = _checked(code)
    info = _C_FIND_INFO.get(value)
    if info is not None:
        return info
    if 0xC000 <= value <= 0xCFFF:
        return StatusInfo(value, _FAILURE, _UNABLE_TO_PROCESS, _C_FIND_SOURCE, True)
    return general_status(value)
