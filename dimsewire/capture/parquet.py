"""The records of a decode as a Parquet dataset: one table per kind of record.

``DIR/messages/``, ``DIR/associations/`` and ``DIR/problems/`` each hold
``part-00000.parquet`` (the number is the writer's ``part``): pandas, DuckDB, Polars and
Spark read a table as ``DIR/messages/*.parquet``. A row carries the fields of one
``--json`` record (schema in the README), one column per field, in this order:

``messages`` (``message`` records)
    ``assoc``, ``direction``, ``time``, ``frame``, ``offset``, ``context_id``,
    ``command``; then every command element of PS3.7 Annex E (Tables E.1-1 and E.2-1,
    CommandGroupLength aside) under its keyword, in tag order, each followed by what the
    record shows beside it (``AffectedSOPClassName``, ``RequestedSOPClassName``,
    ``status_category`` and ``status_meaning``, ``EventTypeName``, ``ActionTypeName``);
    then ``other_elements``, ``transfer_syntax``, ``dataset_parameter``,
    ``dataset_length``, ``dataset``, ``dataset_note``, ``exported_file``, ``started``,
    ``deviations``.
``associations`` (``a-associate-rq``, ``-ac``, ``-rj``, ``a-release-rq``, ``-rp``,
``a-abort`` and ``connection-end`` records)
    ``type``, ``assoc``, ``direction``, ``time``, ``frame``, ``offset``, ``calling_ae``,
    ``called_ae``, ``requestor``, ``acceptor``, ``max_pdu_length``,
    ``implementation_class_uid``, ``implementation_version_name``, ``contexts``,
    ``async_operations_window``, ``role_selections``, ``extended_negotiation``,
    ``common_extended_negotiation``, ``user_identity``, ``unknown_sub_items``,
    ``deviations``, ``result``, ``result_name``, ``source``, ``source_name``,
    ``reason``, ``reason_name``, ``how``, ``state``, ``note``, ``bytes_requestor``,
    ``bytes_acceptor``.
``problems`` (``problem`` records)
    ``assoc``, ``direction``, ``time``, ``frame``, ``rule``, ``reason``, ``offset``,
    ``length``.

Types: ``time`` and ``started`` float64 (seconds since the epoch, as in ``--json``);
counters, offsets, lengths and UL values int64; 8- and 16-bit protocol values (US
elements, context ID, results, sources, reasons) int32; text string; a US element of VM
1-n (Overlays) list<int32>; AT elements (OffendingElement, AttributeIdentifierList) and
``deviations`` list<string> (``"GGGGEEEE"``, as DICOM JSON writes AT);
``async_operations_window`` struct<invoked, performed: int32>; ``bytes_requestor`` and
``bytes_acceptor`` struct<framed, skipped, lost, left: int64>.

JSON text: the fields whose shape varies or nests are one string column holding the
field's JSON, as ``--json`` writes it: ``dataset`` (the DICOM JSON model, PS3.18 F, bulk
data as in ``--json``: ``{"vr", "length"}``, a ``BulkDataURI`` or ``InlineBinary``),
``other_elements``, ``contexts``, ``role_selections``, ``extended_negotiation``,
``common_extended_negotiation``, ``user_identity``, ``unknown_sub_items``. Their fields
carry the metadata ``dimsewire.encoding: json``.

Nulls: a null stands for a field the record lacks or holds as null; ``dataset`` alone
keeps the difference (the text ``null``: the data set did not decode; a null: the record
has none). The tables have no ``pdu`` records (``--pdus``): they are counted as skipped.

Memory stays bounded: a table's rows are gathered until ``rows_per_group`` rows (or
``bytes_per_group`` characters of JSON text) and then written as one row group. A file is
written as ``part-NNNNN.parquet.partial`` and takes its name on :meth:`ParquetWriter.close`;
leaving the writer's ``with`` block on an exception removes the partial files.

pyarrow is imported only when a writer is made (``pip install 'dimsewire[archive]'``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

from ..codec.command_dictionary import COMMAND_ELEMENTS
from ..part10 import PARTIAL_SUFFIX
from .records import JSON, Record

__all__ = [
    "DEFAULT_BYTES_PER_GROUP",
    "DEFAULT_ROWS_PER_GROUP",
    "SCHEMA_VERSION",
    "TABLES",
    "ParquetWriter",
    "Row",
    "read_records",
    "row_of",
    "schema",
    "write_parquet",
]

DEFAULT_ROWS_PER_GROUP = 10_000
DEFAULT_BYTES_PER_GROUP = 64 * 1024 * 1024
#: Kept in each file's schema metadata (``dimsewire.schema``); raised when a column changes.
SCHEMA_VERSION = "1"
MISSING_EXTRA = "writing Parquet needs pyarrow: pip install 'dimsewire[archive]'"

# --- the columns: one row per column, (name, kind); kinds are turned into types below ---

_HEAD = (
    ("assoc", "int64"),
    ("direction", "string"),  # "requestor" or "acceptor": who sent it
    ("time", "float64"),
    ("frame", "int64"),
    ("offset", "int64"),  # in that direction's TCP stream
)

#: An element's kind by VR (a VM of 1-n marked with "*"); any other VR is text.
_ELEMENT_KINDS = {"US": "int32", "UL": "int64", "US*": "int32s", "AT": "strings"}
#: What a message record shows beside an element (dimsewire.capture.records).
_BESIDE = {
    "AffectedSOPClassUID": ("AffectedSOPClassName",),
    "RequestedSOPClassUID": ("RequestedSOPClassName",),
    "Status": ("status_category", "status_meaning"),
    "EventTypeID": ("EventTypeName",),
    "ActionTypeID": ("ActionTypeName",),
}


def _element_columns() -> Iterator[tuple[str, str]]:
    for row in COMMAND_ELEMENTS.values():  # in tag order
        if row.tag == 0x0000:  # CommandGroupLength: not in the records
            continue
        vr = row.vr if row.vm == "1" or row.vr == "AT" else row.vr + "*"
        yield row.keyword, _ELEMENT_KINDS.get(vr, "string")
        for name in _BESIDE.get(row.keyword, ()):
            yield name, "string"


_MESSAGE_COLUMNS = (
    *_HEAD,
    ("context_id", "int32"),
    ("command", "string"),  # "C-STORE-RQ", ...
    *_element_columns(),
    ("other_elements", "json"),  # group-0000 tags the dictionary lacks
    ("transfer_syntax", "string"),
    ("dataset_parameter", "string"),  # Identifier, DataSet, AttributeList, ...
    ("dataset_length", "int64"),
    ("dataset", "json"),  # the DICOM JSON model
    ("dataset_note", "string"),
    ("exported_file", "string"),
    ("started", "float64"),
    ("deviations", "strings"),
)

_ASSOCIATION_COLUMNS = (
    ("type", "string"),
    *_HEAD,
    # A-ASSOCIATE-RQ and -AC (PS3.8 9.3.2, 9.3.3)
    ("calling_ae", "string"),
    ("called_ae", "string"),
    ("requestor", "string"),  # "ip:port"
    ("acceptor", "string"),
    ("max_pdu_length", "int64"),
    ("implementation_class_uid", "string"),
    ("implementation_version_name", "string"),
    ("contexts", "json"),
    ("async_operations_window", "window"),
    ("role_selections", "json"),
    ("extended_negotiation", "json"),
    ("common_extended_negotiation", "json"),
    ("user_identity", "json"),
    ("unknown_sub_items", "json"),
    ("deviations", "strings"),
    # A-ASSOCIATE-RJ and A-ABORT (PS3.8 9.3.4, 9.3.8)
    ("result", "int32"),
    ("result_name", "string"),
    ("source", "int32"),
    ("source_name", "string"),
    ("reason", "int32"),
    ("reason_name", "string"),
    # connection-end
    ("how", "string"),
    ("state", "string"),
    ("note", "string"),
    ("bytes_requestor", "counts"),
    ("bytes_acceptor", "counts"),
)

_PROBLEM_COLUMNS = (
    ("assoc", "int64"),
    ("direction", "string"),
    ("time", "float64"),
    ("frame", "int64"),
    ("rule", "string"),
    ("reason", "string"),
    ("offset", "int64"),
    ("length", "int64"),
)

#: Each table's columns.
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "messages": _MESSAGE_COLUMNS,
    "associations": _ASSOCIATION_COLUMNS,
    "problems": _PROBLEM_COLUMNS,
}

#: The table of each record type; the records of a table with no ``type`` column.
_TABLE_OF = {
    "message": "messages",
    "problem": "problems",
    **dict.fromkeys(
        (
            "a-associate-rq",
            "a-associate-ac",
            "a-associate-rj",
            "a-release-rq",
            "a-release-rp",
            "a-abort",
            "connection-end",
        ),
        "associations",
    ),
}
_TYPE_OF = {"messages": "message", "problems": "problem"}
_SKIPPED = frozenset({"pdu"})
_FIELDS = {table: frozenset(name for name, _ in columns) for table, columns in TABLES.items()}


def _pyarrow() -> Any:
    """pyarrow and pyarrow.parquet, or an ImportError saying how to get them."""
    try:
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.parquet  # noqa: PLC0415
    except ImportError as err:
        raise ImportError(MISSING_EXTRA) from err
    return pa


@cache
def schema(table: str) -> Any:
    """The pyarrow schema of a table (``messages``, ``associations``, ``problems``)."""
    pa = _pyarrow()
    kinds = {
        "string": pa.string(),
        "json": pa.string(),
        "int32": pa.int32(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "strings": pa.list_(pa.field("element", pa.string())),  # as Parquet names it
        "int32s": pa.list_(pa.field("element", pa.int32())),
        "window": pa.struct([("invoked", pa.int32()), ("performed", pa.int32())]),
        "counts": pa.struct([(n, pa.int64()) for n in ("framed", "skipped", "lost", "left")]),
    }
    json_text = {b"dimsewire.encoding": b"json"}
    fields = [
        pa.field(name, kinds[kind], metadata=json_text if kind == "json" else None)
        for name, kind in TABLES[table]
    ]
    return pa.schema(fields, metadata={b"dimsewire.schema": SCHEMA_VERSION.encode()})


def _json(value: object) -> str:
    return JSON.encode(value)  # as --json writes it


#: A record as a row of its table: (table, values in column order, characters of JSON text)
Row = tuple[str, tuple[Any, ...], int]


def row_of(record: Record) -> Row | None:
    """`record` as a row of its table; None for a record no table holds (``pdu``).

    Made where the record is (a ``--workers`` task), so that the writer only gathers.

    Raises
    ------
    ValueError
        A record type or field that has no place in the schema.
    """
    kind = record["type"]
    if kind in _SKIPPED:
        return None
    name = _TABLE_OF.get(kind)
    if name is None:
        raise ValueError(f"{kind!r} records have no Parquet table")
    extra = set(record) - _FIELDS[name] - {"type"}
    extra = {field for field in extra if not field.startswith("_")}
    if extra:
        raise ValueError(f"{kind!r} record: the {name} table has no column for {sorted(extra)}")
    values: list[Any] = []
    text = 0
    for column, column_kind in TABLES[name]:
        value = record.get(column)
        if column_kind == "json" and column in record:
            value = _json(value)
            text += len(value)
        values.append(value)
    return name, tuple(values), text


class _Table:
    """One table's rows on their way to its file, a row group at a time."""

    def __init__(self, directory: Path, name: str, part: int) -> None:
        self.name = name
        self.columns = TABLES[name]
        self.path = directory / name / f"part-{part:05d}.parquet"
        self.partial = self.path.with_name(self.path.name + PARTIAL_SUFFIX)
        self.rows: list[tuple[Any, ...]] = []  # gathered, not yet written
        self.text = 0  # characters of JSON text gathered
        self.written = 0
        self.file: Any = None

    def add(self, row: tuple[Any, ...], text: int) -> None:
        self.rows.append(row)
        self.text += text

    def flush(self) -> None:
        """Write what is gathered as one row group (the file is opened at the first)."""
        pa = _pyarrow()
        if self.file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.file = pa.parquet.ParquetWriter(
                str(self.partial), schema(self.name), compression="zstd"
            )
        if self.rows:
            names = [column for column, _ in self.columns]
            values = dict(zip(names, map(list, zip(*self.rows, strict=True)), strict=True))
            table = pa.Table.from_pydict(values, schema=schema(self.name))
            self.file.write_table(table, row_group_size=len(self.rows))
            self.written += len(self.rows)
        self.rows = []
        self.text = 0

    def close(self) -> None:
        self.flush()  # a table with no rows still gets a file: its schema
        self.file.close()
        self.file = None
        self.partial.replace(self.path)

    def abort(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
            self.partial.unlink(missing_ok=True)


class ParquetWriter:
    """Writes records (the dicts :func:`~dimsewire.capture.iter_records` gives) as a
    Parquet dataset in `directory`: ``messages/``, ``associations/``, ``problems/``.

    Parameters
    ----------
    directory : str or pathlib.Path
        Created if missing. A part file already there is not overwritten
        (``FileExistsError``).
    rows_per_group : int
        Rows in a row group at most: what one table holds in memory before writing.
    bytes_per_group : int
        A row group is also written once its JSON text (data sets above all) reaches this
        many characters.
    part : int
        The number in the files' names, ``part-00000.parquet`` for 0: writers of one
        dataset working side by side take a part each.

    Raises
    ------
    ImportError
        pyarrow is not installed: the message says ``pip install 'dimsewire[archive]'``.
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        rows_per_group: int = DEFAULT_ROWS_PER_GROUP,
        bytes_per_group: int = DEFAULT_BYTES_PER_GROUP,
        part: int = 0,
    ) -> None:
        _pyarrow()
        if rows_per_group < 1:
            raise ValueError(f"rows_per_group must be at least 1, not {rows_per_group}")
        if bytes_per_group < 1:
            raise ValueError(f"bytes_per_group must be at least 1, not {bytes_per_group}")
        if part < 0:
            raise ValueError(f"part must be 0 or more, not {part}")
        self.directory = Path(directory)
        self.rows_per_group = rows_per_group
        self.bytes_per_group = bytes_per_group
        self.skipped = 0
        self._tables = {name: _Table(self.directory, name, part) for name in TABLES}
        for table in self._tables.values():
            if table.path.exists():
                raise FileExistsError(f"{table.path} exists: give the dataset a new directory")
        self._closed = False

    @property
    def counts(self) -> dict[str, int]:
        """Rows so far by table, and the records skipped (``pdu``)."""
        counts = {name: t.written + len(t.rows) for name, t in self._tables.items()}
        counts["skipped"] = self.skipped
        return counts

    def write(self, record: Record) -> None:
        """Add one record to its table; a row group is written when one is full.

        Raises
        ------
        ValueError
            A record type or field that has no place in the schema.
        """
        self.write_row(row_of(record))

    def write_row(self, row: Row | None) -> None:
        """Add a record already made a row by :func:`row_of` (None: a skipped record)."""
        if self._closed:
            raise ValueError("write() after close()")
        if row is None:
            self.skipped += 1
            return
        name, values, text = row
        table = self._tables[name]
        table.add(values, text)
        if len(table.rows) >= self.rows_per_group or table.text >= self.bytes_per_group:
            table.flush()

    def close(self) -> None:
        """Write the last row groups and give the files their names."""
        if self._closed:
            return
        self._closed = True
        try:
            for table in self._tables.values():
                table.close()
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Stop, removing the files not yet closed."""
        self._closed = True
        for table in self._tables.values():
            table.abort()

    def __enter__(self) -> ParquetWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def write_parquet(
    records: Iterable[Record],
    directory: str | Path,
    *,
    rows_per_group: int = DEFAULT_ROWS_PER_GROUP,
    part: int = 0,
) -> dict[str, int]:
    """Write `records` as a Parquet dataset in `directory` (see :class:`ParquetWriter`);
    return the rows written by table and the records skipped."""
    with ParquetWriter(directory, rows_per_group=rows_per_group, part=part) as writer:
        for record in records:
            writer.write(record)
    return writer.counts


def read_records(directory: str | Path, table: str) -> Iterator[Record]:
    """The rows of one table of a dataset as records again, a row group at a time: the
    ``type`` put back, JSON text parsed, null fields left out."""
    pa = _pyarrow()
    kinds = dict(TABLES[table])
    kind = _TYPE_OF.get(table)
    for path in sorted((Path(directory) / table).glob("part-*.parquet")):
        source = pa.parquet.ParquetFile(str(path))
        for group in range(source.num_row_groups):
            for row in source.read_row_group(group).to_pylist():
                record: Record = {} if kind is None else {"type": kind}
                for column, value in row.items():
                    if value is None:
                        continue
                    record[column] = json.loads(value) if kinds[column] == "json" else value
                yield record
