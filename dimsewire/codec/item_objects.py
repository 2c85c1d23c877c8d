"""The items and sub-items of A-ASSOCIATE-RQ and -AC PDUs as objects, without bytes.

Application Context, Presentation Context and User Information items (PS3.8 9.3.2,
9.3.3), the User Information sub-items (PS3.8 D.1, PS3.7 D.3.3) and items of unknown
type kept whole. Their declarations and the conversions both ways are in
:mod:`dimsewire.codec.items`, one table row per class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

__all__ = [
    "RESULTS",
    "USER_IDENTITY_TYPES",
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
]

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
