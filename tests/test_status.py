"""Status lookup per DIMSE service: PS3.4 service tables, PS3.7 10.1 lists and Annex C."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest

from dimsewire.primitives.status import (
    PENDING_STATUSES,
    StatusCategory,
    StatusInfo,
    c_find_status,
    general_status,
    status_info,
)

SUCCESS = StatusCategory.SUCCESS
PENDING = StatusCategory.PENDING
CANCEL = StatusCategory.CANCEL
WARNING = StatusCategory.WARNING
FAILURE = StatusCategory.FAILURE

Expected = tuple[StatusCategory, str, str]  # (class, meaning, source)

SERVICES = (
    "C-ECHO",
    "C-STORE",
    "C-FIND",
    "C-GET",
    "C-MOVE",
    "N-EVENT-REPORT",
    "N-GET",
    "N-SET",
    "N-ACTION",
    "N-CREATE",
    "N-DELETE",
)
SERVICE_LIST = ", ".join(SERVICES)

# -- the tables, written out again from the standard ------------------------------------------

C_FIND = "PS3.4 C.4.1.1.4"
FF00_MEANING = (
    "Matches are continuing - Current Match is supplied and any Optional Keys were supported"
    " in the same manner as Required Keys."
)
FF01_MEANING = (
    "Matches are continuing - Warning that one or more Optional Keys were not supported for"
    " existence and/or matching for this Identifier."
)

# Every code PS3.7 Annex C defines: code -> (class, meaning, source).
GENERAL_EXPECTED: dict[int, Expected] = {
    0x0000: (SUCCESS, "Success", "PS3.7 C.1.1"),
    0xFF00: (PENDING, "Pending (Service Class specific, see PS3.4)", "PS3.7 Annex C"),
    0xFF01: (PENDING, "Pending (Service Class specific, see PS3.4)", "PS3.7 Annex C"),
    0xFE00: (CANCEL, "Cancel", "PS3.7 C.3.1"),
    0x0001: (WARNING, "Warning (Service Class specific, see PS3.4)", "PS3.7 Annex C"),
    0x0107: (WARNING, "Attribute List warning", "PS3.7 C.4.2"),
    0x0116: (WARNING, "Attribute Value out of range", "PS3.7 C.4.3"),
    0x0122: (FAILURE, "Refused: SOP Class not supported", "PS3.7 C.5.6"),
    0x0119: (FAILURE, "Class-Instance conflict", "PS3.7 C.5.7"),
    0x0111: (FAILURE, "Duplicate SOP Instance", "PS3.7 C.5.8"),
    0x0210: (FAILURE, "Duplicate invocation", "PS3.7 C.5.9"),
    0x0115: (FAILURE, "Invalid argument value", "PS3.7 C.5.10"),
    0x0106: (FAILURE, "Invalid Attribute Value", "PS3.7 C.5.11"),
    0x0117: (FAILURE, "Invalid SOP Instance", "PS3.7 C.5.12"),
    0x0120: (FAILURE, "Missing Attribute", "PS3.7 C.5.13"),
    0x0121: (FAILURE, "Missing Attribute Value", "PS3.7 C.5.14"),
    0x0212: (FAILURE, "Mistyped argument", "PS3.7 C.5.15"),
    0x0114: (FAILURE, "No such argument", "PS3.7 C.5.16"),
    0x0105: (FAILURE, "No such Attribute", "PS3.7 C.5.17"),
    0x0113: (FAILURE, "No such Event Type", "PS3.7 C.5.18"),
    0x0112: (FAILURE, "No such SOP Instance", "PS3.7 C.5.19"),
    0x0118: (FAILURE, "No such SOP Class", "PS3.7 C.5.20"),
    0x0110: (FAILURE, "Processing Failure", "PS3.7 C.5.21"),
    0x0213: (FAILURE, "Resource limitation", "PS3.7 C.5.22"),
    0x0211: (FAILURE, "Unrecognized operation", "PS3.7 C.5.23"),
    0x0123: (FAILURE, "No such Action Type", "PS3.7 C.5.24"),
    0x0124: (FAILURE, "Refused: Not authorized", "PS3.7 C.5.25"),
}

SUB_OPS_DONE = "Sub-operations Complete - No Failures or Warnings"
SUB_OPS_WARNED = "Sub-operations Complete - One or more Failures or Warnings"
SUB_OPS_CANCELLED = "Sub-operations terminated due to Cancel Indication"
NO_MATCH_COUNT = "Refused: Out of Resources - Unable to calculate number of matches"
NO_SUB_OPS = "Refused: Out of Resources - Unable to perform sub-operations"
DATA_SET_MISMATCH = "Error: Data Set does not match SOP Class"

# The single-code rows of the DIMSE-C service tables: service -> code -> expected.
C_SERVICE_ROWS: dict[str, dict[int, Expected]] = {
    "C-ECHO": {0x0000: (SUCCESS, "Success", "PS3.4 A.4")},
    "C-STORE": {  # PS3.4 Table B.2-1
        0x0000: (SUCCESS, "Success", "PS3.4 B.2.3"),
        0xB000: (WARNING, "Coercion of Data Elements", "PS3.4 B.2.3"),
        0xB007: (WARNING, "Data Set does not match SOP Class", "PS3.4 B.2.3"),
        0xB006: (WARNING, "Elements Discarded", "PS3.4 B.2.3"),
    },
    "C-FIND": {  # PS3.4 Table C.4-1, and the Repository Query statuses of C.6.4.5
        0x0000: (SUCCESS, "Matching is complete - No final Identifier is supplied.", C_FIND),
        0xFF00: (PENDING, FF00_MEANING, C_FIND),
        0xFF01: (PENDING, FF01_MEANING, C_FIND),
        0xFE00: (CANCEL, "Matching terminated due to Cancel request", C_FIND),
        0xA700: (FAILURE, "Refused: Out of resources", C_FIND),
        0xA900: (FAILURE, DATA_SET_MISMATCH, C_FIND),
        0xA710: (FAILURE, "Invalid Prior Record Key", "PS3.4 C.6.4.5.3"),
        0xB001: (
            WARNING,
            "Matching reached response limit, subsequent request may return additional matches",
            "PS3.4 C.6.4.5",
        ),
    },
    "C-GET": {  # PS3.4 Table C.4-3
        0x0000: (SUCCESS, SUB_OPS_DONE, "PS3.4 C.4.3.1.4"),
        0xFF00: (PENDING, "Sub-operations are continuing", "PS3.4 C.4.3.1.4"),
        0xFE00: (CANCEL, SUB_OPS_CANCELLED, "PS3.4 C.4.3.1.4"),
        0xB000: (WARNING, SUB_OPS_WARNED, "PS3.4 C.4.3.1.4"),
        0xA701: (FAILURE, NO_MATCH_COUNT, "PS3.4 C.4.3.1.4"),
        0xA702: (FAILURE, NO_SUB_OPS, "PS3.4 C.4.3.1.4"),
        0xA900: (FAILURE, DATA_SET_MISMATCH, "PS3.4 C.4.3.1.4"),
    },
    "C-MOVE": {  # PS3.4 Table C.4-2
        0x0000: (SUCCESS, SUB_OPS_DONE, "PS3.4 C.4.2.1.5"),
        0xFF00: (PENDING, "Sub-operations are continuing", "PS3.4 C.4.2.1.5"),
        0xFE00: (CANCEL, SUB_OPS_CANCELLED, "PS3.4 C.4.2.1.5"),
        0xB000: (WARNING, SUB_OPS_WARNED, "PS3.4 C.4.2.1.5"),
        0xA701: (FAILURE, NO_MATCH_COUNT, "PS3.4 C.4.2.1.5"),
        0xA702: (FAILURE, NO_SUB_OPS, "PS3.4 C.4.2.1.5"),
        0xA801: (FAILURE, "Refused: Move Destination unknown", "PS3.4 C.4.2.1.5"),
        0xA900: (FAILURE, DATA_SET_MISMATCH, "PS3.4 C.4.2.1.5"),
    },
}

# The x-pattern rows: service -> [(first, last, class, meaning, source)].
C_SERVICE_SPANS: dict[str, list[tuple[int, int, StatusCategory, str, str]]] = {
    "C-ECHO": [],
    "C-STORE": [
        (0xA700, 0xA7FF, FAILURE, "Refused: Out of Resources", "PS3.4 B.2.3"),
        (0xA900, 0xA9FF, FAILURE, DATA_SET_MISMATCH, "PS3.4 B.2.3"),
        (0xC000, 0xCFFF, FAILURE, "Error: Cannot understand", "PS3.4 B.2.3"),
    ],
    "C-FIND": [(0xC000, 0xCFFF, FAILURE, "Failed: Unable to process", C_FIND)],
    "C-GET": [(0xC000, 0xCFFF, FAILURE, "Failed: Unable to process", "PS3.4 C.4.3.1.4")],
    "C-MOVE": [(0xC000, 0xCFFF, FAILURE, "Failed: Unable to process", "PS3.4 C.4.2.1.5")],
}

# PS3.7 10.1.x "Status": the codes each DIMSE-N service lists, and where.
N_SERVICE_LISTS: dict[str, tuple[str, set[int]]] = {
    "N-EVENT-REPORT": (
        "PS3.7 10.1.1.1.8",
        {0x0000, 0x0110, 0x0112, 0x0113, 0x0114, 0x0115, 0x0117, 0x0118, 0x0119, 0x0210,
         0x0211, 0x0212, 0x0213},
    ),
    "N-GET": (
        "PS3.7 10.1.2.1.9",
        {0x0000, 0x0107, 0x0110, 0x0112, 0x0117, 0x0118, 0x0119, 0x0124, 0x0210, 0x0211,
         0x0212, 0x0213},
    ),
    "N-SET": (
        "PS3.7 10.1.3.1.9",
        {0x0000, 0x0105, 0x0106, 0x0107, 0x0110, 0x0112, 0x0116, 0x0117, 0x0118, 0x0119,
         0x0121, 0x0124, 0x0210, 0x0211, 0x0212, 0x0213},
    ),
    "N-ACTION": (
        "PS3.7 10.1.4.1.10",
        {0x0000, 0x0110, 0x0112, 0x0114, 0x0115, 0x0117, 0x0118, 0x0119, 0x0123, 0x0124,
         0x0210, 0x0211, 0x0212, 0x0213},
    ),
    "N-CREATE": (
        "PS3.7 10.1.5.1.6",
        {0x0000, 0x0105, 0x0106, 0x0107, 0x0110, 0x0111, 0x0116, 0x0117, 0x0118, 0x0120,
         0x0121, 0x0124, 0x0210, 0x0211, 0x0212, 0x0213},
    ),
    "N-DELETE": (
        "PS3.7 10.1.6.1.7",
        {0x0000, 0x0110, 0x0112, 0x0117, 0x0118, 0x0119, 0x0124, 0x0210, 0x0211, 0x0212,
         0x0213},
    ),
}  # fmt: skip


def table_rows(service: str) -> dict[int, Expected]:
    """The single-code rows of `service`'s own table, as the tests expect them."""
    if service in N_SERVICE_LISTS:
        source, codes = N_SERVICE_LISTS[service]
        return {code: (*GENERAL_EXPECTED[code][:2], source) for code in codes}
    return C_SERVICE_ROWS[service]


