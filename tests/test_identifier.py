"""C-FIND Identifiers: data sets to and from bytes in each transfer syntax (PS3.5 7, A)."""

from __future__ import annotations

import io
import re
import string
import zlib

import pytest
from hexvectors import parse_hex
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.filereader import read_dataset
from pynetdicom.dsutils import decode as pynetdicom_decode
from pynetdicom.dsutils import encode as pynetdicom_encode

from dimsewire.codec.identifier import DEFAULT_MAX_INFLATED, decode_identifier, encode_identifier
from dimsewire.errors import IdentifierError

IMPLICIT_LE = "1.2.840.10008.1.2"  # PS3.5 A.1
EXPLICIT_LE = "1.2.840.10008.1.2.1"  # PS3.5 A.2
EXPLICIT_BE = "1.2.840.10008.1.2.2"  # PS3.5 A.3 (retired)
DEFLATED = "1.2.840.10008.1.2.1.99"  # PS3.5 A.5
SYNTAXES = [IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE, DEFLATED]
PYNETDICOM_FLAGS = {  # (implicit VR, little endian, deflated)
    IMPLICIT_LE: (True, True, False),
    EXPLICIT_LE: (False, True, False),
    EXPLICIT_BE: (False, False, False),
    DEFLATED: (False, True, True),
}


def study_query() -> Dataset:
    """A Study Root C-FIND request Identifier (PS3.4 C.6.2.1), in UTF-8."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.StudyDate = "20240101-20240131"  # range matching (PS3.4 C.2.2.2.5)
    ds.StudyTime = ""  # empty: a return key
    ds.AccessionNumber = ""
    ds.QueryRetrieveLevel = "STUDY"
    ds.ModalitiesInStudy = ["CT", "MR"]
    ds.ReferringPhysicianName = "Müller^Jürgen^^Dr."
    ds.StudyDescription = "Schädel, Übersicht"
    code = Dataset()  # sequence matching: an item of empty return keys
    code.CodeValue = ""
    code.CodingSchemeDesignator = ""
    code.CodeMeaning = ""
    ds.ProcedureCodeSequence = [code]
    ds.PatientName = "Doe^J*"  # wild card matching
    ds.PatientID = ""
    ds.PatientBirthDate = ""
    ds.StudyInstanceUID = ""
    return ds


def tiny() -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "IMAGE"
    ds.PatientName = "Doe^John"
    ds.PatientID = ""
    ds.Rows = 512
    return ds


TINY_IMPLICIT_LE = parse_hex("""
    08 00 52 00  06 00 00 00  49 4D 41 47 45 20          # (0008,0052) QR Level, 6, "IMAGE "
    10 00 10 00  08 00 00 00  44 6F 65 5E 4A 6F 68 6E    # (0010,0010) PatientName, 8, "Doe^John"
    10 00 20 00  00 00 00 00                             # (0010,0020) PatientID, 0: empty
    28 00 10 00  02 00 00 00  00 02                      # (0028,0010) Rows, 2, 512 (PS3.5 7.1.3)
""")

TINY_EXPLICIT_BE = parse_hex("""
    00 08 00 52  43 53  00 06  49 4D 41 47 45 20         # (0008,0052) CS, 6, "IMAGE "
    00 10 00 10  50 4E  00 08  44 6F 65 5E 4A 6F 68 6E   # (0010,0010) PN, 8, "Doe^John"
    00 10 00 20  4C 4F  00 00                            # (0010,0020) LO, 0: empty
    00 28 00 10  55 53  00 02  02 00                     # (0028,0010) US, 2, 512 (PS3.5 7.1.2)
