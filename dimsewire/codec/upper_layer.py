"""The seven Upper Layer PDUs as objects, and their bytes both ways (PS3.8 9.3.2-9.3.8).

:func:`decode_pdu` turns one whole PDU into an object and :func:`encode_pdu` (or the
objects' ``encode()``) does the reverse; for every valid PDU the two are exact
inverses. The A-ASSOCIATE items live in :mod:`dimsewire.codec.item_objects`; the PDU header
and the P-DATA-TF PDV items in :mod:`dimsewire.codec.framing`, whose declarations
:class:`PDataTF` shares.

The fixed fields each PDU type declares with construct below: reserved fields are
sent as 00H and not tested on receipt; a body of the wrong size for its type is an
:class:`~dimsewire.errors.PDUError`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias

import construct as c

from ..errors import PDUError, TruncatedError, nbytes
from .framing import (
    A_ABORT,
    A_ASSOCIATE_AC,
    A_ASSOCIATE_RJ,
    A_ASSOCIATE_RQ,
    A_RELEASE_RP,
    A_RELEASE_RQ,
    COMMAND,
    LAST,
    P_DATA_TF,
    PDU_HEADER_SIZE,
    PDVItem,
    parse_pdu_header,
    pdu_header,
    pdu_name,
    split_pdv_items,
)
from .item_objects import (
    ApplicationContext,
    ImplementationClassUID,
    ImplementationVersionName,
    Item,
    MaximumLength,
    PresentationContextAC,
    PresentationContextRQ,
    UserInformation,
)
from .items import DEFAULT_MAX_ITEMS, decode_items, encode_items

__all__ = [
    "PDU",
    "PDV",
    "Abort",
    "AssociateAC",
    "AssociateRJ",
    "AssociateRQ",
    "PDataTF",
    "ReleaseRP",
    "ReleaseRQ",
    "associate_ac",
    "associate_rq",
    "decode_pdu",
    "encode_pdu",
]

# PS3.8 Tables 9-11 and 9-17: A-ASSOCIATE-RQ and -AC fixed fields after the PDU header.
# In the AC, bytes 11-74 are reserved and sent with the RQ's values (Table 9-17).
AssociateFixedFields = c.Struct(
    "protocol_version" / c.Int16ub,  # bytes 7-8, bit 0 set: version 1
    "reserved_9_10" / c.Padding(2),
    "called_ae_title" / c.Bytes(16),  # bytes 11-26
    "calling_ae_title" / c.Bytes(16),  # bytes 27-42
    "reserved_43_74" / c.Bytes(32),  # RQ: sent as 00H, not tested
)
ASSOCIATE_FIXED_SIZE = AssociateFixedFields.sizeof()  # 68
_ECHOED = slice(4, ASSOCIATE_FIXED_SIZE)  # bytes 11-74, counted from byte 7

# PS3.8 Table 9-21: A-ASSOCIATE-RJ fields after the PDU header.
AssociateRJFields = c.Struct(
    "reserved" / c.Padding(1),
    "result" / c.Int8ub,
    "source" / c.Int8ub,
    "reason_diag" / c.Int8ub,
)
# PS3.8 Tables 9-24 and 9-25: A-RELEASE-RQ and -RP fields after the PDU header.
ReleaseFields = c.Struct("reserved" / c.Padding(4))
# PS3.8 Table 9-26: A-ABORT fields after the PDU header.
AbortFields = c.Struct(
    "reserved" / c.Padding(2),
    "source" / c.Int8ub,
    "reason_diag" / c.Int8ub,
)

_FIXED_BODY = {
    A_ASSOCIATE_RJ: AssociateRJFields,
    A_RELEASE_RQ: ReleaseFields,
    A_RELEASE_RP: ReleaseFields,
    A_ABORT: AbortFields,
}
#: Body size of each fixed-size PDU type (4 bytes each, PS3.8 Tables 9-21, 9-24 to 9-26).
FIXED_BODY_SIZES = {pdu_type: decl.sizeof() for pdu_type, decl in _FIXED_BODY.items()}


def _ae_title(raw: bytes) -> str:
    # PS3.8 Table 9-11: leading and trailing spaces are not significant.
    return raw.decode("latin-1").strip(" ")


def _ae_field(title: str, received: bytes | None, what: str) -> bytes:
    """The 16 bytes of an AE title field: as received if they still say `title`."""
    if received is not None and _ae_title(received) == title:
        return received
    try:
        raw = title.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"{what} must be Latin-1 text, not {title!r}") from None
    if len(raw) > 16:
        raise ValueError(f"{what} is at most 16 characters, not {len(raw)}: {title!r}")
    if not raw.strip(b" "):  # 16 spaces would mean "no Application Name specified"
        raise ValueError(
            f"{what} must not be empty or all spaces (PS3.8 Table 9-11), not {title!r}"
        )
    return raw.ljust(16, b" ")


# --- meanings of the result, source and reason fields ---------------------------------

#: PS3.8 Table 9-21, Result.
RJ_RESULTS = {1: "rejected-permanent", 2: "rejected-transient"}
#: PS3.8 Table 9-21, Source.
RJ_SOURCES = {
    1: "DICOM UL service-user",
    2: "DICOM UL service-provider (ACSE related function)",
    3: "DICOM UL service-provider (Presentation related function)",
}
#: PS3.8 Table 9-21, Reason/Diag., per source.
RJ_REASONS: dict[int, dict[int, str]] = {
    1: {
        1: "no-reason-given",
        2: "application-context-name-not-supported",
        3: "calling-AE-title-not-recognized",
        7: "called-AE-title-not-recognized",
    },
    2: {1: "no-reason-given", 2: "protocol-version-not-supported"},
    3: {1: "temporary-congestion", 2: "local-limit-exceeded"},
}
#: PS3.8 Table 9-26, Source.
ABORT_SOURCES = {
    0: "DICOM UL service-user (initiated abort)",
    1: "reserved",
    2: "DICOM UL service-provider (initiated abort)",
}
#: PS3.8 Table 9-26, Reason/Diag. (defined for source 2; not significant for source 0).
ABORT_REASONS = {
    0: "reason-not-specified",
    1: "unrecognized-PDU",
    2: "unexpected-PDU",
    3: "reserved",
    4: "unrecognized-PDU parameter",
    5: "unexpected-PDU parameter",
    6: "invalid-PDU-parameter value",
}


# --- the PDUs -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Associate:
    called_ae_title: str
    calling_ae_title: str
    items: tuple[Item, ...]
    protocol_version: int = 1
    received_fields: bytes | None = field(default=None, compare=False, repr=False)

    pdu_type: ClassVar[int]

    @property
    def application_context_name(self) -> str | None:
        """The Application Context item's UID, None if there is none."""
        return next((i.name for i in self.items if isinstance(i, ApplicationContext)), None)

    @property
    def user_information(self) -> UserInformation:
        """The User Information item (an empty one if there is none)."""
        return next((i for i in self.items if isinstance(i, UserInformation)), UserInformation())

    @property
    def max_length(self) -> int | None:
        """The sender's Maximum Length (PS3.8 D.1; 0: no limit), None if not sent."""
        return self.user_information.max_length

    def encode(self) -> bytes:
        """The whole PDU."""
        got = self.received_fields
        if got is not None and len(got) != 64:
            raise ValueError(f"received_fields holds bytes 11-74: 64 bytes, not {len(got)}")
        fixed = AssociateFixedFields.build(
            {
                "protocol_version": self.protocol_version,
                "called_ae_title": _ae_field(
                    self.called_ae_title, None if got is None else got[:16], "called AE title"
                ),
                "calling_ae_title": _ae_field(
                    self.calling_ae_title, None if got is None else got[16:32], "calling AE title"
                ),
                "reserved_43_74": bytes(32) if got is None else got[32:],
            }
        )
        body = fixed + encode_items(self.items)
        return pdu_header(self.pdu_type, len(body)) + body


