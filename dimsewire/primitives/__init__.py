"""DIMSE service primitives: parameters and their validation (PS3.7 9.1, 10.1), statuses.

This package knows nothing of bytes; :mod:`dimsewire.codec` puts primitives on the wire.
"""

from .base import DimsePrimitive
from .dimse_c import C_CANCEL, C_ECHO, C_FIND, C_GET, C_MOVE, C_STORE
from .dimse_n import N_ACTION, N_CREATE, N_DELETE, N_EVENT_REPORT, N_GET, N_SET
from .other import OtherCommand
from .status import StatusCategory, StatusInfo, c_find_status, general_status, status_info

__all__ = [
    "C_CANCEL",
    "C_ECHO",
    "C_FIND",
    "C_GET",
    "C_MOVE",
    "C_STORE",
    "N_ACTION",
    "N_CREATE",
    "N_DELETE",
    "N_EVENT_REPORT",
    "N_GET",
    "N_SET",
    "DimsePrimitive",
    "OtherCommand",
    "StatusCategory",
    "StatusInfo",
    "c_find_status",
    "general_status",
    "status_info",
]
