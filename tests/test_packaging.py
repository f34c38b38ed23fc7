"""`pip install .` must give a working stackdoctor with the built-in rules inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.test_rule_pack import BUILTIN


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("stackdoctor-*.whl")
    return built


def test_wheel_ships_rules_and_schemas(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {name.rsplit("/", 1)[-1] for name in names if name.startswith("doctor/rules/")}
    expected = {path.name for path in (REPO / "rules").glob("*.yaml")} | {"rules.json"}
    assert len(expected) > 1 and shipped == expected
    assert "doctor/facts/schema.json" in names
    assert "doctor/engine/rule_schema.json" in names
    assert any(name.endswith("entry_points.txt") for name in names)


def test_installed_wheel_runs_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    # The test environment's site-packages provide the dependencies; only the wheel is new.
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    python = env_dir / "bin" / "python"
    # --ignore-installed: a stackdoctor in the base site-packages must not stand in for the wheel
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps"]
    install += ["--ignore-installed", "-q"]
    subprocess.run([*install, str(wheel)], check=True, capture_output=True, timeout=300)
    stackdoctor = env_dir / "bin" / "stackdoctor"
    listing = subprocess.run(
        [str(stackdoctor), "rules", "list"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert listing.returncode == 0, listing.stderr
    assert "process.oom-killed" in listing.stdout
    origin = subprocess.run(
        [str(python), "-c", "import doctor, sys; print(doctor.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert str(env_dir) in origin.stdout, "the test must exercise the installed copy"
    # The installed copy loads its built-in rules from the pre-parsed pack, not the YAML.
    packed = subprocess.run(
        [
            str(python),
            "-c",
            "import doctor.engine.loader as loader\n"
            "def no_yaml(text): raise SystemExit('parsed YAML')\n"
            "loader.load_yaml = no_yaml\n"
            "print(len(loader.load_rules()))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert packed.returncode == 0 and packed.stdout.strip() == str(BUILTIN), packed.stderr

    fixture = REPO / "fixtures" / "scenarios" / "oom-kill.json"
    diagnosis = subprocess.run(
        [str(stackdoctor), "analyze", str(fixture), "-o", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert diagnosis.returncode == 1, diagnosis.stderr
    assert '"id": "process.oom-killed"' in diagnosis.stdout
