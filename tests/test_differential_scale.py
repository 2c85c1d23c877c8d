"""Nothing lost, at scale: thousands of random messages of every DIMSE service, fixed seed.

pynetdicom's PDUs decode in dimsewire to an equal primitive, fed to the streaming
Reassembler in random chunks as well as to decode_message; dimsewire's PDUs (random
maximum, packed or not) decode in pynetdicom to the same parameters. derandomize=True
fixes hypothesis's seed, so every run checks the same cases: EXAMPLES of each request
and of each response in each status family its service has (51 runs, 4,080 messages in
all), and each run proves it covered every optional parameter of its message present and
absent.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    MESSAGE_FAMILIES,
    MESSAGES,
    comparison_names,
    expected_presence,
    presence,
    pynetdicom_decode,
    pynetdicom_encode,
    pynetdicom_expected,
    pynetdicom_view,
    with_maximum,
    without_unsendable,
)

from dimsewire import DimsePrimitive, MessageReceived, Reassembler, decode_message, encode_message

EXAMPLES = 40
SCALE = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
CASES = [
    pytest.param(name, cls, response, family, id=name if family is None else f"{name}-{family}")
    for name, cls, response, family in MESSAGE_FAMILIES
]


@pytest.mark.parametrize(("name", "cls", "response", "family"), CASES)
def test_pynetdicom_to_dimsewire(
    name: str, cls: type[DimsePrimitive], response: bool, family: str | None
) -> None:
    seen: set[tuple[str, ...]] = set()

    @SCALE
    @given(case=with_maximum(message=(cls, response, family)), chunk=st.integers(1, 4096))
    def run(case: tuple[DimsePrimitive, int], chunk: int) -> None:
        prim, max_pdu = case
        seen.update(presence(prim))
        pdus = pynetdicom_encode(prim, 3, max_pdu)
        expected = without_unsendable(prim)
        assert decode_message(pdus) == expected
        stream = b"".join(pdus)
        reassembler = Reassembler(max_pdu_length=0)
        events = []
        for i in range(0, len(stream), chunk):
            reassembler.receive_data(stream[i : i + chunk])
            events += list(reassembler.events())
        assert len(events) == 1
        event = events[0]
        assert isinstance(event, MessageReceived)
        assert (event.primitive, event.context_id, event.offset) == (expected, 3, 0)

    run()
    cases = expected_presence(name, family)
    assert cases
    assert cases - seen == set()


@pytest.mark.parametrize(("name", "cls", "response", "family"), CASES)
def test_dimsewire_to_pynetdicom(
    name: str, cls: type[DimsePrimitive], response: bool, family: str | None
) -> None:
    seen: set[tuple[str, ...]] = set()

    @SCALE
    @given(case=with_maximum(message=(cls, response, family)), pack=st.booleans())
    def run(case: tuple[DimsePrimitive, int], pack: bool) -> None:
        prim, max_pdu = case
        seen.update(presence(prim))
        theirs = pynetdicom_decode(list(encode_message(prim, 5, max_pdu, pack=pack)))
        assert type(theirs).__name__ == type(prim).__name__
        assert theirs._context_id == 5
        assert pynetdicom_view(theirs, comparison_names(prim)) == pynetdicom_expected(prim)

    run()
    cases = expected_presence(name, family)
    assert cases
    assert cases - seen == set()


def test_every_message_has_cases_to_cover() -> None:
    assert {case[0] for case in expected_presence()} == {name for name, _, _ in MESSAGES}
    assert len(MESSAGES) == 23
    # 12 requests; C-FIND, C-GET, C-MOVE responses in 5 status families, the 8 others in 3
    assert len(MESSAGE_FAMILIES) == 12 + 3 * 5 + 8 * 3
