"""The floor for bench_codec.py: hand-written ``struct`` code for five small messages.

For each message one ``struct`` format of its command set (Implicit VR Little Endian,
PS3.5 Table 7.1-3; the elements of its PS3.7 table in tag order), an encoder from plain
values to the list of P-DATA-TF PDUs (one PDV each, as ``encode_message(..., pack=False)``
and pynetdicom send them) and a decoder from those PDUs back to the values. They know
one message layout each, build no primitive, validate no input and report no deviation:
what is left is about the least work Python can do for these bytes. The decoders still
check what no decoder may skip: the PDU type and lengths, one PDV per PDU, its control
header, one context, every element's tag and length, the CommandGroupLength and the
CommandDataSetType; anything else raises ValueError.

Values: UIDs as ``str``, US values as ``int``, the data set as ``bytes``; a decoder gives
a dict keyed by the primitive's parameter names. bench_codec.py checks that each encoder
gives byte for byte what dimsewire and pynetdicom send, and each decoder the values both
libraries decode, before it times anything.
"""

from __future__ import annotations

import functools
import struct

__all__ = ["DECODERS", "ENCODERS"]

# PS3.8 Tables 9-22 and 9-23: PDU type, reserved, PDU length; PDV item length, context, control.
_PDU = struct.Struct(">BxIIBB")
_UL = struct.Struct("<I")
_NONE = 0x0101  # CommandDataSetType: no data set (PS3.7 Table E.1-1); pynetdicom sends 0x0001

# Command sets, one element per group of four fields (group, element, length, value), the
# UIDs' lengths filled in. (0000,0000) UL first.
_C_FIND_RQ = "<HHII HHI{}s HHIH HHIH HHIH HHIH"  # 0002 UI, 0100, 0110, 0700, 0800 US
_C_FIND_RSP = "<HHII HHI{}s HHIH HHIH HHIH HHIH"  # 0002 UI, 0100, 0120, 0800, 0900 US
_C_STORE_RQ = "<HHII HHI{}s HHIH HHIH HHIH HHIH HHI{}s"  # 0002, 0100, 0110, 0700, 0800, 1000
_C_ECHO_RQ = "<HHII HHI{}s HHIH HHIH HHIH"  # 0002 UI, 0100, 0110, 0800 US
_N_ACTION_RQ = "<HHII HHI{}s HHIH HHIH HHIH HHI{}s HHIH"  # 0003, 0100, 0110, 0800, 1001, 1008


@functools.lru_cache(maxsize=64)
def _layout(fmt: str, *lengths: int) -> struct.Struct:
    return struct.Struct(fmt.format(*lengths))


def _ui(uid: str) -> bytes:
    raw = uid.encode("ascii")
    return raw + b"\x00" if len(raw) % 2 else raw


def _text(raw: bytes) -> str:
    return (raw[:-1] if raw[-1:] == b"\x00" else raw).decode("ascii")


def _pdu(fragment: bytes, context_id: int, control: int) -> bytes:
    size = len(fragment)
    return _PDU.pack(4, size + 6, size + 2, context_id, control) + fragment


def _context(pdu: bytes, control: int) -> int:
    """The context ID of a P-DATA-TF PDU holding one PDV with this control header."""
    kind, length, item, context, flags = _PDU.unpack_from(pdu)
    if kind != 4 or length != len(pdu) - 6 or item != length - 4 or flags != control:
        raise ValueError("not a one-PDV P-DATA-TF PDU with the expected control header")
    return int(context)


def _two(pdus: list[bytes]) -> tuple[bytes, bytes]:
    """The command PDU and the data set PDU, on one context."""
    command, data_set = pdus
    if _context(command, 3) != _context(data_set, 2):
        raise ValueError("the command set and the data set on different contexts")
    return command, data_set


# -- C-FIND-RQ (PS3.7 Table 9.3-3) ----------------------------------------------------------


def encode_c_find_rq(
    sop_class: str, message_id: int, priority: int, identifier: bytes, context_id: int
) -> list[bytes]:
    uid = _ui(sop_class)
    n = len(uid)
    command = _layout(_C_FIND_RQ, n).pack(
        0, 0x0000, 4, 48 + n,
        0, 0x0002, n, uid,
        0, 0x0100, 2, 0x0020,
        0, 0x0110, 2, message_id,
        0, 0x0700, 2, priority,
        0, 0x0800, 2, 0x0001,
    )  # fmt: skip
    return [_pdu(command, context_id, 3), _pdu(identifier, context_id, 2)]