@dataclass(frozen=True, slots=True)
class AssociateRQ(_Associate):
    """A-ASSOCIATE-RQ PDU (01H), PS3.8 9.3.2.

    Attributes
    ----------
    called_ae_title, calling_ae_title : str
        1 to 16 characters; leading and trailing spaces are not significant and are
        dropped on decoding (PS3.8 Table 9-11). Empty or all spaces is refused when
        encoding.
    items : tuple
        Application Context, Presentation Context (:class:`PresentationContextRQ`) and
        User Information items in wire order; unknown items as
        :class:`~dimsewire.pdus.UnknownItem`.
    protocol_version : int
        Bit 0 set for version 1, the only one (PS3.8 Table 9-11).
    received_fields : bytes or None
        Bytes 11-74 as received (the two AE title fields and 32 reserved bytes), kept
        so that re-encoding gives the same bytes and an A-ASSOCIATE-AC can send them
        back unchanged (PS3.8 Table 9-17). None for a PDU built here; not compared.
    """

    pdu_type: ClassVar[int] = A_ASSOCIATE_RQ

    @property
    def presentation_contexts(self) -> tuple[PresentationContextRQ, ...]:
        """The proposed presentation contexts, in order."""
        return tuple(i for i in self.items if isinstance(i, PresentationContextRQ))