""")


def raw_deflate(data: bytes) -> bytes:
    deflater = zlib.compressobj(wbits=-15)
    return deflater.compress(data) + deflater.flush()


def check_both_ways(dataset: Dataset, transfer_syntax: str, encoded: bytes) -> None:
    assert encode_identifier(dataset, transfer_syntax) == encoded
    assert decode_identifier(encoded, transfer_syntax) == dataset


def expect(reason: str, offset: int | None, data: bytes, syntax: str, **kwargs: int) -> None:
    """Decoding fails with exactly this reason and offset."""
    text = f"identifier: {reason}" + ("" if offset is None else f" (offset {offset})")
    with pytest.raises(IdentifierError, match=f"^{re.escape(text)}$") as info:
        decode_identifier(data, syntax, **kwargs)
    assert (info.value.reason, info.value.offset) == (reason, offset)


# -- round trips and vectors -------------------------------------------------------------


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_study_query_round_trips(syntax: str) -> None:
    encoded = encode_identifier(study_query(), syntax)
    assert len(encoded) % 2 == 0
    decoded = decode_identifier(encoded, syntax)
    assert decoded == study_query()
    assert decoded.ReferringPhysicianName.family_name == "Müller"
    assert decoded.ProcedureCodeSequence[0].CodeMeaning == ""
    # every value converted inside decode_identifier, nested ones too
    for elements in (decoded.elements(), decoded.ProcedureCodeSequence[0].elements()):
        assert not any(isinstance(element, RawDataElement) for element in elements)


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_same_bytes_as_pynetdicom_both_ways(syntax: str) -> None:
    encoded = encode_identifier(study_query(), syntax)
    assert encoded == pynetdicom_encode(study_query(), *PYNETDICOM_FLAGS[syntax])
    assert pynetdicom_decode(io.BytesIO(encoded), *PYNETDICOM_FLAGS[syntax]) == study_query()


def test_tiny_implicit_vr_little_endian_vector() -> None:
    check_both_ways(tiny(), IMPLICIT_LE, TINY_IMPLICIT_LE)


def test_tiny_explicit_vr_big_endian_vector() -> None:
    check_both_ways(tiny(), EXPLICIT_BE, TINY_EXPLICIT_BE)


def test_encapsulated_syntax_encodes_explicit_vr_little_endian() -> None:
    jpeg_baseline = "1.2.840.10008.1.2.4.50"  # PS3.5 A.4
    assert encode_identifier(tiny(), jpeg_baseline) == encode_identifier(tiny(), EXPLICIT_LE)
    assert decode_identifier(encode_identifier(tiny(), EXPLICIT_LE), jpeg_baseline) == tiny()


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview, io.BytesIO])
def test_accepts_every_buffer_type(kind: type) -> None:
    assert decode_identifier(kind(TINY_IMPLICIT_LE), IMPLICIT_LE) == tiny()


# -- deflate (PS3.5 A.5) -----------------------------------------------------------------


def test_deflated_is_raw_deflate_of_explicit_vr_little_endian() -> None:
    explicit = encode_identifier(study_query(), EXPLICIT_LE)
    inflater = zlib.decompressobj(-15)
    assert inflater.decompress(encode_identifier(study_query(), DEFLATED)) == explicit
    assert inflater.eof


def test_odd_deflate_output_is_padded_to_even() -> None:
    datasets = []
    for number in range(100):
        ds = tiny()
        ds.PatientID = f"ID{number}"
        datasets.append(ds)
    ds = next(d for d in datasets if len(raw_deflate(encode_identifier(d, EXPLICIT_LE))) % 2)
    stream = raw_deflate(encode_identifier(ds, EXPLICIT_LE))
    assert encode_identifier(ds, DEFLATED) == stream + b"\x00"  # PS3.8 Annex E: even
    assert decode_identifier(stream + b"\x00", DEFLATED) == ds
    assert decode_identifier(stream, DEFLATED) == ds


def test_trailing_zero_padding_after_the_deflate_stream_is_accepted() -> None:
    stream = raw_deflate(encode_identifier(tiny(), EXPLICIT_LE))
    assert decode_identifier(stream + b"\x00", DEFLATED) == tiny()  # as DCMTK pads


def test_other_bytes_after_the_deflate_stream_are_ignored() -> None:
    stream = raw_deflate(encode_identifier(tiny(), EXPLICIT_LE))
    assert decode_identifier(stream + b"\x00\x01", DEFLATED) == tiny()


def test_deflate_bomb_is_rejected_at_the_default_limit() -> None:
    deflater = zlib.compressobj(wbits=-15)
    chunk = bytes(1 << 20)
    bomb = b"".join(deflater.compress(chunk) for _ in range(65)) + deflater.flush()
    assert len(bomb) < 100_000
    reason = f"deflated data set inflates to more than {DEFAULT_MAX_INFLATED} bytes"
    expect(reason, None, bomb, DEFLATED)


def test_max_inflated_is_exact() -> None:
    size = len(encode_identifier(tiny(), EXPLICIT_LE))
    deflated = encode_identifier(tiny(), DEFLATED)
    assert decode_identifier(deflated, DEFLATED, max_inflated=size) == tiny()
    reason = f"deflated data set inflates to more than {size - 1} bytes"
    expect(reason, None, deflated, DEFLATED, max_inflated=size - 1)


def test_unfinished_and_corrupt_deflate_streams_are_rejected() -> None:
    stream = raw_deflate(encode_identifier(study_query(), EXPLICIT_LE))
    expect("deflate stream ends before its last block", 20, stream[:20], DEFLATED)
    reason = "deflate stream is corrupt: Error -3 while decompressing data: invalid block type"
    expect(reason, None, b"\xff\xff", DEFLATED)


@pytest.mark.parametrize("max_inflated", [0, -1, True])
def test_max_inflated_must_be_a_positive_integer(max_inflated: int) -> None:
    with pytest.raises(
        ValueError, match=f"^max_inflated must be a positive integer, not {max_inflated!r}$"
    ):
        decode_identifier(TINY_IMPLICIT_LE, DEFLATED, max_inflated=max_inflated)


# -- truncation and structure (PS3.5 7.1, 7.5) --------------------------------------------


def test_pydicom_alone_accepts_truncated_data_sets() -> None:
    """Why decode_identifier walks the lengths first: pydicom 3.0.2 returns short values."""
    short = read_dataset(io.BytesIO(TINY_IMPLICIT_LE[:27]), True, True)
    assert short.PatientName == "Doe^J"
    assert "PatientID" not in read_dataset(io.BytesIO(TINY_IMPLICIT_LE[:33]), True, True)


@pytest.mark.parametrize(
    ("syntax", "cut", "reason", "offset"),
    [
        (IMPLICIT_LE, 27, "element (0010,0010) PatientName needs 8 bytes, 5 left", 14),
        (IMPLICIT_LE, 33, "element header needs 8 bytes, 3 left", 30),
        (IMPLICIT_LE, 47, "element (0028,0010) Rows needs 2 bytes, 1 left", 38),
        (IMPLICIT_LE, 5, "element header needs 8 bytes, 5 left", 0),
        (EXPLICIT_BE, 12, "element (0008,0052) QueryRetrieveLevel needs 6 bytes, 4 left", 0),
        (EXPLICIT_BE, 47, "element (0028,0010) Rows needs 2 bytes, 1 left", 38),
    ],
)
def test_truncated_data_set_is_rejected(syntax: str, cut: int, reason: str, offset: int) -> None:
    data = {IMPLICIT_LE: TINY_IMPLICIT_LE, EXPLICIT_BE: TINY_EXPLICIT_BE}[syntax]
    expect(reason, offset, data[:cut], syntax)


def test_only_cuts_between_top_level_elements_decode() -> None:
    query = study_query()
    for syntax in SYNTAXES[:3]:
        boundaries = set()
        prefix = Dataset()
        for element in query:
            prefix.add(element)
            boundaries.add(len(encode_identifier(prefix, syntax)))
        data = encode_identifier(query, syntax)
        for cut in range(len(data)):
            try:
                decode_identifier(data[:cut], syntax)
            except IdentifierError:
                assert cut not in boundaries
            else:
                assert cut in boundaries


def test_empty_data_set_is_rejected() -> None:
    expect("empty data set", None, b"", IMPLICIT_LE)
    expect("empty data set", None, b"", DEFLATED)
    expect("empty data set", None, raw_deflate(b""), DEFLATED)
    with pytest.raises(ValueError, match=r"^an Identifier needs at least one data element$"):
        encode_identifier(Dataset(), EXPLICIT_LE)


SEQUENCE = "08003210 5351 0000 ffffffff"  # (0008,1032) ProcedureCodeSequence, SQ, undefined
ITEM = "feff00e0 ffffffff"  # (FFFE,E000) Item, undefined length
CODE_VALUE = "08000001 5348 0200 4131"  # (0008,0100) CodeValue, SH, 2, "A1"
ITEM_END = "feff0de0 00000000"  # (FFFE,E00D) Item Delimitation Item
SEQUENCE_END = "feffdde0 00000000"  # (FFFE,E0DD) Sequence Delimitation Item


@pytest.mark.parametrize(
    ("hex_data", "reason", "offset"),
    [
        (
            SEQUENCE + ITEM + CODE_VALUE + ITEM_END,
            "sequence ends without a sequence delimitation item",
            38,
        ),
        (SEQUENCE + ITEM + CODE_VALUE, "item ends without an item delimitation item", 30),
        (
            "08003210 5351 0000 10000000 feff00e0 0a000000" + CODE_VALUE,
            "item (FFFE,E000) needs 10 bytes, 8 left",
            12,
        ),  # the item overruns its sequence
        (
            "08003210 5351 0000 08000000 10001000 00000000",
            "expected an item (FFFE,E000), not (0010,0010) PatientName",
            12,
        ),
        ("10001000 706e 0000", "element (0010,0010) PatientName has no valid VR: b'pn'", 0),
        (
            "10001000 504e 0000 10001000 504e 0000",
            "element (0010,0010) PatientName appears twice",
            8,
        ),
        (ITEM_END, "unexpected (FFFE,E00D) ItemDelimitationItem in a data set", 0),
        (
            "40 00 68 a1 53 51 00 00 ff ff ff ff fe ff 00 e0 ff ff ff ff" * 100,
            "sequences nest deeper than 64 levels",
            1300,
        ),
    ],
)
def test_broken_structure_is_rejected(hex_data: str, reason: str, offset: int) -> None:
    expect(reason, offset, bytes.fromhex(hex_data), EXPLICIT_LE)


def test_undefined_length_sequence_decodes() -> None:
    data = bytes.fromhex(SEQUENCE + ITEM + CODE_VALUE + ITEM_END + SEQUENCE_END)
    assert decode_identifier(data, EXPLICIT_LE).ProcedureCodeSequence[0].CodeValue == "A1"


def test_implicit_vr_bytes_in_an_explicit_vr_syntax_are_rejected() -> None:
    reason = "element (0008,0052) QueryRetrieveLevel has no valid VR: b'\\x06\\x00'"
    expect(reason, 0, TINY_IMPLICIT_LE, EXPLICIT_LE)


def test_value_pydicom_only_decodes_with_a_warning_is_rejected() -> None:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = "xy"
    data = encode_identifier(ds, EXPLICIT_LE).replace(b"xy", b"\xff\xfe")  # not UTF-8
    reason = (
        "element (0010,0010) PatientName: Failed to decode byte string with encoding "
        "'UTF8' - using replacement characters in decoded string"
    )
    expect(reason, 18, data, EXPLICIT_LE)


def test_tag_unknown_to_pydicom_is_kept_as_un_bytes() -> None:
    data = bytes.fromhex("08009999 02000000 4142")  # (0008,9999), 2, "AB": not in the dictionary
    element = decode_identifier(data, IMPLICIT_LE)[0x00089999]
    assert (element.VR, element.value) == ("UN", b"AB")


# -- transfer syntaxes --------------------------------------------------------------------


@pytest.mark.parametrize("uid", ["1.2.3.4", "not a uid", "1.2.840.10008.5.1.4.1.2.2.1", ""])
def test_unknown_transfer_syntax_is_an_error(uid: str) -> None:
    reason = f"{uid!r} is not a transfer syntax known to pydicom"
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        encode_identifier(tiny(), uid)
    expect(reason, None, TINY_IMPLICIT_LE, uid)


def test_transfer_syntax_must_be_a_string() -> None:
    with pytest.raises(TypeError, match=r"^transfer_syntax must be a UID string, not int$"):
        encode_identifier(tiny(), 12)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^transfer_syntax must be a UID string, not int$"):
        decode_identifier(TINY_IMPLICIT_LE, 12)  # type: ignore[arg-type]


# -- property ------------------------------------------------------------------------------

FIELDS = {  # keyword: maximum length (PS3.5 Table 6.2-1)
    "PatientName": 64,
    "PatientID": 64,
    "AccessionNumber": 16,
    "StudyID": 16,
    "StudyDescription": 64,
    "InstitutionName": 64,
}
TEXT = string.ascii_letters + string.digits + " .-_*?^"


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    ds = Dataset()
    for keyword in draw(st.lists(st.sampled_from(sorted(FIELDS)), min_size=1, unique=True)):
        value = draw(st.text(TEXT, max_size=FIELDS[keyword])).strip()
        setattr(ds, keyword, value)
    return ds


@settings(max_examples=200, deadline=None)
@given(ds=datasets(), syntax=st.sampled_from(SYNTAXES))
def test_random_data_sets_round_trip(ds: Dataset, syntax: str) -> None:
    encoded = encode_identifier(ds, syntax)
    assert len(encoded) % 2 == 0
    assert decode_identifier(encoded, syntax) == ds