def in_span(service: str, code: int) -> bool:
    return any(first <= code <= last for first, last, *_ in C_SERVICE_SPANS.get(service, []))


def hex_id(value: object) -> str | None:
    """Name a parameter that is a status code in hex; leave the others to pytest."""
    return f"{value:04X}" if isinstance(value, int) else None


# -- every row of every table -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "code", "expected"),
    [(s, code, e) for s in SERVICES for code, e in table_rows(s).items()],
    ids=hex_id,
)
def test_service_row(service: str, code: int, expected: Expected) -> None:
    category, meaning, source = expected
    assert status_info(service, code) == StatusInfo(code, category, meaning, source, known=True)


@pytest.mark.parametrize(("code", "expected"), GENERAL_EXPECTED.items(), ids=hex_id)
def test_general_row(code: int, expected: Expected) -> None:
    category, meaning, source = expected
    assert general_status(code) == StatusInfo(code, category, meaning, source, known=True)


@pytest.mark.parametrize(
    ("service", "span"),
    [(s, span) for s, spans in C_SERVICE_SPANS.items() for span in spans],
    ids=lambda v: f"{v[0]:04X}-{v[1]:04X}" if isinstance(v, tuple) else None,
)
def test_service_span(service: str, span: tuple[int, int, StatusCategory, str, str]) -> None:
    """Every code an x-pattern row matches has its meaning; the codes just outside do not."""
    first, last, category, meaning, source = span
    for code in range(first, last + 1):
        assert status_info(service, code) == StatusInfo(code, category, meaning, source, True)
    for code in (first - 1, last + 1):
        assert status_info(service, code).known is False


