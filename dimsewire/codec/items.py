"""The bytes of A-ASSOCIATE-RQ and -AC items and sub-items (PS3.8 9.3.2, 9.3.3, Annex D;
PS3.7 D.3.3), both ways.

Every item is a 1-byte item type, a reserved byte and a 2-byte big-endian item length,
followed by that many bytes. Each item and sub-item type has one row in the table
below: its PS3 table's construct declaration, the object it decodes to (from
:mod:`dimsewire.codec.item_objects`), and both conversions. A walker frames the items
of a list by their 4-byte header and hands each one, cut to its exact extent, to its
row, so that an error names the item and its offset.

Decoding keeps the wire order and keeps items of unknown type as raw bytes, so that
encoding a decoded list gives back the same bytes. Text fields are read and written as
Latin-1 (lossless); one trailing NUL that some peers add to a UID is dropped (PS3.8
Annex F: UIDs are not padded in the Upper Layer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import construct as c

from ..errors import ItemError, nbytes
from ._derive import derive_struct
from .item_objects import (
    ApplicationContext,
    AsyncOperationsWindow,
    ImplementationClassUID,
    ImplementationVersionName,
    Item,
    MaximumLength,
    PresentationContextAC,
    PresentationContextRQ,
    RoleSelection,
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    SubItem,
    UnknownItem,
    UserIdentityAC,
    UserIdentityRQ,
    UserInformation,
)

__all__ = ["DEFAULT_MAX_ITEMS", "ItemHeader", "decode_items", "encode_items", "item_name"]

# PS3.8 9.3.2.1-9.3.2.3: the header every item and sub-item starts with.
ItemHeader = c.Struct(
    "item_type" / c.Int8ub,
    "reserved" / c.Padding(1),  # 00H, not tested
    "item_length" / c.Int16ub,
)
ITEM_HEADER = derive_struct(ItemHeader)  # >BxH
ITEM_HEADER_SIZE = ITEM_HEADER.size

_Text = c.Prefixed(c.Int16ub, c.GreedyBytes)  # a 2-byte length, then that many bytes

#: Default cap on the items and sub-items of one A-ASSOCIATE PDU (128 presentation
#: contexts of 1 + 16 sub-items each, and the User Information sub-items, stay below it).
DEFAULT_MAX_ITEMS = 4096


def _item(item_type: int, *fields: Any) -> c.Struct:
    """An item: the common header, then `fields` filling exactly the item length."""
    return c.Struct(
        "item_type" / c.Const(item_type, c.Int8ub),
        "reserved" / c.Padding(1),
        "value" / c.Prefixed(c.Int16ub, c.Struct(*fields, c.Terminated)),
    )


def _uid(raw: bytes) -> str:
    return raw[:-1].decode("latin-1") if raw.endswith(b"\0") else raw.decode("latin-1")


def _raw(text: str, field: str) -> bytes:
    try:
        return str(text).encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"{field} must be Latin-1 text, not {text!r}") from None


class _Budget:
    """How many more items and sub-items may be decoded in one PDU."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def take(self, item_type: int, offset: int) -> None:
        self.left -= 1
        if self.left < 0:
            raise ItemError(
                f"more than {self.limit} items and sub-items in one PDU",
                item=item_name(item_type),
                offset=offset,
            )


@dataclass(frozen=True, slots=True)
class _Place:
    """Where an item is decoded: its offset in the caller's input, the PDU's budget."""

    offset: int
    budget: _Budget


@dataclass(frozen=True, slots=True)
class _Kind:
    """One item or sub-item type: its declaration and both conversions."""

    item_type: int
    name: str  # as in the standard, e.g. "User Information item (50H)"
    declaration: c.Struct  # the PS3 table, header included
    cls: type[Any] | None  # what it decodes to (None: a text kept inside its item)
    decode: Callable[[Any, _Place], Any]  # parsed value fields -> object
    encode: Callable[[Any], dict[str, Any]]  # object -> value fields


