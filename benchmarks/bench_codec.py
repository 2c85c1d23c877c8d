"""dimsewire against pynetdicom, a hand-written struct floor (and tshark), alternating rounds.

Run: python benchmarks/bench_codec.py [--rounds N] [--quick] [--cases TEXT[,TEXT]]
                                      [--cpu N] [--json FILE]

Every case runs for each contestant in alternating rounds (the order rotated every
round); the table gives the median time per call (or throughput), the ratio pynetdicom /
dimsewire (above 1: dimsewire is faster) and, for the small messages, dimsewire / the
floor (how many times the least work Python can do for those bytes). Each contestant's
batch size is calibrated once, after a warm-up call, to last about the budget (0.05 s;
--quick 0.02 s); the garbage collector is off inside a batch, as in timeit.

What is timed, from values to PDUs and back, the same for every library:

- encode: build the primitive from plain values (its data set wrapped in an io.BytesIO,
  which pynetdicom requires and dimsewire keeps as given), then encode it to the list
  of whole P-DATA-TF PDU bytes:
  dimsewire ``list(encode_message(prim, 1, max_pdu))``; pynetdicom
  ``DIMSEMessage.primitive_to_message`` + ``encode_msg`` + ``P_DATA_TF(p).encode()`` per
  P-DATA primitive (its dimse.py send_msg and dul.py paths); the floor its hand-written
  encoder (benchmarks/struct_floor.py), from the same values.
- decode: from the list of PDU bytes to the primitive with its data set:
  dimsewire ``decode_message(pdus)``; pynetdicom ``P_DATA_TF.decode`` +
  ``to_primitive`` + ``DIMSEMessage.decode_msg`` per PDU, then ``message_to_primitive``
  (dul.py _decode_pdu, dimse.py receive_primitive); the floor its hand-written decoder
  to a dict of the values.

Before timing, every small case checks that all three give the same PDU bytes and that
all three decode the same values. The floor exists for the five small messages (C-FIND-RQ,
C-FIND-RSP Pending with a match, C-STORE-RQ with a 2 KB data set, C-ECHO-RQ, a storage
commitment N-ACTION-RQ), one PDV per PDU; packed rows and large rows have none.

At max PDU 0 (no limit) dimsewire cuts an Identifier into fragments of at most 1 MiB,
pynetdicom sends it whole in one PDU: the 16 MiB encode rows at 0 are not the same bytes
(both decode each other's).

Peak memory of the large cases is measured in a fresh interpreter per library, case and
method, above a baseline taken once the case's inputs exist, as a multiple of the
Identifier's size: the peak resident set (Linux: VmHWM after resetting it through
/proc/self/clear_refs, against VmRSS) and tracemalloc's peak. The memory bar is checked
on the resident set where it can be measured, else on tracemalloc. An encode's peak
includes building the primitive, as its time does.

Case groups for --cases (any comma-separated text matching the group or the case name):
small, stream, large, capture, scaling. --quick is a smoke run: 3 rounds, a stream of
1,000 messages, 1 MiB at every maximum and 16 MiB at 16382 only, one capture round.
--cpu N pins the process (and its children) to CPU N with os.sched_setaffinity; on a
busy machine that can hurt as well as help, so it is off unless asked for.
The project's bars (issue 13) are checked at the end (PASS/FAIL, SKIP when the case did
not run); the exit status is 1 when one fails.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime
import gc
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from io import BytesIO
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Run from a checkout, benchmark that checkout (the --peak subprocesses included).
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from pydicom import Dataset  # noqa: E402
from pynetdicom import dimse_messages  # noqa: E402
from pynetdicom import dimse_primitives as pyn  # noqa: E402
from pynetdicom.pdu import P_DATA_TF  # noqa: E402
from struct_floor import DECODERS, ENCODERS  # noqa: E402

import dimsewire  # noqa: E402
from dimsewire import (  # noqa: E402
    Reassembler,
    decode_message,
    encode_identifier,
    encode_message,
)
from dimsewire.codec.fragmenter import MAX_FRAGMENT_WITHOUT_LIMIT  # noqa: E402

IMPLICIT = "1.2.840.10008.1.2"
SOP_CLASS = "1.2.840.10008.5.1.4.1.2.1.1"  # Patient Root Query/Retrieve - FIND
VERIFICATION = "1.2.840.10008.1.1"
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
INSTANCE = "1.2.826.0.1.3680043.8.498.10715923482730165149326017249384157"
STORAGE_COMMITMENT = "1.2.840.10008.1.20.1"  # Storage Commitment Push Model SOP Class
STORAGE_COMMITMENT_INSTANCE = "1.2.840.10008.1.20.1.1"  # its well-known SOP Instance
MAX_PDU = 16382
CHUNK = 64 * 1024
MiB = 1024 * 1024
C_FIND_RSP = dimse_messages.C_FIND_RSP
DEFAULT_CAPTURE = Path(tempfile.gettempdir()) / "dimsewire-large.pcap"

#: How each library is called: printed and kept in the JSON, since the ratios depend on it.
METHOD = {
    "primitive": "built inside the timed region from plain values, for every library; "
    "the data set wrapped in io.BytesIO",
    "dimsewire encode": "list(encode_message(primitive, 1, max_pdu))",
    "dimsewire decode": "decode_message(pdus)",
    "pynetdicom encode": "DIMSEMessage subclass .primitive_to_message(primitive); "
    "[P_DATA_TF(p).encode() for p in message.encode_msg(1, max_pdu)]",
    "pynetdicom decode": "per PDU: P_DATA_TF().decode(pdu), message.decode_msg("
    "pdu.to_primitive()); then message.message_to_primitive()",
    "floor": "benchmarks/struct_floor.py: per message one struct format, values to PDUs "
    "and PDUs to a dict of values; no primitive, no input validation",
    "timing": "median over alternating rounds (order rotated) of one batch per "
    "contestant per round, batch size calibrated once to the budget, gc off in a batch",
}

# --- inputs -------------------------------------------------------------------------------


def _query() -> bytes:
    """A ~100-byte STUDY-level query Identifier."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.PatientName = "DOE^J*"
    ds.PatientID = ""
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyDate = "20240101-20241231"
    ds.AccessionNumber = ""
    ds.StudyInstanceUID = ""
    ds.ModalitiesInStudy = "CT"
    return encode_identifier(ds, IMPLICIT)


