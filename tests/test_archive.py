"""Capture series (issue 14): captures cut into 8 files with editcap decode as the uncut
capture, with --json, --parquet, --jobs 2 and --parquet/--json --workers 2 (a Dask
LocalCluster); damaged files are reported, not fatal."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dimsewire.capture.cluster import client_for, close_client, decode_to_parquet, read_dataframe
from dimsewire.capture.packets import read_frames
from dimsewire.capture.parquet import TABLES, read_records
from dimsewire.capture.series import Series, SeriesProblem
from dimsewire.cli import main

CAPTURES = Path(__file__).parent.parent / "fixtures" / "captures"
CUT = ("dcmtk-store", "dcmtk-move")  # a C-STORE data set and a sub-association across files

needs_editcap = pytest.mark.skipif(
    shutil.which("editcap") is None, reason="editcap (Wireshark) not installed"
)
pytestmark = needs_editcap


def _frames(path: Path) -> Iterator[int]:
    with path.open("rb") as stream:
        _, frames = read_frames(stream)
        for frame in frames:
            yield frame[0]


def cut(source: Path, directory: Path, files: int = 8) -> list[Path]:
    """`source` cut by editcap into `files` files (editcap writes pcapng)."""
    total = sum(1 for _ in _frames(source))
    directory.mkdir()
    subprocess.run(
        ["editcap", "-c", str(-(-total // files)), str(source), str(directory / "part.pcapng")],
        check=True,
        capture_output=True,
    )
    parts = sorted(directory.iterdir())
    assert len(parts) == files
    return parts


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[Path]]]:
    base = tmp_path_factory.mktemp("series")
    return {
        name: (CAPTURES / f"{name}.pcap", cut(CAPTURES / f"{name}.pcap", base / name))
        for name in CUT
    }


def decode(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    status = main(["decode", *map(str, args)])
    return status, capsys.readouterr().out


def tables(directory: Path) -> dict[str, list[dict[str, Any]]]:
    return {table: list(read_records(directory, table)) for table in TABLES}


def crossing(parts: list[Path], lines: list[str]) -> set[int]:
    """The associations with records in more than one file of the series."""
    ends, total = [], 0
    for part in parts:
        total += sum(1 for _ in _frames(part))
        ends.append(total)
    files: dict[int, set[int]] = {}
    for line in lines:
        record = json.loads(line)
        if "assoc" in record and record.get("frame"):
            where = next(i for i, end in enumerate(ends) if record["frame"] <= end)
            files.setdefault(record["assoc"], set()).add(where)
    return {assoc for assoc, seen in files.items() if len(seen) > 1}


@pytest.mark.parametrize("name", CUT)
def test_cut_series_decodes_as_the_uncut_capture(
    name: str, series: dict[str, tuple[Path, list[Path]]], capsys: pytest.CaptureFixture[str]
) -> None:
    uncut, parts = series[name]
    status, whole = decode(capsys, "--json", uncut)
    assert status == 0
    assert crossing(parts, whole.splitlines()), "no association crosses a file boundary"
    assert decode(capsys, "--json", *parts) == (0, whole)
    assert decode(capsys, "--json", "--jobs", "2", *parts) == (0, whole)
    # the summary and the text too (the text names each file in its first lines)
    assert decode(capsys, "--summary", *parts) == decode(capsys, "--summary", uncut)
    text = decode(capsys, *parts)[1].splitlines()
    assert text[: len(parts)] == [f"# {part}: Ethernet" for part in parts]
    assert text[len(parts) :] == decode(capsys, uncut)[1].splitlines()[1:]


def test_parquet_of_the_series_equals_the_uncut_one(
    series: dict[str, tuple[Path, list[Path]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    uncut, parts = series["dcmtk-store"]
    assert decode(capsys, "--parquet", tmp_path / "uncut", uncut) == (0, "")
    assert decode(capsys, "--parquet", tmp_path / "cut", *parts) == (0, "")
    whole = tables(tmp_path / "uncut")
    assert len(whole["messages"]) > 0
    assert tables(tmp_path / "cut") == whole
    # workers that send rows (--jobs 2); pdu records have no table, whoever makes the rows
    assert decode(capsys, "--parquet", tmp_path / "jobs", "--jobs", "2", *parts) == (0, "")
    assert tables(tmp_path / "jobs") == whole
    assert decode(capsys, "--parquet", tmp_path / "pdus", "--pdus", "--jobs", "2", *parts)[0] == 0
    assert tables(tmp_path / "pdus") == whole
    # --json beside --parquet prints what --json alone prints
    status, lines = decode(capsys, "--json", "--parquet", tmp_path / "both", uncut)
    assert (status, lines) == decode(capsys, "--json", uncut)


def test_workers_on_a_local_cluster(
    series: dict[str, tuple[Path, list[Path]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in CUT:
        uncut, parts = series[name]
        assert decode(capsys, "--parquet", tmp_path / f"{name}-uncut", uncut)[0] == 0
        status, out = decode(capsys, "--parquet", tmp_path / name, "--workers", "2", *parts)
        assert (status, out) == (0, "")
        assert tables(tmp_path / name) == tables(tmp_path / f"{name}-uncut")
    uncut, parts = series["dcmtk-move"]
    assert decode(capsys, "--json", "--workers", "2", *parts) == decode(capsys, "--json", uncut)


def damaged(parts: list[Path], directory: Path) -> list[Path]:
    """The series with its third file cut inside its last block and a file that is not a
    capture at all."""
    directory.mkdir()
    copies = []
    for part in parts:
        copy = directory / part.name
        shutil.copyfile(part, copy)
        copies.append(copy)
    data = copies[2].read_bytes()
    copies[2].write_bytes(data[:-30])
    junk = directory / "zz-notes.pcap"
    junk.write_text("not a capture\n")
    return [*copies, junk]


def test_damaged_files_are_reported_not_fatal(
    series: dict[str, tuple[Path, list[Path]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    uncut, parts = series["dcmtk-move"]
    files = damaged(parts, tmp_path / "damaged")
    status, out = decode(capsys, "--json", *files)
    assert status == 1
    records = [json.loads(line) for line in out.splitlines()]
    capture = [r for r in records if r.get("rule") == "capture"]
    assert [r["reason"] for r in capture] == [
        f"{files[-1]}: not a pcap or pcapng file (starts with {b'not '.hex()})",
        f"{files[2]}: file ends inside a block (block at byte "
        f"{capture[1]['reason'].split('byte ')[1].split(')')[0]}) (frame "
        f"{sum(1 for _ in _frames(parts[2]))} of the file)",
    ]
    # the unreadable file first; the cut one after its last whole frame; decoding goes on
    assert records.index(capture[0]) == 0
    later = records[records.index(capture[1]) + 1 :]
    assert any(r["type"] == "message" for r in later)
    whole = [json.loads(line) for line in decode(capsys, "--json", uncut)[1].splitlines()]
    # what was decoded is what the uncut capture gives (frame numbers count read frames)
    got = [(r["command"], r["time"]) for r in records if r["type"] == "message"]
    assert set(got) <= {(r["command"], r["time"]) for r in whole if r["type"] == "message"}
    # the same with --jobs 2 and with --workers 2
    assert decode(capsys, "--json", "--jobs", "2", *files) == (1, out)
    assert decode(capsys, "--json", "--workers", "2", *files) == (1, out)


# dask's read_parquet on pandas 3.1 (theirs, not ours)
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")
def test_entry_point_for_an_existing_cluster(
    series: dict[str, tuple[Path, list[Path]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uncut, parts = series["dcmtk-store"]
    assert decode(capsys, "--parquet", tmp_path / "uncut", uncut)[0] == 0
    client = client_for(2)
    try:
        counts = decode_to_parquet(parts, tmp_path / "cluster", client=client, rows_per_group=7)
    finally:
        close_client(client)
    whole = tables(tmp_path / "uncut")
    assert tables(tmp_path / "cluster") == whole
    assert counts == {
        "messages": len(whole["messages"]),
        "associations": len(whole["associations"]),
        "problems": 0,
        "skipped": 0,
    }
    frame = read_dataframe(tmp_path / "cluster").compute()
    assert list(frame["command"]) == [r["command"] for r in whole["messages"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-", "x.pcap"], "standard input ('-') cannot be one of several captures"),
        (["--raw", "a", "b"], "--raw takes one file, decoded in one process"),
        (["--workers", "2", "--export", "d", "a"], "without --export or --jobs"),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1", "a"], "give one of them"),
    ],
)
def test_usage_errors(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", *args]) == 2
    assert message in capsys.readouterr().err


def test_without_the_archive_extra_it_says_how_to_get_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a fresh interpreter in which dask and pyarrow cannot be imported
    code = (
        "import sys; sys.modules['dask'] = None; sys.modules['pyarrow'] = None\n"
        "from dimsewire.cli import main\n"
        f"a = main(['decode', '--workers', '2', {str(CAPTURES / 'dcmtk-echo.pcap')!r}])\n"
        f"b = main(['decode', '--parquet', {str(tmp_path / 'p')!r}, "
        f"{str(CAPTURES / 'dcmtk-echo.pcap')!r}])\n"
        "sys.exit(10 * a + b)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert done.returncode == 22, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2
    assert all("pip install 'dimsewire[archive]'" in line for line in lines)
    assert not (tmp_path / "p").exists()


def test_series_problems_are_in_place(tmp_path: Path) -> None:
    """A file that is not a capture comes first; a readable series gives no problem."""
    junk = tmp_path / "junk.pcap"
    junk.write_bytes(b"\x00" * 30)
    items = list(Series([CAPTURES / "dcmtk-echo.pcap", junk]))
    assert isinstance(items[0], SeriesProblem)
    assert items[0].error.frame == 1
    assert not any(isinstance(item, SeriesProblem) for item in items[1:])


def test_scheduler_address_of_an_existing_cluster(
    series: dict[str, tuple[Path, list[Path]]], capsys: pytest.CaptureFixture[str]
) -> None:
    from dask.distributed import LocalCluster  # noqa: PLC0415 (the archive extra)

    uncut, parts = series["dcmtk-move"]
    with LocalCluster(n_workers=2, processes=False, dashboard_address=":0") as cluster:
        got = decode(capsys, "--json", "--scheduler", cluster.scheduler_address, *parts)
        # the 8 index tasks and the decode tasks ran there
        assert sum(worker.state.executed_count for worker in cluster.workers.values()) > 8
    assert got == decode(capsys, "--json", uncut)
