"""DIMSE service primitives: parameters and their validation (PS3.7 9.1, 9.3).

This package knows nothing of bytes; :mod:`dimsewire.codec` puts primitives on the wire.
"""

from .base import DimsePrimitive
from .c_cancel import C_CANCEL
from .c_find import C_FIND
from .other import OtherCommand
from .status import StatusCategory, StatusInfo, c_find_status, general_status

__all__ = [
    "C_CANCEL",
    "C_FIND",
    "DimsePrimitive",
    "OtherCommand",
    "StatusCategory",
    "StatusInfo",
    "c_find_status",
    "general_status",
]
