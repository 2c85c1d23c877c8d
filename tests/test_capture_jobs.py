"""`dimsewire decode --jobs N`: connections decoded in N processes, output as with one.

Every fixture capture, the damaged ones too, in every output mode (text, --json,
--summary, --summary --json, --pdus, --export with its files): `--jobs 2` gives the
bytes `--jobs 1` gives, and the same exit status.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import sys
import threading
from pathlib import Path

import dpkt
import pytest

from dimsewire.capture import parallel, sharded
from dimsewire.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "captures"
CAPTURES = sorted(FIXTURES.glob("*.pcap*"))
PORTS = [a for port in (104, 4242, *range(11112, 11120)) for a in ("--port", str(port))]
MODES = {
    "text": [],
    "json": ["--json"],
    "summary": ["--summary"],
    "summary-json": ["--summary", "--json"],
    "pdus": ["--json", "--pdus", "--inline-bulk"],
}


#: Under ``python -bb`` pydicom's ``struct.pack`` of a str format warns when the struct
#: cache holds the same format as bytes: a warning that depends on what the process ran
#: before (a fresh worker, or a test process), never on the capture. Left out here.
_BYTES_WARNING = re.compile(
    r'(, "deviations": \["data set: pydicom: Comparison between bytes and string"\]'
    r"|\n +deviation: data set: pydicom: Comparison between bytes and string)"
)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["decode", *argv])
    return status, _BYTES_WARNING.sub("", out.getvalue()), err.getvalue()


def run_stdin(path: Path, *argv: str) -> tuple[int, str, str]:
    """`run` with the capture on standard input."""
    stdin = io.TextIOWrapper(io.BytesIO(path.read_bytes()))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stdin", stdin)
        return run("-", *argv)


def files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_two_jobs_give_what_one_gives(path: Path) -> None:
    for args in MODES.values():
        one = run(str(path), *PORTS, *args)
        assert run(str(path), *PORTS, *args, "--jobs", "2") == one, args


def damaged_stores(directory: Path) -> list[Path]:
    """dcmtk-store.pcap in 1000-byte segments, one lost inside a data set; and the same
    cut short inside another data set."""
    with (FIXTURES / "dcmtk-store.pcap").open("rb") as f:
        reader = dpkt.pcap.Reader(f)
        link, packets = reader.datalink(), list(reader)
    assert link == 1  # Ethernet
    split: list[tuple[float, bytes]] = []
    for ts, buf in packets:
        eth = dpkt.ethernet.Ethernet(buf)
        ip, tcp = eth.data, eth.data.data
        data = bytes(tcp.data)
        for pos in range(0, max(len(data), 1), 1000):
            tcp.seq, tcp.data = (tcp.seq + (pos and 1000)) & 0xFFFFFFFF, data[pos : pos + 1000]
            ip.data, ip.len, ip.sum, tcp.sum = tcp, 20 + len(bytes(tcp)), 0, 0
            eth.data = ip
            split.append((ts, bytes(eth)))
    middle = len(split) * 58 // 100  # inside a data set, for both
    lost, cut = directory / "store-lost.pcap", directory / "store-cut.pcap"
    for path, kept in ((lost, split[:middle] + split[middle + 1 :]), (cut, split[:middle])):
        with path.open("wb") as f:
            writer = dpkt.pcap.Writer(f, linktype=link, snaplen=262144)
            for ts, buf in kept:
                writer.writepkt(buf, ts=ts)
    cut.write_bytes(cut.read_bytes()[:-100])
    return [lost, cut]


@pytest.mark.parametrize("name", ["dcmtk-store", "dcmtk-get", "dcmtk-move", "damaged"])
def test_two_jobs_export_the_same_files_under_the_same_names(name: str, tmp_path: Path) -> None:
    paths = damaged_stores(tmp_path) if name == "damaged" else [FIXTURES / f"{name}.pcap"]
    export = tmp_path / "export"
    outputs = {}
    for jobs in ("1", "2"):
        runs = []
        for path in paths:
            # a second run into the same directory names each file .2.dcm
            runs.append(run(str(path), *PORTS, "--json", "--export", str(export), "--jobs", jobs))
            runs.append(
                run(str(path), *PORTS, "--summary", "--export", str(export), "--jobs", jobs)
            )
        outputs[jobs] = runs, files(export)
        shutil.rmtree(export)
    assert outputs["2"] == outputs["1"]
    runs, written = outputs["1"]
    assert sum(r[1].count('"exported_file"') for r in runs[::2]) == len(written) // 2 > 0
    if name == "damaged":
        assert all(r[0] == 1 for r in runs)
        assert all("not exported" in r[1] for r in runs)
    assert not [name for name in written if name.startswith(".")]  # no staging left


def test_batches_and_reading_ahead_do_not_change_the_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Many small batches, the reading held two rounds ahead: records still in order."""
    path = FIXTURES / "dcmtk-move.pcap"
    one = run(str(path), *PORTS, "--json", "--pdus")
    monkeypatch.setattr(parallel, "BATCH_SEGMENTS", 3)
    monkeypatch.setattr(sharded, "BATCH_SEGMENTS", 3)
    monkeypatch.setattr(parallel, "AHEAD", 2)
    for jobs in ("2", "3", "5"):
        assert run(str(path), *PORTS, "--json", "--pdus", "--jobs", jobs) == one
        assert run_stdin(path, *PORTS, "--json", "--pdus", "--jobs", jobs) == one
        assert one == run_stdin(path, *PORTS, "--json", "--pdus")


