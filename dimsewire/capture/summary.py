"""``dimsewire decode --summary``: one line per operation of every service, per association.

An operation is a request and the responses to it (PS3.7 9.1, 10.1), matched on the
association by the requestor's side and MessageID / MessageIDBeingRespondedTo. Each
association is listed with what a device inventory needs (AE titles, addresses,
implementation class UID and version name of both sides, the contexts accepted), its
operations, and its totals. Two links cross operations, also across associations:

* a C-STORE sub-operation to its C-MOVE (PS3.4 C.4.2.3): the C-STORE-RQ's
  MoveOriginatorApplicationEntityTitle and MoveOriginatorMessageID name the C-MOVE-RQ's
  calling AE title and MessageID; a C-GET's sub-operations come on its own association,
  while it runs;
* a Storage Commitment N-ACTION to its N-EVENT-REPORT (PS3.4 J.3): the same Transaction
  UID (0008,1195) in the ActionInformation and the EventInformation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, TextIO

from pydicom.datadict import keyword_for_tag

__all__ = ["Summary", "summary_fields"]

_TRANSACTION_UID = "00081195"
_REFERENCED_SOP_SEQUENCE = "00081199"
_FAILED_SOP_SEQUENCE = "00081198"
_SUB_OPERATIONS = (
    "NumberOfRemainingSuboperations",
    "NumberOfCompletedSuboperations",
    "NumberOfFailedSuboperations",
    "NumberOfWarningSuboperations",
)
_SHOWN_PROGRESS = 8  # sub-operation counts shown before the middle ones are elided
_SHOWN_CONTEXTS = 8  # above this many accepted contexts, only those used are listed


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


def _value(data_set: dict[str, Any] | None, tag: str) -> Any:
    element = (data_set or {}).get(tag) or {}
    values = element.get("Value") or [None]
    return values[0]


def _items(data_set: dict[str, Any] | None, tag: str) -> int:
    element = (data_set or {}).get(tag) or {}
    return len(element.get("Value") or [])


@dataclass
class Operation:
    """One request and its responses."""

    assoc: int
    direction: str
    service: str
    message_id: int
    time: float | None
    request: dict[str, Any]
    responses: int = 0
    pending: int = 0
    progress: list[tuple[int, ...]] = field(default_factory=list)
    first: float | None = None
    last: float | None = None
    final: dict[str, Any] | None = None
    cancelled: float | None = None
    stores: list[Operation] = field(default_factory=list)  # C-MOVE/C-GET sub-operations
    parent: Operation | None = None  # the C-MOVE or C-GET of a C-STORE
    linked: Operation | None = None  # N-ACTION <-> N-EVENT-REPORT (storage commitment)
    transaction: str | None = None

    @property
    def label(self) -> str:
        return f"#{self.assoc} {self.service} {self.message_id}"

    def fields(self) -> dict[str, Any]:
        """The operation as a JSON-ready record (``--summary --json``)."""
        rq, final = self.request, self.final or {}
        out: dict[str, Any] = {
            "type": "operation",
            "assoc": self.assoc,
            "service": self.service,
            "MessageID": self.message_id,
            "direction": self.direction,
            "time": self.time,
            "status": final.get("Status"),
            "status_category": final.get("status_category"),
            "status_meaning": final.get("status_meaning"),
            "responses": self.responses,
            "duration": None if self.last is None or self.time is None else self.last - self.time,
        }
        for key in (
            "AffectedSOPClassUID",
            "AffectedSOPClassName",
            "AffectedSOPInstanceUID",
            "RequestedSOPClassUID",
            "RequestedSOPClassName",
            "RequestedSOPInstanceUID",
            "MoveDestination",
            "EventTypeID",
            "EventTypeName",
            "ActionTypeID",
            "ActionTypeName",
            "MoveOriginatorApplicationEntityTitle",
            "MoveOriginatorMessageID",
            "dataset_length",
            "exported_file",
        ):
            if key in rq:
                out[key] = rq[key]
        if self.service in ("C-MOVE", "C-GET", "C-FIND"):
            level, keys = _keys(rq.get("dataset"))
            out.update(level=level, keys=keys)
        if self.service == "C-FIND":
            out["matches"] = self.pending
        if self.progress:
            out["sub_operations"] = [list(p) for p in self.progress]
        if self.service in ("C-MOVE", "C-GET"):
            out["final_sub_operations"] = [final.get(k) for k in _SUB_OPERATIONS]
            out["stores"] = [
                {"assoc": s.assoc, "MessageID": s.message_id, "status": _code(s.final)}
                for s in self.stores
            ]
        if self.cancelled is not None:
            out["cancelled_after"] = None if self.time is None else self.cancelled - self.time
        if self.parent is not None:
            out["sub_operation_of"] = {
                "assoc": self.parent.assoc,
                "service": self.parent.service,
                "MessageID": self.parent.message_id,
            }
        if self.transaction is not None:
            out["TransactionUID"] = self.transaction
        if self.linked is not None:
            out["linked"] = {
                "assoc": self.linked.assoc,
                "service": self.linked.service,
                "MessageID": self.linked.message_id,
            }
        return out


@dataclass
class Association:
    """What a device inventory needs of one association, and its totals."""

    index: int
    time: float | None = None
    end: float | None = None
    calling_ae: str | None = None
    called_ae: str | None = None
    requestor: str | None = None
    acceptor: str | None = None
    requestor_implementation: tuple[str | None, str | None] = (None, None)
    acceptor_implementation: tuple[str | None, str | None] = (None, None)
    proposed: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    accepted: list[tuple[str, str | None, str, str | None]] = field(default_factory=list)
    accepted_ids: list[int] = field(default_factory=list)
    used: set[int] = field(default_factory=set)  # context IDs that carried a message
    rejected: list[tuple[str, str | None, str]] = field(default_factory=list)
    outcome: str = "negotiation not captured"
    operations: list[Operation] = field(default_factory=list)
    problems: int = 0

    def fields(self) -> dict[str, Any]:
        """The association as a JSON-ready record (``--summary --json``)."""
        services: dict[str, int] = {}
        for op in self.operations:
            services[op.service] = services.get(op.service, 0) + 1
        return {
            "type": "association",
            "assoc": self.index,
            "time": self.time,
            "duration": None if self.end is None or self.time is None else self.end - self.time,
            "calling_ae": self.calling_ae,
            "called_ae": self.called_ae,
            "requestor": self.requestor,
            "acceptor": self.acceptor,
            "requestor_implementation_class_uid": self.requestor_implementation[0],
            "requestor_implementation_version_name": self.requestor_implementation[1],
            "acceptor_implementation_class_uid": self.acceptor_implementation[0],
            "acceptor_implementation_version_name": self.acceptor_implementation[1],
            "accepted": [
                {
                    "abstract_syntax": a,
                    "abstract_syntax_name": an,
                    "transfer_syntax": t,
                    "transfer_syntax_name": tn,
                }
                for a, an, t, tn in self.accepted
            ],
            "rejected": [
                {"abstract_syntax": a, "abstract_syntax_name": an, "result": r}
                for a, an, r in self.rejected
            ],
            "outcome": self.outcome,
            "operations": services,
            "failures": sum(
                (op.final or {}).get("status_category") == "Failure" for op in self.operations
            ),
            "stored_bytes": sum(
                op.request.get("dataset_length", 0)
                for op in self.operations
                if op.service == "C-STORE"
            ),
            "problems": self.problems,
        }


def summary_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The record with only what :meth:`Summary.add` reads of it: a response's data set
    is never read (``--jobs N`` sends less between processes)."""
    if record["type"] == "message" and "dataset" in record and record["command"][-3:] != "-RQ":
        return {k: v for k, v in record.items() if k != "dataset"}
    return record


