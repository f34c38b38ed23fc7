"""Which parts of doctor/ may import which, read statically from every module's source.

doctor/lab is the only code that changes a machine (it starts containerd, makes pods, mounts);
the diagnosis must never reach it. The engine is pure: facts in, findings out, so it reads
neither the live gatherers nor the command line. Imports inside functions count (the CLI and
the gatherers import lazily), and so does a module named in a string (`importlib.import_module`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

DOCTOR = REPO / "doctor"
# A string naming one of our modules, as importlib.import_module and lazy-command tables use.
MODULE_NAME = re.compile(r"doctor(\.\w+)+")


def imported(source: str, package: str) -> set[str]:
    """Every doctor module a module of `package` (dotted name) imports or names, at any depth."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: `from ..lab import x` in a module of doctor.cli
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names.add(base)
            # `from doctor import lab` imports the module doctor.lab
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and MODULE_NAME.fullmatch(node.value)
        ):
            names.add(node.value)
    return {name for name in names if name == "doctor" or name.startswith("doctor.")}


def _modules(under: Path) -> list[tuple[str, Path]]:
    found = []
    for path in sorted(under.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        found.append((".".join(parts[:-1] if parts[-1] == "__init__" else parts), path))
    return found


def _package(module: str, path: Path) -> str:
    """What a relative import in this module is relative to."""
    return module if path.name == "__init__.py" else module.rsplit(".", 1)[0]


def _violations(importers: list[tuple[str, Path]], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {name}"
        for module, path in importers
        for name in imported(path.read_text(), _package(module, path))
        if any(name == f or name.startswith(f"{f}.") for f in forbidden)
    )


def _all_but(*excluded: str) -> list[tuple[str, Path]]:
    return [
        (module, path)
        for module, path in _modules(DOCTOR)
        if not any(module == e or module.startswith(f"{e}.") for e in excluded)
    ]


@pytest.mark.parametrize(
    ("importers", "forbidden"),
    [
        # Only the `stackdoctor lab` command (in doctor/cli) may reach the lab.
        (_all_but("doctor.lab", "doctor.cli"), ("doctor.lab",)),
        (_modules(DOCTOR / "engine"), ("doctor.gather", "doctor.cli", "doctor.lab")),
        # The command line is the top: nothing below it imports it.
        (_all_but("doctor.cli", "doctor.__main__"), ("doctor.cli",)),
    ],
    ids=["only-cli-imports-lab", "engine-is-pure", "nothing-imports-cli"],
)
def test_boundary(importers: list[tuple[str, Path]], forbidden: tuple[str, ...]) -> None:
    assert importers, "no modules found: the paths in this test are wrong"
    violations = _violations(importers, forbidden)
    assert not violations, violations


@pytest.mark.parametrize(
    ("source", "package", "expected"),
    [
        ("import doctor.lab.runtime", "doctor", {"doctor.lab.runtime"}),
        ("from doctor import lab", "doctor", {"doctor", "doctor.lab"}),
        (
            "def f():\n    from doctor.lab.cri import C\n",
            "doctor",
            {"doctor.lab.cri", "doctor.lab.cri.C"},
        ),
        ("from ..lab import runtime", "doctor.cli", {"doctor.lab", "doctor.lab.runtime"}),
        ("from . import options", "doctor.cli", {"doctor.cli", "doctor.cli.options"}),
        ("importlib.import_module('doctor.lab.kube')", "doctor", {"doctor.lab.kube"}),
        ("import json\nx = 'doctor says hi'", "doctor", set()),
    ],
)
def test_imported_sees_every_form(source: str, package: str, expected: set[str]) -> None:
    assert imported(source, package) == expected
