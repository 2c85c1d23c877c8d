"""Fast forms derived from the construct declarations, never written beside them.

construct is the single source of every wire layout in dimsewire. Parsing and building
through construct costs microseconds per field, so the hot paths use a ``struct``
format obtained by walking a declaration here; ``tests/test_derive.py`` proves that
both produce the same bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

import construct as c

__all__ = ["derive_struct", "struct_format"]


def _size(value: object, context: Mapping[str, int]) -> int:
    size = value(context) if callable(value) else value
    if not isinstance(size, int) or size < 0:
        raise TypeError(f"a size of {size!r} cannot go into a struct format")
    return size


def _walk(con: c.Construct[Any, Any], context: Mapping[str, int], orders: set[str]) -> str:
    if isinstance(con, (c.Renamed, c.Const)):
        return _walk(con.subcon, context, orders)
    if isinstance(con, c.Struct):
        return "".join(_walk(sub, context, orders) for sub in con.subcons)
    if isinstance(con, c.FormatField):
        order, code = con.fmtstr[0], con.fmtstr[1:]
        if code not in ("B", "b"):  # single bytes have no byte order
            orders.add(order)
        return code
    if isinstance(con, c.Bytes):
        return f"{_size(con.length, context)}s"
    if isinstance(con, c.Array):
        return _walk(con.subcon, context, orders) * _size(con.count, context)
    if isinstance(con, c.Padded) and isinstance(con.subcon, type(c.Pass)):
        return f"{_size(con.length, context)}x"
    raise TypeError(f"no struct format for {type(con).__name__}")


def struct_format(con: c.Construct[Any, Any], context: Mapping[str, int] | None = None) -> str:
    """The ``struct`` format equivalent to a construct declaration.

    Parameters
    ----------
    con : construct.Construct
        A declaration built from Struct, FormatField, Const, Bytes, Array and Padding.
    context : mapping, optional
        Values for ``this.<name>`` expressions in sizes (for example ``{"length": 26}``).

    Returns
    -------
    str
        A format with its byte-order prefix, e.g. ``"<HHI"``; fields given as a ``Const``
        still appear and must be passed their constant value when packing.
    """
    orders: set[str] = set()
    body = _walk(con, context or {}, orders)
    if len(orders) > 1:
        raise TypeError("a declaration mixing byte orders has no single struct format")
    return (orders.pop() if orders else "<") + body


def derive_struct(
    con: c.Construct[Any, Any], context: Mapping[str, int] | None = None
) -> struct.Struct:
    """A compiled ``struct.Struct`` for `con` (see :func:`struct_format`)."""
    return struct.Struct(struct_format(con, context))