@dataclass(frozen=True, slots=True)
class AssociateAC(_Associate):
    """A-ASSOCIATE-AC PDU (02H), PS3.8 9.3.3.

    The AE title fields (and bytes 43-74) are reserved in the AC and sent with the values
    of the RQ (PS3.8 Table 9-17): :func:`associate_ac` and the
    :class:`~dimsewire.AssociationEndpoint` put the RQ's ``received_fields`` here. A
    decoded AC keeps them as read.
    """

    pdu_type: ClassVar[int] = A_ASSOCIATE_AC

    @property
    def presentation_contexts(self) -> tuple[PresentationContextAC, ...]:
        """The results for the proposed presentation contexts, in order."""
        return tuple(i for i in self.items if isinstance(i, PresentationContextAC))


@dataclass(frozen=True, slots=True)
class AssociateRJ:
    """A-ASSOCIATE-RJ PDU (03H), PS3.8 9.3.4 and Table 9-21."""

    result: int
    source: int
    reason: int

    pdu_type: ClassVar[int] = A_ASSOCIATE_RJ

    @property
    def result_name(self) -> str:
        """``"rejected-permanent"`` or ``"rejected-transient"``."""
        return RJ_RESULTS.get(self.result, f"unknown result {self.result}")

    @property
    def source_name(self) -> str:
        """Who rejected, in the standard's words."""
        return RJ_SOURCES.get(self.source, f"unknown source {self.source}")

    @property
    def reason_name(self) -> str:
        """Why, in the standard's words (reasons depend on the source)."""
        return RJ_REASONS.get(self.source, {}).get(self.reason, f"reserved reason {self.reason}")

    def encode(self) -> bytes:
        """The whole PDU."""
        return _encode_fixed(
            self.pdu_type, result=self.result, source=self.source, reason_diag=self.reason
        )


@dataclass(frozen=True, slots=True)
class ReleaseRQ:
    """A-RELEASE-RQ PDU (05H), PS3.8 9.3.6."""

    pdu_type: ClassVar[int] = A_RELEASE_RQ

    def encode(self) -> bytes:
        """The whole PDU."""
        return _encode_fixed(self.pdu_type)


@dataclass(frozen=True, slots=True)
class ReleaseRP:
    """A-RELEASE-RP PDU (06H), PS3.8 9.3.7."""

    pdu_type: ClassVar[int] = A_RELEASE_RP

    def encode(self) -> bytes:
        """The whole PDU."""
        return _encode_fixed(self.pdu_type)


@dataclass(frozen=True, slots=True)
class Abort:
    """A-ABORT PDU (07H), PS3.8 9.3.8 and Table 9-26.

    Attributes
    ----------
    source : int
        0 service-user, 2 service-provider.
    reason : int
        With source 2, what the provider objected to. With source 0 the field is not
        significant (sent as 00H, not tested); it is kept as read.
    """

    source: int = 0
    reason: int = 0

    pdu_type: ClassVar[int] = A_ABORT

    @property
    def source_name(self) -> str:
        """Who aborted, in the standard's words."""
        return ABORT_SOURCES.get(self.source, f"unknown source {self.source}")

    @property
    def reason_name(self) -> str:
        """Why, in the standard's words: PS3.8 Table 9-26 names reasons for source 2
        only; with source 0 the field "shall not be significant"."""
        if self.source == 0:
            return "not significant (source 0)"
        if self.source != 2:
            return f"reason {self.reason} (not defined for source {self.source})"
        return ABORT_REASONS.get(self.reason, f"unknown reason {self.reason}")

    def encode(self) -> bytes:
        """The whole PDU."""
        return _encode_fixed(self.pdu_type, source=self.source, reason_diag=self.reason)


