"""The items and sub-items of A-ASSOCIATE-RQ and -AC PDUs (PS3.8 9.3.2, 9.3.3, Annex D;
PS3.7 D.3.3).

Every item is a 1-byte item type, a reserved byte and a 2-byte big-endian item length,
followed by that many bytes. Each item type is declared once below with construct; a
walker frames the items of a list by their 4-byte header and hands each one, cut to its
exact extent, to its declaration, so that an error names the item and its offset.

Decoding keeps the wire order and keeps items of unknown type as raw bytes, so that
encoding a decoded list gives back the same bytes. Text fields are read and written as
Latin-1 (lossless); one trailing NUL that some peers add to a UID is dropped (PS3.8
Annex F: UIDs are not padded in the Upper Layer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeAlias

import construct as c

from ..errors import ItemError, nbytes
from ._derive import derive_struct

__all__ = [
    "ApplicationContext",
    "AsyncOperationsWindow",
    "ImplementationClassUID",
    "ImplementationVersionName",
    "Item",
    "MaximumLength",
    "PresentationContextAC",
    "PresentationContextRQ",
    "RoleSelection",
    "SOPClassCommonExtendedNegotiation",
    "SOPClassExtendedNegotiation",
    "SubItem",
    "UnknownItem",
    "UserIdentityAC",
    "UserIdentityRQ",
    "UserInformation",
    "decode_items",
    "encode_items",
]

# PS3.8 9.3.2.2: the header every item and sub-item starts with.
ItemHeader = c.Struct(
    "item_type" / c.Int8ub,
    "reserved" / c.Padding(1),  # 00H, not tested
    "item_length" / c.Int16ub,
)
ITEM_HEADER = derive_struct(ItemHeader)  # >BxH
ITEM_HEADER_SIZE = ITEM_HEADER.size

_Text = c.Prefixed(c.Int16ub, c.GreedyBytes)  # a 2-byte length, then that many bytes


def _item(item_type: int, *fields: Any) -> c.Struct:
    """An item: the common header, then `fields` filling exactly the item length."""
    return c.Struct(
        "item_type" / c.Const(item_type, c.Int8ub),
        "reserved" / c.Padding(1),
        "value" / c.Prefixed(c.Int16ub, c.Struct(*fields, c.Terminated)),
    )


# PS3.8 Table 9-12: Application Context item.
ApplicationContextItem = _item(
    0x10,
    "application_context_name" / c.GreedyBytes,
)
# PS3.8 Table 9-13: Presentation Context item (A-ASSOCIATE-RQ).
PresentationContextRQItem = _item(
    0x20,
    "presentation_context_id" / c.Int8ub,
    "reserved" / c.Padding(3),
    "sub_items" / c.GreedyBytes,  # one Abstract Syntax, one or more Transfer Syntax
)
# PS3.8 Table 9-18: Presentation Context item (A-ASSOCIATE-AC).
PresentationContextACItem = _item(
    0x21,
    "presentation_context_id" / c.Int8ub,
    "reserved" / c.Padding(1),
    "result_reason" / c.Int8ub,
    "reserved2" / c.Padding(1),
    "sub_items" / c.GreedyBytes,  # one Transfer Syntax sub-item
)
# PS3.8 Table 9-14: Abstract Syntax sub-item.
AbstractSyntaxSubItem = _item(0x30, "abstract_syntax_name" / c.GreedyBytes)
# PS3.8 Tables 9-15 and 9-19: Transfer Syntax sub-item.
TransferSyntaxSubItem = _item(0x40, "transfer_syntax_name" / c.GreedyBytes)
# PS3.8 Table 9-16: User Information item.
UserInformationItem = _item(0x50, "user_data" / c.GreedyBytes)
# PS3.8 Table D.1-1: Maximum Length sub-item.
MaximumLengthSubItem = _item(0x51, "maximum_length_received" / c.Int32ub)
# PS3.7 Table D.3-1: Implementation Class UID sub-item.
ImplementationClassUIDSubItem = _item(0x52, "implementation_class_uid" / c.GreedyBytes)
# PS3.7 Table D.3-7: Asynchronous Operations Window sub-item.
AsyncOperationsWindowSubItem = _item(
    0x53,
    "maximum_number_operations_invoked" / c.Int16ub,
    "maximum_number_operations_performed" / c.Int16ub,
)
# PS3.7 Table D.3-9: SCP/SCU Role Selection sub-item.
RoleSelectionSubItem = _item(
    0x54,
    "sop_class_uid" / _Text,
    "scu_role" / c.Int8ub,
    "scp_role" / c.Int8ub,
)
# PS3.7 Table D.3-3: Implementation Version Name sub-item.
ImplementationVersionNameSubItem = _item(0x55, "implementation_version_name" / c.GreedyBytes)
# PS3.7 Table D.3-11: SOP Class Extended Negotiation sub-item.
SOPClassExtendedNegotiationSubItem = _item(
    0x56,
    "sop_class_uid" / _Text,
    "service_class_application_information" / c.GreedyBytes,
)
# PS3.7 Table D.3-12: SOP Class Common Extended Negotiation sub-item (the reserved byte
# is the sub-item version, 0).
SOPClassCommonExtendedNegotiationSubItem = _item(
    0x57,
    "sop_class_uid" / _Text,
    "service_class_uid" / _Text,
    # a list of 2-byte-length-prefixed UIDs that must fill its own 2-byte length exactly:
    # GreedyRange alone would stop at a stray byte and drop it unnoticed
    "related_general_sop_class_identification"
    / c.Prefixed(c.Int16ub, c.FocusedSeq("uids", "uids" / c.GreedyRange(_Text), c.Terminated)),
)
# PS3.7 Table D.3-14: User Identity sub-item (A-ASSOCIATE-RQ).
UserIdentityRQSubItem = _item(
    0x58,
    "user_identity_type" / c.Int8ub,
    "positive_response_requested" / c.Int8ub,
    "primary_field" / _Text,
    "secondary_field" / _Text,
)
# PS3.7 Table D.3-15: User Identity sub-item (A-ASSOCIATE-AC).
UserIdentityACSubItem = _item(0x59, "server_response" / _Text)


def _text(raw: bytes) -> str:
    return raw.decode("latin-1")


def _uid(raw: bytes) -> str:
    return raw[:-1].decode("latin-1") if raw.endswith(b"\0") else raw.decode("latin-1")


def _raw(text: str, field: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"{field} must be Latin-1 text, not {text!r}") from None


#: Presentation context results, PS3.8 Table 9-18.
RESULTS: dict[int, str] = {
    0: "acceptance",
    1: "user-rejection",
    2: "no-reason (provider rejection)",
    3: "abstract-syntax-not-supported (provider rejection)",
    4: "transfer-syntaxes-not-supported (provider rejection)",
}

#: User identity types, PS3.7 Table D.3-14.
USER_IDENTITY_TYPES: dict[int, str] = {
    1: "Username",
    2: "Username and passcode",
    3: "Kerberos Service ticket",
    4: "SAML Assertion",
    5: "JSON Web Token (JWT)",
}


@dataclass(frozen=True, slots=True)
class ApplicationContext:
    """Application Context item (10H), PS3.8 9.3.2.1; DICOM's is 1.2.840.10008.3.1.1.1."""

    name: str = "1.2.840.10008.3.1.1.1"


