"""The construct declarations are the one source of the wire layout.

The hot paths run on struct formats derived from them (dimsewire.codec._derive): these
tests prove that construct itself builds and parses the same bytes, and check the
command dictionary against pydicom's.
"""

from __future__ import annotations

import struct

import construct as c
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.datadict import DicomDictionary
from strategies import max_pdu_lengths, primitives

from dimsewire import C_CANCEL, C_FIND, encode_message
from dimsewire.codec import framing
from dimsewire.codec._derive import struct_format
from dimsewire.codec.command_dictionary import COMMAND_ELEMENTS, COMMAND_FIELDS, command_name
from dimsewire.codec.command_set import ELEMENT, ElementHeader, encode_command_set
from dimsewire.codec.messages import from_primitive


def test_command_dictionary_matches_pydicom() -> None:
    theirs = {tag: entry for tag, entry in DicomDictionary.items() if tag >> 16 == 0}
    assert set(theirs) == set(COMMAND_ELEMENTS)
    for tag, row in COMMAND_ELEMENTS.items():
        vr, vm, _name, retired, keyword = theirs[tag]
        assert (row.vr, row.vm, row.keyword, row.retired) == (vr, vm, keyword, retired == "Retired")


def test_command_fields() -> None:
    assert COMMAND_FIELDS[0x0020] == "C-FIND-RQ"
    assert COMMAND_FIELDS[0x8020] == "C-FIND-RSP"
    assert COMMAND_FIELDS[0x0FFF] == "C-CANCEL-RQ"
    assert all(field | 0x8000 in COMMAND_FIELDS for field in COMMAND_FIELDS if field != 0x0FFF)
    assert command_name(0x1234) == "unknown command 0x1234"


@pytest.mark.parametrize(
    ("declaration", "context", "expected"),
    [
        (ElementHeader, {}, "<HHL"),
        (ELEMENT["US"], {}, "<HHLH"),
        (ELEMENT["UL"], {}, "<HHLL"),
        (ELEMENT["UI"], {"length": 26}, "<HHL26s"),
        (ELEMENT["AT"], {"length": 8}, "<HHLHHHH"),
        (framing.PDUHeader, {}, ">B1xL"),
        (framing.PDVItemHeader, {}, ">LBB"),
        (framing.SinglePDVHeader, {}, ">B1xLLBB"),
    ],
    ids=["header", "US", "UL", "UI", "AT", "pdu", "pdv", "single-pdv"],
)
def test_derived_formats(declaration: c.Construct, context: dict[str, int], expected: str) -> None:  # type: ignore[type-arg]
    assert struct_format(declaration, context) == expected


def test_derivation_refuses_what_struct_cannot_express() -> None:
    with pytest.raises(TypeError, match="no struct format for GreedyRange"):
        struct_format(c.GreedyRange(c.Int8ub))
    with pytest.raises(TypeError, match="mixing byte orders"):
        struct_format(c.Struct("a" / c.Int16ub, "b" / c.Int16ul))


# min_size=2 keeps b"" out: hash(b"") == hash(0), and under -bb hypothesis's own caches
# would then compare bytes with int and raise BytesWarning.
_values = {
    "US": st.integers(0, 0xFFFF),
    "UL": st.integers(0, 0xFFFFFFFF),
    "UI": st.binary(min_size=2, max_size=64).map(lambda b: b + b"\x00" * (len(b) % 2)),
    "LO": st.binary(min_size=2, max_size=64).map(lambda b: b + b" " * (len(b) % 2)),
    "AE": st.binary(min_size=2, max_size=16).map(lambda b: b + b" " * (len(b) % 2)),
    "AT": st.lists(
        st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)), min_size=1, max_size=5
    ),
}


@st.composite
def command_elements(draw: st.DrawFn) -> list[tuple[int, str, object]]:
    vrs = draw(st.lists(st.sampled_from(sorted(_values)), max_size=8))
    tags = sorted(draw(st.sets(st.integers(1, 0xFFFF), min_size=len(vrs), max_size=len(vrs))))
    return [(tag, vr, draw(_values[vr])) for tag, vr in zip(tags, vrs, strict=True)]


def _construct_value(vr: str, value: object) -> tuple[int, object]:
    if vr == "AT":
        assert isinstance(value, list)
        return 4 * len(value), [{"group": g, "element": e} for g, e in value]
    if isinstance(value, bytes):
        return len(value), value
    return {"US": 2, "UL": 4}[vr], value


@settings(max_examples=300, deadline=None)
@given(elements=command_elements())
def test_command_set_encoder_equals_construct(elements: list[tuple[int, str, object]]) -> None:
    wire = [
        (tag, vr, tuple(p for pair in v for p in pair) if vr == "AT" else v)  # type: ignore[attr-defined]
        for tag, vr, v in elements
    ]
    fast = encode_command_set(wire)  # type: ignore[arg-type]
    built = []
    for tag, vr, value in elements:
        length, parsed = _construct_value(vr, value)
        built.append(
            ELEMENT[vr].build({"group": 0, "element": tag, "length": length, "value": parsed})
        )
    body = b"".join(built)
    group_length = ELEMENT["UL"].build({"group": 0, "element": 0, "length": 4, "value": len(body)})
    assert fast == group_length + body
    # and construct parses the fast bytes back to the same elements
    pos = 12
    for tag, vr, value in elements:
        header = ElementHeader.parse(fast[pos:])
        parsed = ELEMENT[vr].parse(fast[pos : pos + 8 + header.length])
        got = parsed.value
        if vr == "AT":
            got = [(g.group, g.element) for g in got]
        assert (parsed.element, got) == (tag, value)
        pos += 8 + header.length


@settings(max_examples=200, deadline=None)
@given(prim=primitives, max_pdu=max_pdu_lengths, pack=st.booleans())
def test_pdus_parse_with_the_construct_declaration(
    prim: C_FIND | C_CANCEL, max_pdu: int, pack: bool
) -> None:
    command, identifier = from_primitive(prim)
    parts = {1: b"", 0: b""}
    for raw in encode_message(prim, 7, max_pdu, pack=pack):
        parsed = framing.PDataTFStructure.parse(raw)
        assert framing.PDataTFStructure.build(parsed) == raw
        for item in parsed.pdv_items:
            assert item.presentation_context_id == 7
            parts[item.message_control_header & framing.COMMAND] += item.fragment
    assert parts[1] == command
    assert parts[0] == (b"" if identifier is None else identifier.getvalue())


def test_header_structs_are_derived() -> None:
    assert framing.SINGLE_PDV_HEADER.pack(4, 8, 4, 1, 3) == framing.SinglePDVHeader.build(
        {
            "pdu_type": 4,
            "pdu_length": 8,
            "item_length": 4,
            "presentation_context_id": 1,
            "message_control_header": 3,
        }
    )
    assert framing.pdu_header(4, 8) == framing.PDUHeader.build({"pdu_type": 4, "pdu_length": 8})
    assert struct.calcsize(framing.PDV_HEADER.format) == 6