@pytest.mark.parametrize("name", ["dcmtk-move.pcap", "dcmtk-qr.pcap"])
def test_a_capture_on_standard_input_decodes_in_jobs_too(name: str) -> None:
    """Read by the parent, its segments sent to the workers: the same output."""
    path = FIXTURES / name
    assert '"type": "message"' in run_stdin(path, *PORTS, "--json")[1]
    for args in MODES.values():
        one = run_stdin(path, *PORTS, *args)
        assert run_stdin(path, *PORTS, *args, "--jobs", "2") == one


def test_the_parent_leads_until_its_workers_are_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    """By default the parent decodes until its workers are ready: a small capture is all
    decoded before, the workers are stopped, and the output is the same."""
    monkeypatch.setattr(sharded, "LEAD", True)
    path = str(FIXTURES / "dcmtk-move.pcap")
    for args in MODES.values():
        assert run(path, *PORTS, *args, "--jobs", "2") == run(path, *PORTS, *args)


def test_one_job_is_the_default(tmp_path: Path) -> None:
    path = str(FIXTURES / "dcmtk-qr.pcap")
    assert run(path, *PORTS, "--jobs", "1") == run(path, *PORTS)


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_jobs_below_one_is_a_usage_error(jobs: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["decode", str(FIXTURES / "dcmtk-echo.pcap"), "--jobs", jobs])
    assert exit_.value.code == 2
    assert "argument --jobs" in capsys.readouterr().err


def test_raw_pdu_file_decodes_in_one_process(tmp_path: Path) -> None:
    raw = tmp_path / "pdus.bin"
    raw.write_bytes(b"\x05\x00\x00\x00\x00\x04\x00\x00\x00\x00")  # an A-RELEASE-RQ
    assert run("--raw", str(raw), "--json", "--jobs", "2") == run("--raw", str(raw), "--json")


def test_a_named_pipe_is_read_once_by_the_parent(tmp_path: Path) -> None:
    """A path that is not a regular file (a FIFO, a process substitution) cannot be
    opened again by each process: the parent reads it and sends the segments."""
    path = FIXTURES / "dcmtk-qr.pcap"
    fifo = tmp_path / "capture.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(path.read_bytes()))
    writer.start()
    try:
        got = run(str(fifo), *PORTS, "--json", "--jobs", "2")
    finally:
        writer.join(timeout=10)
    assert got == run(str(path), *PORTS, "--json")


def test_records_come_out_while_the_parent_decodes_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before its workers are ready the parent emits what it has decoded as it goes (it
    had held everything back until it had read the whole capture)."""
    monkeypatch.setattr(sharded, "LEAD", True)
    path = FIXTURES / "dcmtk-store.pcap"
    ports = [104, 4242, *range(11112, 11120)]
    decoder = sharded.ShardedDecoder(2, ports, bulk_threshold=1024, form="json")
    records = decoder.files([path])
    first = next(records)
    assert decoder._read, "the parent had read the whole capture before the first record"
    rest = list(records)
    _, out, _ = run(str(path), *PORTS, "--json")
    assert _BYTES_WARNING.sub("", "".join([first, *rest])) == out