def test_spans_written_out() -> None:
    """A7xx, A9xx and Cxxx, spelled out for the reader."""
    assert str(status_info("C-STORE", 0xA7AB)) == "0xA7AB Failure: Refused: Out of Resources"
    assert (
        str(status_info("C-STORE", 0xA900))
        == "0xA900 Failure: Error: Data Set does not match SOP Class"
    )
    assert str(status_info("C-STORE", 0xC0DE)) == "0xC0DE Failure: Error: Cannot understand"
    assert str(status_info("C-MOVE", 0xC123)) == "0xC123 Failure: Failed: Unable to process"
    assert str(status_info("C-GET", 0xCFFF)) == "0xCFFF Failure: Failed: Unable to process"
    assert str(status_info("C-FIND", 0xC000)) == "0xC000 Failure: Failed: Unable to process"


@pytest.mark.parametrize(
    ("service", "meaning", "source"),
    [
        ("C-ECHO", "Success", "PS3.4 A.4"),
        ("C-STORE", "Success", "PS3.4 B.2.3"),
        ("C-FIND", "Matching is complete - No final Identifier is supplied.", C_FIND),
        ("C-GET", SUB_OPS_DONE, "PS3.4 C.4.3.1.4"),
        ("C-MOVE", SUB_OPS_DONE, "PS3.4 C.4.2.1.5"),
        ("N-EVENT-REPORT", "Success", "PS3.7 10.1.1.1.8"),
        ("N-GET", "Success", "PS3.7 10.1.2.1.9"),
        ("N-SET", "Success", "PS3.7 10.1.3.1.9"),
        ("N-ACTION", "Success", "PS3.7 10.1.4.1.10"),
        ("N-CREATE", "Success", "PS3.7 10.1.5.1.6"),
        ("N-DELETE", "Success", "PS3.7 10.1.6.1.7"),
    ],
)
def test_success_per_service(service: str, meaning: str, source: str) -> None:
    assert status_info(service, 0x0000) == StatusInfo(0, SUCCESS, meaning, source, known=True)


