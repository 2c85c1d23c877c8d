"""The records of a decode as a Parquet dataset (dimsewire.capture.parquet): the rows read
back equal the ``--json`` records, row groups are bounded, the schema is typed."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dimsewire.capture import CaptureDecoder, CaptureError, read_segments
from dimsewire.capture.export import Exporter
from dimsewire.capture.parquet import (
    TABLES,
    ParquetWriter,
    read_records,
    schema,
    write_parquet,
)
from dimsewire.cli import main

pa = pytest.importorskip("pyarrow")  # CI installs it: .[test,archive]
pq = pytest.importorskip("pyarrow.parquet")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "captures"
CAPTURES = sorted(FIXTURES.glob("*.pcap*"))
TABLE_OF = {"message": "messages", "problem": "problems", "pdu": None}


def ports(path: Path) -> list[int]:
    return list(json.loads(path.with_suffix(".json").read_text())["ports"])


def decode(path: Path, **options: Any) -> Iterator[dict[str, Any]]:
    """The records of a capture, as ``dimsewire decode`` gets them."""
    decoder = CaptureDecoder(ports(path), **options)
    with path.open("rb") as stream:
        _, segments = read_segments(stream)
        try:
            for segment in segments:
                yield from decoder.segment(segment)
        except CaptureError as err:
            yield decoder.capture_error(err)
    yield from decoder.finish()


def decode_json(path: Path) -> list[dict[str, Any]]:
    """What ``dimsewire decode --json`` prints."""
    args = [a for port in ports(path) for a in ("--port", str(port))]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["decode", str(path), "--json", *args])
    return [json.loads(line) for line in out.getvalue().splitlines()]


def by_table(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The records each table should give back: null fields left out."""
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    for record in records:
        name = TABLE_OF.get(record["type"], "associations")
        if name is not None:
            tables[name].append({k: v for k, v in record.items() if v is not None})
    return tables


def read_back(directory: Path) -> dict[str, list[dict[str, Any]]]:
    return {name: list(read_records(directory, name)) for name in TABLES}


def group_sizes(directory: Path, table: str) -> list[int]:
    meta = pq.ParquetFile(directory / table / "part-00000.parquet").metadata
    return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_rows_are_the_json_records(path: Path, tmp_path: Path) -> None:
    counts = write_parquet(decode(path), tmp_path, rows_per_group=3)
    expected = by_table(decode_json(path))
    assert read_back(tmp_path) == expected
    assert counts == {**{name: len(rows) for name, rows in expected.items()}, "skipped": 0}
    for name, rows in expected.items():
        full, rest = divmod(len(rows), 3)
        assert group_sizes(tmp_path, name) == [3] * full + ([rest] if rest else [])


def test_exported_files_and_bulk_data_uris(tmp_path: Path) -> None:
    path = FIXTURES / "dcmtk-store.pcap"
    records = list(decode(path, export=Exporter(tmp_path / "export")))
    write_parquet(records, tmp_path / "dataset")
    as_json = [json.loads(json.dumps(r, default=str)) for r in records]  # what --json prints
    assert read_back(tmp_path / "dataset") == by_table(as_json)
    stores = pq.read_table(
        tmp_path / "dataset" / "messages", columns=["command", "exported_file", "dataset"]
    ).to_pylist()
    stores = [row for row in stores if row["command"] == "C-STORE-RQ"]
    assert stores
    assert all(Path(row["exported_file"]).is_file() for row in stores)
    assert any("BulkDataURI" in row["dataset"] for row in stores)


# A value of each kind of column, and what it reads back as.
SAMPLES = {
    "string": "TEXT",
    "json": {"00100010": {"vr": "PN", "Value": [{"Alphabetic": "DOE^J"}]}, "n": None},
    "int32": 65535,
    "int64": 2**40,
    "float64": 1764460800.123456,
    "strings": ["00100010", "00080052"],
    "int32s": [1, 65535],
    "window": {"invoked": 1, "performed": 0},
    "counts": {"framed": 10, "skipped": 1, "lost": 2, "left": 3},
}


