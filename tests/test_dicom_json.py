"""identifier_json (the fast Identifier -> DICOM JSON path) against pydicom's to_json_dict.

For every data set, in every transfer syntax, both must give the same dict: the fast path
either renders exactly as pydicom does or hands the data set to pydicom.
"""

from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydicom import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from dimsewire import IdentifierError, decode_identifier, encode_identifier
from dimsewire.capture.dicom_json import identifier_json

SYNTAXES = [
    ImplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    DeflatedExplicitVRLittleEndian,
]

ascii_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="\\"), max_size=12
)
any_text = st.text(max_size=12).filter(lambda t: "\\" not in t)
KEYS = {
    "PatientName": st.one_of(
        ascii_text, st.just("DOE^JOHN=ドウ^ジョン"), st.lists(ascii_text, max_size=3).map("\\".join)
    ),
    "PatientID": st.one_of(ascii_text, st.just(" LEAD"), st.just("")),
    "StudyDate": st.sampled_from(["", "20240101", "20240101-20241231", "-2024"]),
    "StudyTime": st.sampled_from(["", "101500", "1015", "101500.123"]),
    "AccessionNumber": ascii_text,
    "StudyDescription": any_text,
    "ModalitiesInStudy": st.lists(st.sampled_from(["CT", "MR", "", "SR"]), max_size=3).map(
        "\\".join
    ),
    "NumberOfStudyRelatedInstances": st.sampled_from(["", "0", "812", "-3", "+4", " 7"]),
    "PatientWeight": st.sampled_from(["", "70", "70.5", "1e2", "-0.25", ".5"]),
    "StudyInstanceUID": st.sampled_from(["", "1.2.3", "1.2.840.10008.1.2"]),
    "QueryRetrieveLevel": st.sampled_from(["PATIENT", "STUDY", ""]),
    "SpecificCharacterSet": st.sampled_from(["ISO_IR 100", "ISO_IR 192", ""]),
    "PatientComments": any_text,
    "Rows": st.integers(0, 65535),
    "SamplesPerPixel": st.integers(0, 3),
    "ReferencedFrameNumber": st.sampled_from(["1", "1\\2\\3"]),
    "PixelSpacing": st.sampled_from(["0.5\\0.5", "1\\2"]),
}


@st.composite
def datasets(draw: st.DrawFn, depth: int = 0) -> Dataset:
    ds = Dataset()
    for keyword in draw(st.lists(st.sampled_from(sorted(KEYS)), max_size=8, unique=True)):
        value = draw(KEYS[keyword])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid values are wanted here
            setattr(ds, keyword, value)
    if depth < 2 and draw(st.booleans()):
        ds.ScheduledProcedureStepSequence = Sequence(
            draw(st.lists(datasets(depth + 1), max_size=2))
        )
    if draw(st.booleans()):
        ds.add_new(0x00091010, "LO", "PRIVATE")  # private: pydicom's path
    return ds


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets(), syntax=st.sampled_from(SYNTAXES))
def test_same_json_as_pydicom(ds: Dataset, syntax: str) -> None:
    try:
        data = encode_identifier(ds, syntax)
    except (ValueError, TypeError, UnicodeError, UserWarning):
        return  # a value pydicom will not write in this syntax (warnings are errors here)
    try:
        expected = decode_identifier(data, syntax).to_json_dict()
    except (IdentifierError, IndexError):  # pydicom 3.0: IndexError on an empty PN value
        with pytest.raises(IdentifierError):
            identifier_json(data, syntax)
        return
    event("compared")
    assert identifier_json(data, syntax) == expected


def test_a_structural_fault_is_pydicoms_error() -> None:
    ds = Dataset()
    ds.PatientID = "ABC"
    data = encode_identifier(ds, ImplicitVRLittleEndian)[:-1] + b"\x00\x00"
    with pytest.raises(IdentifierError):
        identifier_json(data[:9], ImplicitVRLittleEndian)


@pytest.mark.parametrize("syntax", [ExplicitVRLittleEndian, ExplicitVRBigEndian])
def test_an_explicit_vr_among_the_dictionarys_alternatives_takes_the_fast_path(
    syntax: str,
) -> None:
    """PixelData is "OB or OW" in the dictionary, SmallestImagePixelValue "US or SS": in
    explicit VR the element says which, pydicom keeps what it says, and so does the
    fast walk (every stored image has such elements)."""
    from dimsewire.capture.dicom_json import _Walker  # noqa: PLC0415 (the fast walk itself)

    ds = Dataset()
    ds.PixelRepresentation = 1
    ds.add_new(0x00280106, "SS", -5)  # SmallestImagePixelValue
    ds.add_new(0x00280107, "US", 7)  # LargestImagePixelValue
    little = syntax == ExplicitVRLittleEndian
    if little:  # big endian OW values are byte-swapped by pydicom: left to it
        ds.add_new(0x7FE00010, "OW", b"\x01\x02\x03\x04")  # PixelData
    data = encode_identifier(ds, syntax)
    walked, end = _Walker(data, False, little).data_set(0, len(data), 0)
    assert end == len(data)
    assert walked == decode_identifier(data, syntax).to_json_dict() == identifier_json(data, syntax)
    assert walked["00280106"] == {"vr": "SS", "Value": [-5]}
    assert walked["00280107"] == {"vr": "US", "Value": [7]}
    if little:
        assert walked["7FE00010"] == {"vr": "OW", "InlineBinary": "AQIDBA=="}