def _match() -> bytes:
    """A ~400-byte STUDY-level match."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.PatientName = "DOE^JOHN^Q"
    ds.PatientID = "PID-0001234567"
    ds.PatientBirthDate = "19700101"
    ds.StudyDate = "20240315"
    ds.StudyTime = "101500"
    ds.AccessionNumber = "ACC000123456"
    ds.StudyDescription = "CT CHEST ABDOMEN PELVIS WITH CONTRAST"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.12345678901234567890123456789"
    ds.ModalitiesInStudy = ["CT", "SR"]
    ds.ReferringPhysicianName = "SMITH^ALICE"
    ds.NumberOfStudyRelatedSeries = "4"
    ds.NumberOfStudyRelatedInstances = "812"
    ds.InstitutionName = "GENERAL HOSPITAL OF SOMEWHERE"
    ds.RetrieveAETitle = "PACS01"
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.StudyID = "S-2024-0315"
    ds.OtherPatientIDs = "ALT-999"
    ds.PatientSex = "M"
    return encode_identifier(ds, IMPLICIT)


def _instance(size: int = 2048) -> bytes:
    """A CT Image data set of exactly `size` bytes: a header, then Pixel Data to fill."""
    ds = Dataset()
    ds.SOPClassUID = CT_IMAGE
    ds.SOPInstanceUID = INSTANCE
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.12345678901234567890123456789"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.12345678901234567890123456790"
    ds.Modality = "CT"
    ds.PatientName = "DOE^JOHN^Q"
    ds.PatientID = "PID-0001234567"
    ds.StudyDate = "20240315"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.PixelData = b""
    ds.PixelData = b"\x00\x01" * ((size - len(encode_identifier(ds, IMPLICIT))) // 2)
    data = encode_identifier(ds, IMPLICIT)
    assert len(data) == size, len(data)
    return data


def _commitment() -> bytes:
    """Storage commitment Action Information (PS3.4 J.3.2.1.1.2): one referenced instance."""
    item = Dataset()
    item.ReferencedSOPClassUID = CT_IMAGE
    item.ReferencedSOPInstanceUID = INSTANCE
    ds = Dataset()
    ds.TransactionUID = "1.2.826.0.1.3680043.8.498.20240315101500123"
    ds.ReferencedSOPSequence = [item]
    return encode_identifier(ds, IMPLICIT)


def _big(size: int) -> bytes:
    """An Identifier of `size` bytes (even): one long private element, Implicit VR LE."""
    body = size - 8
    return b"\x09\x00\x00\x10" + body.to_bytes(4, "little") + b"\xab" * body


# --- primitives from values: one builder per message, run for both libraries -------------
# `lib` is the dimsewire or the pynetdicom.dimse_primitives module: both name the
# primitives and their parameters alike. The arguments are in struct_floor's order.


def build_c_find_rq(lib: Any, sop_class: str, message_id: int, priority: int, ident: bytes) -> Any:
    prim = lib.C_FIND()
    prim.AffectedSOPClassUID = sop_class
    prim.MessageID = message_id
    prim.Priority = priority
    prim.Identifier = BytesIO(ident)
    return prim


def build_c_find_rsp(
    lib: Any, sop_class: str, responding_to: int, status: int, match: bytes
) -> Any:
    prim = lib.C_FIND()
    prim.AffectedSOPClassUID = sop_class
    prim.MessageIDBeingRespondedTo = responding_to
    prim.Status = status
    prim.Identifier = BytesIO(match)
    return prim


def build_c_store_rq(
    lib: Any, sop_class: str, sop_instance: str, message_id: int, priority: int, data: bytes
) -> Any:
    prim = lib.C_STORE()
    prim.AffectedSOPClassUID = sop_class
    prim.AffectedSOPInstanceUID = sop_instance
    prim.MessageID = message_id
    prim.Priority = priority
    prim.DataSet = BytesIO(data)
    return prim


def build_c_echo_rq(lib: Any, sop_class: str, message_id: int) -> Any:
    prim = lib.C_ECHO()
    prim.AffectedSOPClassUID = sop_class
    prim.MessageID = message_id
    return prim


def build_n_action_rq(
    lib: Any, sop_class: str, sop_instance: str, message_id: int, action: int, info: bytes
) -> Any:
    prim = lib.N_ACTION()
    prim.RequestedSOPClassUID = sop_class
    prim.RequestedSOPInstanceUID = sop_instance
    prim.MessageID = message_id
    prim.ActionTypeID = action
    prim.ActionInformation = BytesIO(info)
    return prim


@dataclass(frozen=True)
class Small:
    """One small message: how to build it, its values, and pynetdicom's message class."""

    message: str  # the struct_floor key, e.g. "C-FIND-RQ"
    label: str  # its row name
    build: Callable[..., Any]
    args: tuple[Any, ...]
    pyn_message: type


