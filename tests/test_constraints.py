"""constraints.txt pins every dependency exactly, inside the ranges pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO


def pins() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.\-+]+)", line)
        assert match, f"constraints.txt: {line!r} is not an exact NAME==VERSION pin"
        found[canonicalize_name(match[1])] = match[2]
    return found


def declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        names.extend(extra)
    return [Requirement(name) for name in names]


def test_every_dependency_and_test_tool_is_pinned_exactly() -> None:
    pinned = pins()
    missing = [str(r) for r in declared() if canonicalize_name(r.name) not in pinned]
    assert not missing, f"not pinned in constraints.txt: {missing}"


def test_pins_fall_inside_the_declared_ranges() -> None:
    pinned = pins()
    outside = [
        f"{r} (pinned {pinned[canonicalize_name(r.name)]})"
        for r in declared()
        if not r.specifier.contains(pinned[canonicalize_name(r.name)], prereleases=True)
    ]
    assert not outside, f"constraints.txt pins outside pyproject.toml's ranges: {outside}"


def test_grpcio_tools_pin_is_the_version_the_stubs_were_generated_with() -> None:
    stub = REPO / "doctor" / "gather" / "cri" / "generated"
    recorded = set()
    for path in stub.rglob("*_grpc.py"):
        match = re.search(r"GRPC_GENERATED_VERSION = '([^']+)'", path.read_text())
        if match:
            recorded.add(match[1])
    assert recorded == {pins()["grpcio-tools"]}