# --- items holding sub-items --------------------------------------------------------------


def _syntaxes(value: Any, place: _Place, item_type: int) -> dict[int | None, list[Any]]:
    """A context item's Abstract (30H) and Transfer (40H) Syntax names; others under None."""
    found: dict[int | None, list[Any]] = {0x30: [], 0x40: [], None: []}
    start = place.offset + ITEM_HEADER_SIZE + 4  # past the context ID and reserved bytes
    for sub_type, raw, at in _frame(value.sub_items, start, item_name(item_type), place.budget):
        if sub_type in (0x30, 0x40):
            found[sub_type].append(_decode(KINDS[sub_type], raw, _Place(at, place.budget)))
        else:
            found[None].append(raw)
    return found


def _decode_rq_context(value: Any, place: _Place) -> PresentationContextRQ:
    subs = _syntaxes(value, place, 0x20)
    abstract, transfer, others = subs[0x30], subs[0x40], subs[None]
    if len(abstract) != 1 or not transfer or others:
        raise ItemError(
            f"needs one Abstract Syntax sub-item and at least one Transfer Syntax "
            f"sub-item, has {len(abstract)}, {len(transfer)} and {len(others)} others "
            "(PS3.8 Table 9-13)",
            item=item_name(0x20),
            offset=place.offset,
        )
    return PresentationContextRQ(value.presentation_context_id, abstract[0], tuple(transfer))


def _decode_ac_context(value: Any, place: _Place) -> PresentationContextAC:
    subs = _syntaxes(value, place, 0x21)
    transfer, others = subs[0x40], len(subs[0x30]) + len(subs[None])
    if len(transfer) > 1 or others:
        raise ItemError(
            f"holds at most one Transfer Syntax sub-item and nothing else, has "
            f"{len(transfer)} and {others} others (PS3.8 Table 9-18)",
            item=item_name(0x21),
            offset=place.offset,
        )
    return PresentationContextAC(
        value.presentation_context_id, value.result_reason, transfer[0] if transfer else None
    )


def _decode_user_information(value: Any, place: _Place) -> UserInformation:
    start = place.offset + ITEM_HEADER_SIZE
    subs = _decode_list(value.user_data, start, item_name(0x50), place.budget, _SUB_ITEM_TYPES)
    return UserInformation(tuple(subs))


def _encode_rq_context(item: PresentationContextRQ) -> dict[str, Any]:
    subs = [_build(KINDS[0x30], item.abstract_syntax)]
    subs += [_build(KINDS[0x40], ts) for ts in item.transfer_syntaxes]
    return {"presentation_context_id": item.context_id, "sub_items": b"".join(subs)}


def _encode_ac_context(item: PresentationContextAC) -> dict[str, Any]:
    ts = item.transfer_syntax
    return {
        "presentation_context_id": item.context_id,
        "result_reason": item.result,
        "sub_items": b"" if ts is None else _build(KINDS[0x40], ts),
    }


def _encode_user_information(item: UserInformation) -> dict[str, Any]:
    subs = (
        _encode_as(sub, _SUB_ITEM_TYPES, "a User Information sub-item") for sub in item.sub_items
    )
    return {"user_data": b"".join(subs)}


# --- the table: one row per item and sub-item type ----------------------------------------