def test_every_column_reads_back_as_written(tmp_path: Path) -> None:
    records = [
        {"type": "message", **{name: SAMPLES[kind] for name, kind in TABLES["messages"]}},
        {"type": "problem", **{name: SAMPLES[kind] for name, kind in TABLES["problems"]}},
        {"type": "a-abort", **{n: SAMPLES[k] for n, k in TABLES["associations"] if n != "type"}},
        # a data set that did not decode (JSON null) is not one that is absent
        {"type": "message", "assoc": 1, "dataset": None, "dataset_note": "broken"},
        {"type": "message", "assoc": 1, "_private": object()},  # left out, as by --json
    ]
    write_parquet(records, tmp_path)
    back = read_back(tmp_path)
    assert back["messages"] == [
        records[0],
        {"type": "message", "assoc": 1, "dataset": None, "dataset_note": "broken"},
        {"type": "message", "assoc": 1},
    ]
    assert back["problems"] == [records[1]]
    assert back["associations"] == [records[2]]
    assert pq.read_table(tmp_path / "messages", columns=["dataset"])["dataset"].to_pylist() == [
        json.dumps(SAMPLES["json"]),
        "null",
        None,
    ]


def test_schema_types(tmp_path: Path) -> None:
    write_parquet(decode(FIXTURES / "dcmtk-qr.pcap"), tmp_path)
    string, json_text = pa.string(), {b"dimsewire.encoding": b"json"}
    strings = pa.list_(pa.field("element", string))
    expected = {
        "messages": {
            "assoc": pa.int64(),
            "direction": string,
            "time": pa.float64(),
            "frame": pa.int64(),
            "offset": pa.int64(),
            "context_id": pa.int32(),
            "command": string,
            "CommandLengthToEnd": pa.int64(),  # UL
            "AffectedSOPClassUID": string,
            "AffectedSOPClassName": string,
            "CommandField": pa.int32(),  # US
            "MessageID": pa.int32(),
            "Status": pa.int32(),
            "status_category": string,
            "OffendingElement": strings,  # AT
            "AttributeIdentifierList": strings,
            "Copies": string,  # IS, retired
            "Overlays": pa.list_(pa.field("element", pa.int32())),  # US, VM 1-n, retired
            "other_elements": string,
            "dataset_length": pa.int64(),
            "dataset": string,
            "started": pa.float64(),
            "deviations": strings,
        },
        "associations": {
            "type": string,
            "max_pdu_length": pa.int64(),
            "contexts": string,
            "async_operations_window": pa.struct(
                [("invoked", pa.int32()), ("performed", pa.int32())]
            ),
            "result": pa.int32(),
            "reason": pa.int32(),
            "bytes_requestor": pa.struct(
                [(n, pa.int64()) for n in ("framed", "skipped", "lost", "left")]
            ),
        },
        "problems": {"assoc": pa.int64(), "reason": string, "length": pa.int64()},
    }
    for table, types in expected.items():
        found = pq.read_schema(tmp_path / table / "part-00000.parquet")
        assert found.equals(schema(table), check_metadata=True)
        assert found.metadata[b"dimsewire.schema"] == b"1"
        assert {name: found.field(name).type for name in types} == types
    messages = pq.read_schema(tmp_path / "messages" / "part-00000.parquet")
    assert [f.name for f in messages if f.metadata == json_text] == ["other_elements", "dataset"]
    assert "CommandGroupLength" not in messages.names