@dataclass(frozen=True, slots=True)
class PresentationContextRQ:
    """Presentation Context item (20H) of an A-ASSOCIATE-RQ, PS3.8 9.3.2.2.

    Attributes
    ----------
    context_id : int
        Odd, 1 to 255.
    abstract_syntax : str
        The SOP Class UID proposed.
    transfer_syntaxes : tuple of str
        The transfer syntax UIDs proposed, in order of preference.
    """

    context_id: int
    abstract_syntax: str
    transfer_syntaxes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PresentationContextAC:
    """Presentation Context item (21H) of an A-ASSOCIATE-AC, PS3.8 9.3.3.2.

    Attributes
    ----------
    context_id : int
        The ID from the request.
    result : int
        0 acceptance, 1 user-rejection, 2 no-reason, 3 abstract syntax not supported,
        4 transfer syntaxes not supported (Table 9-18).
    transfer_syntax : str or None
        The accepted transfer syntax. Only meaningful when `result` is 0: PS3.8 says
        the sub-item "shall not be tested" otherwise, though it is always present on
        the wire (DCMTK puts Implicit VR Little Endian there). None when absent.
    """

    context_id: int
    result: int
    transfer_syntax: str | None

    @property
    def accepted(self) -> bool:
        """Result 0, acceptance."""
        return self.result == 0

    @property
    def result_name(self) -> str:
        """The result's meaning, from PS3.8 Table 9-18."""
        return RESULTS.get(self.result, f"unknown result {self.result}")