def decode_c_find_rq(pdus: list[bytes]) -> dict[str, object]:
    command, identifier = _two(pdus)
    n = _UL.unpack_from(command, 28)[0]
    f = _layout(_C_FIND_RQ, n).unpack_from(command, 12)
    uid, message_id, priority, data_set_type = f[7], f[15], f[19], f[23]
    if data_set_type == _NONE or len(command) != 72 + n or f != (
        0, 0x0000, 4, 48 + n,
        0, 0x0002, n, uid,
        0, 0x0100, 2, 0x0020,
        0, 0x0110, 2, message_id,
        0, 0x0700, 2, priority,
        0, 0x0800, 2, data_set_type,
    ):  # fmt: skip
        raise ValueError("not a C-FIND-RQ of this layout")
    return {
        "AffectedSOPClassUID": _text(uid),
        "MessageID": message_id,
        "Priority": priority,
        "Identifier": identifier[12:],
    }


# -- C-FIND-RSP (PS3.7 Table 9.3-4), Pending with a match -----------------------------------


def encode_c_find_rsp(
    sop_class: str, responding_to: int, status: int, identifier: bytes, context_id: int
) -> list[bytes]:
    uid = _ui(sop_class)
    n = len(uid)
    command = _layout(_C_FIND_RSP, n).pack(
        0, 0x0000, 4, 48 + n,
        0, 0x0002, n, uid,
        0, 0x0100, 2, 0x8020,
        0, 0x0120, 2, responding_to,
        0, 0x0800, 2, 0x0001,
        0, 0x0900, 2, status,
    )  # fmt: skip
    return [_pdu(command, context_id, 3), _pdu(identifier, context_id, 2)]


def decode_c_find_rsp(pdus: list[bytes]) -> dict[str, object]:
    command, identifier = _two(pdus)
    n = _UL.unpack_from(command, 28)[0]
    f = _layout(_C_FIND_RSP, n).unpack_from(command, 12)
    uid, responding_to, data_set_type, status = f[7], f[15], f[19], f[23]
    if data_set_type == _NONE or len(command) != 72 + n or f != (
        0, 0x0000, 4, 48 + n,
        0, 0x0002, n, uid,
        0, 0x0100, 2, 0x8020,
        0, 0x0120, 2, responding_to,
        0, 0x0800, 2, data_set_type,
        0, 0x0900, 2, status,
    ):  # fmt: skip
        raise ValueError("not a C-FIND-RSP with a data set, of this layout")
    return {
        "AffectedSOPClassUID": _text(uid),
        "MessageIDBeingRespondedTo": responding_to,
        "Status": status,
        "Identifier": identifier[12:],
    }


# -- C-STORE-RQ (PS3.7 Table 9.3-1), no Move Originator -------------------------------------


def encode_c_store_rq(
    sop_class: str, sop_instance: str, message_id: int, priority: int, data_set: bytes,
    context_id: int,
) -> list[bytes]:  # fmt: skip
    uid, instance = _ui(sop_class), _ui(sop_instance)
    n, m = len(uid), len(instance)
    command = _layout(_C_STORE_RQ, n, m).pack(
        0, 0x0000, 4, 56 + n + m,
        0, 0x0002, n, uid,
        0, 0x0100, 2, 0x0001,
        0, 0x0110, 2, message_id,
        0, 0x0700, 2, priority,
        0, 0x0800, 2, 0x0001,
        0, 0x1000, m, instance,
    )  # fmt: skip
    return [_pdu(command, context_id, 3), _pdu(data_set, context_id, 2)]


def decode_c_store_rq(pdus: list[bytes]) -> dict[str, object]:
    command, data_set = _two(pdus)
    n = _UL.unpack_from(command, 28)[0]
    m = _UL.unpack_from(command, 76 + n)[0]
    f = _layout(_C_STORE_RQ, n, m).unpack_from(command, 12)
    uid, message_id, priority, data_set_type, instance = f[7], f[15], f[19], f[23], f[27]
    if data_set_type == _NONE or len(command) != 80 + n + m or f != (
        0, 0x0000, 4, 56 + n + m,
        0, 0x0002, n, uid,
        0, 0x0100, 2, 0x0001,
        0, 0x0110, 2, message_id,
        0, 0x0700, 2, priority,
        0, 0x0800, 2, data_set_type,
        0, 0x1000, m, instance,
    ):  # fmt: skip
        raise ValueError("not a C-STORE-RQ of this layout")
    return {
        "AffectedSOPClassUID": _text(uid),
        "AffectedSOPInstanceUID": _text(instance),
        "MessageID": message_id,
        "Priority": priority,
        "DataSet": data_set[12:],
    }