def test_json_text_also_bounds_a_row_group(tmp_path: Path) -> None:
    records = list(decode(FIXTURES / "dcmtk-qr.pcap"))
    with ParquetWriter(tmp_path, rows_per_group=1000, bytes_per_group=1) as writer:
        for record in records:
            writer.write(record)
    sizes, rows = [], 0
    for record in records:  # a group ends after each message with a data set
        if record["type"] == "message":
            rows += 1
            if "dataset" in record:
                sizes.append(rows)
                rows = 0
    assert group_sizes(tmp_path, "messages") == ([*sizes, rows] if rows else sizes)
    assert len(sizes) > 3


def test_pdu_records_are_counted_as_skipped(tmp_path: Path) -> None:
    records = list(decode(FIXTURES / "dcmtk-echo.pcap", pdus=True))
    counts = write_parquet(records, tmp_path)
    assert counts["skipped"] == sum(r["type"] == "pdu" for r in records) > 0
    assert counts["problems"] == 0
    assert pq.read_table(tmp_path / "problems").num_rows == 0  # a file all the same
    assert sorted(p.name for p in tmp_path.rglob("*")) == [
        "associations",
        "messages",
        "part-00000.parquet",
        "part-00000.parquet",
        "part-00000.parquet",
        "problems",
    ]


def test_part_numbers_name_the_files(tmp_path: Path) -> None:
    write_parquet([], tmp_path, part=12)
    assert [p.name for p in (tmp_path / "messages").iterdir()] == ["part-00012.parquet"]


def whole(message: str) -> str:
    """A ``match`` for exactly this message."""
    return f"^{re.escape(message)}$"


def test_records_that_have_no_column(tmp_path: Path) -> None:
    with ParquetWriter(tmp_path) as writer:
        with pytest.raises(ValueError, match=whole("'operation' records have no Parquet table")):
            writer.write({"type": "operation", "assoc": 1})
        with pytest.raises(
            ValueError,
            match=whole("'problem' record: the problems table has no column for ['color', 'size']"),
        ):
            writer.write({"type": "problem", "rule": "capture", "color": 1, "size": 2})
    with pytest.raises(ValueError, match=whole("write() after close()")):
        writer.write({"type": "problem"})


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ({"rows_per_group": 0}, "rows_per_group must be at least 1, not 0"),
        ({"bytes_per_group": 0}, "bytes_per_group must be at least 1, not 0"),
        ({"part": -1}, "part must be 0 or more, not -1"),
    ],
)
def test_bad_arguments(tmp_path: Path, argument: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=whole(message)):
        ParquetWriter(tmp_path, **argument)


def test_an_existing_dataset_is_not_overwritten(tmp_path: Path) -> None:
    write_parquet([{"type": "problem", "rule": "capture"}], tmp_path)
    existing = tmp_path / "messages" / "part-00000.parquet"
    with pytest.raises(
        FileExistsError, match=whole(f"{existing} exists: give the dataset a new directory")
    ):
        write_parquet([{"type": "problem", "rule": "capture"}], tmp_path)
    assert [r["rule"] for r in read_records(tmp_path, "problems")] == ["capture"]
    assert not list(tmp_path.rglob("*.partial"))


def test_an_error_leaves_no_file(tmp_path: Path) -> None:
    def fail() -> None:
        with ParquetWriter(tmp_path, rows_per_group=1) as writer:
            writer.write({"type": "problem", "rule": "capture"})  # a row group written
            assert [p.name for p in (tmp_path / "problems").iterdir()] == [
                "part-00000.parquet.partial"
            ]
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match=whole("stop")):
        fail()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


MISSING = "writing Parquet needs pyarrow: pip install 'dimsewire[archive]'"


def test_without_pyarrow_the_writer_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ImportError, match=whole(MISSING)):
        ParquetWriter(tmp_path)
    with pytest.raises(ImportError, match=whole(MISSING)):
        write_parquet([], tmp_path)
    assert not list(tmp_path.iterdir())


def test_dimsewire_imports_without_pyarrow() -> None:
    code = (
        "import sys\n"
        "sys.modules['pyarrow'] = None\n"
        "import dimsewire, dimsewire.cli, dimsewire.capture.parquet\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
