"""Baselines: known findings (by rule@subject) are reported but do not fail --fail-on, JUnit
included; a baseline is written by --write-baseline or taken from an --output json report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from doctor.baseline import BaselineError, load_baseline
from doctor.cli.main import cli
from tests.conftest import REPO

CONTAINERD_DOWN = str(REPO / "fixtures" / "scenarios" / "containerd-down.json")


def analyze(*args: str) -> Result:
    return CliRunner().invoke(cli, ["analyze", CONTAINERD_DOWN, *args])


@pytest.fixture
def baseline(tmp_path: Path) -> Path:
    path = tmp_path / "baseline.json"
    assert analyze("--write-baseline", str(path), "-o", "json").exit_code == 1
    return path


def test_write_baseline_holds_every_finding_key(baseline: Path) -> None:
    report = json.loads(analyze("-o", "json").output)
    data = json.loads(baseline.read_text())
    assert data["baseline_version"] == 1
    assert data["keys"] == sorted(f["key"] for f in report["findings"])


def test_baselined_findings_are_reported_but_do_not_fail(baseline: Path) -> None:
    result = analyze("--baseline", str(baseline), "-o", "json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["findings"] and all(f["baselined"] for f in report["findings"])
    assert report["summary"]["baselined"] == len(report["findings"])


def test_a_new_finding_still_fails(tmp_path: Path, baseline: Path) -> None:
    keys = json.loads(baseline.read_text())["keys"]
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"keys": keys[1:]}))
    result = analyze("--baseline", str(partial), "-o", "json")
    assert result.exit_code == 1
    fresh = [f["key"] for f in json.loads(result.output)["findings"] if not f["baselined"]]
    assert fresh == [keys[0]]


def test_a_json_report_is_a_baseline(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(analyze("-o", "json").output)
    assert analyze("--baseline", str(report)).exit_code == 0


def test_junit_baselined_findings_are_not_failures(baseline: Path) -> None:
    failing = ET.fromstring(analyze("-o", "junit").output).find("testsuite")
    assert failing is not None and int(failing.get("failures", "0")) > 0
    result = analyze("--baseline", str(baseline), "-o", "junit")
    suite = ET.fromstring(result.output).find("testsuite")
    assert suite is not None and suite.get("failures") == "0"
    outs = [case.findtext("system-out") or "" for case in suite.iter("testcase")]
    assert any(out.startswith("baselined: a known finding") for out in outs)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not json", "not a JSON baseline"),
        ('{"keys": ["no-at-sign"]}', "a baseline is"),
        ("[1, 2]", "a baseline is"),
    ],
)
def test_a_bad_baseline_is_one_line(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(BaselineError, match=expected):
        load_baseline(path)


def test_a_missing_baseline_stops_before_any_work(tmp_path: Path) -> None:
    result = analyze("--baseline", str(tmp_path / "missing.json"))
    assert isinstance(result.exception, BaselineError)
    assert "cannot read the baseline" in str(result.exception)
