"""A decoded message whose command has no primitive class of its own yet."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from pydicom.tag import BaseTag

from .base import DimsePrimitive

__all__ = ["OtherCommand"]


class OtherCommand(DimsePrimitive):
    """A DIMSE message whose command field the standard does not define, as decoded.

    It is only produced by decoding; encoding it is not supported.

    Attributes
    ----------
    CommandField : int
        The command field (0000,0100), e.g. 0x0030 for C-ECHO-RQ.
    command_name : str
        The standard's name of the command field, e.g. ``"C-ECHO-RQ"``, or
        ``"unknown command 0x1234"``.
    elements : dict of BaseTag to object
        Every command element by tag: ints for US/UL, str for text and UI, a list of
        BaseTag for AT, raw bytes for elements not in the command dictionary.
    DataSet : io.BytesIO or None
        The data set that followed the command set, if any.
    """

    __slots__ = ("CommandField", "DataSet", "command_name", "elements")

    def __init__(
        self,
        CommandField: int,
        command_name: str,
        elements: dict[BaseTag, object],
        DataSet: BytesIO | None = None,
    ) -> None:
        super().__init__()
        self.CommandField = CommandField
        self.command_name = command_name
        self.elements = elements
        self.DataSet = DataSet

    def _values(self) -> tuple[Any, ...]:
        data = None if self.DataSet is None else self.DataSet.getvalue()
        return (self.CommandField, self.elements, data)

    def __repr__(self) -> str:
        size = "" if self.DataSet is None else f", DataSet=<{len(self.DataSet.getvalue())} bytes>"
        return f"OtherCommand({self.command_name}, {len(self.elements)} elements{size})"

    @property
    def is_response(self) -> bool:
        """True for a response command field (bit 15 set, PS3.7 Annex E)."""
        return bool(self.CommandField & 0x8000)

    @property
    def msg_type(self) -> str:
        """The command name without its -RQ/-RSP suffix, e.g. ``"C-ECHO"``."""
        for suffix in ("-RQ", "-RSP"):
            if self.command_name.endswith(suffix):
                return self.command_name[: -len(suffix)]
        return self.command_name