# -- fallback order: the service table, then Annex C, then the ranges -------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_annex_c_fills_in(service: str) -> None:
    """An Annex C code the service's table does not define is read from Annex C."""
    rows = table_rows(service)
    fallen = [code for code in GENERAL_EXPECTED if code not in rows]
    assert fallen  # every service leaves some Annex C code to Annex C
    for code in fallen:
        assert status_info(service, code) == general_status(code)
        assert status_info(service, code).source == GENERAL_EXPECTED[code][2]


@pytest.mark.parametrize(
    ("service", "code", "text", "source"),
    [
        ("C-ECHO", 0x0122, "0x0122 Failure: Refused: SOP Class not supported", "PS3.7 C.5.6"),
        ("C-ECHO", 0x0210, "0x0210 Failure: Duplicate invocation", "PS3.7 C.5.9"),
        ("C-ECHO", 0x0211, "0x0211 Failure: Unrecognized operation", "PS3.7 C.5.23"),
        ("C-ECHO", 0x0212, "0x0212 Failure: Mistyped argument", "PS3.7 C.5.15"),
        ("C-STORE", 0x0117, "0x0117 Failure: Invalid SOP Instance", "PS3.7 C.5.12"),
        ("C-STORE", 0x0124, "0x0124 Failure: Refused: Not authorized", "PS3.7 C.5.25"),
        ("C-MOVE", 0x0122, "0x0122 Failure: Refused: SOP Class not supported", "PS3.7 C.5.6"),
        (
            "C-MOVE",
            0xFF01,
            "0xFF01 Pending: Pending (Service Class specific, see PS3.4)",
            "PS3.7 Annex C",
        ),
        ("C-STORE", 0xFE00, "0xFE00 Cancel: Cancel", "PS3.7 C.3.1"),
        ("N-GET", 0x0113, "0x0113 Failure: No such Event Type", "PS3.7 C.5.18"),
        ("N-DELETE", 0x0123, "0x0123 Failure: No such Action Type", "PS3.7 C.5.24"),
        ("N-EVENT-REPORT", 0x0124, "0x0124 Failure: Refused: Not authorized", "PS3.7 C.5.25"),
        ("N-SET", 0x0122, "0x0122 Failure: Refused: SOP Class not supported", "PS3.7 C.5.6"),
    ],
)
def test_annex_c_examples(service: str, code: int, text: str, source: str) -> None:
    info = status_info(service, code)
    assert (str(info), info.source, info.known) == (text, source, True)