def small_messages() -> list[Small]:
    query, match, instance, information = _query(), _match(), _instance(), _commitment()
    return [
        Small(
            "C-FIND-RQ",
            f"C-FIND-RQ ({len(query)} B identifier)",
            build_c_find_rq,
            (SOP_CLASS, 1, 2, query),
            dimse_messages.C_FIND_RQ,
        ),
        Small(
            "C-FIND-RSP",
            f"C-FIND-RSP pending ({len(match)} B match)",
            build_c_find_rsp,
            (SOP_CLASS, 1, 0xFF00, match),
            dimse_messages.C_FIND_RSP,
        ),
        Small(
            "C-STORE-RQ",
            f"C-STORE-RQ ({len(instance)} B data set)",
            build_c_store_rq,
            (CT_IMAGE, INSTANCE, 7, 2, instance),
            dimse_messages.C_STORE_RQ,
        ),
        Small(
            "C-ECHO-RQ",
            "C-ECHO-RQ",
            build_c_echo_rq,
            (VERIFICATION, 3),
            dimse_messages.C_ECHO_RQ,
        ),
        Small(
            "N-ACTION-RQ",
            f"N-ACTION-RQ storage commitment (type 1, {len(information)} B information)",
            build_n_action_rq,
            (STORAGE_COMMITMENT, STORAGE_COMMITMENT_INSTANCE, 5, 1, information),
            dimse_messages.N_ACTION_RQ,
        ),
    ]


def _values(prim: Any, keys: Any) -> dict[str, object]:
    """The parameters `keys` of a primitive of either library, data sets as bytes."""
    values = {key: getattr(prim, key) for key in keys}
    return {k: v.getvalue() if isinstance(v, BytesIO) else v for k, v in values.items()}


# --- pynetdicom's paths, as its DIMSE provider and DUL run them ---------------------------


def _pyn_encode(prim: Any, message_class: type, max_pdu: int = MAX_PDU) -> list[bytes]:
    """dimse.py send_msg: primitive_to_message, encode_msg; dul.py: P_DATA_TF encode."""
    message = message_class()
    message.primitive_to_message(prim)
    return [P_DATA_TF(pdata).encode() for pdata in message.encode_msg(1, max_pdu)]


def _pyn_decode(pdus: list[bytes]) -> Any:
    """dul.py _decode_pdu + to_primitive; dimse.py receive_primitive: decode_msg until the
    message is complete, then message_to_primitive."""
    message = dimse_messages.DIMSEMessage()
    for raw in pdus:
        pdu = P_DATA_TF()
        pdu.decode(raw)
        message.decode_msg(pdu.to_primitive())
    return message.message_to_primitive()


def _pyn_stream(stream: bytes, chunk: int) -> int:
    """pynetdicom's receive path over a byte stream: frame each PDU by its 6-byte header
    (as dul.py _read_pdu_data does, here from a buffer instead of two socket reads),
    decode it, and feed a DIMSEMessage until each message is complete (dimse.py
    receive_primitive). pynetdicom's event triggers and queues are left out."""
    buffer = bytearray()
    messages = 0
    message = dimse_messages.DIMSEMessage()
    for start in range(0, len(stream), chunk):
        buffer += stream[start : start + chunk]
        pos = 0
        while len(buffer) - pos >= 6:
            end = pos + 6 + int.from_bytes(buffer[pos + 2 : pos + 6], "big")
            if end > len(buffer):
                break
            pdu = P_DATA_TF()
            pdu.decode(bytes(buffer[pos:end]))
            if message.decode_msg(pdu.to_primitive()):
                message.message_to_primitive()
                messages += 1
                message = dimse_messages.DIMSEMessage()
            pos = end
        del buffer[:pos]
    return messages


