"""Coverage-guided fuzzing of every public decoder with atheris (libFuzzer).

Run for an hour (from the repository root, with the test extra and atheris installed)::

    python tests/fuzz/fuzz_decoders.py -max_total_time=3600 tests/fuzz/corpus

The corpus directory is seeded from fixtures/ on first run (``--seed`` does only that).
The only exceptions allowed out of a decoder are DecodeError subclasses (and
CaptureError for capture files); anything else is a crash, written by libFuzzer as
``crash-*`` in the working directory. Each finding goes into tests/fuzz/regressions/,
which tests/test_fuzz_regressions.py replays. The target itself is tests/fuzz/targets.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from targets import MODES, check

ROOT = Path(__file__).resolve().parents[2]


def seed(corpus: Path) -> None:
    """Write the fixtures into `corpus`, each under every decoder's selector."""
    from hexvectors import parse_hex  # noqa: PLC0415

    corpus.mkdir(parents=True, exist_ok=True)
    seeds = [
        parse_hex(p.read_text(), p.name) for p in (ROOT / "fixtures" / "vectors").glob("*.hex")
    ]
    seeds += [p.read_bytes() for p in (ROOT / "fixtures" / "captures").glob("*.pcap*")]
    for i, data in enumerate(seeds):
        for mode in range(MODES):
            (corpus / f"seed-{i:03d}-{mode}").write_bytes(bytes([mode]) + data)


def main() -> None:
    corpus = next((Path(a) for a in sys.argv[1:] if not a.startswith("-")), None)
    if (corpus is not None and not any(corpus.glob("*"))) or "--seed" in sys.argv:
        seed(corpus or ROOT / "tests" / "fuzz" / "corpus")
        if "--seed" in sys.argv:
            return
    atheris.Setup([a for a in sys.argv if a != "--seed"], check)
    atheris.Fuzz()


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "fuzz")]
    main()