class Summary:
    """Collects operations and associations from the records, then prints them."""

    def __init__(self) -> None:
        self.associations: dict[int, Association] = {}
        self._open: dict[tuple[int, str, int], Operation] = {}
        self._moves: list[Operation] = []
        self._commitments: dict[str, Operation] = {}
        self._reports: dict[str, Operation] = {}

    def _association(self, index: int) -> Association:
        assoc = self.associations.get(index)
        if assoc is None:
            assoc = self.associations[index] = Association(index)
        return assoc

    def add(self, record: dict[str, Any]) -> None:
        """Take one record."""
        index = record.get("assoc")
        if index is None:
            return
        assoc = self._association(index)
        time = record.get("time")
        if assoc.time is None:
            assoc.time = time
        if time is not None:
            assoc.end = time
        kind = record["type"]
        if kind == "message":
            self._message(assoc, record)
        elif kind == "a-associate-rq":
            assoc.calling_ae, assoc.called_ae = record["calling_ae"], record["called_ae"]
            assoc.requestor, assoc.acceptor = record.get("requestor"), record.get("acceptor")
            assoc.requestor_implementation = (
                record["implementation_class_uid"],
                record["implementation_version_name"],
            )
            assoc.proposed = {
                c["id"]: (c["abstract_syntax"], c["abstract_syntax_name"])
                for c in record["contexts"]
            }
            assoc.outcome = "requested"
        elif kind == "a-associate-ac":
            assoc.acceptor_implementation = (
                record["implementation_class_uid"],
                record["implementation_version_name"],
            )
            for ctx in record["contexts"]:
                abstract, name = assoc.proposed.get(ctx["id"], ("?", None))
                if ctx["result"] == 0:
                    assoc.accepted.append(
                        (abstract, name, ctx["transfer_syntax"], ctx["transfer_syntax_name"])
                    )
                    assoc.accepted_ids.append(ctx["id"])
                else:
                    assoc.rejected.append((abstract, name, ctx["result_name"]))
            assoc.outcome = "established"
        elif kind == "a-associate-rj":
            assoc.outcome = f"rejected: {record['reason_name']}"
        elif kind == "problem":
            assoc.problems += 1
        elif kind == "connection-end":
            state = record["state"]
            assoc.outcome = record.get("note") or (
                assoc.outcome if assoc.outcome.startswith("rejected") else state
            )

    def _message(self, assoc: Association, record: dict[str, Any]) -> None:
        assoc.used.add(record.get("context_id", 0))
        command: str = record["command"]
        direction = record.get("direction", "requestor")
        other = "acceptor" if direction == "requestor" else "requestor"
        time = record.get("time")
        if command.endswith("-RQ") and command != "C-CANCEL-RQ" and "MessageID" in record:
            op = Operation(assoc.index, direction, command[:-3], record["MessageID"], time, record)
            op.time = record.get("started", time)
            self._open[(assoc.index, direction, op.message_id)] = op
            assoc.operations.append(op)
            self._link_request(assoc, op)
            return
        answered = record.get("MessageIDBeingRespondedTo", -1)
        if command == "C-CANCEL-RQ":
            cancelled = self._open.get((assoc.index, direction, answered))
            if cancelled is not None and cancelled.cancelled is None:
                cancelled.cancelled = time
            return
        found = self._open.get((assoc.index, other, answered))
        if found is None:
            return
        op = found
        op.responses += 1
        if op.first is None:
            op.first = time
        op.last = time
        if record.get("status_category") == "Pending":
            op.pending += 1
            counts = tuple(record.get(k) for k in _SUB_OPERATIONS)
            if any(c is not None for c in counts):
                op.progress.append(tuple(-1 if c is None else c for c in counts))
        else:
            op.final = record

    def _link_request(self, assoc: Association, op: Operation) -> None:
        rq = op.request
        if op.service in ("C-MOVE", "C-GET"):
            self._moves.append(op)
        elif op.service == "C-STORE":
            op.parent = self._parent(assoc, op)
            if op.parent is not None:
                op.parent.stores.append(op)
        elif op.service in ("N-ACTION", "N-EVENT-REPORT"):
            data = rq.get("dataset")
            uid = _value(data, _TRANSACTION_UID)
            if not isinstance(uid, str):
                return
            op.transaction = uid
            if op.service == "N-ACTION":
                self._commitments[uid] = op
                report = self._reports.get(uid)
            else:
                self._reports[uid] = op
                report = self._commitments.get(uid)
            if report is not None:
                op.linked, report.linked = report, op

    def _parent(self, assoc: Association, store: Operation) -> Operation | None:
        """The C-MOVE or C-GET a C-STORE-RQ is a sub-operation of, if any."""
        rq = store.request
        originator = rq.get("MoveOriginatorApplicationEntityTitle")
        origin_id = rq.get("MoveOriginatorMessageID")
        for op in reversed(self._moves):
            done = op.final is not None and op.last is not None
            if done and store.time is not None and store.time > op.last:  # type: ignore[operator]
                continue  # finished before this store
            owner = self.associations[op.assoc]
            if op.service == "C-GET":
                if op.assoc == store.assoc and store.direction != op.direction:
                    return op
            elif (
                originator is not None
                and originator == owner.calling_ae
                and origin_id == op.message_id
                and (assoc.calling_ae is None or assoc.calling_ae == owner.called_ae)
            ):
                return op
        return None

    # -- output --------------------------------------------------------------------

    def records(self) -> list[dict[str, Any]]:
        """The summary as JSON-ready records: each association, then its operations."""
        out: list[dict[str, Any]] = []
        for assoc in self.associations.values():
            out.append(assoc.fields())
            out += [op.fields() for op in assoc.operations]
        return out

    def print(self, out: TextIO) -> None:
        """Each association, its operations one per line, and its totals."""
        for assoc in self.associations.values():
            for line in _association_lines(assoc):
                print(line, file=out)


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _since(t: float | None, start: float | None) -> float | None:
    return None if t is None or start is None else t - start