def _our_stream(stream: bytes, chunk: int) -> int:
    reassembler = Reassembler(max_pdu_length=MAX_PDU)
    messages = 0
    for start in range(0, len(stream), chunk):
        reassembler.receive_data(stream[start : start + chunk])
        for _ in reassembler.events():
            messages += 1
    return messages


def _ours(identifier: bytes) -> Any:
    """A dimsewire pending C-FIND-RSP with this Identifier."""
    return build_c_find_rsp(dimsewire, SOP_CLASS, 1, 0xFF00, identifier)


# --- the cases ----------------------------------------------------------------------------

#: The calls to time, by contestant: "dimsewire", "pynetdicom" and, if there is one, "floor".
Contestants = dict[str, Callable[[], object]]


@dataclass
class Bar:
    """A bar the project holds: `metric` of a case's row compared with `limit`."""

    metric: str  # "ratio" (at least `limit`), "floor" or "peak" (at most `limit`)
    limit: float

    def describe(self) -> str:
        if self.metric == "ratio":
            return f">= {self.limit:g}x pynetdicom"
        if self.metric == "floor":
            return f"within {self.limit:g}x of the struct floor"
        return f"peak memory <= {self.limit:g}x the identifier above baseline"


@dataclass
class Case:
    name: str
    group: str  # small, stream, large
    unit: str  # "us" per call, "msg/s", "MB/s"
    size: int  # messages or bytes handled per call
    setup: Callable[[], Contestants]  # builds and checks the inputs (only for cases that run)
    peak: tuple[str, int, int] | None = None  # (encode|decode, size, max PDU) for memory
    bars: list[Bar] = field(default_factory=list)


def _max_label(max_pdu: int) -> str:
    return "max PDU 0 (no limit)" if max_pdu == 0 else f"max PDU {max_pdu}"


def _size_label(size: int) -> str:
    return f"{size // MiB} MiB" if size >= MiB else f"{size} B"


def _small_contestants(small: Small, what: str) -> Contestants:
    """The three calls for one small case, after checking that they agree."""
    build, args, message_class = small.build, small.args, small.pyn_message
    floor_encode, floor_decode = ENCODERS[small.message], DECODERS[small.message]
    ours = build(dimsewire, *args)
    pdus = list(encode_message(ours, 1, MAX_PDU))
    packed = list(encode_message(ours, 1, MAX_PDU, pack=True))
    assert pdus == _pyn_encode(build(pyn, *args), message_class), "pynetdicom's bytes differ"
    assert pdus == floor_encode(*args, 1), "the floor's bytes differ"
    values = floor_decode(pdus)
    assert list(values.values()) == list(args), "the floor decodes other values"
    for each in (pdus, packed):
        assert _values(decode_message(each), values) == values, "dimsewire decodes other values"
        assert _values(_pyn_decode(each), values) == values, "pynetdicom decodes other values"
    assert decode_message(pdus) == ours
    if what == "encode":
        return {
            "dimsewire": lambda: list(encode_message(build(dimsewire, *args), 1, MAX_PDU)),
            "pynetdicom": lambda: _pyn_encode(build(pyn, *args), message_class),
            "floor": lambda: floor_encode(*args, 1),
        }
    if what == "decode":
        return {
            "dimsewire": lambda: decode_message(pdus),
            "pynetdicom": lambda: _pyn_decode(pdus),
            "floor": lambda: floor_decode(pdus),
        }
    if what == "encode packed":
        return {
            "dimsewire": lambda: list(
                encode_message(build(dimsewire, *args), 1, MAX_PDU, pack=True)
            ),
            "pynetdicom": lambda: _pyn_encode(build(pyn, *args), message_class),
        }
    return {"dimsewire": lambda: decode_message(packed), "pynetdicom": lambda: _pyn_decode(packed)}


#: Issue 13: small messages, with the primitive built, against pynetdicom and the floor.
SMALL_BARS = {
    "encode": [Bar("ratio", 60), Bar("floor", 3)],
    "decode": [Bar("ratio", 30), Bar("floor", 3)],
}


def small_cases() -> list[Case]:
    """Encode and decode of each small message; packed too for the two C-FIND messages.

    pynetdicom cannot pack: its column for a packed encode is its usual (unpacked) encode;
    for a packed decode it decodes the same packed PDU as dimsewire (it accepts them)."""
    cases = []
    for small in small_messages():
        variants = [("encode", ""), ("decode", "")]
        if small.message.startswith("C-FIND"):
            variants += [
                ("encode packed", ", packed (pynetdicom unpacked)"),
                ("decode packed", ", packed (one PDU, both)"),
            ]
        for what, suffix in variants:

            def setup(s: Small = small, w: str = what) -> Contestants:
                return _small_contestants(s, w)

            name = f"{what.split()[0]} {small.label}{suffix}"
            cases.append(Case(name, "small", "us", 1, setup, bars=SMALL_BARS.get(what, [])))
    return cases