@dataclass(frozen=True, slots=True)
class PDV:
    """One Presentation Data Value item (PS3.8 9.3.5.1, Annex E.2)."""

    context_id: int
    control_header: int
    fragment: bytes

    @property
    def is_command(self) -> bool:
        """Bit 0: a command set fragment (else a data set fragment)."""
        return bool(self.control_header & COMMAND)

    @property
    def is_last(self) -> bool:
        """Bit 1: the last fragment of its command set or data set."""
        return bool(self.control_header & LAST)


@dataclass(frozen=True, slots=True)
class PDataTF:
    """P-DATA-TF PDU (04H), PS3.8 9.3.5: its PDV items as they are.

    :func:`~dimsewire.encode_message` and the :class:`~dimsewire.Reassembler` are the
    fast way to turn messages into P-DATA-TF PDUs and back; this object is for looking
    at one PDU's items.
    """

    pdvs: tuple[PDV, ...] = field(default_factory=tuple)

    pdu_type: ClassVar[int] = P_DATA_TF

    def encode(self) -> bytes:
        """The whole PDU."""
        body = b"".join(
            PDVItem.build(
                {
                    "item_length": len(pdv.fragment) + 2,
                    "presentation_context_id": pdv.context_id,
                    "message_control_header": pdv.control_header,
                    "fragment": pdv.fragment,
                }
            )
            for pdv in self.pdvs
        )
        return pdu_header(self.pdu_type, len(body)) + body


PDU: TypeAlias = AssociateRQ | AssociateAC | AssociateRJ | PDataTF | ReleaseRQ | ReleaseRP | Abort


def _encode_fixed(pdu_type: int, **fields: int) -> bytes:
    decl = _FIXED_BODY[pdu_type]
    try:
        body = bytes(decl.build(fields))
    except (c.ConstructError, OverflowError) as err:
        raise ValueError(f"{pdu_name(pdu_type)} field out of range: {err}") from None
    return pdu_header(pdu_type, len(body)) + body


def encode_pdu(pdu: PDU) -> bytes:
    """The bytes of one PDU object, header included.

    Raises
    ------
    ValueError
        A field that does not fit (an AE title over 16 characters, a number over its
        field's size, non-Latin-1 text).
    """
    try:
        return pdu.encode()
    except (c.ConstructError, struct.error) as err:
        raise ValueError(f"{pdu_name(pdu.pdu_type)} cannot be encoded: {err}") from None


def decode_pdu(
    data: bytes | bytearray | memoryview, offset: int = 0, *, max_items: int = DEFAULT_MAX_ITEMS
) -> PDU:
    """One whole PDU, header included, as an object.

    Parameters
    ----------
    data : bytes-like
        Exactly one PDU.
    offset : int
        Stream offset of `data`, added to the offsets of errors.
    max_items : int
        Cap on the items and sub-items of an A-ASSOCIATE-RQ/-AC.

    Raises
    ------
    TruncatedError
        Fewer bytes than the header announces.
    PDUError
        An unknown PDU type, bytes beyond the announced length, a fixed-size body of the
        wrong size; :class:`~dimsewire.errors.ItemError` for a malformed item.
    """
    raw = bytes(data)
    if len(raw) < PDU_HEADER_SIZE:
        raise TruncatedError(
            f"PDU of {nbytes(len(raw))} is shorter than the 6-byte PDU header", offset=offset
        )
    pdu_type, length = parse_pdu_header(raw, offset=offset)
    if length != len(raw) - PDU_HEADER_SIZE:
        error = TruncatedError if length > len(raw) - PDU_HEADER_SIZE else PDUError
        raise error(
            f"{pdu_name(pdu_type)} length field says {nbytes(length)} follow the header, "
            f"{len(raw) - PDU_HEADER_SIZE} do",
            offset=offset,
        )
    body = raw[PDU_HEADER_SIZE:]
    base = offset + PDU_HEADER_SIZE
    if pdu_type in (A_ASSOCIATE_RQ, A_ASSOCIATE_AC):
        return _decode_associate(pdu_type, body, base, max_items)
    if pdu_type == P_DATA_TF:
        pdvs, fault = split_pdv_items(memoryview(body), base)
        if fault is not None:
            raise fault
        return PDataTF(tuple(PDV(cid, control, bytes(frag)) for cid, control, frag, _ in pdvs))
    decl = _FIXED_BODY[pdu_type]
    size = FIXED_BODY_SIZES[pdu_type]
    if length != size:
        raise PDUError(
            f"{pdu_name(pdu_type)} has a {length}-byte body, the standard's is {size} (PS3.8 9.3)",
            offset=offset,
        )
    value = decl.parse(body)
    if pdu_type == A_ASSOCIATE_RJ:
        return AssociateRJ(value.result, value.source, value.reason_diag)
    if pdu_type == A_ABORT:
        return Abort(value.source, value.reason_diag)
    return ReleaseRQ() if pdu_type == A_RELEASE_RQ else ReleaseRP()


