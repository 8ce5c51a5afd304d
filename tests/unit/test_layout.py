"""The layout holds: imports point down the floors of the README's Architecture section, no
package imports one that imports it back (import-linter's contracts in pyproject.toml), the
kernel imports no feature, and no module reaches into another's private (underscore) names."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ["procurement", "suppliers", "catalogue", "demand", "tenders", "opendata", "reports", "dashboards"]
FEATURES = ("procurement.parties", "suppliers", "catalogue", "demand", "tenders", "opendata", "reports", "dashboards")


def test_imports_point_down_and_no_package_cycles():
    run = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                          "sys.exit(lint_imports(no_cache=True, no_logo=True))"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 kept, 0 broken" in run.stdout


def test_the_kernel_imports_no_feature():
    kernel = sorted(f"procurement.core.{p.stem}" for p in (REPO / "procurement" / "core").glob("*.py")
                    if p.stem != "__init__")
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", "; ".join(f"import {m}" for m in kernel)],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert "procurement.core.db" in imported
    assert sorted(m for m in imported if m.startswith(FEATURES) or m in ("procurement.factory", "procurement.cli")) == []


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (REPO / package).rglob("*.py"))


def test_no_module_imports_another_modules_private_names():
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text(), str(path))
        modules = set()  # names bound to the project's own modules or packages
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in PACKAGES:
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.relative_to(REPO)}:{node.lineno} imports {node.module}.{alias.name}")
                    modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                modules.update((alias.asname or alias.name).split(".")[0] for alias in node.names
                               if alias.name.split(".")[0] in PACKAGES)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                found.append(f"{path.relative_to(REPO)}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert found == []
