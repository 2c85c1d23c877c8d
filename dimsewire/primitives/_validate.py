"""Checks for primitive parameters: one function per kind of value.

Each checker returns the normalised value or raises ``TypeError``/``ValueError`` naming
the parameter and what is allowed. The rules come from PS3.5 (value representations,
UID syntax) and PS3.7 (the parameters of the DIMSE services).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

from pydicom import config
from pydicom.tag import BaseTag
from pydicom.uid import UID

__all__ = [
    "VALID_UIDS",
    "check_ae_title",
    "check_data_set",
    "check_lo_text",
    "check_message_id",
    "check_priority",
    "check_status",
    "check_tag_list",
    "check_tags",
    "check_uid",
    "check_us",
    "uid_problem",
    "valid_uid",
]

PRIORITY_NAMES = {0: "medium", 1: "high", 2: "low"}  # PS3.7 9.1.1.1.6 / Annex E

_UID_CHARS = re.compile(r"[0-9.]+\Z")
_LO_BAD = re.compile(r"[^\x20-\x5b\x5d-\x7e]")  # default repertoire, no backslash (PS3.5 6.2)
_AE_MAX = 16  # PS3.5 6.2, VR AE


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_us(value: object, name: str) -> int | None:
    """An unsigned short: an int 0..65535 (VR US, PS3.5 6.2), or None.

    Used for the sub-operation counts (PS3.7 9.1.3.1.5-8), Event Type ID, Action Type ID
    and Error ID (PS3.7 10.1.1.1.4, 10.1.4.1.4, Annex C), and the Message IDs.
    """
    if value is None:
        return None
    if not _is_int(value):
        raise TypeError(f"{name} must be an int from 0 to 65535, not {type(value).__name__}")
    assert isinstance(value, int)
    if not 0 <= value <= 0xFFFF:
        raise ValueError(f"{name} must be an int from 0 to 65535, not {value}")
    return value


check_message_id = check_us  # a Message ID is a US (PS3.7 9.1.1.1.1)


def check_status(value: object, name: str = "Status") -> int | None:
    """A status: an int 0..0xFFFF (US, PS3.7 Annex C), or None."""
    if value is None:
        return None
    if not _is_int(value):
        raise TypeError(
            f"{name} must be an int from 0 to 65535 (0xFFFF), not {type(value).__name__}"
        )
    assert isinstance(value, int)
    if not 0 <= value <= 0xFFFF:
        raise ValueError(f"{name} must be an int from 0 to 65535 (0xFFFF), not {value}")
    return value


def check_priority(value: object) -> int:
    """Priority: 0 (medium), 1 (high) or 2 (low) (PS3.7 9.1.1.1.6, Table E.1-1)."""
    if not _is_int(value) or value not in PRIORITY_NAMES:
        shown = repr(value) if not _is_int(value) else str(value)
        raise (ValueError if _is_int(value) else TypeError)(
            f"Priority must be 0 (medium), 1 (high) or 2 (low), not {shown}"
        )
    assert isinstance(value, int)
    return value


@functools.lru_cache(maxsize=1024)
def uid_problem(uid: str) -> str | None:
    """Return why `uid` breaks the UID syntax of PS3.5 9.1, or None if it is valid."""
    if not uid:
        return "it is empty"
    if len(uid) > 64:
        return f"it is {len(uid)} characters long, more than the 64 allowed"
    if not _UID_CHARS.match(uid):
        return "only digits and dots are allowed"
    for component in uid.split("."):
        if not component:
            return "it has an empty component"
        if len(component) > 1 and component[0] == "0":
            return f"component {component!r} has a leading zero"
    return None


def _ascii(value: object, name: str, what: str, kind: str) -> str:
    """`value` as text: a str, or bytes decoded as ASCII; else TypeError/ValueError."""
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("ascii")
        except UnicodeDecodeError:
            raise ValueError(f"{name} must be {what}, not {value!r}") from None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str{kind}, not {type(value).__name__}")
    return value


def check_uid(value: object, name: str) -> UID | None:
    """A UID (PS3.5 9.1) given as str, bytes or pydicom UID, or None."""
    if value is None:
        return None
    value = _ascii(value, name, "a UID of digits and dots", ", bytes or pydicom UID")
    uid = valid_uid(value)
    if uid is None:
        raise ValueError(f"{name} {value!r} is not a valid UID (PS3.5 9.1): {uid_problem(value)}")
    return uid


#: UIDs found valid so far, each with its pydicom UID (bounded: a membership test or a
#: lookup is the cheapest check).
VALID_UIDS: dict[str, UID] = {}
_VALID_UIDS_LIMIT = 65536


@functools.lru_cache(maxsize=4096)
def valid_uid(text: str) -> UID | None:
    """`text` as a pydicom UID if it is a valid UID (PS3.5 9.1), else None.

    UIDs are immutable and few distinct ones recur (SOP Classes, transfer syntaxes), so
    each is checked and built once.
    """
    if uid_problem(text) is not None:
        return None
    uid = UID(str(text), validation_mode=config.IGNORE)  # checked above, more strictly
    if len(VALID_UIDS) < _VALID_UIDS_LIMIT:
        VALID_UIDS[str(text)] = uid
    return uid


def check_lo_text(value: object, name: str, max_chars: int = 64) -> str | None:
    """Text for an LO element of the command set (PS3.5 6.2), or None.

    At most `max_chars` characters from the default repertoire (the command set has no
    Specific Character Set), no backslash (LO is single-valued), no control characters.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if len(value) > max_chars:
        raise ValueError(
            f"{name} is {len(value)} characters long, more than the {max_chars} allowed for VR LO"
        )
    bad = _LO_BAD.search(value)
    if bad is not None:
        raise ValueError(
            f"{name} has {bad.group()!r} at position {bad.start()}: VR LO allows printable "
            "ASCII without backslash"
        )
    return value