KINDS: dict[int, _Kind] = {
    kind.item_type: kind
    for kind in (
        _Kind(
            0x10,
            "Application Context item (10H)",
            _item(0x10, "application_context_name" / c.GreedyBytes),  # PS3.8 Table 9-12
            ApplicationContext,
            lambda v, _: ApplicationContext(_uid(v.application_context_name)),
            lambda i: {"application_context_name": _raw(i.name, "application context name")},
        ),
        _Kind(
            0x20,
            "Presentation Context item (20H)",
            _item(  # PS3.8 Table 9-13
                0x20,
                "presentation_context_id" / c.Int8ub,
                "reserved" / c.Padding(3),
                "sub_items" / c.GreedyBytes,  # one Abstract Syntax, one or more Transfer Syntax
            ),
            PresentationContextRQ,
            _decode_rq_context,
            _encode_rq_context,
        ),
        _Kind(
            0x21,
            "Presentation Context item (21H)",
            _item(  # PS3.8 Table 9-18
                0x21,
                "presentation_context_id" / c.Int8ub,
                "reserved" / c.Padding(1),
                "result_reason" / c.Int8ub,
                "reserved2" / c.Padding(1),
                "sub_items" / c.GreedyBytes,  # one Transfer Syntax sub-item
            ),
            PresentationContextAC,
            _decode_ac_context,
            _encode_ac_context,
        ),
        _Kind(
            0x30,
            "Abstract Syntax sub-item (30H)",
            _item(0x30, "abstract_syntax_name" / c.GreedyBytes),  # PS3.8 Table 9-14
            None,
            lambda v, _: _uid(v.abstract_syntax_name),
            lambda uid: {"abstract_syntax_name": _raw(uid, "abstract syntax")},
        ),
        _Kind(
            0x40,
            "Transfer Syntax sub-item (40H)",
            _item(0x40, "transfer_syntax_name" / c.GreedyBytes),  # PS3.8 Tables 9-15, 9-19
            None,
            lambda v, _: _uid(v.transfer_syntax_name),
            lambda uid: {"transfer_syntax_name": _raw(uid, "transfer syntax")},
        ),
        _Kind(
            0x50,
            "User Information item (50H)",
            _item(0x50, "user_data" / c.GreedyBytes),  # PS3.8 Table 9-16
            UserInformation,
            _decode_user_information,
            _encode_user_information,
        ),
        _Kind(
            0x51,
            "Maximum Length sub-item (51H)",
            _item(0x51, "maximum_length_received" / c.Int32ub),  # PS3.8 Table D.1-1
            MaximumLength,
            lambda v, _: MaximumLength(v.maximum_length_received),
            lambda i: {"maximum_length_received": i.max_length},
        ),
        _Kind(
            0x52,
            "Implementation Class UID sub-item (52H)",
            _item(0x52, "implementation_class_uid" / c.GreedyBytes),  # PS3.7 Table D.3-1
            ImplementationClassUID,
            lambda v, _: ImplementationClassUID(_uid(v.implementation_class_uid)),
            lambda i: {"implementation_class_uid": _raw(i.uid, "implementation class UID")},
        ),
        _Kind(
            0x53,
            "Asynchronous Operations Window sub-item (53H)",
            _item(  # PS3.7 Table D.3-7
                0x53,
                "maximum_number_operations_invoked" / c.Int16ub,
                "maximum_number_operations_performed" / c.Int16ub,
            ),
            AsyncOperationsWindow,
            lambda v, _: AsyncOperationsWindow(
                v.maximum_number_operations_invoked, v.maximum_number_operations_performed
            ),
            lambda i: {
                "maximum_number_operations_invoked": i.invoked,
                "maximum_number_operations_performed": i.performed,
            },
        ),
        _Kind(
            0x54,
            "SCP/SCU Role Selection sub-item (54H)",
            _item(  # PS3.7 Table D.3-9
                0x54,
                "sop_class_uid" / _Text,
                "scu_role" / c.Int8ub,
                "scp_role" / c.Int8ub,
            ),
            RoleSelection,
            lambda v, _: RoleSelection(_uid(v.sop_class_uid), v.scu_role, v.scp_role),
            lambda i: {
                "sop_class_uid": _raw(i.sop_class_uid, "SOP class UID"),
                "scu_role": i.scu_role,
                "scp_role": i.scp_role,
            },
        ),
        _Kind(
            0x55,
            "Implementation Version Name sub-item (55H)",
            _item(0x55, "implementation_version_name" / c.GreedyBytes),  # PS3.7 Table D.3-3
            ImplementationVersionName,
            lambda v, _: ImplementationVersionName(v.implementation_version_name.decode("latin-1")),
            lambda i: {"implementation_version_name": _raw(i.name, "implementation version name")},
        ),
        _Kind(
            0x56,
            "SOP Class Extended Negotiation sub-item (56H)",
            _item(  # PS3.7 Table D.3-11
                0x56,
                "sop_class_uid" / _Text,
                "service_class_application_information" / c.GreedyBytes,
            ),
            SOPClassExtendedNegotiation,
            lambda v, _: SOPClassExtendedNegotiation(
                _uid(v.sop_class_uid), bytes(v.service_class_application_information)
            ),
            lambda i: {
                "sop_class_uid": _raw(i.sop_class_uid, "SOP class UID"),
                "service_class_application_information": bytes(i.application_information),
            },
        ),
        _Kind(
            0x57,
            "SOP Class Common Extended Negotiation sub-item (57H)",
            _item(  # PS3.7 Table D.3-12 (its reserved byte is the sub-item version, 0)
                0x57,
                "sop_class_uid" / _Text,
                "service_class_uid" / _Text,
                # 2-byte-length-prefixed UIDs filling their own 2-byte length exactly:
                # GreedyRange alone would stop at a stray byte and drop it unnoticed
                "related_general_sop_class_identification"
                / c.Prefixed(
                    c.Int16ub, c.FocusedSeq("uids", "uids" / c.GreedyRange(_Text), c.Terminated)
                ),
            ),
            SOPClassCommonExtendedNegotiation,
            lambda v, _: SOPClassCommonExtendedNegotiation(
                _uid(v.sop_class_uid),
                _uid(v.service_class_uid),
                tuple(_uid(uid) for uid in v.related_general_sop_class_identification),
            ),
            lambda i: {
                "sop_class_uid": _raw(i.sop_class_uid, "SOP class UID"),
                "service_class_uid": _raw(i.service_class_uid, "service class UID"),
                "related_general_sop_class_identification": [
                    _raw(uid, "related general SOP class UID")
                    for uid in i.related_general_sop_classes
                ],
            },
        ),
        _Kind(
            0x58,
            "User Identity sub-item (58H)",
            _item(  # PS3.7 Table D.3-14
                0x58,
                "user_identity_type" / c.Int8ub,
                "positive_response_requested" / c.Int8ub,
                "primary_field" / _Text,
                "secondary_field" / _Text,
            ),
            UserIdentityRQ,
            lambda v, _: UserIdentityRQ(
                v.user_identity_type,
                bool(v.positive_response_requested),
                bytes(v.primary_field),
                bytes(v.secondary_field),
            ),
            lambda i: {
                "user_identity_type": i.identity_type,
                "positive_response_requested": int(i.positive_response_requested),
                "primary_field": bytes(i.primary_field),
                "secondary_field": bytes(i.secondary_field),
            },
        ),
        _Kind(
            0x59,
            "User Identity sub-item (59H)",
            _item(0x59, "server_response" / _Text),  # PS3.7 Table D.3-15
            UserIdentityAC,
            lambda v, _: UserIdentityAC(bytes(v.server_response)),
            lambda i: {"server_response": bytes(i.server_response)},
        ),
    )
}
_BY_CLASS = {kind.cls: kind for kind in KINDS.values() if kind.cls is not None}
# Where each type may appear; elsewhere it is kept as an UnknownItem.
_ITEM_TYPES = {0x01: frozenset({0x10, 0x20, 0x50}), 0x02: frozenset({0x10, 0x21, 0x50})}
_SUB_ITEM_TYPES = frozenset(range(0x51, 0x5A))


