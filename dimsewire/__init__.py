"""dimsewire: DICOM DIMSE messages on and off the wire, exactly and fast.

Build a primitive (:class:`C_FIND`, :class:`C_CANCEL`, ...), turn it into P-DATA-TF PDUs
with :func:`encode_message`, and turn PDUs back into primitives with
:func:`decode_message` or, from a socket's byte stream, with a :class:`Reassembler`;
run one side of an association with an :class:`AssociationEndpoint`.

The names here are the stable API, with the public submodules :mod:`dimsewire.pdus`
(the seven Upper Layer PDUs and the A-ASSOCIATE items), :mod:`dimsewire.association`
(negotiation helpers) and :mod:`dimsewire.capture` (captured traffic). Everything under
:mod:`dimsewire.codec` is internal and may change.
"""

from .association import Association, AssociationEndpoint
from .codec import (
    DataSetFragmentReceived,
    Event,
    MessageReceived,
    MessageStarted,
    PDUReceived,
    Reassembler,
    decode_message,
    encode_message,
    encode_message_buffers,
)
from .codec.identifier import decode_identifier, encode_identifier
from .codec.implementation import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, VERSION
from .errors import (
    AssociationError,
    CommandSetError,
    DecodeError,
    Deviation,
    FileMetaError,
    FragmentError,
    IdentifierError,
    ItemError,
    MessageTooLargeError,
    PDUError,
    PDUTooLargeError,
    TruncatedError,
)
from .primitives import (
    C_CANCEL,
    C_ECHO,
    C_FIND,
    C_GET,
    C_MOVE,
    C_STORE,
    N_ACTION,
    N_CREATE,
    N_DELETE,
    N_EVENT_REPORT,
    N_GET,
    N_SET,
    DimsePrimitive,
    OtherCommand,
    StatusCategory,
    StatusInfo,
    c_find_status,
    general_status,
    status_info,
)

__version__ = VERSION

__all__ = [
    "C_CANCEL",
    "C_ECHO",
    "C_FIND",
    "C_GET",
    "C_MOVE",
    "C_STORE",
    "IMPLEMENTATION_CLASS_UID",
    "IMPLEMENTATION_VERSION_NAME",
    "N_ACTION",
    "N_CREATE",
    "N_DELETE",
    "N_EVENT_REPORT",
    "N_GET",
    "N_SET",
    "Association",
    "AssociationEndpoint",
    "AssociationError",
    "CommandSetError",
    "DataSetFragmentReceived",
    "DecodeError",
    "Deviation",
    "DimsePrimitive",
    "Event",
    "FileMetaError",
    "FragmentError",
    "IdentifierError",
    "ItemError",
    "MessageReceived",
    "MessageStarted",
    "MessageTooLargeError",
    "OtherCommand",
    "PDUError",
    "PDUReceived",
    "PDUTooLargeError",
    "Reassembler",
    "StatusCategory",
    "StatusInfo",
    "TruncatedError",
    "__version__",
    "c_find_status",
    "decode_identifier",
    "decode_message",
    "encode_identifier",
    "encode_message",
    "encode_message_buffers",
    "general_status",
    "status_info",
]
