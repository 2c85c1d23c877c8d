"""``dimsewire decode`` as text: one block per record, each element on its own line.

Data sets are rendered from the records' DICOM JSON model (decoded once, for the record),
one line per element with its tag, name, VR and value, sequences indented item by item.
"""

from __future__ import annotations

import base64
import datetime
from functools import lru_cache
from typing import Any, TextIO

from pydicom.datadict import dictionary_description

from .records import Record

__all__ = ["TextWriter"]


class TextWriter:
    """Prints records as text to `out`; times count from the first packet's."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.first_time: float | None = None

    def write(self, record: Record) -> None:
        """Print one record."""
        print(text(record, self), file=self.out)


_ARROWS = {"requestor": "->", "acceptor": "<-"}
_PAD = " " * 14  # where the lines under a record's first line start


def _when(record: Record, writer: TextWriter) -> str:
    time = record.get("time")
    if time is None:
        return "        "
    if writer.first_time is None:
        writer.first_time = time
        stamp = datetime.datetime.fromtimestamp(time, datetime.timezone.utc)
        print(f"# first packet at {stamp.isoformat()}", file=writer.out)
    return f"{time - writer.first_time:8.3f}"


def _name(uid: str | None, name: str | None) -> str:
    return f"{name} ({uid})" if name else str(uid)


def text(record: Record, writer: TextWriter) -> str:
    """The text of one record (several lines for some)."""
    kind = record["type"]
    head = f"{_when(record, writer)} #{record['assoc']}" if "assoc" in record else "        "
    arrow = _ARROWS.get(record.get("direction", ""), "  ")
    frame = f"  [frame {record['frame']}]" if "frame" in record else ""
    if kind == "problem":
        place = f"{record['direction']} stream" if "direction" in record else ""
        if record.get("offset") is not None:
            place += f" at byte {record['offset']}"
        if "length" in record:
            place += f" ({record['length']} bytes)"
        place = f" {place.strip()}:" if place else ""
        return f"{head} !! {record['rule']}:{place} {record['reason']}{frame}"
    if kind == "message":
        return _message_text(record, head, arrow, frame)
    if kind == "pdu":
        pdvs = "".join(
            f" [ctx {p['context_id']} {'command' if p['command'] else 'data'}"
            f"{' last' if p['last'] else ''} {p['length']} B]"
            for p in record.get("pdvs", [])
        )
        return f"{head} {arrow}   {record['name']} PDU, {record['length']} bytes{pdvs}{frame}"
    if kind == "connection-end":
        note = record.get("note") or f"association {record['state']}"
        return f"{head}    connection end ({record['how']}): {note}"
    lines = [f"{head} {arrow} {kind.upper()}{frame}"]
    if kind == "a-associate-rq":
        lines[0] += f"  {record['calling_ae']} -> {record['called_ae']}"
        if "requestor" in record:  # not in a raw PDU file
            lines[0] += f"  ({record['requestor']} -> {record['acceptor']})"
        for ctx in record["contexts"]:
            syntaxes = ", ".join(
                _name(ts, name)
                for ts, name in zip(
                    ctx["transfer_syntaxes"], ctx["transfer_syntax_names"], strict=True
                )
            )
            lines.append(
                f"{'':14}context {ctx['id']}: "
                f"{_name(ctx['abstract_syntax'], ctx['abstract_syntax_name'])}; {syntaxes}"
            )
    if kind == "a-associate-ac":
        for ctx in record["contexts"]:
            result = (
                f"accepted, {_name(ctx['transfer_syntax'], ctx['transfer_syntax_name'])}"
                if ctx["result"] == 0
                else f"rejected: {ctx['result_name']}"
            )
            lines.append(f"{'':14}context {ctx['id']}: {result}")
    if kind in ("a-associate-rq", "a-associate-ac"):
        lines += [f"{'':14}deviation: {text}" for text in record.get("deviations", [])]
        lines += _negotiation_text(record)
        limit = record["max_pdu_length"]
        lines.append(
            f"{'':14}max PDU length {limit if limit else 'unlimited'}; implementation "
            f"{record['implementation_class_uid']} {record['implementation_version_name'] or ''}"
        )
    if kind in ("a-associate-rj", "a-abort"):
        lines[0] += f"  {record['source_name']}: {record['reason_name']}"
        if kind == "a-associate-rj":
            lines[0] += f" ({record['result_name']})"
    return "\n".join(lines)


#: Message record keys that are not command elements (shown otherwise, or not at all).
_NOT_ELEMENTS = frozenset(
    {
        "type",
        "assoc",
        "direction",
        "time",
        "frame",
        "offset",
        "context_id",
        "command",
        "transfer_syntax",
        "dataset",
        "dataset_parameter",
        "dataset_length",
        "dataset_note",
        "exported_file",
        "deviations",
        "status_category",
        "status_meaning",
        "AffectedSOPClassName",
        "RequestedSOPClassName",
        "EventTypeName",
        "ActionTypeName",
        "other_elements",
    }
)
_HEX = frozenset({"CommandField", "CommandDataSetType", "Status"})
_PRIORITIES = {0: "medium", 1: "high", 2: "low"}  # PS3.7 Table E.1-1


def _element_text(record: Record, key: str) -> str:
    value = record[key]
    if key == "Status":
        return f"0x{value:04X} {record['status_category']}: {record['status_meaning']}"
    if key in _HEX and isinstance(value, int):
        return f"0x{value:04X}"
    if key == "Priority" and value in _PRIORITIES:
        return f"{value} ({_PRIORITIES[value]})"
    if key in ("AffectedSOPClassUID", "RequestedSOPClassUID"):
        return _name(value, record.get(key[:-3] + "Name"))
    if key in ("EventTypeID", "ActionTypeID") and key[:-2] + "Name" in record:
        return f"{value} ({record[key[:-2] + 'Name']})"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _negotiation_text(record: Record) -> list[str]:
    """The User Information sub-items beyond maximum length and implementation."""
    lines = []
    window = record.get("async_operations_window")
    if window is not None:
        lines.append(
            f"{_PAD}asynchronous operations window: {window['invoked']} invoked, "
            f"{window['performed']} performed"
        )
    for role in record.get("role_selections", []):
        lines.append(
            f"{_PAD}role selection: {_name(role['sop_class_uid'], role['sop_class_name'])}: "
            f"SCU role {role['scu_role']}, SCP role {role['scp_role']}"
        )
    for item in record.get("extended_negotiation", []):
        lines.append(
            f"{_PAD}extended negotiation: {_name(item['sop_class_uid'], item['sop_class_name'])}"
            f": {item['application_information'] or '(empty)'}"
        )
    for item in record.get("common_extended_negotiation", []):
        related = ", ".join(item["related_general_sop_classes"]) or "none"
        lines.append(
            f"{_PAD}common extended negotiation: "
            f"{_name(item['sop_class_uid'], item['sop_class_name'])}; service class "
            f"{_name(item['service_class_uid'], item['service_class_name'])}; "
            f"related general SOP classes: {related}"
        )
    identity = record.get("user_identity")
    if identity is not None:
        if "server_response_length" in identity:
            shown = f"server response of {identity['server_response_length']} bytes"
        else:
            shown = f"{identity['type_name']} (type {identity['type']})"
            if "username" in identity:
                shown += f", username {identity['username']!r}"
            else:
                shown += f", {identity['primary_field_length']} bytes"
            if "passcode_length" in identity:
                shown += f", passcode of {identity['passcode_length']} bytes"
            if identity["positive_response_requested"]:
                shown += ", positive response requested"
        lines.append(f"{_PAD}user identity: {shown}")
    for item in record.get("unknown_sub_items", []):
        kind = f"0x{item['item_type']:02X}"
        lines.append(f"{_PAD}unknown sub-item type {kind}, {item['length']} bytes")
    return lines


def _message_text(record: Record, head: str, arrow: str, frame: str) -> str:
    lines = [f"{head} {arrow} {record['command']}  ctx {record['context_id']}{frame}"]
    lines += [
        f"{'':14}{key}: {_element_text(record, key)}"
        for key in record
        if key not in _NOT_ELEMENTS and not key.startswith("_")
    ]
    for tag, value in record.get("other_elements", {}).items():
        lines.append(f"{'':14}({tag[:4]},{tag[4:]}): {value} (not in the command dictionary)")
    if "dataset_length" in record:
        lines += _data_set_text(record)
    lines += [f"{'':14}deviation: {text}" for text in record.get("deviations", [])]
    return "\n".join(lines)


# --- data sets ------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _description(tag: str) -> str:
    number = int(tag, 16)
    if number >> 16 & 1:
        return "Private tag"
    try:
        return str(dictionary_description(number))
    except KeyError:
        return "Unknown tag"


def _scalar(value: Any) -> str:
    if isinstance(value, dict):  # a person name
        groups = (value.get(k, "") for k in ("Alphabetic", "Ideographic", "Phonetic"))
        value = "=".join(groups).rstrip("=")
    if isinstance(value, str):
        return f"'{value}'"  # as written: a backslash is not escaped
    return str(value)


def _value_text(element: dict[str, Any]) -> str:
    if "Value" in element:
        values = element["Value"]
        if len(values) == 1:
            return _scalar(values[0])
        return "[" + ", ".join(_scalar(v) for v in values) + "]"
    if "InlineBinary" in element:
        raw = base64.b64decode(element["InlineBinary"])
        shown = raw[:16].hex(" ") + (" ..." if len(raw) > 16 else "")
        return f"<{len(raw)} bytes: {shown}>"
    if "BulkDataURI" in element:
        return f"<bulk data: {element['BulkDataURI']}>"
    if "length" in element:
        return f"<{element['length']} bytes, not shown>"
    return ""


def data_set_lines(shown: dict[str, Any], indent: str = "") -> list[str]:
    """One line per element of a data set in the DICOM JSON model."""
    lines = []
    for tag, element in shown.items():
        vr = element.get("vr", "??")
        name = f"({tag[:4]},{tag[4:]}) {_description(tag)}"
        if vr == "SQ":
            items = element.get("Value", [])
            lines.append(
                f"{indent}{name:<46} SQ: {len(items)} item{'s' if len(items) != 1 else ''}"
            )
            for number, item in enumerate(items, 1):
                lines.append(f"{indent}  item {number}:")
                lines += data_set_lines(item, indent + "    ")
        else:
            lines.append(f"{indent}{name:<46} {vr}: {_value_text(element)}".rstrip())
    return lines


def _data_set_text(record: Record) -> list[str]:
    title = f"{record['dataset_parameter']}, {record['dataset_length']} bytes"
    if "exported_file" in record:
        title += f", exported to {record['exported_file']}"
    shown = record.get("dataset")
    if shown is None:
        return [f"{_PAD}{title}: not shown: {record.get('dataset_note', 'not decoded')}"]
    return [f"{_PAD}{title}:", *data_set_lines(shown, _PAD + "  ")]
