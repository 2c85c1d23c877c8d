"""The seven Upper Layer PDUs against pynetdicom 3.0.4's pdu.py, with hypothesis-chosen
parameters, and the error paths of one A-ASSOCIATE-RQ changed byte by byte.

pynetdicom's encoders follow PS3.8 9.3 for these PDUs: built from the same parameters,
both libraries must give the same bytes, each must decode the other's, and decoding then
encoding must give back the bytes. ``test_pdus.py`` holds the hand-picked cases and
``test_pdu_vectors.py`` the hand-worked vectors.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pynetdicom import pdu as pyn_pdu
from pynetdicom import pdu_primitives as pyn
from pynetdicom.presentation import PresentationContext
from strategies import uids

from dimsewire import (
    Abort,
    ApplicationContext,
    AssociateAC,
    AssociateRJ,
    AssociateRQ,
    AsyncOperationsWindow,
    DecodeError,
    ImplementationClassUID,
    ImplementationVersionName,
    ItemError,
    MaximumLength,
    PDUError,
    PresentationContextAC,
    PresentationContextRQ,
    ReleaseRP,
    ReleaseRQ,
    RoleSelection,
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    TruncatedError,
    UnknownItem,
    UserIdentityAC,
    UserIdentityRQ,
    UserInformation,
    decode_pdu,
    encode_pdu,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ae_titles = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="\\"),
    min_size=1,
    max_size=16,
)
context_ids = st.integers(0, 127).map(lambda n: 2 * n + 1)
short = st.binary(max_size=40)


@st.composite
def rq_contexts(draw: st.DrawFn) -> list[PresentationContextRQ]:
    ids = draw(st.lists(context_ids, min_size=1, max_size=4, unique=True))
    return [
        PresentationContextRQ(
            cid, draw(uids), tuple(draw(st.lists(uids, min_size=1, max_size=4, unique=True)))
        )
        for cid in ids
    ]


@st.composite
def extra_sub_items(draw: st.DrawFn, *, ac: bool) -> list[Any]:
    """Optional sub-items, in the order pynetdicom's user_information list keeps."""
    items: list[Any] = []
    if draw(st.booleans()):
        items.append(
            AsyncOperationsWindow(draw(st.integers(0, 0xFFFF)), draw(st.integers(0, 0xFFFF)))
        )
    for _ in range(draw(st.integers(0, 2))):
        scu, scp = draw(st.sampled_from([(0, 1), (1, 0), (1, 1)]))  # pynetdicom refuses (0, 0)
        items.append(RoleSelection(draw(uids), scu, scp))
    for _ in range(draw(st.integers(0, 2))):
        items.append(
            SOPClassExtendedNegotiation(draw(uids), draw(st.binary(min_size=1, max_size=20)))
        )
    if not ac and draw(st.booleans()):
        related = tuple(draw(st.lists(uids, max_size=3)))
        items.append(SOPClassCommonExtendedNegotiation(draw(uids), draw(uids), related))
    if draw(st.booleans()):
        if ac:
            items.append(UserIdentityAC(draw(st.binary(min_size=1, max_size=30))))
        else:
            kind = draw(st.integers(1, 5))
            secondary = draw(st.binary(min_size=1, max_size=20)) if kind == 2 else b""
            items.append(
                UserIdentityRQ(
                    kind, draw(st.booleans()), draw(st.binary(min_size=1, max_size=30)), secondary
                )
            )
    return items


@st.composite
def user_information(draw: st.DrawFn, *, ac: bool) -> UserInformation:
    subs: list[Any] = [
        MaximumLength(draw(st.integers(0, 2**32 - 1))),
        ImplementationClassUID(draw(uids)),
    ]
    if draw(st.booleans()):
        subs.append(ImplementationVersionName(draw(ae_titles)))
    return UserInformation((*subs, *draw(extra_sub_items(ac=ac))))


