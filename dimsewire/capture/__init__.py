"""Captured DICOM traffic: pcap/pcapng -> TCP streams -> PDUs -> messages -> records.

The only part of dimsewire that reads files (with :mod:`dimsewire.cli`). Parquet output
(:mod:`.parquet`) and Dask (:mod:`.cluster`) need ``pip install 'dimsewire[archive]'``;
they are imported only when used.
"""

from .cluster import ClusterDecoder, client_for, close_client, decode_to_parquet, read_dataframe
from .conversation import DEFAULT_PORTS, CaptureDecoder, Counts, Record, iter_records
from .packets import CaptureError, Segment, read_frames, read_segments
from .parquet import ParquetWriter, read_records, schema, write_parquet
from .series import Series, SeriesProblem

__all__ = [
    "DEFAULT_PORTS",
    "CaptureDecoder",
    "CaptureError",
    "ClusterDecoder",
    "Counts",
    "ParquetWriter",
    "Record",
    "Segment",
    "Series",
    "SeriesProblem",
    "client_for",
    "close_client",
    "decode_to_parquet",
    "iter_records",
    "read_dataframe",
    "read_frames",
    "read_records",
    "read_segments",
    "schema",
    "write_parquet",
]
