"""The command dictionary: every group-0000 element and every command field.

PS3.7 Annex E, Table E.1-1 (command elements in use) and Table E.2-1 (retired command
elements, kept so that old peers' command sets still decode). The table is checked
against ``pydicom.datadict`` by the tests.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["COMMAND_ELEMENTS", "COMMAND_FIELDS", "KEYWORD_TAGS", "CommandElement", "command_name"]


class CommandElement(NamedTuple):
    """One row of PS3.7 Table E.1-1 or E.2-1."""

    tag: int
    keyword: str
    vr: str
    vm: str
    retired: bool


_ROWS = (
    # tag, keyword, VR, VM, retired (PS3.7 Table E.1-1, E.2-1)
    (0x00000000, "CommandGroupLength", "UL", "1", False),
    (0x00000001, "CommandLengthToEnd", "UL", "1", True),
    (0x00000002, "AffectedSOPClassUID", "UI", "1", False),
    (0x00000003, "RequestedSOPClassUID", "UI", "1", False),
    (0x00000010, "CommandRecognitionCode", "SH", "1", True),
    (0x00000100, "CommandField", "US", "1", False),
    (0x00000110, "MessageID", "US", "1", False),
    (0x00000120, "MessageIDBeingRespondedTo", "US", "1", False),
    (0x00000200, "Initiator", "AE", "1", True),
    (0x00000300, "Receiver", "AE", "1", True),
    (0x00000400, "FindLocation", "AE", "1", True),
    (0x00000600, "MoveDestination", "AE", "1", False),
    (0x00000700, "Priority", "US", "1", False),
    (0x00000800, "CommandDataSetType", "US", "1", False),
    (0x00000850, "NumberOfMatches", "US", "1", True),
    (0x00000860, "ResponseSequenceNumber", "US", "1", True),
    (0x00000900, "Status", "US", "1", False),
    (0x00000901, "OffendingElement", "AT", "1-n", False),
    (0x00000902, "ErrorComment", "LO", "1", False),
    (0x00000903, "ErrorID", "US", "1", False),
    (0x00001000, "AffectedSOPInstanceUID", "UI", "1", False),
    (0x00001001, "RequestedSOPInstanceUID", "UI", "1", False),
    (0x00001002, "EventTypeID", "US", "1", False),
    (0x00001005, "AttributeIdentifierList", "AT", "1-n", False),
    (0x00001008, "ActionTypeID", "US", "1", False),
    (0x00001020, "NumberOfRemainingSuboperations", "US", "1", False),
    (0x00001021, "NumberOfCompletedSuboperations", "US", "1", False),
    (0x00001022, "NumberOfFailedSuboperations", "US", "1", False),
    (0x00001023, "NumberOfWarningSuboperations", "US", "1", False),
    (0x00001030, "MoveOriginatorApplicationEntityTitle", "AE", "1", False),
    (0x00001031, "MoveOriginatorMessageID", "US", "1", False),
    (0x00004000, "DialogReceiver", "LT", "1", True),
    (0x00004010, "TerminalType", "LT", "1", True),
    (0x00005010, "MessageSetID", "SH", "1", True),
    (0x00005020, "EndMessageID", "SH", "1", True),
    (0x00005110, "DisplayFormat", "LT", "1", True),
    (0x00005120, "PagePositionID", "LT", "1", True),
    (0x00005130, "TextFormatID", "CS", "1", True),
    (0x00005140, "NormalReverse", "CS", "1", True),
    (0x00005150, "AddGrayScale", "CS", "1", True),
    (0x00005160, "Borders", "CS", "1", True),
    (0x00005170, "Copies", "IS", "1", True),
    (0x00005180, "CommandMagnificationType", "CS", "1", True),
    (0x00005190, "Erase", "CS", "1", True),
    (0x000051A0, "Print", "CS", "1", True),
    (0x000051B0, "Overlays", "US", "1-n", True),
)

#: Every command element by tag.
COMMAND_ELEMENTS: dict[int, CommandElement] = {row[0]: CommandElement(*row) for row in _ROWS}

#: Tag of each command element keyword.
KEYWORD_TAGS: dict[str, int] = {row[1]: row[0] for row in _ROWS}

#: Command Field (0000,0100) values, PS3.7 Table E.1-1 and Sections 9.3, 10.3.
COMMAND_FIELDS: dict[int, str] = {
    0x0001: "C-STORE-RQ",
    0x8001: "C-STORE-RSP",
    0x0010: "C-GET-RQ",
    0x8010: "C-GET-RSP",
    0x0020: "C-FIND-RQ",
    0x8020: "C-FIND-RSP",
    0x0021: "C-MOVE-RQ",
    0x8021: "C-MOVE-RSP",
    0x0030: "C-ECHO-RQ",
    0x8030: "C-ECHO-RSP",
    0x0100: "N-EVENT-REPORT-RQ",
    0x8100: "N-EVENT-REPORT-RSP",
    0x0110: "N-GET-RQ",
    0x8110: "N-GET-RSP",
    0x0120: "N-SET-RQ",
    0x8120: "N-SET-RSP",
    0x0130: "N-ACTION-RQ",
    0x8130: "N-ACTION-RSP",
    0x0140: "N-CREATE-RQ",
    0x8140: "N-CREATE-RSP",
    0x0150: "N-DELETE-RQ",
    0x8150: "N-DELETE-RSP",
    0x0FFF: "C-CANCEL-RQ",
}


def command_name(field: int) -> str:
    """The standard's name of a command field, e.g. ``"C-FIND-RSP"``."""
    return COMMAND_FIELDS.get(field, f"unknown command 0x{field:04X}")
