"""Encode/decode throughput of dimsewire against pynetdicom, in one process.

Run: python benchmarks/bench_codec.py [--rounds N] [--json FILE]

Each case is timed for both libraries in alternating rounds; the table shows the median
time per call and the ratio pynetdicom / dimsewire. Encode runs from a filled primitive
to the list of PDU bytes; decode from the PDU bytes to a filled primitive with its
Identifier, for both libraries.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from pydicom import Dataset
from pynetdicom import dimse_messages
from pynetdicom import dimse_primitives as pyn
from pynetdicom.pdu import P_DATA_TF

from dimsewire import C_FIND, decode_message, encode_identifier, encode_message

IMPLICIT = "1.2.840.10008.1.2"
SOP_CLASS = "1.2.840.10008.5.1.4.1.2.1.1"
MAX_PDU = 16382


def _query() -> bytes:
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.PatientName = "DOE^J*"
    ds.PatientID = ""
    ds.StudyDate = "20240101-20241231"
    ds.StudyInstanceUID = ""
    ds.ModalitiesInStudy = "CT"
    return encode_identifier(ds, IMPLICIT)


def _match() -> bytes:
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


def _ours(request: bool, identifier: bytes) -> C_FIND:
    prim = C_FIND()
    prim.AffectedSOPClassUID = SOP_CLASS
    if request:
        prim.MessageID = 1
    else:
        prim.MessageIDBeingRespondedTo = 1
        prim.Status = 0xFF00
    prim.Identifier = identifier
    return prim


def _theirs(request: bool, identifier: bytes) -> Any:
    prim = pyn.C_FIND()
    prim.AffectedSOPClassUID = SOP_CLASS
    if request:
        prim.MessageID = 1
    else:
        prim.MessageIDBeingRespondedTo = 1
        prim.Status = 0xFF00
    prim.Identifier = io.BytesIO(identifier)
    return prim


def _pyn_encode(prim: Any, request: bool) -> list[bytes]:
    message = dimse_messages.C_FIND_RQ() if request else dimse_messages.C_FIND_RSP()
    message.primitive_to_message(prim)
    return [P_DATA_TF(pdata).encode() for pdata in message.encode_msg(1, MAX_PDU)]


def _pyn_decode(pdus: list[bytes]) -> Any:
    message = dimse_messages.DIMSEMessage()
    for raw in pdus:
        pdu = P_DATA_TF()
        pdu.decode(raw)
        message.decode_msg(pdu.to_primitive())
    return message.message_to_primitive()


def _cases() -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    cases = {}
    for label, request, identifier in (
        (f"C-FIND-RQ ({len(_query())} B identifier)", True, _query()),
        (f"C-FIND-RSP pending ({len(_match())} B match)", False, _match()),
    ):
        ours, theirs = _ours(request, identifier), _theirs(request, identifier)
        pdus = list(encode_message(ours, 1, MAX_PDU))
        assert pdus == _pyn_encode(theirs, request), "the libraries disagree on the bytes"

        def ours_encode(p: C_FIND = ours) -> object:
            return list(encode_message(p, 1, MAX_PDU))

        def theirs_encode(p: Any = theirs, r: bool = request) -> object:
            return _pyn_encode(p, r)

        def ours_decode(b: list[bytes] = pdus) -> object:
            return decode_message(b)

        def theirs_decode(b: list[bytes] = pdus) -> object:
            return _pyn_decode(b)

        cases[f"encode {label}"] = (ours_encode, theirs_encode)
        cases[f"decode {label}"] = (ours_decode, theirs_decode)
    return cases


def _per_call(func: Callable[[], object], budget: float = 0.05) -> float:
    """Seconds per call, from a batch sized to last about `budget` seconds."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            func()
        elapsed = time.perf_counter() - start
        if elapsed >= budget:
            return elapsed / number
        number *= 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="alternating rounds per case")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    print(f"Python {platform.python_version()} on {platform.processor() or platform.machine()}")
    print(f"{'case':52} {'dimsewire':>11} {'pynetdicom':>11} {'ratio':>7}")
    results = []
    for name, (ours, theirs) in _cases().items():
        ours_times, theirs_times = [], []
        for _ in range(args.rounds):
            ours_times.append(_per_call(ours))
            theirs_times.append(_per_call(theirs))
        a, b = statistics.median(ours_times), statistics.median(theirs_times)
        results.append(
            {"case": name, "dimsewire_us": a * 1e6, "pynetdicom_us": b * 1e6, "ratio": b / a}
        )
        print(f"{name:52} {a * 1e6:9.2f}us {b * 1e6:9.1f}us {b / a:6.1f}x")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"python": sys.version, "results": results}, out, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
