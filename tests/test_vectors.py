"""Encode and decode against the hand-worked vectors in ``fixtures/vectors``.

Each ``.hex`` file was worked out byte by byte from PS3.5, PS3.7 and PS3.8 (the
arithmetic is in its comments) and cross-checked against pynetdicom 3.0.4, which
produced the same bytes for every pack=False vector. These tests check both
directions: the encoder must produce the file's bytes, and the decoder must turn the
file's PDUs back into an equal primitive.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from hexvectors import VECTORS, load_hex, parse_hex, split_pdus
from pydicom.tag import BaseTag
from pydicom.uid import UID

from dimsewire import C_CANCEL, C_FIND, decode_message, encode_message

PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
MAX_PDU = 16382

# Identifier of the request, Implicit VR Little Endian (PS3.5 7.1.3), 32 bytes.
QUERY_IDENTIFIER = bytes.fromhex(
    "08005200 08000000 50415449454E5420"  # (0008,0052) CS len 8 "PATIENT "
    "10001000 00000000"  # (0010,0010) PN len 0
    "10002000 00000000"  # (0010,0020) LO len 0
)
# Identifier of the pending response, 46 bytes.
MATCH_IDENTIFIER = bytes.fromhex(
    "08005200 08000000 50415449454E5420"  # (0008,0052) CS len 8 "PATIENT "
    "10001000 08000000 444F455E4A4F484E"  # (0010,0010) PN len 8 "DOE^JOHN"
    "10002000 06000000 313233343520"  # (0010,0020) LO len 6 "12345 "
)
ERROR_COMMENT = "Identifier does not match SOP Class"


def find_rq() -> C_FIND:
    prim = C_FIND()
    prim.MessageID = 7
    prim.AffectedSOPClassUID = PATIENT_ROOT_FIND
    prim.Priority = 0
    prim.Identifier = BytesIO(QUERY_IDENTIFIER)
    return prim


def find_rsp(
    status: int,
    identifier: bytes | None = None,
    offending: list[int] | None = None,
    comment: str | None = None,
) -> C_FIND:
    prim = C_FIND()
    prim.MessageIDBeingRespondedTo = 7
    prim.AffectedSOPClassUID = PATIENT_ROOT_FIND
    prim.Status = status
    if identifier is not None:
        prim.Identifier = BytesIO(identifier)
    if offending is not None:
        prim.OffendingElement = offending
    if comment is not None:
        prim.ErrorComment = comment
    return prim


def cancel_rq() -> C_CANCEL:
    prim = C_CANCEL()
    prim.MessageIDBeingRespondedTo = 7
    return prim


def check_both_ways(
    prim: C_FIND | C_CANCEL, path: str, max_pdu: int, pack: bool
) -> C_FIND | C_CANCEL:
    """Encode ``prim`` and compare with the vector; decode the vector and compare with ``prim``.

    Returns the decoded primitive for further checks.
    """
    expected = load_hex(VECTORS / path)
    encoded = b"".join(encode_message(prim, 1, max_pdu, pack=pack))
    assert encoded.hex(" ") == expected.hex(" ")  # hex, so a mismatch shows where

    decoded = decode_message(split_pdus(expected))
    assert type(decoded) is type(prim)
    assert decoded == prim
    assert decoded.context_id == 1
    assert decoded.msg_type == prim.msg_type
    return decoded


# -- the vector files themselves ------------------------------------------------------

# file, PDU sizes in bytes (each = 6-byte header + PDU length), as worked out in the file
VECTOR_SIZES = [
    ("c_find_rq.hex", [100, 44]),
    ("c_find_rq_packed.hex", [138]),
    ("c_find_rsp_pending.hex", [100, 58]),
    ("c_find_rsp_failure.hex", [156]),
    ("c_find_rsp_success.hex", [100]),
    ("c_cancel_rq.hex", [54]),
    ("c_find_rq_fragmented.hex", [38, 38, 38, 22, 38, 18]),
]


@pytest.mark.parametrize(
    ("path", "pdu_sizes"), VECTOR_SIZES, ids=[p.removesuffix(".hex") for p, _ in VECTOR_SIZES]
)
def test_vector_is_well_formed(path: str, pdu_sizes: list[int]) -> None:
    data = load_hex(VECTORS / path)
    pdus = split_pdus(data)
    assert [len(pdu) for pdu in pdus] == pdu_sizes
    assert len(data) == sum(pdu_sizes)
    for pdu in pdus:
        assert pdu[:2] == b"\x04\x00"  # P-DATA-TF, reserved (PS3.8 Table 9-22)
        offset = 6
        while offset < len(pdu):  # PDV items fill the PDU exactly (PS3.8 Table 9-23)
            item_length = int.from_bytes(pdu[offset : offset + 4], "big")
            assert item_length >= 2
            assert item_length % 2 == 0  # even fragments (PS3.8 Annex E.1)
            assert pdu[offset + 4] == 1  # presentation context ID
            assert pdu[offset + 5] in (0x00, 0x01, 0x02, 0x03)  # control header (PS3.8 E.2)
            offset += 4 + item_length
        assert offset == len(pdu)


# -- C-FIND-RQ ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "max_pdu", "pack"),
    [
        ("c_find_rq.hex", MAX_PDU, False),
        ("c_find_rq_packed.hex", MAX_PDU, True),
        ("c_find_rq_fragmented.hex", 32, False),
    ],
    ids=["unpacked", "packed", "fragmented-32"],
)
def test_c_find_rq(path: str, max_pdu: int, pack: bool) -> None:
    decoded = check_both_ways(find_rq(), path, max_pdu, pack)
    assert isinstance(decoded, C_FIND)
    assert decoded.msg_type == "C-FIND"
    assert decoded.MessageID == 7
    assert decoded.MessageIDBeingRespondedTo is None
    assert isinstance(decoded.AffectedSOPClassUID, UID)
    assert decoded.AffectedSOPClassUID == PATIENT_ROOT_FIND
    assert decoded.Priority == 0
    assert decoded.Identifier is not None
    assert decoded.Identifier.getvalue() == QUERY_IDENTIFIER
    assert decoded.Status is None
    assert decoded.OffendingElement is None
    assert decoded.ErrorComment is None
    assert decoded.is_valid_request
    assert not decoded.is_valid_response


# -- C-FIND-RSP -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "identifier", "offending", "comment"),
    [
        ("c_find_rsp_pending.hex", 0xFF00, MATCH_IDENTIFIER, None, None),
        ("c_find_rsp_failure.hex", 0xA900, None, [0x00100010], ERROR_COMMENT),
        ("c_find_rsp_success.hex", 0x0000, None, None, None),
    ],
    ids=["pending-FF00", "failure-A900", "success-0000"],
)
def test_c_find_rsp(
    path: str,
    status: int,
    identifier: bytes | None,
    offending: list[int] | None,
    comment: str | None,
) -> None:
    prim = find_rsp(status, identifier, offending, comment)
    decoded = check_both_ways(prim, path, MAX_PDU, False)
    assert isinstance(decoded, C_FIND)
    assert decoded.msg_type == "C-FIND"
    assert decoded.MessageIDBeingRespondedTo == 7
    assert decoded.MessageID is None
    assert isinstance(decoded.AffectedSOPClassUID, UID)
    assert decoded.AffectedSOPClassUID == PATIENT_ROOT_FIND
    assert decoded.Status == status
    if identifier is None:
        assert decoded.Identifier is None  # CommandDataSetType 0x0101: no data set
    else:
        assert decoded.Identifier is not None
        assert decoded.Identifier.getvalue() == identifier
    if offending is None:
        assert decoded.OffendingElement is None
    else:
        assert decoded.OffendingElement == [0x00100010]
        assert all(isinstance(tag, BaseTag) for tag in decoded.OffendingElement)
    if comment is None:
        assert decoded.ErrorComment is None
    else:
        assert decoded.ErrorComment == "Identifier does not match SOP Class"  # pad removed
    assert decoded.is_valid_response
    assert not decoded.is_valid_request


# -- C-CANCEL-RQ ----------------------------------------------------------------------


def test_c_cancel_rq() -> None:
    decoded = check_both_ways(cancel_rq(), "c_cancel_rq.hex", MAX_PDU, False)
    assert isinstance(decoded, C_CANCEL)
    assert decoded.msg_type == "C-CANCEL"
    assert decoded.MessageIDBeingRespondedTo == 7
    assert decoded.is_valid_request


# -- the hex loader -------------------------------------------------------------------


def test_parse_hex_skips_comments_and_whitespace() -> None:
    text = "# header\n\n04 00  # type, reserved\n  0a0B\t0C # more\n# end\n"
    assert parse_hex(text) == b"\x04\x00\x0a\x0b\x0c"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("00\n0G # bad digit\n", r":2: not a hex digit: 'G'"),
        ("# header\n00 01\n0 # half a byte\n", r":3: odd number of hex digits"),
        ("00 0x01\n", r":1: not a hex digit: 'x'"),
    ],
    ids=["bad-digit", "odd-digits", "0x-prefix"],
)
def test_parse_hex_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hex(text)
