"""The fuzz target: every public decoder on one input (no atheris needed).

Shared by tests/fuzz/fuzz_decoders.py (coverage-guided, atheris) and
tests/test_fuzz_regressions.py (every input that once crashed, replayed).
"""

from __future__ import annotations

import io

from dimsewire import DecodeError, Reassembler, decode_message
from dimsewire.capture import CaptureDecoder, CaptureError, read_segments
from dimsewire.capture.dicom_json import identifier_json
from dimsewire.codec.command_set import decode_command_set
from dimsewire.codec.identifier import decode_identifier
from dimsewire.pdus import decode_pdu

SYNTAXES = (
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.1.99",
)
MODES = 7


def check(data: bytes) -> None:
    """Decode `data` with the decoder its first byte selects.

    Raises
    ------
    Exception
        Anything but a DecodeError (or CaptureError, for capture files) is a finding.
    """
    if not data:
        return
    selector, body = data[0], data[1:]
    mode = selector % MODES
    try:
        if mode == 0:
            decode_pdu(body)
        elif mode == 1:
            reassembler = Reassembler(max_pdu_length=selector * 64, max_message_size=1 << 20)
            step = 1 + selector // MODES
            for i in range(0, len(body), step):
                reassembler.receive_data(body[i : i + step])
                for _ in reassembler.events():
                    pass
            reassembler.receive_eof()
            for _ in reassembler.events():
                pass
        elif mode == 2:
            decode_message([body], strict=bool(selector & 0x80))
        elif mode == 3:
            decode_command_set(body, strict=bool(selector & 0x80))
        elif mode == 4:
            syntax = SYNTAXES[selector // MODES % len(SYNTAXES)]
            decode_identifier(body, syntax)
            identifier_json(body, syntax)
        elif mode == 5:
            CaptureDecoder(pdus=True).raw(body)
        else:
            decoder = CaptureDecoder(pdus=True)
            _, segments = read_segments(io.BytesIO(body))
            for segment in segments:
                decoder.segment(segment)
            decoder.finish()
    except (DecodeError, CaptureError) as err:
        if not err.reason:
            raise AssertionError("an error without a reason") from err
