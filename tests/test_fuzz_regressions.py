"""Every input the coverage-guided fuzzer (tests/fuzz) once crashed on, replayed.

Each file's name says what broke: ``capture-data-after-rst`` (data in a segment after the
connection's RST made the capture decoder feed a finished reassembler).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fuzz"))
from targets import check

REGRESSIONS = sorted((Path(__file__).parent / "fuzz" / "regressions").iterdir())


@pytest.mark.parametrize("path", REGRESSIONS, ids=lambda p: p.name)
def test_fuzz_finding_stays_fixed(path: Path) -> None:
    check(path.read_bytes())  # raises anything but DecodeError/CaptureError on a relapse
