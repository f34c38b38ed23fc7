"""Many bundles: a fleet summary across them, analyzed in parallel; the worst exit code wins."""

from __future__ import annotations

import json
from pathlib import Path

from doctor.bundle.fleet import analyze_all, expand
from doctor.bundle.writer import write_bundle
from doctor.engine.examples import base_document
from doctor.engine.select import RuleChoice
from tests.bundle.helpers import build_tar, facts_document, member, run


def fleet(tmp_path: Path) -> Path:
    directory = tmp_path / "fleet"
    directory.mkdir()
    for name in ("a", "b"):
        write_bundle(facts_document(), {}, directory / f"{name}.tar.gz")
    healthy = base_document()
    write_bundle(healthy, {}, directory / "c.tar.gz")
    return directory


def test_directory_of_bundles_gives_a_summary(tmp_path: Path) -> None:
    result = run("analyze", str(fleet(tmp_path)), "-o", "json")
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["counts"] == {"bundles": 3, "with_root_cause": 2, "unreadable": 0}
    cause = summary["root_causes"]["process.oom-killed"]
    assert cause["layer"] == "process" and [Path(b).name for b in cause["bundles"]] == [
        "a.tar.gz",
        "b.tar.gz",
    ]
    assert summary["findings_per_rule"]["process.oom-killed"] == 2
    assert summary["findings_per_layer"]["process"] >= 2


def test_text_summary_and_fail_on_never(tmp_path: Path) -> None:
    result = run("analyze", str(fleet(tmp_path)), "--fail-on", "never")
    assert result.returncode == 0
    assert "Fleet: 3 bundles, 2 with a root cause, 0 unreadable" in result.stdout
    assert "process.oom-killed (process)" in result.stdout


def test_an_unreadable_bundle_is_listed_and_exits_2(tmp_path: Path) -> None:
    directory = fleet(tmp_path)
    build_tar(directory / "evil.tar.gz", [member("../evil", b"x")])
    result = run("analyze", *sorted(str(p) for p in directory.iterdir()), "-o", "json")
    assert result.returncode == 2
    summary = json.loads(result.stdout)
    assert summary["counts"]["unreadable"] == 1
    (bad,) = [b for b in summary["bundles"] if b["error"]]
    assert "evil.tar.gz" in bad["error"] and "escapes" in bad["error"]


def test_parallel_and_sequential_agree(tmp_path: Path) -> None:
    bundles, is_fleet = expand([fleet(tmp_path)])
    assert is_fleet and len(bundles) == 3
    parallel = analyze_all(bundles, RuleChoice(), None, jobs=3)
    sequential = analyze_all(bundles, RuleChoice(), None, jobs=1)
    assert [o.report.root_cause for o in parallel] == [o.report.root_cause for o in sequential]  # type: ignore[union-attr]


def test_fleet_refuses_other_formats_and_kubectl_files(tmp_path: Path) -> None:
    directory = fleet(tmp_path)
    assert run("analyze", str(directory), "-o", "junit").returncode == 2
    other = run("analyze", str(directory), "--pod-json", str(directory / "a.tar.gz"))
    assert other.returncode == 2 and "one bundle only" in other.stderr