def pyn_user_information(info: UserInformation) -> list[Any]:
    """pynetdicom's user information primitives for our sub-items, in the same order."""
    out: list[Any] = []
    for item in info.sub_items:
        if isinstance(item, MaximumLength):
            p = pyn.MaximumLengthNotification()
            p.maximum_length_received = item.max_length
        elif isinstance(item, ImplementationClassUID):
            p = pyn.ImplementationClassUIDNotification()
            p.implementation_class_uid = item.uid
        elif isinstance(item, ImplementationVersionName):
            p = pyn.ImplementationVersionNameNotification()
            p.implementation_version_name = item.name
        elif isinstance(item, AsyncOperationsWindow):
            p = pyn.AsynchronousOperationsWindowNegotiation()
            p.maximum_number_operations_invoked = item.invoked
            p.maximum_number_operations_performed = item.performed
        elif isinstance(item, RoleSelection):
            p = pyn.SCP_SCU_RoleSelectionNegotiation()
            p.sop_class_uid = item.sop_class_uid
            p.scu_role, p.scp_role = bool(item.scu_role), bool(item.scp_role)
        elif isinstance(item, SOPClassExtendedNegotiation):
            p = pyn.SOPClassExtendedNegotiation()
            p.sop_class_uid = item.sop_class_uid
            p.service_class_application_information = item.application_information
        elif isinstance(item, SOPClassCommonExtendedNegotiation):
            p = pyn.SOPClassCommonExtendedNegotiation()
            p.sop_class_uid = item.sop_class_uid
            p.service_class_uid = item.service_class_uid
            p.related_general_sop_class_identification = list(item.related_general_sop_classes)
        elif isinstance(item, UserIdentityRQ):
            p = pyn.UserIdentityNegotiation()
            p.user_identity_type = item.identity_type
            p.positive_response_requested = item.positive_response_requested
            p.primary_field = item.primary_field
            p.secondary_field = item.secondary_field
        else:
            assert isinstance(item, UserIdentityAC)
            p = pyn.UserIdentityNegotiation()
            p.server_response = item.server_response
        out.append(p)
    return out


def pyn_associate(pdu: AssociateRQ | AssociateAC) -> bytes:
    prim = pyn.A_ASSOCIATE()
    prim.calling_ae_title = pdu.calling_ae_title
    prim.called_ae_title = pdu.called_ae_title
    prim.application_context_name = pdu.application_context_name
    contexts = []
    for ctx in pdu.presentation_contexts:
        cx = PresentationContext()
        cx.context_id = ctx.context_id
        if isinstance(ctx, PresentationContextRQ):
            cx.abstract_syntax = ctx.abstract_syntax
            cx.transfer_syntax = list(ctx.transfer_syntaxes)
        else:
            cx.result = ctx.result
            cx.transfer_syntax = [ctx.transfer_syntax]
        contexts.append(cx)
    prim.user_information = pyn_user_information(pdu.user_information)
    if isinstance(pdu, AssociateRQ):
        prim.presentation_context_definition_list = contexts
        theirs: Any = pyn_pdu.A_ASSOCIATE_RQ()
    else:
        prim._presentation_context_definition_results_list = contexts
        theirs = pyn_pdu.A_ASSOCIATE_AC()
    theirs.from_primitive(prim)
    return bytes(theirs.encode())


def check_both_ways(ours: Any, theirs: bytes) -> None:
    assert encode_pdu(ours) == theirs
    assert decode_pdu(theirs) == ours
    assert decode_pdu(theirs).encode() == theirs


@SETTINGS
@given(called=ae_titles, calling=ae_titles, contexts=rq_contexts(), info=user_information(ac=False))
def test_a_associate_rq_as_pynetdicom(
    called: str, calling: str, contexts: list[PresentationContextRQ], info: UserInformation
) -> None:
    ours = AssociateRQ(called, calling, (ApplicationContext(), *contexts, info))
    theirs = pyn_associate(ours)
    check_both_ways(ours, theirs)
    parsed = pyn_pdu.A_ASSOCIATE_RQ()
    parsed.decode(theirs)
    assert [c.context_id for c in parsed.presentation_context] == [c.context_id for c in contexts]