def stream_case(count: int) -> list[Case]:
    def setup() -> Contestants:
        ours = _ours(_match())
        stream = b"".join(pdu for _ in range(count) for pdu in encode_message(ours, 1, MAX_PDU))
        assert _our_stream(stream, CHUNK) == _pyn_stream(stream, CHUNK) == count
        return {
            "dimsewire": lambda: _our_stream(stream, CHUNK),
            "pynetdicom": lambda: _pyn_stream(stream, CHUNK),
        }

    name = f"stream of {count:,} pending C-FIND-RSP through the reassembler, 64 KiB chunks"
    return [Case(name, "stream", "msg/s", count, setup)]


def _large_inputs(kind: str, size: int, max_pdu: int, library: str) -> Callable[[], object]:
    """The call to time (or measure) for one large case; its inputs exist on return.

    Encoding builds the primitive in the call, as the small cases do (a BytesIO around
    the Identifier's bytes copies nothing)."""
    identifier = _big(size)
    if kind == "encode":
        args = (SOP_CLASS, 1, 0xFF00, identifier)
        if library == "dimsewire":
            return lambda: list(encode_message(build_c_find_rsp(dimsewire, *args), 1, max_pdu))
        return lambda: _pyn_encode(build_c_find_rsp(pyn, *args), C_FIND_RSP, max_pdu)
    pdus = list(encode_message(_ours(identifier), 1, max_pdu))
    del identifier
    if library == "dimsewire":
        return lambda: decode_message(pdus)
    return lambda: _pyn_decode(pdus)


#: (encode, decode) bars of the 16 MiB Identifier at max PDU 16382 (issue 13: decode >= 3x).
LARGE_BARS = {
    "encode": [Bar("ratio", 2), Bar("peak", 1.5)],
    "decode": [Bar("ratio", 3), Bar("peak", 1.5)],
}


def large_cases(plan: list[tuple[int, int]]) -> list[Case]:
    cases = []
    for size, max_pdu in plan:
        for kind in ("encode", "decode"):

            def setup(kind: str = kind, size: int = size, max_pdu: int = max_pdu) -> Contestants:
                identifier = _big(size)
                args = (SOP_CLASS, 1, 0xFF00, identifier)
                pdus = list(encode_message(build_c_find_rsp(dimsewire, *args), 1, max_pdu))
                if kind == "encode":
                    theirs = _pyn_encode(build_c_find_rsp(pyn, *args), C_FIND_RSP, max_pdu)
                    if max_pdu == 0 and size > MAX_FRAGMENT_WITHOUT_LIMIT:
                        # dimsewire cuts 1 MiB fragments, pynetdicom sends one PDU
                        assert decode_message(theirs).Identifier.getvalue() == identifier
                        assert _pyn_decode(pdus).Identifier.getvalue() == identifier
                    else:
                        assert pdus == theirs
                    del theirs
                else:
                    assert decode_message(pdus).Identifier.getvalue() == identifier
                    assert _pyn_decode(pdus).Identifier.getvalue() == identifier
                del identifier, args, pdus
                return {
                    "dimsewire": _large_inputs(kind, size, max_pdu, "dimsewire"),
                    "pynetdicom": _large_inputs(kind, size, max_pdu, "pynetdicom"),
                }

            bars = LARGE_BARS[kind] if size == 16 * MiB and max_pdu == MAX_PDU else []
            name = f"{kind} {_size_label(size)} identifier, {_max_label(max_pdu)}"
            cases.append(
                Case(name, "large", "MB/s", size, setup, peak=(kind, size, max_pdu), bars=bars)
            )
    return cases


# --- measuring ----------------------------------------------------------------------------


def _batch(func: Callable[[], object], number: int) -> float:
    """Seconds for `number` calls, the garbage collector off (as timeit does)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in itertools.repeat(None, number):
            func()
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


def _calibrate(func: Callable[[], object], budget: float) -> int:
    """The number of calls for a batch of about `budget` seconds."""
    number = 1
    while True:
        elapsed = _batch(func, number)
        if elapsed >= budget / 4:
            return max(1, round(number * budget / elapsed))
        number *= 4 if elapsed < budget / 64 else 2


def _status_kib(key: str) -> int:
    text = Path("/proc/self/status").read_text()
    found = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    if found is None:
        raise OSError(f"no {key} in /proc/self/status")
    return int(found.group(1))


def _settle() -> None:
    """Free what building the inputs left behind, and give it back to the system."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def measure_peak(kind: str, size: int, max_pdu: int, library: str, method: str) -> int:
    """Peak bytes above the baseline (inputs built) while running one large case once.

    method "rss": the resident set's high-water mark, reset through /proc/self/clear_refs
    (Linux 4.0+), against the resident set at the baseline; -1 where that cannot be done.
    method "traced": tracemalloc's peak above what is traced at the baseline.
    Meant for a fresh interpreter (see _peak_memory)."""
    run = _large_inputs(kind, size, max_pdu, library)
    _settle()
    if method == "rss":
        try:
            Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
            base = _status_kib("VmRSS")
        except OSError:
            return -1
        result = run()
        peak = _status_kib("VmHWM") - base
        del result
        return peak * 1024
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    result = run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return peak - base