@dataclass(frozen=True, slots=True)
class MaximumLength:
    """Maximum Length sub-item (51H), PS3.8 D.1: the largest P-DATA-TF PDU variable
    field the sender will receive; 0 means no limit."""

    max_length: int


@dataclass(frozen=True, slots=True)
class ImplementationClassUID:
    """Implementation Class UID sub-item (52H), PS3.7 D.3.3.2."""

    uid: str


@dataclass(frozen=True, slots=True)
class ImplementationVersionName:
    """Implementation Version Name sub-item (55H), PS3.7 D.3.3.2: 1 to 16 characters."""

    name: str


@dataclass(frozen=True, slots=True)
class AsyncOperationsWindow:
    """Asynchronous Operations Window sub-item (53H), PS3.7 D.3.3.3; 0 means unlimited."""

    invoked: int
    performed: int


@dataclass(frozen=True, slots=True)
class RoleSelection:
    """SCP/SCU Role Selection sub-item (54H), PS3.7 D.3.3.4 (roles 0 or 1)."""

    sop_class_uid: str
    scu_role: int
    scp_role: int


@dataclass(frozen=True, slots=True)
class SOPClassExtendedNegotiation:
    """SOP Class Extended Negotiation sub-item (56H), PS3.7 D.3.3.5."""

    sop_class_uid: str
    application_information: bytes


@dataclass(frozen=True, slots=True)
class SOPClassCommonExtendedNegotiation:
    """SOP Class Common Extended Negotiation sub-item (57H), PS3.7 D.3.3.6."""

    sop_class_uid: str
    service_class_uid: str
    related_general_sop_classes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UserIdentityRQ:
    """User Identity sub-item (58H) of an A-ASSOCIATE-RQ, PS3.7 D.3.3.7.1.

    Attributes
    ----------
    identity_type : int
        1 username, 2 username and passcode, 3 Kerberos, 4 SAML, 5 JWT.
    positive_response_requested : bool
        Whether the acceptor is asked to answer with a User Identity sub-item (59H).
    primary_field, secondary_field : bytes
        Username (or ticket, assertion, token) and passcode; the secondary field is
        empty unless `identity_type` is 2.
    """

    identity_type: int
    positive_response_requested: bool
    primary_field: bytes
    secondary_field: bytes = b""

    @property
    def identity_type_name(self) -> str:
        """The user identity type's meaning (PS3.7 Table D.3-14)."""
        return USER_IDENTITY_TYPES.get(self.identity_type, f"unknown type {self.identity_type}")

    def __repr__(self) -> str:  # never print a passcode
        secret = "<hidden>" if self.secondary_field else "b''"
        return (
            f"UserIdentityRQ(identity_type={self.identity_type}, positive_response_requested="
            f"{self.positive_response_requested}, primary_field={self.primary_field!r}, "
            f"secondary_field={secret})"
        )


@dataclass(frozen=True, slots=True)
class UserIdentityAC:
    """User Identity sub-item (59H) of an A-ASSOCIATE-AC, PS3.7 D.3.3.7.2."""

    server_response: bytes = b""


@dataclass(frozen=True, slots=True)
class UnknownItem:
    """An item or sub-item of a type dimsewire does not know, kept whole (header
    included) so that it is re-encoded unchanged."""

    raw: bytes

    @property
    def item_type(self) -> int:
        """The item type byte."""
        return self.raw[0]


SubItem: TypeAlias = (
    MaximumLength
    | ImplementationClassUID
    | ImplementationVersionName
    | AsyncOperationsWindow
    | RoleSelection
    | SOPClassExtendedNegotiation
    | SOPClassCommonExtendedNegotiation
    | UserIdentityRQ
    | UserIdentityAC
    | UnknownItem
)


