"""`pip install .` must give a working stackdoctor with the built-in rules inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO


def test_wheel_ships_rules_and_schemas(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("stackdoctor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {name.rsplit("/", 1)[-1] for name in names if name.startswith("doctor/rules/")}
    expected = {path.name for path in (REPO / "rules").glob("*.yaml")}
    assert expected and shipped == expected
    assert "doctor/facts/schema.json" in names
    assert "doctor/engine/rule_schema.json" in names
    assert any(name.endswith("entry_points.txt") for name in names)