def item_name(item_type: int) -> str:
    """The standard's name of an item type, e.g. ``"User Information item (50H)"``."""
    kind = KINDS.get(item_type)
    return kind.name if kind is not None else f"item of unknown type {item_type:02X}H"


# --- the walker ---------------------------------------------------------------------------


def _frame(data: bytes, offset: int, where: str, budget: _Budget) -> list[tuple[int, bytes, int]]:
    """(item type, whole item, offset) for each item of `data`; `where` names the list."""
    items = []
    pos, end = 0, len(data)
    while pos < end:
        if end - pos < ITEM_HEADER_SIZE:
            raise ItemError(
                f"item header needs {ITEM_HEADER_SIZE} bytes, {end - pos} left",
                item=where,
                offset=offset + pos,
            )
        item_type, length = ITEM_HEADER.unpack_from(data, pos)
        stop = pos + ITEM_HEADER_SIZE + length
        if stop > end:
            raise ItemError(
                f"item length {length} runs past the end "
                f"({nbytes(end - pos - ITEM_HEADER_SIZE)} left)",
                item=item_name(item_type),
                offset=offset + pos,
            )
        budget.take(item_type, offset + pos)
        items.append((item_type, data[pos:stop], offset + pos))
        pos = stop
    return items


def _decode(kind: _Kind, raw: bytes, place: _Place) -> Any:
    """One whole item through its row; construct errors made ItemError."""
    try:
        value = kind.declaration.parse(raw).value
    except (c.ConstructError, ValueError, OverflowError) as err:
        detail = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        if "expected end of stream" in detail or "Terminated" in detail:
            detail = "bytes left over after its fields"
        raise ItemError(f"malformed: {detail}", item=kind.name, offset=place.offset) from None
    return kind.decode(value, place)