@SETTINGS
@given(
    called=ae_titles,
    calling=ae_titles,
    results=st.lists(
        st.tuples(context_ids, st.integers(0, 4), uids),
        min_size=1,
        max_size=4,
        unique_by=lambda t: t[0],
    ),
    info=user_information(ac=True),
)
def test_a_associate_ac_as_pynetdicom(
    called: str, calling: str, results: list[tuple[int, int, str]], info: UserInformation
) -> None:
    contexts = [PresentationContextAC(cid, result, ts) for cid, result, ts in results]
    ours = AssociateAC(called, calling, (ApplicationContext(), *contexts, info))
    check_both_ways(ours, pyn_associate(ours))


RJ_REASONS = [(1, 1), (1, 2), (1, 3), (1, 7), (2, 1), (2, 2), (3, 1), (3, 2)]


@pytest.mark.parametrize("result", [1, 2])
@pytest.mark.parametrize(("source", "reason"), RJ_REASONS)
def test_a_associate_rj_as_pynetdicom(result: int, source: int, reason: int) -> None:
    prim = pyn.A_ASSOCIATE()
    prim.result, prim.result_source, prim.diagnostic = result, source, reason
    theirs = pyn_pdu.A_ASSOCIATE_RJ()
    theirs.from_primitive(prim)
    ours = AssociateRJ(result, source, reason)
    check_both_ways(ours, bytes(theirs.encode()))
    assert ours.reason_name != f"reserved reason {reason}"


def test_release_as_pynetdicom() -> None:
    check_both_ways(ReleaseRQ(), bytes(pyn_pdu.A_RELEASE_RQ().encode()))
    check_both_ways(ReleaseRP(), bytes(pyn_pdu.A_RELEASE_RP().encode()))


@pytest.mark.parametrize(("source", "reason"), [(0, 0), *((2, r) for r in (0, 1, 2, 4, 5, 6))])
def test_abort_as_pynetdicom(source: int, reason: int) -> None:
    if source == 0:
        prim: Any = pyn.A_ABORT()
        prim.abort_source = 0
    else:
        prim = pyn.A_P_ABORT()
        prim.provider_reason = reason
    theirs = pyn_pdu.A_ABORT_RQ()
    theirs.from_primitive(prim)
    ours = Abort(source, reason)
    check_both_ways(ours, bytes(theirs.encode()))
    assert ours.reason_name in (
        "reason-not-specified",
        "unrecognized-PDU",
        "unexpected-PDU",
        "unrecognized-PDU parameter",
        "unexpected-PDU parameter",
        "invalid-PDU-parameter value",
    )


# --- unknown items, padding, errors --------------------------------------------------


def rq_bytes() -> bytes:
    return AssociateRQ(
        "SCP",
        "SCU",
        (
            ApplicationContext(),
            PresentationContextRQ(1, "1.2.3", ("1.2.840.10008.1.2",)),
            UserInformation((MaximumLength(16384),)),
        ),
    ).encode()


def max_length_of_5(b: bytes) -> bytes:
    user_information = bytes.fromhex("50 00 0009 51 00 0005 00004000 00")
    body = b[6:137] + user_information
    return b[:2] + len(body).to_bytes(4, "big") + body