@dataclass(frozen=True, slots=True)
class UserInformation:
    """User Information item (50H), PS3.8 9.3.2.3: its sub-items in wire order.

    The properties pick out the sub-items PS3.7 Annex D allows at most once.
    """

    sub_items: tuple[SubItem, ...] = ()

    def _first(self, kind: type[Any]) -> Any:
        return next((item for item in self.sub_items if isinstance(item, kind)), None)

    @property
    def max_length(self) -> int | None:
        """The Maximum Length sub-item's value (0: no limit), None if there is none."""
        item = self._first(MaximumLength)
        return None if item is None else int(item.max_length)

    @property
    def implementation_class_uid(self) -> str | None:
        """The Implementation Class UID, None if there is none."""
        item = self._first(ImplementationClassUID)
        return None if item is None else str(item.uid)

    @property
    def implementation_version_name(self) -> str | None:
        """The Implementation Version Name, None if there is none."""
        item = self._first(ImplementationVersionName)
        return None if item is None else str(item.name)

    @property
    def async_operations_window(self) -> AsyncOperationsWindow | None:
        """The Asynchronous Operations Window sub-item, None if there is none."""
        item: AsyncOperationsWindow | None = self._first(AsyncOperationsWindow)
        return item

    @property
    def role_selections(self) -> tuple[RoleSelection, ...]:
        """Every SCP/SCU Role Selection sub-item."""
        return tuple(item for item in self.sub_items if isinstance(item, RoleSelection))

    @property
    def user_identity(self) -> UserIdentityRQ | UserIdentityAC | None:
        """The User Identity sub-item (58H or 59H), None if there is none."""
        item: UserIdentityRQ | UserIdentityAC | None = self._first(
            (UserIdentityRQ, UserIdentityAC)  # type: ignore[arg-type]
        )
        return item


Item: TypeAlias = (
    ApplicationContext
    | PresentationContextRQ
    | PresentationContextAC
    | UserInformation
    | UnknownItem
)


# --- decoding -------------------------------------------------------------------------

ITEM_NAMES: dict[int, str] = {
    0x10: "Application Context item (10H)",
    0x20: "Presentation Context item (20H)",
    0x21: "Presentation Context item (21H)",
    0x30: "Abstract Syntax sub-item (30H)",
    0x40: "Transfer Syntax sub-item (40H)",
    0x50: "User Information item (50H)",
    0x51: "Maximum Length sub-item (51H)",
    0x52: "Implementation Class UID sub-item (52H)",
    0x53: "Asynchronous Operations Window sub-item (53H)",
    0x54: "SCP/SCU Role Selection sub-item (54H)",
    0x55: "Implementation Version Name sub-item (55H)",
    0x56: "SOP Class Extended Negotiation sub-item (56H)",
    0x57: "SOP Class Common Extended Negotiation sub-item (57H)",
    0x58: "User Identity sub-item (58H)",
    0x59: "User Identity sub-item (59H)",
}


def item_name(item_type: int) -> str:
    """The standard's name of an item type, e.g. ``"User Information item (50H)"``."""
    return ITEM_NAMES.get(item_type, f"item of unknown type {item_type:02X}H")


#: Default cap on the items and sub-items of one A-ASSOCIATE PDU (128 presentation
#: contexts of 1 + 16 sub-items each, and the User Information sub-items, stay below it).
DEFAULT_MAX_ITEMS = 4096


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


def _parse(decl: c.Struct, raw: bytes, item_type: int, offset: int) -> Any:
    """The value container of one whole item, construct errors made ItemError."""
    try:
        return decl.parse(raw).value
    except (c.ConstructError, ValueError, OverflowError) as err:
        detail = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        if "expected end of stream" in detail or "Terminated" in detail:
            detail = "bytes left over after its fields"
        raise ItemError(f"malformed: {detail}", item=item_name(item_type), offset=offset) from None


def _sub_items_of_context(
    raw: bytes, offset: int, where: str, budget: _Budget
) -> tuple[list[str], list[str], list[bytes]]:
    """Abstract syntaxes, transfer syntaxes and unknown sub-items of a context item."""
    abstract, transfer, unknown = [], [], []
    for sub_type, sub_raw, sub_offset in _frame(raw, offset, where, budget):
        if sub_type == 0x30:
            value = _parse(AbstractSyntaxSubItem, sub_raw, sub_type, sub_offset)
            abstract.append(_uid(value.abstract_syntax_name))
        elif sub_type == 0x40:
            value = _parse(TransferSyntaxSubItem, sub_raw, sub_type, sub_offset)
            transfer.append(_uid(value.transfer_syntax_name))
        else:
            unknown.append(sub_raw)
    return abstract, transfer, unknown


def _decode_rq_context(raw: bytes, offset: int, budget: _Budget) -> PresentationContextRQ:
    where = item_name(0x20)
    value = _parse(PresentationContextRQItem, raw, 0x20, offset)
    abstract, transfer, unknown = _sub_items_of_context(
        value.sub_items, offset + ITEM_HEADER_SIZE + 4, where, budget
    )
    if len(abstract) != 1 or not transfer or unknown:
        raise ItemError(
            f"needs one Abstract Syntax sub-item and at least one Transfer Syntax "
            f"sub-item, has {len(abstract)}, {len(transfer)} and {len(unknown)} others "
            "(PS3.8 Table 9-13)",
            item=where,
            offset=offset,
        )
    return PresentationContextRQ(value.presentation_context_id, abstract[0], tuple(transfer))


