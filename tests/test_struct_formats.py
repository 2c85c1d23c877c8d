"""dimsewire never hands struct's module-level functions a str format.

Those functions cache formats by value; pydicom uses bytes formats, and a str format
equal to one of them is then compared with it, a BytesWarning that ``python -bb`` (how
the tests run) turns into an error. Found when a test reading encapsulated pixel data
ran after the codec had decoded an AT value. Compiled ``struct.Struct`` objects avoid it.
"""

from __future__ import annotations

import struct
import warnings

from dimsewire import C_FIND, decode_message, encode_message


def test_decoding_after_bytes_formats_raises_no_bytes_warning() -> None:
    prim = C_FIND()
    prim.MessageIDBeingRespondedTo, prim.Status = 1, 0xC000
    prim.OffendingElement = [0x00100010, 0x00100020]  # an AT value: 2 tags
    pdus = list(encode_message(prim, 1, 16382))
    struct._clearcache()  # type: ignore[attr-defined]  # then only bytes formats in it
    try:
        for fmt in (b"<H", b"<HH", b">HHII", b"<I"):
            struct.calcsize(fmt)  # what pydicom leaves in the cache
        with warnings.catch_warnings():
            warnings.simplefilter("error", BytesWarning)
            back = decode_message(iter(pdus))  # the general path decodes the AT value
    finally:
        struct._clearcache()  # type: ignore[attr-defined]  # leave no bytes formats behind
    assert back == prim
