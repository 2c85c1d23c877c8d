"""The C-CANCEL service primitive (PS3.7 9.3.2.3, Table 9.3-5)."""

from __future__ import annotations

from typing import ClassVar

from .base import _RespondsTo

__all__ = ["C_CANCEL"]


class C_CANCEL(_RespondsTo):
    r"""A C-CANCEL request: stop the C-FIND, C-GET or C-MOVE with the given Message ID.

    ============================= =======
    Parameter                     Req/ind
    ============================= =======
    Message ID Being Responded To M
    ============================= =======

    The C-CANCEL-RQ has no Affected SOP Class UID, no Message ID, no Priority and never
    a data set (CommandDataSetType 0x0101, PS3.7 Table 9.3-5).
    """

    __slots__ = ()

    REQUEST_KEYWORDS: ClassVar[tuple[str, ...]] = ("MessageIDBeingRespondedTo",)
    _PARAMETERS = ("MessageIDBeingRespondedTo",)

    def __init__(self) -> None:
        super().__init__()

    def request_problems(self) -> list[str]:
        """Why this is not a valid C-CANCEL request (empty when it is)."""
        if self._message_id_being_responded_to is None:
            return ["MessageIDBeingRespondedTo is missing"]
        return []

    @property
    def is_valid_request(self) -> bool:
        """True if MessageIDBeingRespondedTo is set."""
        return not self.request_problems()
