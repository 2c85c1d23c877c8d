"""Captured DICOM traffic: pcap/pcapng -> TCP streams -> PDUs -> messages -> records.

The only part of dimsewire that reads files (with :mod:`dimsewire.cli`).
"""

from .conversation import DEFAULT_PORTS, CaptureDecoder, Counts, Record, iter_records
from .packets import CaptureError, Segment, read_segments

__all__ = [
    "DEFAULT_PORTS",
    "CaptureDecoder",
    "CaptureError",
    "Counts",
    "Record",
    "Segment",
    "iter_records",
    "read_segments",
]