def _peak_memory(case: Case, library: str, method: str) -> int:
    """measure_peak in a fresh interpreter, so that cases do not see each other's memory."""
    assert case.peak is not None
    kind, size, max_pdu = case.peak
    argv = [sys.executable, __file__, "--peak", kind, str(size), str(max_pdu), library, method]
    out = subprocess.run(argv, capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def run_case(case: Case, rounds: int, budget: float) -> dict[str, Any]:
    funcs = case.setup()
    for func in funcs.values():
        func()  # one untimed call each: imports, caches, fresh memory touched once
    numbers = {name: _calibrate(func, budget) for name, func in funcs.items()}
    times: dict[str, list[float]] = {name: [] for name in funcs}
    names = list(funcs)
    for index in range(rounds):
        turn = index % len(names)
        for name in names[turn:] + names[:turn]:  # who goes first rotates
            times[name].append(_batch(funcs[name], numbers[name]) / numbers[name])
    medians = {name: statistics.median(each) for name, each in times.items()}
    a, b = medians["dimsewire"], medians["pynetdicom"]
    row: dict[str, Any] = {
        "case": case.name,
        "group": case.group,
        "unit": case.unit,
        "size": case.size,
        "ratio": b / a,
        "seconds_dimsewire": a,
        "seconds_pynetdicom": b,
        "calls_per_batch": numbers,
        "seconds_by_round": times,
    }
    if case.unit == "us":
        row.update(dimsewire=a * 1e6, pynetdicom=b * 1e6)
    elif case.unit == "msg/s":
        row.update(dimsewire=case.size / a, pynetdicom=case.size / b)
    else:
        row.update(dimsewire=case.size / 1e6 / a, pynetdicom=case.size / 1e6 / b)
    if "floor" in medians:
        floor = medians["floor"]
        row.update(seconds_floor=floor, floor=floor * 1e6, floor_multiple=a / floor)
    del funcs
    if case.peak is not None:
        for method in ("rss", "traced"):
            for library in ("dimsewire", "pynetdicom"):
                peak = _peak_memory(case, library, method)
                row[f"peak_{method}_{library}"] = peak / case.size if peak >= 0 else None
    return row


def _fmt_value(unit: str, value: float | None) -> str:
    if value is None:
        return ""
    if unit == "us":
        return f"{value:,.2f} us" if value < 10 else f"{value:,.1f} us"
    if unit == "msg/s":
        return f"{value:,.0f} msg/s"
    return f"{value:,.0f} MB/s" if value >= 100 else f"{value:,.1f} MB/s"


def _fmt_peak(row: dict[str, Any], method: str) -> str:
    ours, theirs = row.get(f"peak_{method}_dimsewire"), row.get(f"peak_{method}_pynetdicom")
    if ours is None and theirs is None:
        return ""
    return " / ".join("n/a" if v is None else f"{v:.2f}" for v in (ours, theirs))


WIDTHS = (70, 12, 12, 10, 7, 7, 13, 13)
HEADER = ("case", "dimsewire", "pynetdicom", "floor", "ratio", "x floor", "peak RSS", "traced")


def _print_line(cells: tuple[str, ...]) -> None:
    print(
        " ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, WIDTHS, strict=True))
        ),
        flush=True,
    )


def _print_row(row: dict[str, Any]) -> None:
    multiple = row.get("floor_multiple")
    _print_line(
        (
            row["case"],
            _fmt_value(row["unit"], row["dimsewire"]),
            _fmt_value(row["unit"], row["pynetdicom"]),
            _fmt_value(row["unit"], row.get("floor")),
            f"{row['ratio']:.1f}x",
            "" if multiple is None else f"{multiple:.2f}x",
            _fmt_peak(row, "rss"),
            _fmt_peak(row, "traced"),
        )
    )


# --- scaling ------------------------------------------------------------------------------


def _tiny_pdvs(count: int) -> bytes:
    """One message whose data set comes in `count` PDUs of one 2-byte PDV (maximum 8)."""
    prim = _ours(
        b"\x10\x00\x10\x00" + (2 * count - 8).to_bytes(4, "little") + b"A" * (2 * count - 8)
    )
    return b"".join(encode_message(prim, 1, 8, pack=True))


