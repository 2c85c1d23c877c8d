"""Shared test set-up."""

from __future__ import annotations

import struct

import pytest

from dimsewire.capture import sharded


@pytest.fixture(autouse=True)
def _fresh_struct_cache() -> None:
    """Each test starts with struct's format cache empty.

    struct's module-level functions cache formats by value; dpkt (which the tests use to
    build and read packets) passes str formats, pydicom and pynetdicom equal bytes ones,
    and under ``python -bb`` the comparison of the two is a BytesWarning raised as an
    error. dimsewire never leaves a format there (tests/test_struct_formats.py); without
    this, whether a test fails would depend on which tests ran before it.
    """
    struct._clearcache()  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _workers_share_from_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--jobs N`` on named files: the workers take their share from the first
    association. By default the parent decodes until they are ready, which on the tests'
    small captures is to the end: no test would reach them (tests/test_capture_jobs.py
    checks the default apart)."""
    monkeypatch.setattr(sharded, "LEAD", False)
