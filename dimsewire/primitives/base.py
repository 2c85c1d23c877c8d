"""What every DIMSE primitive shares: the presentation context, decode reports, equality."""

from __future__ import annotations

from io import BytesIO
from typing import Any, ClassVar

from pydicom.tag import BaseTag

from ..errors import Deviation
from ._validate import check_message_id

__all__ = ["DimsePrimitive"]


class DimsePrimitive:
    """Base of the DIMSE service primitives (PS3.7 7.5, 9.1, 9.3).

    Attributes
    ----------
    context_id : int or None
        The presentation context the message travelled on; set when decoded.
    deviations : tuple of Deviation
        The departures from the standard that decoding tolerated (empty for a
        primitive built locally). See :mod:`dimsewire.errors`.
    extra_elements : dict of BaseTag to bytes
        Command elements decoded that have no parameter in this primitive (unknown,
        retired, or belonging to another message), kept with their raw value bytes.
    command_elements : dict of int to object, or None
        Every command dictionary element of the command set as decoded, by tag (for
        example (0000,0800) CommandDataSetType as sent); None when built locally.
    """

    __slots__ = ("command_elements", "context_id", "deviations", "extra_elements")

    #: Parameter names compared by ``==`` and shown by ``repr``, in table order.
    _PARAMETERS: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.context_id: int | None = None
        self.deviations: tuple[Deviation, ...] = ()
        self.extra_elements: dict[BaseTag, bytes] = {}
        self.command_elements: dict[int, object] | None = None

    @property
    def msg_type(self) -> str:
        """The DIMSE service name, as pynetdicom gives it: ``"C-FIND"``, ``"C-CANCEL"``."""
        return type(self).__name__.replace("_", "-")

    def _values(self) -> tuple[Any, ...]:
        values = [getattr(self, name) for name in self._PARAMETERS]
        return tuple(v.getvalue() if isinstance(v, BytesIO) else v for v in values)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, DimsePrimitive)
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def _not_shown(self) -> tuple[str, ...]:
        """Parameters that ``repr`` leaves out because they do not apply."""
        return ()

    def __repr__(self) -> str:
        shown = []
        for name, value in zip(self._PARAMETERS, self._values(), strict=True):
            if value is None or name in self._not_shown():
                continue
            if name == "Identifier":
                shown.append(f"Identifier=<{len(value)} bytes>")
            elif name == "Status":
                shown.append(f"Status=0x{value:04X}")
            else:
                shown.append(f"{name}={value!r}")
        if self.context_id is not None:
            shown.append(f"context_id={self.context_id}")
        return f"{type(self).__name__}({', '.join(shown)})"


class _RespondsTo(DimsePrimitive):
    """A primitive with the MessageIDBeingRespondedTo parameter (PS3.7 9.1.1.1.2)."""

    __slots__ = ("_message_id_being_responded_to",)

    def __init__(self) -> None:
        super().__init__()
        self._message_id_being_responded_to: int | None = None

    @property
    def MessageIDBeingRespondedTo(self) -> int | None:
        """The Message ID of the request this message answers or cancels (US, 0..65535)."""
        return self._message_id_being_responded_to

    @MessageIDBeingRespondedTo.setter
    def MessageIDBeingRespondedTo(self, value: int | None) -> None:
        self._message_id_being_responded_to = check_message_id(value, "MessageIDBeingRespondedTo")