@pytest.mark.parametrize(
    ("service", "code", "text", "source"),
    [
        # the service's table wins over Annex C
        ("C-FIND", 0xFE00, "0xFE00 Cancel: Matching terminated due to Cancel request", C_FIND),
        ("C-MOVE", 0xFE00, f"0xFE00 Cancel: {SUB_OPS_CANCELLED}", "PS3.4 C.4.2.1.5"),
        ("C-GET", 0xFF00, "0xFF00 Pending: Sub-operations are continuing", "PS3.4 C.4.3.1.4"),
        ("C-FIND", 0xFF00, f"0xFF00 Pending: {FF00_MEANING}", C_FIND),
        ("N-EVENT-REPORT", 0x0113, "0x0113 Failure: No such Event Type", "PS3.7 10.1.1.1.8"),
        ("N-ACTION", 0x0123, "0x0123 Failure: No such Action Type", "PS3.7 10.1.4.1.10"),
        ("N-CREATE", 0x0111, "0x0111 Failure: Duplicate SOP Instance", "PS3.7 10.1.5.1.6"),
        ("N-SET", 0x0116, "0x0116 Warning: Attribute Value out of range", "PS3.7 10.1.3.1.9"),
    ],
)
def test_table_before_annex_c(service: str, code: int, text: str, source: str) -> None:
    info = status_info(service, code)
    assert (str(info), info.source, info.known) == (text, source, True)
    assert general_status(code).source == GENERAL_EXPECTED[code][2] != source


@pytest.mark.parametrize(
    ("service", "code", "category"),
    [
        ("C-ECHO", 0xA700, FAILURE),  # C-ECHO's table has no service class statuses
        ("C-ECHO", 0xC000, FAILURE),
        ("C-ECHO", 0xB000, WARNING),
        ("C-STORE", 0xA801, FAILURE),  # C-MOVE's, not C-STORE's
        ("C-STORE", 0xA800, FAILURE),  # between A7xx and A9xx
        ("C-STORE", 0xB001, WARNING),  # C-FIND's
        ("C-FIND", 0xA701, FAILURE),  # C-FIND defines A700 only, not A7xx
        ("C-FIND", 0xA801, FAILURE),
        ("C-FIND", 0xB000, WARNING),  # C-STORE's, C-MOVE's and C-GET's
        ("C-FIND", 0xB006, WARNING),
        ("C-GET", 0xA801, FAILURE),  # only C-MOVE has a Move Destination
        ("C-GET", 0xA700, FAILURE),
        ("C-MOVE", 0xA700, FAILURE),  # C-FIND's
        ("C-MOVE", 0xA710, FAILURE),
        ("C-MOVE", 0xB001, WARNING),
        ("C-MOVE", 0xA9FF, FAILURE),  # A900 only, not A9xx
        ("N-SET", 0xC000, FAILURE),  # DIMSE-N tables have no ranges
        ("N-ACTION", 0xB000, WARNING),
        ("N-GET", 0x0108, FAILURE),
    ],
)
def test_ranges_last(service: str, code: int, category: StatusCategory) -> None:
    info = StatusInfo(code, category, "unrecognised status", "PS3.7 Annex C", known=False)
    assert status_info(service, code) == info == general_status(code)


