"""The fast paths give exactly what the general ones give (issue 13).

decode_message takes a fast path for the common case (bytes PDUs of one clean PDV each)
and the general path, through the MessageAssembler, for anything else, including any
iterator that is not a list or tuple. Encoding has a one-PDU-per-part fast path in
encode_message and the buffer path in encode_message_buffers. Both pairs must agree on
every message of every service, on deviations and on errors.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.tag import BaseTag
from strategies import all_primitives, max_pdu_lengths

from dimsewire import C_CANCEL, C_ECHO, DecodeError, DimsePrimitive, decode_message, encode_message
from dimsewire.codec import command_set, messages
from dimsewire.codec.command_set import decode_command_set, encode_command_set
from dimsewire.codec.fragmenter import encode_message_buffers
from dimsewire.codec.message_table import DATA_SET_PRESENT, NO_DATA_SET, message_for
from dimsewire.codec.messages import generated_encoder
from dimsewire.codec.vr import pad
from dimsewire.primitives.base import DATA_SET_PARAMETERS


def _general(pdus: list[bytes]) -> DimsePrimitive:
    return decode_message(iter(pdus))  # not a list: the general path


@settings(max_examples=300, deadline=None)
@given(prim=all_primitives(max_data_set=3000), max_pdu=max_pdu_lengths)
def test_fast_and_general_paths_agree(prim: DimsePrimitive, max_pdu: int) -> None:
    pdus = list(encode_message(prim, 1, max_pdu))
    assert pdus == [b"".join(p) for p in encode_message_buffers(prim, 1, max_pdu)]
    fast, general = decode_message(pdus), _general(pdus)
    assert fast == general == prim
    assert fast.deviations == general.deviations == ()
    assert fast.command_elements == general.command_elements
    assert fast.extra_elements == general.extra_elements


def _outcome(pdus: Any, general: bool, strict: bool = False) -> tuple[str, object]:
    try:
        prim = decode_message(iter(pdus) if general else pdus, strict=strict)
    except DecodeError as err:
        return type(err).__name__, str(err)
    return type(prim).__name__, (prim._values(), prim.deviations)


@settings(max_examples=300, deadline=None)
@given(
    prim=all_primitives(max_data_set=600),
    cut=st.integers(0, 2000),
    byte=st.integers(0, 255),
    drop=st.booleans(),
)
def test_fast_and_general_paths_agree_on_damaged_messages(
    prim: DimsePrimitive, cut: int, byte: int, drop: bool
) -> None:
    """A changed byte or a dropped PDU: the same primitive, deviations or error."""
    pdus = list(encode_message(prim, 3, 256))
    index = cut % len(pdus)
    if drop and len(pdus) > 1:
        del pdus[index]
    else:
        damaged = bytearray(pdus[index])
        damaged[cut % len(damaged)] = byte
        pdus[index] = bytes(damaged)
    assert _outcome(pdus, general=False) == _outcome(pdus, general=True)


@pytest.mark.parametrize("strict", [False, True])
def test_fast_path_keeps_strict_deviations(strict: bool) -> None:
    """A command set deviation (here a wrong CommandGroupLength) is the same either way."""
    prim = C_ECHO()
    prim.MessageID, prim.AffectedSOPClassUID = 1, "1.2.840.10008.1.1"
    (pdu,) = encode_message(prim, 1, 16382)
    bad = pdu[:20] + bytes([pdu[20] + 2]) + pdu[21:]  # CommandGroupLength's low byte
    fast = _outcome([bad], general=False, strict=strict)
    assert fast == _outcome([bad], general=True, strict=strict)
    assert fast[0] == ("CommandSetError" if strict else "C_ECHO")


@settings(max_examples=300, deadline=None)
@given(prim=all_primitives(max_data_set=100))
def test_generated_encoders_give_the_general_encoders_bytes(prim: DimsePrimitive) -> None:
    message = message_for(prim)
    for data_follows in (False, True):
        general = encode_command_set(_wire_elements(message, prim, data_follows))
        assert generated_encoder(message)(prim, data_follows) == general


def _wire_elements(message: Any, prim: DimsePrimitive, data_follows: bool) -> list[Any]:
    """The elements of `prim`'s command set in the general encoder's form, written out
    from the message declaration here (PS3.5 6.2 padding, AT as group/element pairs)."""
    elements = []
    for keyword, slot, tag, vr in message.wire:
        if keyword == "CommandField":
            value: Any = message.field
        elif keyword == "CommandDataSetType":
            value = DATA_SET_PRESENT if data_follows else NO_DATA_SET
        else:
            value = getattr(prim, slot)
            if value is None:
                continue
            if vr == "AT":
                value = tuple(part for t in value for part in (t >> 16, t & 0xFFFF))
            elif isinstance(value, str):
                value = pad(vr, value.encode("ascii"))
        elements.append((tag, vr, value))
    return elements


# -- the generated validity checks and the cached status rules ---------------------------

#: What a slot may hold beside its valid values, by kind: what a decoder may put there
#: (an invalid UID, a Priority of 3, an empty data set), an odd data set.
_UIDS = ("1.2.3", "1.02.3", "", "1." * 40)
_DATA_SETS = (b"", b"abc", b"abcd")
_TAGS = ((BaseTag(0x00100010),), ())


def _odd_value(name: str, pick: int) -> Any:
    if pick == 0:
        return None
    if name.endswith("UID"):
        return _UIDS[pick % len(_UIDS)]
    if name in DATA_SET_PARAMETERS:
        return BytesIO(_DATA_SETS[pick % len(_DATA_SETS)])
    if name in ("OffendingElement", "AttributeIdentifierList"):
        return _TAGS[pick % len(_TAGS)]
    if name in ("ErrorComment", "MoveDestination", "MoveOriginatorApplicationEntityTitle"):
        return "X"
    return (0, 2, 3, 0xFF00)[pick % 4]


@settings(max_examples=500, deadline=None)
@given(
    prim=all_primitives(max_data_set=20),
    changes=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 11)), max_size=3),
    status=st.one_of(st.none(), st.integers(0, 0xFFFF)),
)
def test_generated_checks_give_the_general_problems(
    prim: DimsePrimitive, changes: list[tuple[int, int]], status: int | None
) -> None:
    """request_problems/response_problems (straight-line code per class) say what the
    general _problems says, and the cached status rules what the uncached ones say, for
    valid primitives and for ones holding what no setter allows (set in their slots)."""
    names = type(prim)._PARAMETERS
    for index, pick in changes:
        name = names[index % len(names)]
        setattr(prim, "_" + name, _odd_value(name, pick))
    if status is not None and "Status" in names:
        prim._Status = status  # type: ignore[attr-defined]
    for response, generated in ((False, prim.request_problems), (True, prim.response_problems)):
        if type(prim) is C_CANCEL and response:
            continue
        general = prim._problems(response=response)
        assert generated() == general
        assert generated() == general  # the second time from the status cache
    assert prim.status_problems() == prim._status_rules()


# -- the generated decoders of a known layout ----------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    prim=all_primitives(max_data_set=200),
    cuts=st.lists(
        st.tuples(
            st.integers(0, 500), st.sampled_from(b"\x00\x01\x02\x03.09A \xff"), st.booleans()
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_generated_decoders_agree_with_the_general_path(
    prim: DimsePrimitive, cuts: list[tuple[int, int, bool]]
) -> None:
    """Once a layout is known (the second decode of it learns it), its generated builder
    decodes the message: the primitive, deviations and command elements of the general
    path; then changed bytes in its command set give what the general path gives."""
    for cache in (command_set._SHAPES, messages._BUILDERS, messages._FORMATS):
        cache.clear()  # caches at their limits after the tests before learn nothing more
    pdus = list(encode_message(prim, 1, 16382))
    decode_message(pdus)  # remembers the command set's shape (command_set._remember)
    decode_message(pdus)  # by the shape, and learns the layout (messages._learn)
    fast, general = decode_message(pdus), _general(pdus)
    assert fast == general == prim
    assert fast.deviations == general.deviations == ()
    built = fast._command_elements
    if type(built) is tuple:  # a command set of US, UL and UI elements only
        assert built[0] is messages._elements_of  # by the builder, not the shape's plan
    assert fast.command_elements == general.command_elements
    assert fast.extra_elements == general.extra_elements
    # Change bytes of the command set: anywhere, or in a value (a Priority of 3, a UID
    # with a letter or a leading zero), half of the time each.
    spans = sorted(decode_command_set(pdus[0][12:]).spans.values())
    damaged = bytearray(pdus[0])
    for where, byte, in_value in cuts:
        start, end = spans[where % len(spans)]
        if in_value and end > start:
            damaged[12 + start + where // len(spans) % (end - start)] = byte
        else:
            damaged[12 + where % (len(damaged) - 12)] = byte
    pdus[0] = bytes(damaged)
    assert _outcome(pdus, general=False) == _outcome(pdus, general=True)
