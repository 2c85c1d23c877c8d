"""The seven Upper Layer PDUs and the A-ASSOCIATE items, as objects (PS3.8 9.3; PS3.7 D.3.3).

:func:`decode_pdu` turns one whole PDU into one of the PDU objects below and
:func:`encode_pdu` (or the object's ``encode()``) does the reverse.
:func:`associate_rq` and :func:`associate_ac` build the A-ASSOCIATE-RQ and -AC a DICOM
application usually sends. The items and sub-items of A-ASSOCIATE-RQ/-AC PDUs follow.

This module is a stable public name; the code behind it lives in
:mod:`dimsewire.codec.upper_layer`, :mod:`dimsewire.codec.item_objects` and
:mod:`dimsewire.codec.items`.
"""

from .codec.item_objects import (
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
from .codec.upper_layer import (
    PDU,
    PDV,
    Abort,
    AssociateAC,
    AssociateRJ,
    AssociateRQ,
    PDataTF,
    ReleaseRP,
    ReleaseRQ,
    associate_ac,
    associate_rq,
    decode_pdu,
    encode_pdu,
)

__all__ = [
    "PDU",
    "PDV",
    "Abort",
    "ApplicationContext",
    "AssociateAC",
    "AssociateRJ",
    "AssociateRQ",
    "AsyncOperationsWindow",
    "ImplementationClassUID",
    "ImplementationVersionName",
    "Item",
    "MaximumLength",
    "PDataTF",
    "PresentationContextAC",
    "PresentationContextRQ",
    "ReleaseRP",
    "ReleaseRQ",
    "RoleSelection",
    "SOPClassCommonExtendedNegotiation",
    "SOPClassExtendedNegotiation",
    "SubItem",
    "UnknownItem",
    "UserIdentityAC",
    "UserIdentityRQ",
    "UserInformation",
    "associate_ac",
    "associate_rq",
    "decode_pdu",
    "encode_pdu",
]
