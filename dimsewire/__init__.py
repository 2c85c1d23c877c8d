"""dimsewire: DICOM DIMSE messages on and off the wire, exactly and fast.

Build a :class:`C_FIND` or :class:`C_CANCEL`, turn it into P-DATA-TF PDUs with
:func:`encode_message`, and turn PDUs back into primitives with :func:`decode_message`
or, from a socket's byte stream, with a :class:`Reassembler`.
"""

from .codec import (
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_MAX_PDU_LENGTH,
    Event,
    MessageReceived,
    PDUReceived,
    Reassembler,
    Rule,
    decode_message,
    encode_message,
    encode_message_buffers,
)
from .codec.identifier import decode_identifier, encode_identifier
from .errors import (
    CommandSetError,
    DecodeError,
    Deviation,
    FragmentError,
    IdentifierError,
    MessageTooLargeError,
    PDUError,
    PDUTooLargeError,
    TruncatedError,
)
from .primitives import (
    C_CANCEL,
    C_FIND,
    DimsePrimitive,
    OtherCommand,
    StatusCategory,
    StatusInfo,
    c_find_status,
    general_status,
)

__version__ = "0.1.0"

__all__ = [
    "C_CANCEL",
    "C_FIND",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_MAX_PDU_LENGTH",
    "CommandSetError",
    "DecodeError",
    "Deviation",
    "DimsePrimitive",
    "Event",
    "FragmentError",
    "IdentifierError",
    "MessageReceived",
    "MessageTooLargeError",
    "OtherCommand",
    "PDUError",
    "PDUReceived",
    "PDUTooLargeError",
    "Reassembler",
    "Rule",
    "StatusCategory",
    "StatusInfo",
    "TruncatedError",
    "c_find_status",
    "decode_identifier",
    "decode_message",
    "encode_identifier",
    "encode_message",
    "encode_message_buffers",
    "general_status",
]
