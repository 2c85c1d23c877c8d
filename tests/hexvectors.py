"""Read the hand-worked, commented hex test vectors in ``fixtures/vectors``.

A vector file holds whitespace-separated hex digits; everything from ``#`` to the end of
a line is a comment. Blank and comment-only lines are allowed. The bytes are the whole
P-DATA-TF PDUs of a message, concatenated as sent on the wire.
"""

from __future__ import annotations

import pathlib
import string

__all__ = ["VECTORS", "load_hex", "parse_hex", "split_pdus"]

VECTORS = pathlib.Path(__file__).parent.parent / "fixtures" / "vectors"

_HEX_DIGITS = frozenset(string.hexdigits)


def parse_hex(text: str, name: str = "<string>") -> bytes:
    """Return the bytes spelled by ``text``, ignoring ``#`` comments and whitespace.

    Raises ValueError naming ``name`` and the 1-based line number on a character that
    is not a hex digit, or when a line holds an odd number of hex digits (a byte split
    across lines is not allowed).
    """
    out = bytearray()
    for lineno, line in enumerate(text.splitlines(), start=1):
        digits = "".join(line.split("#", 1)[0].split())
        if not digits:
            continue
        bad = next((c for c in digits if c not in _HEX_DIGITS), None)
        if bad is not None:
            raise ValueError(f"{name}:{lineno}: not a hex digit: {bad!r}")
        if len(digits) % 2:
            raise ValueError(f"{name}:{lineno}: odd number of hex digits ({len(digits)})")
        out += bytes.fromhex(digits)
    return bytes(out)


def load_hex(path: str | pathlib.Path) -> bytes:
    """Return the bytes of the commented hex file at ``path`` (see :func:`parse_hex`)."""
    path = pathlib.Path(path)
    return parse_hex(path.read_text(encoding="utf-8"), str(path))


def split_pdus(data: bytes) -> list[bytes]:
    """Split concatenated PDUs by their 6-byte headers (type, reserved, 4-byte BE length)."""
    pdus = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < 6:
            raise ValueError(f"truncated PDU header at offset {offset}")
        end = offset + 6 + int.from_bytes(data[offset + 2 : offset + 6], "big")
        if end > len(data):
            raise ValueError(f"PDU at offset {offset} runs past the end ({end} > {len(data)})")
        pdus.append(data[offset:end])
        offset = end
    return pdus
