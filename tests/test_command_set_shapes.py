"""The cached-shape fast path of the command set decoder agrees with the general path."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import primitives

from dimsewire import C_CANCEL, C_FIND, CommandSetError
from dimsewire.codec import command_set
from dimsewire.codec.messages import from_primitive


def _same(a: command_set.CommandSet, b: command_set.CommandSet) -> None:
    assert (a.data, a.values, a.offsets, a.unknown, a.spans, a.deviations) == (
        b.data,
        b.values,
        b.offsets,
        b.unknown,
        b.spans,
        b.deviations,
    )


@settings(max_examples=300, deadline=None)
@given(prim=primitives, data=st.data())
def test_fast_path_agrees_with_the_general_path(
    prim: C_FIND | C_CANCEL, data: st.DataObject
) -> None:
    encoded, _ = from_primitive(prim)
    first = command_set.decode_command_set(encoded)  # may teach the cache this shape
    _same(first, command_set._decode_elements(encoded, False))
    _same(command_set.decode_command_set(encoded), first)
    # Change bytes anywhere: whatever the fast path accepts, the general path accepts alike.
    mutated = bytearray(encoded)
    for _ in range(data.draw(st.integers(1, 4))):
        mutated[data.draw(st.integers(0, len(mutated) - 1))] = data.draw(st.integers(0, 255))
    candidate = bytes(mutated)
    for shape in command_set._SHAPES.get(len(candidate), ()):
        fast = shape.match(candidate)
        if fast is not None:
            _same(fast, command_set._decode_elements(candidate, True))
    try:
        slow = command_set._decode_elements(candidate, False)
    except CommandSetError:
        return
    if not slow.deviations:
        _same(command_set.decode_command_set(candidate), slow)


def test_a_shape_is_remembered_and_used(monkeypatch: pytest.MonkeyPatch) -> None:
    # an empty cache: the tests run before may have filled it to its limit
    monkeypatch.setattr(command_set, "_SHAPES", {})
    prim = C_FIND()
    prim.MessageID = 12
    prim.AffectedSOPClassUID = "1.2.840.10008.5.1.4.31"
    prim.Identifier = b"\x00\x00"
    encoded, _ = from_primitive(prim)
    start = command_set.decode_command_set(encoded).spans[0x0110][0]
    shapes = command_set._SHAPES[len(encoded)]
    assert any(shape.match(encoded) is not None for shape in shapes)
    other = bytearray(encoded)
    other[start] ^= 0x01  # MessageID 12 -> 13: same shape, other value
    matched = [shape.match(bytes(other)) for shape in shapes]
    assert any(cs is not None and cs.values[0x0110] == 13 for cs in matched)
