"""How a data element tag is written in messages and output (PS3.5 7.1.1).

The one place that formats a tag: ``(GGGG,EEEE)`` as the standard writes it, with the
keyword from pydicom's data dictionary (which holds the group-0000 command elements of
PS3.7 Annex E too), and ``GGGGEEEE`` as the DICOM JSON model writes an AT value
(PS3.18 F.2.3).
"""

from __future__ import annotations

import functools

from pydicom.datadict import keyword_for_tag

__all__ = ["tag_json", "tag_pair", "tag_text"]


def tag_pair(tag: int) -> str:
    """``(GGGG,EEEE)``: a tag as the standard writes it."""
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


@functools.lru_cache(maxsize=4096)
def tag_text(tag: int) -> str:
    """``(0000,0110) MessageID``: a tag with its keyword, when the dictionary has one."""
    keyword = keyword_for_tag(tag)
    return f"{tag_pair(tag)} {keyword}" if keyword else tag_pair(tag)


def tag_json(tag: int) -> str:
    """``"00100010"``: an AT value as the DICOM JSON model writes it (PS3.18 F.2.3)."""
    return f"{int(tag):08X}"