# Offsets: 6 (PDU header) + 68 (fixed fields) = 74 for the Application Context item
# (4 + 21 bytes), so the Presentation Context item starts at 99; its sub-items at
# 99 + 8 = 107 (Abstract Syntax, 4 + 5), 116 (Transfer Syntax, 4 + 17); User Information
# at 137, its Maximum Length sub-item at 141.
@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (
            lambda b: b[:101] + b"\xff\xff" + b[103:],  # context item length overruns
            ItemError,
            "PDU: Presentation Context item (20H): item length 65535 runs past the end "
            "(46 bytes left) (offset 99)",  # 149 - 99 - 4
        ),
        (
            lambda b: b[:118] + b"\x00\x40" + b[120:],  # TS sub-item length 64, 17 there
            ItemError,
            "PDU: Transfer Syntax sub-item (40H): item length 64 runs past the end "
            "(17 bytes left) (offset 116)",
        ),
        (
            lambda b: b[:2] + (len(b) - 6 + 1).to_bytes(4, "big") + b[6:] + b"\x00",
            ItemError,
            "PDU: variable items: item header needs 4 bytes, 1 left (offset 149)",
        ),
        (
            max_length_of_5,  # the 4-byte sub-item given 5 bytes
            ItemError,
            "PDU: Maximum Length sub-item (51H): malformed: bytes left over after its fields "
            "(offset 141)",
        ),
        (
            lambda b: b[:100],
            TruncatedError,
            "truncated: A-ASSOCIATE-RQ length field says 143 bytes follow the header, 94 do "
            "(offset 0)",
        ),
        (
            lambda b: b[:2] + (60).to_bytes(4, "big") + b[6:66],
            PDUError,
            "PDU: A-ASSOCIATE-RQ body of 60 bytes is shorter than its 68 bytes of fixed "
            "fields (PS3.8 Table 9-11) (offset 0)",
        ),
        (
            lambda b: b"\x09" + b[1:],
            PDUError,
            "PDU: unknown PDU type 0x09 (PS3.8 9.3: 01H to 07H) (offset 0)",
        ),
    ],
)
def test_malformed_a_associate(change: Any, error: type[DecodeError], message: str) -> None:
    data = change(rq_bytes())
    with pytest.raises(error) as err:
        decode_pdu(data)
    assert str(err.value) == message
    assert type(err.value) is error


def test_context_item_rules() -> None:
    no_ts = bytes.fromhex("20 00 000c 01 000000 30 00 0004 312e322e")  # abstract only
    data = AssociateRQ("A", "B", (UnknownItem(no_ts),)).encode()
    with pytest.raises(ItemError) as err:
        decode_pdu(data)
    assert str(err.value) == (
        "PDU: Presentation Context item (20H): needs one Abstract Syntax sub-item and at "
        "least one Transfer Syntax sub-item, has 1, 0 and 0 others (PS3.8 Table 9-13) "
        "(offset 74)"
    )
    two_ts = bytes.fromhex("21 00 0012 01 00 00 00 40 00 0003 312e32 40 00 0003 312e33")
    data = AssociateAC("A", "B", (UnknownItem(two_ts),)).encode()
    with pytest.raises(ItemError, match=r"has 2 and 0 others \(PS3.8 Table 9-18\)"):
        decode_pdu(data)


@pytest.mark.parametrize(
    ("pdu_type", "name"),
    [(3, "A-ASSOCIATE-RJ"), (5, "A-RELEASE-RQ"), (6, "A-RELEASE-RP"), (7, "A-ABORT")],
)
def test_fixed_size_bodies(pdu_type: int, name: str) -> None:
    data = bytes([pdu_type, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0])
    with pytest.raises(PDUError) as err:
        decode_pdu(data, offset=1000)
    assert str(err.value) == (
        f"PDU: {name} has a 5-byte body, the standard's is 4 (PS3.8 9.3) (offset 1000)"
    )


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_mutated_a_associate_raise_only_decode_errors(data: st.DataObject) -> None:
    blob = bytearray(rq_bytes())
    for _ in range(data.draw(st.integers(1, 5))):
        pos = data.draw(st.integers(0, len(blob) - 1))
        kind = data.draw(st.sampled_from(["flip", "length", "cut", "dup"]))
        if kind == "flip":
            blob[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "length":
            value = data.draw(st.sampled_from([0, 1, 3, 0xFFFF]))
            blob[pos : pos + 2] = value.to_bytes(2, "big")
        elif kind == "cut":
            del blob[pos:]
            blob += b"\x00"
        else:
            blob[pos:pos] = blob[pos : pos + data.draw(st.integers(1, 40))]
    try:
        decode_pdu(bytes(blob))
    except DecodeError as err:
        assert err.offset is not None
        assert err.reason


def test_user_identity_is_named_and_its_passcode_never_printed() -> None:
    identity = UserIdentityRQ(2, True, b"alice", b"s3cret")
    assert identity.identity_type_name == "Username and passcode"
    assert "s3cret" not in repr(identity)
    assert UserIdentityRQ(9, False, b"x").identity_type_name == "unknown type 9"
