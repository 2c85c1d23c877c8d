"""Data sets of any size in bounded memory: streamed sending and receiving, Part 10 files."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file

from dimsewire import (
    C_FIND,
    C_STORE,
    IMPLEMENTATION_CLASS_UID,
    AssociationEndpoint,
    MessageReceived,
    Reassembler,
    TruncatedError,
    decode_message,
    encode_message,
    encode_message_buffers,
)
from dimsewire.association import answer_contexts
from dimsewire.codec.events import DataSetFragmentReceived, MessageStarted
from dimsewire.codec.fragmenter import MAX_FRAGMENT_WITHOUT_LIMIT
from dimsewire.part10 import PARTIAL_SUFFIX, Part10Writer, open_data_set
from dimsewire.pdus import associate_ac, associate_rq

CT = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"


class Pattern(io.RawIOBase):
    """`size` bytes of a repeating pattern, made as they are read: nothing held."""

    def __init__(self, size: int, chunk: int | None = None) -> None:
        super().__init__()
        self.left = size
        self.chunk = chunk  # at most this many bytes per read, like a pipe
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        count = min(len(buffer), self.left, self.chunk or self.left)
        view = memoryview(buffer)
        for i in range(0, count, 251):
            end = min(count, i + 251)
            view[i:end] = _PATTERN[(self.sent + i) % 251 :][: end - i] or b""
        self.left -= count
        self.sent += count
        return count


_PATTERN = bytes(range(251)) * 2


def pattern_bytes(size: int) -> bytes:
    return bytes(_PATTERN[i % 251] for i in range(size))


def store(data_set: object) -> C_STORE:
    prim = C_STORE()
    prim.MessageID = 1
    prim.AffectedSOPClassUID = CT
    prim.AffectedSOPInstanceUID = "1.2.3.4"
    prim.DataSet = data_set
    return prim


# -- sending -----------------------------------------------------------------------------


@pytest.mark.parametrize("max_pdu", [8, 4096, 16382, 16384, 65536, 0, 16383])
def test_a_file_object_sends_the_same_pdus_as_bytes(max_pdu: int) -> None:
    data = pattern_bytes(300_002)
    streamed = list(encode_message(store(io.BufferedReader(Pattern(len(data)))), 1, max_pdu))
    in_memory = list(encode_message(store(data), 1, max_pdu))
    assert streamed == in_memory
    assert decode_message(streamed).DataSet.getvalue() == data  # type: ignore[attr-defined]


def test_a_source_that_reads_short_still_gives_full_even_fragments() -> None:
    pdus = list(encode_message(store(Pattern(50_000, chunk=777)), 1, 4096))
    assert pdus == list(encode_message(store(pattern_bytes(50_000)), 1, 4096))


def test_no_limit_cuts_fragments_of_one_mib() -> None:
    size = 2 * MAX_FRAGMENT_WITHOUT_LIMIT + 10
    pdus = list(encode_message_buffers(store(Pattern(size)), 1, 0))
    assert [len(pdu[1]) for pdu in pdus[1:]] == [MAX_FRAGMENT_WITHOUT_LIMIT] * 2 + [10]


def test_a_source_ending_odd_is_refused_when_it_ends() -> None:
    pdus = encode_message(store(Pattern(16_385)), 1, 4096)
    with pytest.raises(ValueError, match="odd length") as info:
        list(pdus)
    assert str(info.value) == (
        "the data set source ended after 16385 bytes, an odd length (PS3.5 7.1: data sets "
        "are even); the message is incomplete and must be aborted"
    )


def test_a_seekable_source_is_checked_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="odd length") as info:
        encode_message(store(io.BytesIO(b"abc")), 1, 4096)
    assert str(info.value) == (
        "cannot send C-STORE-RQ: DataSet has odd length 3 (PS3.5 7.1: data sets are even)"
    )
    empty = io.BufferedReader(io.BytesIO(b""))  # seekable, not a BytesIO
    with pytest.raises(ValueError, match=r"DataSet is empty \(PS3.8 Annex E: no empty PDVs\)"):
        encode_message(store(empty), 1, 4096)


def test_a_path_goes_through_the_endpoint_not_the_codec(tmp_path: Path) -> None:
    prim = store(tmp_path / "x.dcm")
    with pytest.raises(TypeError, match="the data set is a path"):
        encode_message(prim, 1, 4096)


def _sending_peak() -> None:
    size = 48 * 1024 * 1024
    tracemalloc.start()
    try:
        digest = hashlib.sha256()
        sent = 0
        pdus = encode_message_buffers(store(Pattern(size)), 1, 16382)
        next(pdus)  # the command set
        for _header, fragment in pdus:
            digest.update(fragment)
            sent += len(fragment)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sent == size
    assert digest.hexdigest() == hashlib.sha256(pattern_bytes(size)).hexdigest()
    print(peak)


# -- receiving ---------------------------------------------------------------------------


def _wire(prim: C_STORE | C_FIND, max_pdu: int = 16382) -> bytes:
    return b"".join(encode_message(prim, 3, max_pdu))


def test_a_selected_data_set_comes_as_fragment_events() -> None:
    data = pattern_bytes(100_000)
    wire = _wire(store(data))
    seen: list[object] = []
    reassembler = Reassembler(stream_data_sets=lambda p: seen.append(p) or True)
    events = []
    for start in range(0, len(wire), 7_000):  # any chunking
        reassembler.receive_data(wire[start : start + 7_000])
        events += list(reassembler.events())
    started, *fragments, done = events
    assert isinstance(started, MessageStarted)
    assert started.primitive.AffectedSOPInstanceUID == "1.2.3.4"  # type: ignore[attr-defined]
    assert seen == [started.primitive]
    assert all(isinstance(f, DataSetFragmentReceived) for f in fragments)
    assert [f.last for f in fragments] == [False] * (len(fragments) - 1) + [True]
    assert b"".join(f.data for f in fragments) == data  # type: ignore[attr-defined]
    assert all(f.data.readonly and f.context_id == 3 for f in fragments)  # type: ignore[attr-defined]
    assert isinstance(done, MessageReceived)
    assert (done.streamed, done.primitive is started.primitive, done.offset) == (True, True, 0)
    assert done.primitive.DataSet is None  # type: ignore[attr-defined]
    assert done.primitive.is_valid_request is False  # its DataSet went to the caller


def test_unselected_messages_are_collected_as_before() -> None:
    find = C_FIND()
    find.MessageID, find.AffectedSOPClassUID, find.Identifier = (
        2,
        "1.2.840.10008.5.1.4.1.2.1.1",
        b"\x00\x00",
    )
    reassembler = Reassembler(stream_data_sets=lambda p: isinstance(p, C_STORE))
    reassembler.receive_data(_wire(find) + _wire(store(b"ab" * 10)))
    kinds = [type(e).__name__ for e in reassembler.events()]
    assert kinds == [
        "MessageReceived",
        "MessageStarted",
        "DataSetFragmentReceived",
        "MessageReceived",
    ]


def test_the_message_cap_does_not_apply_to_streamed_data_sets() -> None:
    wire = _wire(store(pattern_bytes(200_000)))
    capped = Reassembler(max_message_size=100_000)
    capped.receive_data(wire)
    with pytest.raises(Exception, match="exceeds the cap of 100000 bytes"):
        list(capped.events())
    streaming = Reassembler(max_message_size=100_000, stream_data_sets=lambda p: True)
    streaming.receive_data(wire)
    assert isinstance(list(streaming.events())[-1], MessageReceived)


def _receiving_peak() -> None:
    size = 32 * 1024 * 1024
    reassembler = Reassembler(stream_data_sets=lambda p: True)
    digest, received = hashlib.sha256(), 0
    tracemalloc.start()
    try:
        for pdu in encode_message(store(Pattern(size)), 1, 16382):
            reassembler.receive_data(pdu)
            for event in reassembler.events():
                if isinstance(event, DataSetFragmentReceived):
                    digest.update(event.data)
                    received += len(event.data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == size
    assert digest.hexdigest() == hashlib.sha256(pattern_bytes(size)).hexdigest()
    print(peak)


def test_a_stream_ending_inside_a_streamed_data_set_is_truncated() -> None:
    wire = _wire(store(pattern_bytes(50_000)))
    reassembler = Reassembler(stream_data_sets=lambda p: True)
    reassembler.receive_data(wire[: 16388 * 2])
    reassembler.receive_eof()
    events = []
    with pytest.raises(TruncatedError):
        events += list(reassembler.events())
    assert not any(isinstance(e, MessageReceived) for e in events)


# -- Part 10 files -----------------------------------------------------------------------


def _write(path: Path, fragments: list[bytes], **kwargs: object) -> Path:
    with Part10Writer(
        path,
        sop_class_uid=CT,
        sop_instance_uid="1.2.3.4",
        transfer_syntax=EXPLICIT_LE,
        source_ae_title="STORESCU",
        **kwargs,  # type: ignore[arg-type]
    ) as writer:
        for fragment in fragments:
            writer.write(fragment)
        return writer.finish()


def test_a_received_data_set_becomes_a_bit_preserving_part10_file(tmp_path: Path) -> None:
    source = get_testdata_file("CT_small.dcm")
    assert source is not None
    with open_data_set(source) as data_set:
        assert (data_set.transfer_syntax, data_set.sop_class_uid) == (EXPLICIT_LE, CT)
        body = data_set.read()
        meta_length = data_set.meta.data_set_offset
    original = Path(source).read_bytes()
    assert body == original[meta_length:]
    path = _write(tmp_path / "ct.dcm", [body[:1000], body[1000:]])
    written = path.read_bytes()
    with open_data_set(path) as again:
        assert again.read() == body  # the data set, byte for byte
        assert again.meta.elements["ImplementationVersionName"] == "DIMSEWIRE_010"
        assert again.meta.elements["SourceApplicationEntityTitle"] == "STORESCU"
    ds = pydicom.dcmread(path)
    assert ds.SOPInstanceUID == pydicom.dcmread(source).SOPInstanceUID
    assert ds.file_meta.MediaStorageSOPInstanceUID == "1.2.3.4"
    assert not (tmp_path / ("ct.dcm" + PARTIAL_SUFFIX)).exists()
    assert written.endswith(body)


def test_an_unfinished_file_never_takes_its_name(tmp_path: Path) -> None:
    target = tmp_path / "x.dcm"

    def receive() -> None:
        with Part10Writer(
            target, sop_class_uid=CT, sop_instance_uid="1.2", transfer_syntax=EXPLICIT_LE
        ) as writer:
            writer.write(b"\x08\x00\x16\x00")
            assert (tmp_path / ("x.dcm" + PARTIAL_SUFFIX)).exists()
            raise RuntimeError("the association was aborted")

    with pytest.raises(RuntimeError, match="aborted"):
        receive()
    assert list(tmp_path.iterdir()) == []


def test_a_second_store_of_one_instance_does_not_overwrite(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.dcm", [b"\x00\x00"])
    with pytest.raises(FileExistsError):
        _write(path, [b"\x01\x01"])
    assert path.read_bytes().endswith(b"\x00\x00")
    _write(path, [b"\x01\x01"], overwrite=True)
    assert path.read_bytes().endswith(b"\x01\x01")


def test_a_file_that_appears_before_finish_is_kept_and_the_partial_removed(
    tmp_path: Path,
) -> None:
    """finish() that cannot give the file its name leaves no partial file behind."""
    target = tmp_path / "x.dcm"
    with Part10Writer(
        target, sop_class_uid=CT, sop_instance_uid="1.2", transfer_syntax=EXPLICIT_LE
    ) as writer:
        writer.write(b"\x08\x00\x16\x00")
        target.write_bytes(b"another writer's file")  # appears meanwhile
        with pytest.raises(FileExistsError):
            writer.finish()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.dcm"]
    assert target.read_bytes() == b"another writer's file"


def test_a_part10_file_streams_as_the_data_set(tmp_path: Path) -> None:
    source = get_testdata_file("MR_small.dcm")
    assert source is not None
    with open_data_set(source) as data_set:
        body_start = data_set.meta.data_set_offset
        pdus = list(encode_message(store(data_set), 1, 4096))
    expected = Path(source).read_bytes()[body_start:]
    assert decode_message(pdus).DataSet.getvalue() == expected  # type: ignore[attr-defined]
    assert os.path.getsize(source) - body_start == len(expected)


# -- through an association endpoint ------------------------------------------------------


def _endpoints(transfer_syntax: str) -> tuple[AssociationEndpoint, AssociationEndpoint]:
    scu = AssociationEndpoint("requestor", max_pdu_length=16382)
    scp = AssociationEndpoint(
        "acceptor", max_pdu_length=4096, stream_data_sets=lambda p: isinstance(p, C_STORE)
    )
    request = associate_rq(
        "SCP", "SCU", [(1, CT, [transfer_syntax])], max_length=16382,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
    )  # fmt: skip
    scp.receive_data(scu.send_pdu(request))
    list(scp.events())
    accept = associate_ac(
        request,
        answer_contexts(request, {CT: [transfer_syntax]}),
        max_length=4096,
        implementation_class_uid=IMPLEMENTATION_CLASS_UID,
    )
    scu.receive_data(scp.send_pdu(accept))
    list(scu.events())
    return scu, scp


def _ct_store(path: object) -> C_STORE:
    source = get_testdata_file("CT_small.dcm")
    assert source is not None
    ds = pydicom.dcmread(source, stop_before_pixels=True)
    prim = store(path)
    prim.AffectedSOPInstanceUID = ds.SOPInstanceUID
    return prim


def test_an_endpoint_streams_a_part10_path_into_a_part10_file(tmp_path: Path) -> None:
    source = get_testdata_file("CT_small.dcm")
    assert source is not None
    scu, scp = _endpoints(EXPLICIT_LE)
    prim = _ct_store(Path(source))
    writer = None
    for buffers in scu.stream_message(prim, 1):
        scp.receive_data(b"".join(buffers))
        for event in scp.events():
            if isinstance(event, MessageStarted):
                started = event.primitive
                assert isinstance(started, C_STORE)
                assert started.AffectedSOPInstanceUID is not None
                writer = Part10Writer(
                    tmp_path / "ct.dcm",
                    sop_class_uid=str(started.AffectedSOPClassUID),
                    sop_instance_uid=started.AffectedSOPInstanceUID,
                    transfer_syntax=scp.association.context(event.context_id).transfer_syntax,
                )
            elif isinstance(event, DataSetFragmentReceived):
                assert writer is not None
                writer.write(event.data)
                if event.last:
                    writer.finish()
    with open_data_set(source) as sent, open_data_set(tmp_path / "ct.dcm") as received:
        assert received.read() == sent.read()
    assert prim.DataSet == Path(source)  # the caller's primitive is left as it was


def test_an_endpoint_refuses_a_file_in_another_transfer_syntax() -> None:
    source = get_testdata_file("CT_small.dcm")  # Explicit VR Little Endian
    assert source is not None
    scu, _ = _endpoints("1.2.840.10008.1.2")
    with pytest.raises(ValueError, match="does not re-encode") as info:
        scu.stream_message(_ct_store(Path(source)), 1)
    assert str(info.value) == (
        f"{source} is in transfer syntax 1.2.840.10008.1.2.1, presentation context 1 in "
        "1.2.840.10008.1.2: dimsewire sends a file's bytes as they are and does not "
        "re-encode them"
    )
    with pytest.raises(TypeError, match="send it with stream_message"):
        scu.send_message(_ct_store(Path(source)), 1)


def test_an_endpoint_refuses_a_file_of_another_instance() -> None:
    source = get_testdata_file("CT_small.dcm")
    assert source is not None
    scu, _ = _endpoints(EXPLICIT_LE)
    prim = _ct_store(Path(source))
    prim.AffectedSOPInstanceUID = "1.2.3"
    with pytest.raises(
        ValueError, match=r"its SOPInstanceUID, the primitive's AffectedSOPInstanceUID is 1.2.3$"
    ):
        scu.stream_message(prim, 1)


def test_received_bytes_are_framed_in_place() -> None:
    """A bytes chunk is not copied: fragments are views of it; mutable input is copied."""
    wire = _wire(store(pattern_bytes(40_000)), 4096)
    reassembler = Reassembler(stream_data_sets=lambda p: True)
    reassembler.receive_data(wire)
    fragments = [e for e in reassembler.events() if isinstance(e, DataSetFragmentReceived)]
    assert len(fragments) == 10
    assert all(f.data.obj is wire for f in fragments)
    mutable = bytearray(wire)
    reassembler = Reassembler(stream_data_sets=lambda p: True)
    reassembler.receive_data(mutable)
    fragments = [e for e in reassembler.events() if isinstance(e, DataSetFragmentReceived)]
    mutable[:] = bytes(len(mutable))  # the caller reuses its buffer
    assert b"".join(f.data for f in fragments) == pattern_bytes(40_000)
    # a PDU split across two bytes chunks: the rest goes through the buffer
    reassembler = Reassembler()
    reassembler.receive_data(wire[:5000])
    reassembler.receive_data(wire[5000:])
    (event,) = reassembler.events()
    assert event.primitive.DataSet.getvalue() == pattern_bytes(40_000)  # type: ignore[union-attr]


def test_the_writer_says_where_the_data_set_starts(tmp_path: Path) -> None:
    with Part10Writer(
        tmp_path / "x.dcm", sop_class_uid=CT, sop_instance_uid="1.2", transfer_syntax=EXPLICIT_LE
    ) as writer:
        writer.write(b"\x08\x00\x16\x00")
        path = writer.finish()
    with open_data_set(path) as data_set:
        assert data_set.meta.data_set_offset == writer.data_set_offset
    assert path.read_bytes()[writer.data_set_offset :] == b"\x08\x00\x16\x00"


def test_only_a_pdu_cut_across_chunks_is_copied() -> None:
    wire = _wire(store(pattern_bytes(200_000)), 4096)
    chunks = [wire[i : i + 10_000] for i in range(0, len(wire), 10_000)]  # PDUs straddle
    reassembler = Reassembler(stream_data_sets=lambda p: True)
    fragments = []
    for chunk in chunks:
        reassembler.receive_data(chunk)
        fragments += [e for e in reassembler.events() if isinstance(e, DataSetFragmentReceived)]
    assert b"".join(f.data for f in fragments) == pattern_bytes(200_000)
    in_place = [f for f in fragments if any(f.data.obj is chunk for chunk in chunks)]
    assert len(chunks) - 1 <= len(fragments) - len(in_place) <= len(chunks) + 1
    assert len(in_place) > len(fragments) // 2
    assert reassembler.buffered == 0


def _peak_in_a_fresh_interpreter(function: str) -> int:
    """Run one of the functions above alone: tracemalloc's peak counts every thread's
    allocations, and peer tests earlier in the run may leave some working."""
    code = f"import test_streaming; test_streaming.{function}()"
    done = subprocess.run(
        [sys.executable, "-bb", "-c", code],
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return int(done.stdout.split()[-1])


def test_sending_a_large_object_holds_two_read_blocks_at_most() -> None:
    assert _peak_in_a_fresh_interpreter("_sending_peak") < 4 * 1024 * 1024


def test_receiving_a_large_object_holds_about_one_pdu() -> None:
    assert _peak_in_a_fresh_interpreter("_receiving_peak") < 4 * 1024 * 1024