# -- C-ECHO-RQ (PS3.7 Table 9.3-12) ---------------------------------------------------------


def encode_c_echo_rq(sop_class: str, message_id: int, context_id: int) -> list[bytes]:
    uid = _ui(sop_class)
    n = len(uid)
    command = _layout(_C_ECHO_RQ, n).pack(
        0, 0x0000, 4, 38 + n,
        0, 0x0002, n, uid,
        0, 0x0100, 2, 0x0030,
        0, 0x0110, 2, message_id,
        0, 0x0800, 2, _NONE,
    )  # fmt: skip
    return [_pdu(command, context_id, 3)]


def decode_c_echo_rq(pdus: list[bytes]) -> dict[str, object]:
    (command,) = pdus
    _context(command, 3)
    n = _UL.unpack_from(command, 28)[0]
    f = _layout(_C_ECHO_RQ, n).unpack_from(command, 12)
    uid, message_id = f[7], f[15]
    if len(command) != 62 + n or f != (
        0, 0x0000, 4, 38 + n,
        0, 0x0002, n, uid,
        0, 0x0100, 2, 0x0030,
        0, 0x0110, 2, message_id,
        0, 0x0800, 2, _NONE,
    ):  # fmt: skip
        raise ValueError("not a C-ECHO-RQ of this layout")
    return {"AffectedSOPClassUID": _text(uid), "MessageID": message_id}


# -- N-ACTION-RQ (PS3.7 Table 10.3-7) with Action Information -------------------------------


def encode_n_action_rq(
    sop_class: str, sop_instance: str, message_id: int, action_type: int, information: bytes,
    context_id: int,
) -> list[bytes]:  # fmt: skip
    uid, instance = _ui(sop_class), _ui(sop_instance)
    n, m = len(uid), len(instance)
    command = _layout(_N_ACTION_RQ, n, m).pack(
        0, 0x0000, 4, 56 + n + m,
        0, 0x0003, n, uid,
        0, 0x0100, 2, 0x0130,
        0, 0x0110, 2, message_id,
        0, 0x0800, 2, 0x0001,
        0, 0x1001, m, instance,
        0, 0x1008, 2, action_type,
    )  # fmt: skip
    return [_pdu(command, context_id, 3), _pdu(information, context_id, 2)]


def decode_n_action_rq(pdus: list[bytes]) -> dict[str, object]:
    command, information = _two(pdus)
    n = _UL.unpack_from(command, 28)[0]
    m = _UL.unpack_from(command, 66 + n)[0]
    f = _layout(_N_ACTION_RQ, n, m).unpack_from(command, 12)
    uid, message_id, data_set_type, instance, action_type = f[7], f[15], f[19], f[23], f[27]
    if data_set_type == _NONE or len(command) != 80 + n + m or f != (
        0, 0x0000, 4, 56 + n + m,
        0, 0x0003, n, uid,
        0, 0x0100, 2, 0x0130,
        0, 0x0110, 2, message_id,
        0, 0x0800, 2, data_set_type,
        0, 0x1001, m, instance,
        0, 0x1008, 2, action_type,
    ):  # fmt: skip
        raise ValueError("not an N-ACTION-RQ with Action Information, of this layout")
    return {
        "RequestedSOPClassUID": _text(uid),
        "RequestedSOPInstanceUID": _text(instance),
        "MessageID": message_id,
        "ActionTypeID": action_type,
        "ActionInformation": information[12:],
    }


#: By message name. An encoder takes the values in the order a decoder returns them
#: (the data set last), then the context ID.
ENCODERS = {
    "C-FIND-RQ": encode_c_find_rq,
    "C-FIND-RSP": encode_c_find_rsp,
    "C-STORE-RQ": encode_c_store_rq,
    "C-ECHO-RQ": encode_c_echo_rq,
    "N-ACTION-RQ": encode_n_action_rq,
}
DECODERS = {
    "C-FIND-RQ": decode_c_find_rq,
    "C-FIND-RSP": decode_c_find_rsp,
    "C-STORE-RQ": decode_c_store_rq,
    "C-ECHO-RQ": decode_c_echo_rq,
    "N-ACTION-RQ": decode_n_action_rq,
}