def _status(record: dict[str, Any] | None) -> str:
    if record is None:
        return "no final response"
    code = record.get("Status")
    if code is None:
        return "no status"
    return f"status 0x{code:04X} {record.get('status_category')}"


def _code(record: dict[str, Any] | None) -> int | None:
    return None if record is None else record.get("Status")


def _side(
    ae: str | None, address: str | None, implementation: tuple[str | None, str | None]
) -> str:
    uid, version = implementation
    where = ", ".join(x for x in (address, version, uid) if x)
    return f"{ae or '?'} ({where})" if where else (ae or "?")


def _association_lines(assoc: Association) -> list[str]:
    start = "-"
    if assoc.time is not None:
        start = datetime.datetime.fromtimestamp(assoc.time, datetime.timezone.utc).isoformat()
    lines = [
        f"#{assoc.index} {_side(assoc.calling_ae, assoc.requestor, assoc.requestor_implementation)}"
        f" -> {_side(assoc.called_ae, assoc.acceptor, assoc.acceptor_implementation)}"
        f" at {start}: {assoc.outcome} after {_ms(_since(assoc.end, assoc.time))}"
    ]
    many = len(assoc.accepted) > _SHOWN_CONTEXTS
    for number, (abstract, name, syntax, syntax_name) in zip(
        assoc.accepted_ids, assoc.accepted, strict=True
    ):
        if not many or number in assoc.used:
            lines.append(f"    accepted: {name or abstract}: {syntax_name or syntax}")
    if many:
        shown = len(assoc.used & set(assoc.accepted_ids))
        lines.append(
            f"    accepted: {len(assoc.accepted)} contexts in all ({shown} used, shown above; "
            "--summary --json lists every one)"
        )
    if len(assoc.rejected) > _SHOWN_CONTEXTS:
        lines.append(f"    rejected: {len(assoc.rejected)} contexts")
    else:
        for abstract, name, result in assoc.rejected:
            lines.append(f"    rejected: {name or abstract}: {result}")
    for op in assoc.operations:
        lines.append("    " + _operation_line(op))
    services: dict[str, int] = {}
    for op in assoc.operations:
        services[op.service] = services.get(op.service, 0) + 1
    totals = assoc.fields()
    parts = [f"{n} {service}" for service, n in services.items()] or ["no operation"]
    parts.append(f"{totals['failures']} failed")
    if totals["stored_bytes"]:
        parts.append(f"{totals['stored_bytes']:,} bytes stored")
    parts.append(f"{assoc.problems} problems")
    lines.append(f"    totals: {', '.join(parts)}")
    return lines