def _decode_ac_context(raw: bytes, offset: int, budget: _Budget) -> PresentationContextAC:
    where = item_name(0x21)
    value = _parse(PresentationContextACItem, raw, 0x21, offset)
    abstract, transfer, unknown = _sub_items_of_context(
        value.sub_items, offset + ITEM_HEADER_SIZE + 4, where, budget
    )
    if abstract or len(transfer) > 1 or unknown:
        raise ItemError(
            f"holds at most one Transfer Syntax sub-item and nothing else, has "
            f"{len(transfer)} and {len(abstract) + len(unknown)} others (PS3.8 Table 9-18)",
            item=where,
            offset=offset,
        )
    return PresentationContextAC(
        value.presentation_context_id, value.result_reason, transfer[0] if transfer else None
    )


def _decode_user_information(raw: bytes, offset: int, budget: _Budget) -> UserInformation:
    value = _parse(UserInformationItem, raw, 0x50, offset)
    subs: list[SubItem] = []
    for sub_type, sub_raw, sub_offset in _frame(
        value.user_data, offset + ITEM_HEADER_SIZE, item_name(0x50), budget
    ):
        decode = _SUB_DECODERS.get(sub_type)
        if decode is None:
            subs.append(UnknownItem(sub_raw))
        else:
            subs.append(decode(_parse(_SUB_DECLS[sub_type], sub_raw, sub_type, sub_offset)))
    return UserInformation(tuple(subs))


_SUB_DECODERS: dict[int, Callable[[Any], SubItem]] = {
    0x51: lambda v: MaximumLength(v.maximum_length_received),
    0x52: lambda v: ImplementationClassUID(_uid(v.implementation_class_uid)),
    0x53: lambda v: AsyncOperationsWindow(
        v.maximum_number_operations_invoked, v.maximum_number_operations_performed
    ),
    0x54: lambda v: RoleSelection(_uid(v.sop_class_uid), v.scu_role, v.scp_role),
    0x55: lambda v: ImplementationVersionName(_text(v.implementation_version_name)),
    0x56: lambda v: SOPClassExtendedNegotiation(
        _uid(v.sop_class_uid), bytes(v.service_class_application_information)
    ),
    0x57: lambda v: SOPClassCommonExtendedNegotiation(
        _uid(v.sop_class_uid),
        _uid(v.service_class_uid),
        tuple(_uid(uid) for uid in v.related_general_sop_class_identification),
    ),
    0x58: lambda v: UserIdentityRQ(
        v.user_identity_type,
        bool(v.positive_response_requested),
        bytes(v.primary_field),
        bytes(v.secondary_field),
    ),
    0x59: lambda v: UserIdentityAC(bytes(v.server_response)),
}

_SUB_DECLS: dict[int, c.Struct] = {
    0x51: MaximumLengthSubItem,
    0x52: ImplementationClassUIDSubItem,
    0x53: AsyncOperationsWindowSubItem,
    0x54: RoleSelectionSubItem,
    0x55: ImplementationVersionNameSubItem,
    0x56: SOPClassExtendedNegotiationSubItem,
    0x57: SOPClassCommonExtendedNegotiationSubItem,
    0x58: UserIdentityRQSubItem,
    0x59: UserIdentityACSubItem,
}


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
    items: list[Item] = []
    budget = _Budget(max_items)
    context_type = 0x20 if pdu_type == 0x01 else 0x21
    for item_type, raw, item_offset in _frame(data, offset, "variable items", budget):
        if item_type == 0x10:
            value = _parse(ApplicationContextItem, raw, item_type, item_offset)
            items.append(ApplicationContext(_uid(value.application_context_name)))
        elif item_type == context_type == 0x20:
            items.append(_decode_rq_context(raw, item_offset, budget))
        elif item_type == context_type == 0x21:
            items.append(_decode_ac_context(raw, item_offset, budget))
        elif item_type == 0x50:
            items.append(_decode_user_information(raw, item_offset, budget))
        else:
            items.append(UnknownItem(raw))
    return items


# --- encoding -------------------------------------------------------------------------


def _build(decl: c.Struct, what: str, **value: Any) -> bytes:
    try:
        return bytes(decl.build({"value": value}))
    except (c.ConstructError, OverflowError) as err:
        raise ValueError(f"{what} cannot be encoded: {err}") from None


def _encode_uid(uid: str, what: str) -> bytes:
    return _raw(str(uid), what)