def scaling_rows(quick: bool) -> list[dict[str, Any]]:
    """Time per unit at two sizes ten times apart: linear work gives the same per-unit cost."""
    rows = []
    small, large = (1_000, 10_000) if quick else (10_000, 100_000)
    for name, feed in (
        ("reassemble one message from N 2-byte PDVs (per PDV)", CHUNK),
        ("stream of N bytes fed one byte at a time (per byte)", 1),
    ):
        per_unit = []
        for count in (small, large):
            stream = _tiny_pdvs(count)
            units = count if feed != 1 else len(stream)
            best = float("inf")
            for _ in range(3):  # best of three: one run is at the mercy of the machine
                start = time.perf_counter()
                assert _our_stream(stream, feed) == 1
                best = min(best, time.perf_counter() - start)
            per_unit.append(best / units)
        rows.append(
            {
                "case": name,
                "group": "scaling",
                "unit": "scaling",
                "small": small,
                "large": large,
                "us_small": per_unit[0] * 1e6,
                "us_large": per_unit[1] * 1e6,
                "ratio": per_unit[1] / per_unit[0],
            }
        )
    return rows


# --- capture decoding (CLI against tshark) -----------------------------------------------

CAPTURE_CASE = "capture decode: dimsewire decode --json vs tshark -T json"


def _dimsewire_command() -> str | None:
    """The dimsewire command if it has a `decode` subcommand, else None."""
    found = shutil.which("dimsewire")
    beside = Path(sys.executable).parent / "dimsewire"
    command = str(beside) if beside.exists() else found
    if command is None:
        return None
    probe = subprocess.run(
        [command, "decode", "--help"], capture_output=True, text=True, check=False
    )
    return command if probe.returncode == 0 else None


