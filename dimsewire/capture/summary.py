"""``dimsewire decode --summary``: one line per C-FIND query (PS3.4 C.4.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TextIO

from pydicom.datadict import keyword_for_tag

__all__ = ["Summary"]

PENDING = (0xFF00, 0xFF01)


def _keys(identifier: dict[str, Any] | None) -> tuple[str | None, list[str]]:
    """QueryRetrieveLevel and the keys of a query Identifier in the DICOM JSON model."""
    if not identifier:
        return None, []
    level, keys = None, []
    for tag, element in identifier.items():
        keyword = keyword_for_tag(int(tag, 16)) or f"({tag[:4]},{tag[4:]})"
        values = element.get("Value", [])
        if keyword == "QueryRetrieveLevel":
            level = str(values[0]) if values else ""
            continue
        text = "\\".join(
            str(v.get("Alphabetic", v)) if isinstance(v, dict) else str(v) for v in values
        )
        if element.get("vr") == "SQ":
            text = "[...]" if values else ""
        keys.append(f"{keyword}={text}" if text else keyword)
    return level, keys


@dataclass
class _Query:
    assoc: int
    message_id: int
    time: float | None
    sop_class: str | None
    level: str | None
    keys: list[str]
    matches: int = 0
    first: float | None = None
    last: float | None = None
    final_status: int | None = None
    cancelled: bool = False


@dataclass
class Summary:
    """Collects C-FIND requests and their responses from the records."""

    queries: dict[tuple[int, int], _Query] = field(default_factory=dict)

    def add(self, record: dict[str, Any]) -> None:
        """Take one record; only C-FIND and C-CANCEL messages count."""
        if record.get("type") != "message":
            return
        command, assoc, time = record["command"], record["assoc"], record.get("time")
        if command == "C-FIND-RQ" and "MessageID" in record:
            level, keys = _keys(record.get("dataset"))
            self.queries[(assoc, record["MessageID"])] = _Query(
                assoc,
                record["MessageID"],
                time,
                record.get("AffectedSOPClassName") or record.get("AffectedSOPClassUID"),
                level,
                keys,
            )
            return
        query = self.queries.get((assoc, record.get("MessageIDBeingRespondedTo", -1)))
        if query is None:
            return
        if command == "C-CANCEL-RQ":
            query.cancelled = True
        elif command == "C-FIND-RSP":
            if query.first is None:
                query.first = time
            query.last = time
            status = record.get("Status")
            if status in PENDING:
                query.matches += 1
            else:
                query.final_status = status

    def print(self, out: TextIO) -> None:
        """One line per query, in the order the queries were sent."""
        for q in self.queries.values():

            def after(t: float | None, q: _Query = q) -> str:
                if t is None or q.time is None:
                    return "-"
                return f"{(t - q.time) * 1000:.1f} ms"

            status = "none" if q.final_status is None else f"0x{q.final_status:04X}"
            print(
                f"#{q.assoc} C-FIND {q.message_id}: {q.sop_class}; level {q.level or '-'}; "
                f"keys {', '.join(q.keys) or '-'}; {q.matches} matches; final status {status}; "
                f"first response {after(q.first)}, last {after(q.last)}"
                + ("; cancelled" if q.cancelled else ""),
                file=out,
            )
