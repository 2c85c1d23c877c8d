"""The package's dependency arrows: cli -> capture -> association -> part10 -> codec ->
primitives, and no pynetdicom at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dimsewire"
# What each layer may import from inside dimsewire (errors is shared by all).
ALLOWED = {
    "primitives": {"primitives", "errors"},
    "codec": {"codec", "primitives", "errors"},
    "pdus": {"codec"},  # the public face of the codec's Upper Layer PDUs and items
    "part10": {"codec", "primitives", "errors"},  # opens Part 10 files (the codec opens none)
    "association": {"part10", "codec", "primitives", "errors"},
    "capture": {"capture", "association", "part10", "codec", "primitives", "errors"},
    "cli": {"capture", "association", "part10", "codec", "primitives", "errors"},
}


def _internal_imports(path: Path) -> set[str]:
    """Top-level dimsewire subpackages a module imports."""
    layer_depth = len(path.relative_to(PACKAGE).parts) - 1
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                parts = list(path.relative_to(PACKAGE).parts[:-1])
                up = node.level - 1
                base = parts[: len(parts) - up] if up <= layer_depth else []
                target = [*base, *(node.module.split(".") if node.module else [])]
                if target:
                    found.add(target[0])
                else:  # "from .. import x": names are subpackages
                    found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("dimsewire."):
                found.add(node.module.split(".")[1])
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_point_one_way(layer: str) -> None:
    module = PACKAGE / f"{layer}.py"
    paths = [module] if module.exists() else sorted((PACKAGE / layer).rglob("*.py"))
    assert paths
    for path in paths:
        wrong = _internal_imports(path) - ALLOWED[layer]
        assert not wrong, f"{path.relative_to(PACKAGE)} imports {sorted(wrong)}"


def test_no_pynetdicom_at_run_time() -> None:
    code = (
        "import sys, dimsewire, dimsewire.codec.identifier, dimsewire.cli\n"
        "test_only = ('pynetdicom', 'hypothesis', 'pytest')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in test_only)\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