@pytest.mark.parametrize("service", SERVICES)
def test_every_code(service: str) -> None:
    """All 65536 codes get an answer: Annex C's class, known exactly where a table defines it.

    Annex C fixes the class of every code; no service table may disagree with it.
    """
    rows = table_rows(service)
    for code in range(0x10000):
        info = status_info(service, code)
        general = general_status(code)
        assert info.code == code
        assert info.category is general.category
        defined = code in rows or in_span(service, code) or code in GENERAL_EXPECTED
        assert info.known is defined
        if not defined:
            assert info == general


# -- C-FIND: the old names --------------------------------------------------------------------

IN_RANGE = "PS3.7 Annex C"
OUTSIDE = "none (outside every PS3.7 Annex C range)"

# Codes neither C-FIND nor Annex C defines, categorised by range: code -> (class, source).
UNKNOWN_EXPECTED = {
    0x0100: (FAILURE, IN_RANGE),  # 01xx
    0x0108: (FAILURE, IN_RANGE),
    0x0200: (FAILURE, IN_RANGE),  # 02xx
    0x02FF: (FAILURE, IN_RANGE),
    0xA000: (FAILURE, IN_RANGE),  # Axxx
    0xA701: (FAILURE, IN_RANGE),  # C-FIND defines A700 only, not A7xx
    0xA9FF: (FAILURE, IN_RANGE),
    0xAFFF: (FAILURE, IN_RANGE),
    0xB000: (WARNING, IN_RANGE),  # Bxxx
    0xB002: (WARNING, IN_RANGE),
    0xBFFF: (WARNING, IN_RANGE),
    0x0002: (FAILURE, OUTSIDE),
    0x00FF: (FAILURE, OUTSIDE),
    0x0300: (FAILURE, OUTSIDE),
    0x9FFF: (FAILURE, OUTSIDE),
    0xD000: (FAILURE, OUTSIDE),  # just past Cxxx
    0xFDFF: (FAILURE, OUTSIDE),
    0xFE01: (FAILURE, OUTSIDE),
    0xFF02: (FAILURE, OUTSIDE),  # only FF00 and FF01 are Pending
    0xFFFF: (FAILURE, OUTSIDE),
}


@pytest.mark.parametrize("code", [*C_SERVICE_ROWS["C-FIND"], 0xC000, 0xCFFF, 0x0122, 0xB002])
def test_c_find_status_is_status_info(code: int) -> None:
    assert c_find_status(code) == status_info("C-FIND", code)


@pytest.mark.parametrize(("code", "expected"), UNKNOWN_EXPECTED.items(), ids=hex_id)
def test_unknown_by_range(code: int, expected: tuple[StatusCategory, str]) -> None:
    category, source = expected
    info = StatusInfo(code, category, "unrecognised status", source, known=False)
    assert c_find_status(code) == info
    assert general_status(code) == info


@pytest.mark.parametrize("code", [0xA700, 0xA710, 0xA900, 0xB001, 0xC000, 0xC123, 0xCFFF])
def test_general_does_not_know_service_codes(code: int) -> None:
    category = WARNING if code == 0xB001 else FAILURE
    assert general_status(code) == StatusInfo(
        code, category, "unrecognised status", IN_RANGE, known=False
    )


def test_pending_statuses() -> None:
    assert sorted(PENDING_STATUSES) == [0xFF00, 0xFF01]
    assert isinstance(PENDING_STATUSES, frozenset)
    pending = [code for code in range(0x10000) if c_find_status(code).category is PENDING]
    assert pending == sorted(PENDING_STATUSES)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (0xFE00, "0xFE00 Cancel: Matching terminated due to Cancel request"),
        (0x0000, "0x0000 Success: Matching is complete - No final Identifier is supplied."),
        (0xFF00, f"0xFF00 Pending: {FF00_MEANING}"),
        (0xFF01, f"0xFF01 Pending: {FF01_MEANING}"),
        (0xA700, "0xA700 Failure: Refused: Out of resources"),
        (0xA710, "0xA710 Failure: Invalid Prior Record Key"),
        (0xA900, "0xA900 Failure: Error: Data Set does not match SOP Class"),
        (0xC0DE, "0xC0DE Failure: Failed: Unable to process"),
        (0x0122, "0x0122 Failure: Refused: SOP Class not supported"),
        (0x0107, "0x0107 Warning: Attribute List warning"),
        (0xB123, "0xB123 Warning: unrecognised status"),
        (0x0002, "0x0002 Failure: unrecognised status"),
    ],
)
def test_str(code: int, text: str) -> None:
    assert str(c_find_status(code)) == text