def _decode_list(
    data: bytes, offset: int, where: str, budget: _Budget, allowed: frozenset[int]
) -> list[Any]:
    """The items of `data`; those whose type is not `allowed` there kept as UnknownItem."""
    return [
        _decode(KINDS[item_type], raw, _Place(at, budget))
        if item_type in allowed
        else UnknownItem(raw)
        for item_type, raw, at in _frame(data, offset, where, budget)
    ]


def decode_items(
    data: bytes, offset: int = 0, *, pdu_type: int = 0x01, max_items: int = DEFAULT_MAX_ITEMS
) -> list[Item]:
    """The variable items of an A-ASSOCIATE-RQ (`pdu_type` 1) or -AC (2), in wire order.

    Parameters
    ----------
    max_items : int
        Cap on items and sub-items together, checked before each is decoded.

    Raises
    ------
    ItemError
        Naming the item at fault; `offset` is added to every position.
    """
    budget = _Budget(max_items)
    return _decode_list(data, offset, "variable items", budget, _ITEM_TYPES[pdu_type])


def _build(kind: _Kind, obj: Any) -> bytes:
    """The bytes of `obj` through its row; construct errors made ValueError."""
    value = kind.encode(obj)
    try:
        return bytes(kind.declaration.build({"value": value}))
    except (c.ConstructError, OverflowError) as err:
        raise ValueError(f"{kind.name} cannot be encoded: {err}") from None


def _encode_as(obj: Item | SubItem, allowed: frozenset[int], what: str) -> bytes:
    if isinstance(obj, UnknownItem):
        return bytes(obj.raw)
    kind = _BY_CLASS.get(type(obj))
    if kind is None or kind.item_type not in allowed:
        raise TypeError(f"not {what}: {obj!r}")
    return _build(kind, obj)


_ANY_ITEM_TYPE = _ITEM_TYPES[0x01] | _ITEM_TYPES[0x02]


def encode_items(items: Iterable[Item]) -> bytes:
    """The variable items of an A-ASSOCIATE-RQ or -AC, in the order given.

    Raises
    ------
    ValueError
        A field that does not fit its length (a text over 65535 bytes, a number out of
        range) or text that is not Latin-1; the message names the item or field.
    TypeError
        Something that is not an item (or a User Information sub-item where an item
        belongs).
    """
    return b"".join(_encode_as(item, _ANY_ITEM_TYPE, "an A-ASSOCIATE item") for item in items)