def _encode_sub_item(item: SubItem) -> bytes:
    what = type(item).__name__
    if isinstance(item, UnknownItem):
        return bytes(item.raw)
    if isinstance(item, MaximumLength):
        return _build(MaximumLengthSubItem, what, maximum_length_received=item.max_length)
    if isinstance(item, ImplementationClassUID):
        return _build(
            ImplementationClassUIDSubItem,
            what,
            implementation_class_uid=_encode_uid(item.uid, "implementation class UID"),
        )
    if isinstance(item, ImplementationVersionName):
        return _build(
            ImplementationVersionNameSubItem,
            what,
            implementation_version_name=_raw(item.name, "implementation version name"),
        )
    if isinstance(item, AsyncOperationsWindow):
        return _build(
            AsyncOperationsWindowSubItem,
            what,
            maximum_number_operations_invoked=item.invoked,
            maximum_number_operations_performed=item.performed,
        )
    if isinstance(item, RoleSelection):
        return _build(
            RoleSelectionSubItem,
            what,
            sop_class_uid=_encode_uid(item.sop_class_uid, "SOP class UID"),
            scu_role=item.scu_role,
            scp_role=item.scp_role,
        )
    if isinstance(item, SOPClassExtendedNegotiation):
        return _build(
            SOPClassExtendedNegotiationSubItem,
            what,
            sop_class_uid=_encode_uid(item.sop_class_uid, "SOP class UID"),
            service_class_application_information=bytes(item.application_information),
        )
    if isinstance(item, SOPClassCommonExtendedNegotiation):
        return _build(
            SOPClassCommonExtendedNegotiationSubItem,
            what,
            sop_class_uid=_encode_uid(item.sop_class_uid, "SOP class UID"),
            service_class_uid=_encode_uid(item.service_class_uid, "service class UID"),
            related_general_sop_class_identification=[
                _encode_uid(uid, "related general SOP class UID")
                for uid in item.related_general_sop_classes
            ],
        )
    if isinstance(item, UserIdentityRQ):
        return _build(
            UserIdentityRQSubItem,
            what,
            user_identity_type=item.identity_type,
            positive_response_requested=int(item.positive_response_requested),
            primary_field=bytes(item.primary_field),
            secondary_field=bytes(item.secondary_field),
        )
    if isinstance(item, UserIdentityAC):
        return _build(UserIdentityACSubItem, what, server_response=bytes(item.server_response))
    raise TypeError(f"not a User Information sub-item: {item!r}")


def _encode_item(item: Item) -> bytes:
    what = type(item).__name__
    if isinstance(item, UnknownItem):
        return bytes(item.raw)
    if isinstance(item, ApplicationContext):
        return _build(
            ApplicationContextItem,
            what,
            application_context_name=_encode_uid(item.name, "application context name"),
        )
    if isinstance(item, PresentationContextRQ):
        subs = [
            _build(
                AbstractSyntaxSubItem,
                "abstract syntax",
                abstract_syntax_name=_encode_uid(item.abstract_syntax, "abstract syntax"),
            )
        ]
        subs += [
            _build(
                TransferSyntaxSubItem,
                "transfer syntax",
                transfer_syntax_name=_encode_uid(ts, "transfer syntax"),
            )
            for ts in item.transfer_syntaxes
        ]
        return _build(
            PresentationContextRQItem,
            what,
            presentation_context_id=item.context_id,
            sub_items=b"".join(subs),
        )
    if isinstance(item, PresentationContextAC):
        sub = b""
        if item.transfer_syntax is not None:
            sub = _build(
                TransferSyntaxSubItem,
                "transfer syntax",
                transfer_syntax_name=_encode_uid(item.transfer_syntax, "transfer syntax"),
            )
        return _build(
            PresentationContextACItem,
            what,
            presentation_context_id=item.context_id,
            result_reason=item.result,
            sub_items=sub,
        )
    if isinstance(item, UserInformation):
        return _build(
            UserInformationItem,
            what,
            user_data=b"".join(_encode_sub_item(sub) for sub in item.sub_items),
        )
    raise TypeError(f"not an A-ASSOCIATE item: {item!r}")


def encode_items(items: Iterable[Item]) -> bytes:
    """The variable items of an A-ASSOCIATE-RQ or -AC, in the order given.

    Raises
    ------
    ValueError
        A field that does not fit its length (a text over 65535 bytes, a number out of
        range) or text that is not Latin-1.
    """
    return b"".join(_encode_item(item) for item in items)
