"""Status lookup: PS3.4 C.4.1.1.4 (C-FIND) and PS3.7 Annex C (general DIMSE statuses)."""

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
)

SUCCESS = StatusCategory.SUCCESS
PENDING = StatusCategory.PENDING
CANCEL = StatusCategory.CANCEL
WARNING = StatusCategory.WARNING
FAILURE = StatusCategory.FAILURE

C_FIND = "PS3.4 C.4.1.1.4"
FF00_MEANING = (
    "Matches are continuing - Current Match is supplied and any Optional Keys were supported"
    " in the same manner as Required Keys."
)
FF01_MEANING = (
    "Matches are continuing - Warning that one or more Optional Keys were not supported for"
    " existence and/or matching for this Identifier."
)

# Every entry of PS3.4 Table C.4-1 (plus 0122 from PS3.7): code -> (class, meaning, source).
C_FIND_EXPECTED = {
    0x0000: (SUCCESS, "Matching is complete - No final Identifier is supplied.", C_FIND),
    0xFF00: (PENDING, FF00_MEANING, C_FIND),
    0xFF01: (PENDING, FF01_MEANING, C_FIND),
    0xFE00: (CANCEL, "Matching terminated due to Cancel request", C_FIND),
    0xA700: (FAILURE, "Refused: Out of resources", C_FIND),
    0xA900: (FAILURE, "Error: Data Set does not match SOP Class", C_FIND),
    0xC000: (FAILURE, "Failed: Unable to process", C_FIND),
    0xC001: (FAILURE, "Failed: Unable to process", C_FIND),
    0xC7A3: (FAILURE, "Failed: Unable to process", C_FIND),
    0xCFFF: (FAILURE, "Failed: Unable to process", C_FIND),
    0x0122: (FAILURE, "Refused: SOP Class not supported", "PS3.7 C.5.6"),
}

# Every code PS3.7 Annex C defines: code -> (class, meaning, source).
GENERAL_EXPECTED = {
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

IN_RANGE = "PS3.7 Annex C"
OUTSIDE = "none (outside every PS3.7 Annex C range)"

# Codes no table defines, categorised by range: code -> (class, source).
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
    0xB001: (WARNING, IN_RANGE),
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


@pytest.mark.parametrize(("code", "expected"), C_FIND_EXPECTED.items())
def test_c_find_known(code: int, expected: tuple[StatusCategory, str, str]) -> None:
    category, meaning, source = expected
    assert c_find_status(code) == StatusInfo(code, category, meaning, source, known=True)


@pytest.mark.parametrize(("code", "expected"), GENERAL_EXPECTED.items())
def test_general_known(code: int, expected: tuple[StatusCategory, str, str]) -> None:
    category, meaning, source = expected
    assert general_status(code) == StatusInfo(code, category, meaning, source, known=True)


@pytest.mark.parametrize(
    "code", sorted(set(GENERAL_EXPECTED) - set(C_FIND_EXPECTED)), ids=lambda c: f"{c:04X}"
)
def test_c_find_falls_back_to_general(code: int) -> None:
    assert c_find_status(code) == general_status(code)


@pytest.mark.parametrize(("code", "expected"), UNKNOWN_EXPECTED.items())
def test_unknown_by_range(code: int, expected: tuple[StatusCategory, str]) -> None:
    category, source = expected
    info = StatusInfo(code, category, "unrecognised status", source, known=False)
    assert c_find_status(code) == info
    assert general_status(code) == info


@pytest.mark.parametrize("code", [0xA700, 0xA900, 0xC000, 0xC123, 0xCFFF])
def test_general_does_not_know_c_find_codes(code: int) -> None:
    assert general_status(code) == StatusInfo(
        code, FAILURE, "unrecognised status", IN_RANGE, known=False
    )


def test_c_find_wins_over_general() -> None:
    assert general_status(0xFE00).meaning == "Cancel"
    assert c_find_status(0xFE00).meaning == "Matching terminated due to Cancel request"
    assert general_status(0x0000).source == "PS3.7 C.1.1"
    assert c_find_status(0x0000).source == C_FIND


def test_pending_statuses() -> None:
    assert sorted(PENDING_STATUSES) == [0xFF00, 0xFF01]
    assert isinstance(PENDING_STATUSES, frozenset)


def test_every_code() -> None:
    """Each of the 65536 codes gets an answer, Pending exactly for PENDING_STATUSES."""
    for code in range(0x10000):
        info = c_find_status(code)
        assert info.code == code
        assert (info.category is PENDING) == (code in PENDING_STATUSES)
        assert info.known == (
            code in C_FIND_EXPECTED or code in GENERAL_EXPECTED or 0xC000 <= code <= 0xCFFF
        )
        assert general_status(code).category is info.category


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (0xFE00, "0xFE00 Cancel: Matching terminated due to Cancel request"),
        (0x0000, "0x0000 Success: Matching is complete - No final Identifier is supplied."),
        (0xFF00, f"0xFF00 Pending: {FF00_MEANING}"),
        (0xFF01, f"0xFF01 Pending: {FF01_MEANING}"),
        (0xA700, "0xA700 Failure: Refused: Out of resources"),
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


def test_status_info_frozen_with_slots() -> None:
    info = c_find_status(0xFF00)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.code = 1  # type: ignore[misc]
    assert not hasattr(info, "__dict__")
    assert info.__slots__ == ("code", "category", "meaning", "source", "known")


@pytest.mark.parametrize("lookup", [c_find_status, general_status])
@pytest.mark.parametrize(
    ("value", "type_name"),
    [("0xFF00", "str"), (65280.0, "float"), (None, "NoneType"), (True, "bool"), (b"\xff", "bytes")],
)
def test_type_error(lookup: Callable[..., StatusInfo], value: object, type_name: str) -> None:
    message = f"status must be an int from 0 to 65535 (0xFFFF), not {type_name}"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        lookup(value)


@pytest.mark.parametrize("lookup", [c_find_status, general_status])
@pytest.mark.parametrize("value", [-1, 0x10000, 70000, 2**70])
def test_value_error(lookup: Callable[..., StatusInfo], value: int) -> None:
    message = f"status must be an int from 0 to 65535 (0xFFFF), not {value}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        lookup(value)


def test_value_error_example() -> None:
    with pytest.raises(
        ValueError, match=r"^status must be an int from 0 to 65535 \(0xFFFF\), not 70000$"
    ):
        c_find_status(70000)