def test_str_general() -> None:
    assert str(general_status(0x0110)) == "0x0110 Failure: Processing Failure"
    assert str(general_status(0xFE00)) == "0xFE00 Cancel: Cancel"


def test_category_is_str() -> None:
    assert [c.value for c in StatusCategory] == [
        "Success",
        "Pending",
        "Cancel",
        "Warning",
        "Failure",
    ]
    assert StatusCategory("Cancel") is StatusCategory.CANCEL
    assert isinstance(StatusCategory.FAILURE, str)


def test_status_info_frozen() -> None:
    info = c_find_status(0xFF00)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.code = 1  # type: ignore[misc]


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "shown"),
    [
        ("C-FIND-RSP", "'C-FIND-RSP'"),  # a message name, not a service
        ("c-find", "'c-find'"),
        ("C_FIND", "'C_FIND'"),
        ("", "''"),
        ("N-EVENT", "'N-EVENT'"),
    ],
)
def test_unknown_service(service: str, shown: str) -> None:
    message = f"service must be one of {SERVICE_LIST}, not {shown}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        status_info(service, 0)


def test_c_cancel_has_no_status() -> None:
    message = (
        "service must be one of C-ECHO, C-STORE, C-FIND, C-GET, C-MOVE, N-EVENT-REPORT, N-GET,"
        " N-SET, N-ACTION, N-CREATE, N-DELETE, not 'C-CANCEL': a C-CANCEL has no response, so"
        " no status"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        status_info("C-CANCEL", 0xFE00)


@pytest.mark.parametrize(
    ("service", "type_name"), [(None, "NoneType"), (b"C-FIND", "bytes"), (1, "int")]
)
def test_service_type_error(service: object, type_name: str) -> None:
    message = f"service must be a str, one of {SERVICE_LIST}, not {type_name}"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        status_info(service, 0)  # type: ignore[arg-type]


def test_service_checked_before_code() -> None:
    with pytest.raises(ValueError, match=r"^service must be one of .*, not 'C-ECHO-RSP'$"):
        status_info("C-ECHO-RSP", "0")  # type: ignore[arg-type]


def for_every_service(service: str) -> Callable[[object], StatusInfo]:
    return lambda code: status_info(service, code)  # type: ignore[arg-type]


LOOKUPS = {
    "c_find_status": c_find_status,
    "general_status": general_status,
    **{service: for_every_service(service) for service in SERVICES},
}


@pytest.mark.parametrize("lookup", LOOKUPS.values(), ids=LOOKUPS.keys())
@pytest.mark.parametrize(
    ("value", "type_name"),
    [("0xFF00", "str"), (65280.0, "float"), (None, "NoneType"), (True, "bool"), (b"\xff", "bytes")],
)
def test_type_error(lookup: Callable[..., StatusInfo], value: object, type_name: str) -> None:
    message = f"status must be an int from 0 to 65535 (0xFFFF), not {type_name}"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        lookup(value)


@pytest.mark.parametrize("lookup", LOOKUPS.values(), ids=LOOKUPS.keys())
@pytest.mark.parametrize("value", [-1, 0x10000, 70000, 2**70])
def test_value_error(lookup: Callable[..., StatusInfo], value: int) -> None:
    message = f"status must be an int from 0 to 65535 (0xFFFF), not {value}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        lookup(value)


def test_value_error_example() -> None:
    with pytest.raises(
        ValueError, match=r"^status must be an int from 0 to 65535 \(0xFFFF\), not 70000$"
    ):
        status_info("N-SET", 70000)