def capture_case(path: Path, port: int, rounds: int) -> dict[str, Any] | None:
    """`dimsewire decode --json FILE` against `tshark -r FILE -d tcp.port==PORT,dicom
    -T json`, output to /dev/null, in alternating rounds: MB/s of capture file each.

    Skipped, with a message, when the file, tshark or `dimsewire decode` is missing, or
    when either command fails (dimsewire: 0 clean, 1 problems reported; tshark: 0)."""
    if not path.exists():
        print(
            f"(capture row skipped: {path} missing; make it with benchmarks/make_large_capture.py)"
        )
        return None
    dimsewire = _dimsewire_command()
    if dimsewire is None:
        print("(capture row skipped: no `dimsewire` command with a `decode` subcommand)")
        return None
    tshark = shutil.which("tshark")
    if tshark is None:
        print("(capture row skipped: tshark is not installed)")
        return None
    size = path.stat().st_size
    runs = {
        "dimsewire": ([dimsewire, "decode", "--json", "--port", str(port), str(path)], (0, 1)),
        "tshark": ([tshark, "-r", str(path), "-d", f"tcp.port=={port},dicom", "-T", "json"], (0,)),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, (argv, good) in runs.items():
            start = time.perf_counter()
            done = subprocess.run(
                argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
            )
            times[name].append(time.perf_counter() - start)
            if done.returncode not in good:
                error = done.stderr.decode(errors="replace").strip()[-300:]
                print(f"(capture row skipped: {name} exited {done.returncode}: {error})")
                return None
    ours, theirs = statistics.median(times["dimsewire"]), statistics.median(times["tshark"])
    return {
        "case": CAPTURE_CASE,
        "group": "capture",
        "unit": "MB/s",
        "capture": str(path),
        "size": size,
        "dimsewire": size / 1e6 / ours,
        "pynetdicom": None,
        "tshark": size / 1e6 / theirs,
        "ratio": theirs / ours,
    }


# --- report -------------------------------------------------------------------------------


def _cpu() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _environment() -> dict[str, Any]:
    versions = {}
    for package in ("dimsewire", "pynetdicom", "pydicom", "construct"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu": _cpu(),
        "cpus": os.cpu_count(),
        "load_average": load,
        "versions": versions,
    }


def _bars(rows: dict[str, dict[str, Any]], cases: list[Case]) -> list[dict[str, Any]]:
    """Every bar with PASS, FAIL or SKIP (its case did not run)."""
    checks: list[dict[str, Any]] = []

    def check(bar: str, value: float | None, ok: bool | None, shown: str) -> None:
        result = "SKIP" if ok is None else "PASS" if ok else "FAIL"
        checks.append({"bar": bar, "value": value, "result": result, "measured": shown})

    for case in cases:
        row = rows.get(case.name)
        for bar in case.bars:
            text = f"{case.name}: {bar.describe()}"
            if row is None:
                check(text, None, None, "not run")
            elif bar.metric == "ratio":
                check(text, row["ratio"], row["ratio"] >= bar.limit, f"{row['ratio']:.1f}x")
            elif bar.metric == "floor":
                multiple = row["floor_multiple"]
                check(text, multiple, multiple <= bar.limit, f"{multiple:.2f}x")
            else:
                method = "rss" if row.get("peak_rss_dimsewire") is not None else "traced"
                peak = row[f"peak_{method}_dimsewire"]
                check(text, peak, peak <= bar.limit, f"{peak:.2f}x ({method})")
    capture = rows.get(CAPTURE_CASE)
    text = f"{CAPTURE_CASE}: >= tshark's MB/s"
    if capture is None:
        check(text, None, None, "not run")
    else:
        check(text, capture["ratio"], capture["ratio"] >= 1, f"{capture['ratio']:.2f}x")
    for row in rows.values():
        if row["unit"] == "scaling":
            check(
                f"{row['case']}: linear (per-unit cost < 2x at 10x the size)",
                row["ratio"],
                row["ratio"] < 2,
                f"x{row['ratio']:.2f}",
            )
    return checks


def _selected(terms: list[str], group: str, name: str) -> bool:
    return not terms or any(t in group or t in name.lower() for t in terms)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=11, help="alternating rounds per case")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 3 rounds, smaller sizes, one capture round"
    )
    parser.add_argument(
        "--cases", default="", help="comma-separated: run cases whose group or name has one"
    )
    parser.add_argument("--cpu", type=int, help="pin the process to this CPU (sched_setaffinity)")
    parser.add_argument("--capture", type=Path, default=DEFAULT_CAPTURE, help="pcap to decode")
    parser.add_argument("--capture-port", type=int, default=11112)
    parser.add_argument("--json", help="also write the environment, results and bars here")
    parser.add_argument("--peak", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peak:
        kind, size, max_pdu, library, method = args.peak
        print(measure_peak(kind, int(size), int(max_pdu), library, method))
        return 0
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})

    rounds = 3 if args.quick else args.rounds
    budget = 0.02 if args.quick else 0.05
    terms = [t.strip().lower() for t in args.cases.split(",") if t.strip()]
    env = _environment()
    env.update(rounds=rounds, budget_seconds=budget, argv=sys.argv[1:])
    if hasattr(os, "sched_getaffinity"):
        env["affinity"] = sorted(os.sched_getaffinity(0))
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    load = env["load_average"]
    pinned = f", pinned to CPU {args.cpu}" if args.cpu is not None else ""
    print(
        f"{env['date']}  Python {env['python']} ({env['implementation']})  {env['cpu']}, "
        f"{env['cpus']} CPUs{f', load {load[0]:.2f}' if load else ''}{pinned}\n{versions}\n"
        f"{rounds} alternating rounds, medians; ratio = pynetdicom time / dimsewire time;"
        " x floor = dimsewire time / struct floor time;\npeak memory above baseline,"
        " x the identifier (dimsewire / pynetdicom)\n"
    )
    for key, text in METHOD.items():
        print(f"  {key}: {text}")
    print()
    plan = [(MiB, m) for m in (16382, 65536, 0)]
    plan += [(16 * MiB, MAX_PDU)] if args.quick else [(16 * MiB, m) for m in (16382, 65536, 0)]
    cases = small_cases() + stream_case(1_000 if args.quick else 10_000) + large_cases(plan)

    _print_line(HEADER)
    rows: dict[str, dict[str, Any]] = {}
    for case in cases:
        if _selected(terms, case.group, case.name):
            rows[case.name] = run_case(case, rounds, budget)
            _print_row(rows[case.name])

    if _selected(terms, "capture", CAPTURE_CASE):
        capture = capture_case(args.capture, args.capture_port, 1 if args.quick else 3)
        if capture is not None:
            rows[capture["case"]] = capture
            shown = dict(capture, pynetdicom=capture["tshark"])
            shown["case"] = (
                f"capture decode, {capture['size'] / 1e6:.0f} MB:"
                " dimsewire decode --json | tshark -T json"
            )
            _print_row(shown)

    if _selected(terms, "scaling", "reassemble stream one byte at a time"):
        print()
        for row in scaling_rows(args.quick):
            rows[row["case"]] = row
            print(
                f"{row['case']:{WIDTHS[0]}} {row['us_small']:7.2f} us at {row['small']:,},"
                f" {row['us_large']:7.2f} us at {row['large']:,} (x{row['ratio']:.2f})"
            )

    checks = _bars(rows, cases)
    print("\nresult  bar (measured)")
    for item in checks:
        print(f"{item['result']:6}  {item['bar']} ({item['measured']})")
    failed = [c for c in checks if c["result"] == "FAIL"]
    print(
        f"\n{sum(c['result'] == 'PASS' for c in checks)} PASS, {len(failed)} FAIL, "
        f"{sum(c['result'] == 'SKIP' for c in checks)} SKIP"
    )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {
                    "environment": env,
                    "method": METHOD,
                    "results": list(rows.values()),
                    "bars": checks,
                },
                out,
                indent=2,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
