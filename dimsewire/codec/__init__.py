"""Bytes on the wire: command sets, PDV items, P-DATA-TF PDUs, fragmenting, reassembly.

The codec opens no file and no socket and reads no clock; limits are arguments.
"""

from .assembler import DEFAULT_MAX_MESSAGE_SIZE, MessageAssembler, Rule
from .events import (
    DataSetFragmentReceived,
    Event,
    MessageReceived,
    MessageStarted,
    PDUReceived,
)
from .fragmenter import encode_message, encode_message_buffers
from .stream import DEFAULT_MAX_PDU_LENGTH, Reassembler, decode_message

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_MAX_PDU_LENGTH",
    "DataSetFragmentReceived",
    "Event",
    "MessageAssembler",
    "MessageReceived",
    "MessageStarted",
    "PDUReceived",
    "Reassembler",
    "Rule",
    "decode_message",
    "encode_message",
    "encode_message_buffers",
]