def _progress(progress: list[tuple[int, ...]]) -> str:
    def one(p: tuple[int, ...]) -> str:
        return "/".join("?" if n < 0 else str(n) for n in p)

    shown = [one(p) for p in progress]
    if len(shown) > _SHOWN_PROGRESS:
        shown = [*shown[:4], "...", *shown[-3:]]
    return ", ".join(shown)


def _operation_line(op: Operation) -> str:
    rq, final = op.request, op.final
    parts = [op.label]
    sop = rq.get("AffectedSOPClassName") or rq.get("AffectedSOPClassUID")
    sop = sop or rq.get("RequestedSOPClassName") or rq.get("RequestedSOPClassUID")
    took = _ms(_since(op.last, op.time))
    if op.service == "C-ECHO":
        parts.append(f"{_status(final)}; round trip {took}")
    elif op.service == "C-STORE":
        size = rq.get("dataset_length")
        line = f"{sop}, {rq.get('AffectedSOPInstanceUID')}; "
        line += f"{size if size is not None else '?'} bytes; {_status(final)}; {took}"
        duration = _since(op.last, op.time)
        if size and duration:
            line += f", {size / duration / 1e6:.1f} MB/s"
        if op.parent is not None:
            line += f"; sub-operation of {op.parent.label}"
        elif "MoveOriginatorApplicationEntityTitle" in rq:
            line += (
                f"; for a C-MOVE {rq.get('MoveOriginatorMessageID')} of "
                f"{rq['MoveOriginatorApplicationEntityTitle']} not in the capture"
            )
        if "exported_file" in rq:
            line += f"; exported to {rq['exported_file']}"
        parts.append(line)
    elif op.service == "C-FIND":
        level, keys = _keys(rq.get("dataset"))
        parts.append(
            f"{sop}; level {level or '-'}; keys {', '.join(keys) or '-'}; {op.pending} matches; "
            f"{_status(final)}; first response {_ms(_since(op.first, op.time))}, last {took}"
            + (f"; cancelled after {_ms(_since(op.cancelled, op.time))}" if op.cancelled else "")
        )
    elif op.service in ("C-MOVE", "C-GET"):
        level, keys = _keys(rq.get("dataset"))
        where = f" to {rq.get('MoveDestination')}" if op.service == "C-MOVE" else ""
        line = f"{sop}{where}; level {level or '-'}; keys {', '.join(keys) or '-'}; "
        if op.progress:
            line += (
                f"sub-operations (remaining/completed/failed/warning) {_progress(op.progress)}; "
            )
        if final is not None:
            counts = tuple(final.get(k, -1) for k in _SUB_OPERATIONS)
            line += f"final {_status(final)} ({_progress([counts])}) after {took}"
        else:
            line += "no final response"
        if op.cancelled is not None:
            line += f"; cancelled after {_ms(_since(op.cancelled, op.time))}"
        if op.stores:
            sub_assocs = sorted({s.assoc for s in op.stores})
            ok = sum((s.final or {}).get("status_category") == "Success" for s in op.stores)
            line += (
                f"; {len(op.stores)} C-STORE sub-operations on "
                f"{', '.join(f'#{a}' for a in sub_assocs)} ({ok} Success)"
            )
        parts.append(line)
    else:  # the DIMSE-N services
        instance = rq.get("AffectedSOPInstanceUID") or rq.get("RequestedSOPInstanceUID")
        line = f"{sop}, {instance or '-'}"
        for key in ("EventTypeID", "ActionTypeID"):
            if key in rq:
                name = rq.get(key[:-2] + "Name")
                line += f"; {key[:-6].lower()} type {rq[key]}" + (f" ({name})" if name else "")
        line += f"; {_status(final)}; {took}"
        if op.transaction is not None:
            data = rq.get("dataset")
            if op.service == "N-ACTION":
                asked = _items(data, _REFERENCED_SOP_SEQUENCE)
                line += f"; transaction {op.transaction}, {asked} instances"
                if op.linked is not None:
                    line += (
                        f"; reported by {op.linked.label} after "
                        f"{_ms(_since(op.linked.time, op.time))}"
                    )
                else:
                    line += "; no N-EVENT-REPORT in the capture"
            else:
                committed = _items(data, _REFERENCED_SOP_SEQUENCE)
                failed = _items(data, _FAILED_SOP_SEQUENCE)
                line += f"; transaction {op.transaction}: {committed} committed, {failed} failed"
                if op.linked is not None:
                    line += f"; answers {op.linked.label}"
        parts.append(line)
    return " ".join(parts[:1]) + ": " + parts[1]