def _one_tag(item: object, name: str, index: int) -> BaseTag:
    if isinstance(item, BaseTag):
        return item
    if _is_int(item):
        assert isinstance(item, int)
        if 0 <= item <= 0xFFFFFFFF:
            return BaseTag(item)
    elif (
        isinstance(item, tuple)
        and len(item) == 2
        and all(_is_int(part) and 0 <= part <= 0xFFFF for part in item)
    ):
        return BaseTag((item[0] << 16) | item[1])
    raise ValueError(
        f"{name}[{index}] must be a tag: an int 0..0xFFFFFFFF, a pydicom Tag or a "
        f"(group, element) pair, not {item!r}"
    )


def check_tags(value: object, name: str) -> tuple[BaseTag, ...] | None:
    """A non-empty list of tags (VR AT, PS3.5 6.2), or None: OffendingElement."""
    tags = check_tag_list(value, name)
    if tags == ():
        raise ValueError(f"{name} must hold at least one tag; use None for no value")
    return tags


def check_tag_list(value: object, name: str) -> tuple[BaseTag, ...] | None:
    """A list of tags that may be empty, or None: AttributeIdentifierList.

    An empty Attribute Identifier List is sent as a zero-length element and means all
    attributes (PS3.7 10.1.2.1.3).
    """
    if value is None:
        return None
    if isinstance(value, (str, bytes, tuple, BaseTag, int)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a list of tags, not {type(value).__name__}")
    return tuple(_one_tag(item, name, i) for i, item in enumerate(value))


def check_ae_title(value: object, name: str) -> str | None:
    """An AE title (VR AE, PS3.5 6.2), or None; returned without its spaces.

    Leading and trailing spaces are not significant (PS3.5 6.2, PS3.8 Table 9-11), so
    they are dropped; what remains is 1 to 16 characters of the default repertoire
    without backslash or control characters. bytes are decoded as ASCII.
    """
    if value is None:
        return None
    title = _ascii(value, name, "ASCII text", " or bytes AE title").strip(" ")
    if not title:
        raise ValueError(f"{name} is empty or all spaces: an AE title needs 1 to 16 characters")
    if len(title) > _AE_MAX:
        raise ValueError(
            f"{name} is {len(title)} characters long, more than the 16 allowed for VR AE"
        )
    bad = _LO_BAD.search(title)
    if bad is not None:
        raise ValueError(
            f"{name} has {bad.group()!r} at position {bad.start()}: VR AE allows printable "
            "ASCII without backslash"
        )
    return title


def check_data_set(value: object, name: str) -> Any:
    """An encoded data set, or None.

    ``io.BytesIO`` is kept; bytes-like values are wrapped in one. A binary file object
    (anything with ``readinto``) is kept as it is, to be streamed from its current
    position when sent; an ``os.PathLike`` (not a str, which is too easily text) is kept
    as a ``pathlib.Path`` to a Part 10 file, opened only when sent through an
    association endpoint.
    """
    if value is None or isinstance(value, BytesIO):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return BytesIO(bytes(value))
    if isinstance(value, os.PathLike):
        return Path(value)
    if callable(getattr(value, "readinto", None)):
        return value
    raise TypeError(
        f"{name} must be an io.BytesIO or bytes-like encoded data set, a binary file "
        f"object or an os.PathLike path, not {type(value).__name__}"
    )