def _decode_associate(pdu_type: int, body: bytes, base: int, max_items: int) -> PDU:
    if len(body) < ASSOCIATE_FIXED_SIZE:
        raise PDUError(
            f"{pdu_name(pdu_type)} body of {nbytes(len(body))} is shorter than its "
            f"{ASSOCIATE_FIXED_SIZE} bytes of fixed fields "
            f"(PS3.8 Table {'9-11' if pdu_type == A_ASSOCIATE_RQ else '9-17'})",
            offset=base - PDU_HEADER_SIZE,
        )
    fixed: Any = AssociateFixedFields.parse(body)
    received = body[_ECHOED]
    items = tuple(
        decode_items(
            body[ASSOCIATE_FIXED_SIZE:],
            base + ASSOCIATE_FIXED_SIZE,
            pdu_type=pdu_type,
            max_items=max_items,
        )
    )
    cls = AssociateRQ if pdu_type == A_ASSOCIATE_RQ else AssociateAC
    return cls(
        _ae_title(fixed.called_ae_title),
        _ae_title(fixed.calling_ae_title),
        items,
        fixed.protocol_version,
        received,
    )


def _user_information(
    max_length: int, class_uid: str, version_name: str | None, extra: Iterable[Any]
) -> UserInformation:
    """Maximum Length, Implementation Class UID and Version Name, then `extra`."""
    subs: list[Any] = [MaximumLength(max_length), ImplementationClassUID(class_uid)]
    if version_name is not None:
        subs.append(ImplementationVersionName(version_name))
    return UserInformation((*subs, *extra))


def associate_rq(
    called_ae_title: str,
    calling_ae_title: str,
    contexts: Iterable[tuple[int, str, Sequence[str]]],
    *,
    max_length: int,
    implementation_class_uid: str,
    implementation_version_name: str | None = None,
    extra: Iterable[Any] = (),
) -> AssociateRQ:
    """An A-ASSOCIATE-RQ with the DICOM application context and the usual sub-items.

    Parameters
    ----------
    contexts : iterable of (context ID, abstract syntax, transfer syntaxes)
    max_length : int
        The largest P-DATA-TF PDU this side accepts (0: no limit).
    extra : iterable of sub-items
        Further User Information sub-items (role selection, user identity, ...),
        placed after the implementation sub-items.
    """
    return AssociateRQ(
        called_ae_title,
        calling_ae_title,
        (
            ApplicationContext(),
            *(PresentationContextRQ(cid, abstract, tuple(ts)) for cid, abstract, ts in contexts),
            _user_information(
                max_length, implementation_class_uid, implementation_version_name, extra
            ),
        ),
    )


def associate_ac(
    rq: AssociateRQ,
    results: Iterable[PresentationContextAC],
    *,
    max_length: int,
    implementation_class_uid: str,
    implementation_version_name: str | None = None,
    extra: Iterable[Any] = (),
) -> AssociateAC:
    """The A-ASSOCIATE-AC answering `rq`, with the given context results and the usual
    User Information sub-items.

    Bytes 11-74 of the AC are reserved and "sent with a value identical to the value
    received in the same field of the A-ASSOCIATE-RQ" (PS3.8 Table 9-17): a decoded `rq`'s
    are sent back byte for byte (its ``received_fields``), padding included.
    """
    return AssociateAC(
        rq.called_ae_title,
        rq.calling_ae_title,
        (
            ApplicationContext(rq.application_context_name or ApplicationContext().name),
            *results,
            _user_information(
                max_length, implementation_class_uid, implementation_version_name, extra
            ),
        ),
        received_fields=rq.received_fields,
    )
