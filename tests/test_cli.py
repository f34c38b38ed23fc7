"""The command line: exit codes, one-line errors, the formats reachable from every command."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "doctor", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )


def test_findings_at_fail_on_exit_1(facts_file: Callable[..., Path]) -> None:
    result = run("analyze", str(facts_file()))
    assert result.returncode == 1, result.stderr
    assert "process.oom-killed" in result.stdout


@pytest.mark.parametrize(
    ("fail_on", "code"), [("critical", 0), ("error", 1), ("warning", 1), ("never", 0)]
)
def test_fail_on_threshold(facts_file: Callable[..., Path], fail_on: str, code: int) -> None:
    assert run("analyze", str(facts_file()), "--fail-on", fail_on).returncode == code


def test_healthy_node_exits_0(facts_file: Callable[..., Path]) -> None:
    result = run("analyze", str(facts_file(pods=[])))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "invalid JSON"),
        ("[]", "a facts document is a JSON object"),
        ('{"schema": 99}', "facts schema 99 is newer"),
        ('{"schema": 1}', "$: 'collected' is a required property"),
        (b"\xff\xfe".decode("latin-1"), "invalid JSON"),
    ],
)
def test_bad_facts_is_one_line_exit_2(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="latin-1")
    result = run("analyze", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0] and expected in lines[0]


def test_facts_from_standard_input(facts_file: Callable[..., Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "doctor", "analyze", "-", "-o", "json"],
        input=facts_file().read_text(),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["source"] == "-"


def test_missing_file_and_directory(tmp_path: Path) -> None:

    missing = run("analyze", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    directory = run("analyze", str(tmp_path))
    assert directory.returncode == 2 and "is a directory" in directory.stderr


def test_broken_rule_pack_stops_with_file_line(
    tmp_path: Path, facts_file: Callable[..., Path]
) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "bad.yaml").write_text("rules:\n  - id: process.x\n    layer: process\n    bogus: 1\n")
    result = run("analyze", str(facts_file()), "--rules", str(pack))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{pack / 'bad.yaml'}:2:" in result.stderr


def test_usage_error_exits_2(facts_file: Callable[..., Path]) -> None:
    result = run("analyze", str(facts_file()), "--output", "yaml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_unknown_pod_exits_2(facts_file: Callable[..., Path]) -> None:
    result = run("analyze", str(facts_file()), "--pod", "default/other")
    assert result.returncode == 2
    assert "no pod default/other" in result.stderr and "default/web" in result.stderr


def test_disable_and_only_filter_rules(facts_file: Callable[..., Path]) -> None:
    disabled = run("analyze", str(facts_file()), "--disable", "process.oom-killed", "-o", "json")
    assert "process.oom-killed" not in {f["id"] for f in json.loads(disabled.stdout)["findings"]}
    only = run("analyze", str(facts_file()), "--only", "node", "-o", "json")
    assert {r for r in json.loads(only.stdout)["summary"]["by_severity"]} == set()
    unknown = run("analyze", str(facts_file()), "--disable", "process.nope")
    assert unknown.returncode == 2 and "process.nope" in unknown.stderr


def test_output_file_is_written(tmp_path: Path, facts_file: Callable[..., Path]) -> None:
    out = tmp_path / "report.json"
    result = run("analyze", str(facts_file()), "-o", "json", "--output-file", str(out))
    assert result.returncode == 1 and result.stdout == ""
    assert json.loads(out.read_text())["root_cause"]["id"] == "process.oom-killed"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []


def test_rules_list_show_lint_test() -> None:
    listing = run("rules", "list", "-o", "json")
    assert listing.returncode == 0
    ids = [row["id"] for row in json.loads(listing.stdout)]
    assert "process.oom-killed" in ids
    show = run("rules", "show", "process.oom-killed")
    assert show.returncode == 0 and "explained by" in show.stdout and "when:" in show.stdout
    assert run("rules", "show", "process.nope").returncode == 2
    lint = run("rules", "lint")
    assert lint.returncode == 0, lint.stdout
    test = run("rules", "test")
    assert test.returncode == 0, test.stdout
    assert " passed, 0 failed" in test.stdout


def test_rules_lint_reports_every_problem_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n"
        "  - id: process.one\n    layer: process\n    severity: error\n    scope: container\n"
        "    title: t\n    when: {fact: exit_code, op: nope, value: 1}\n"
        "    message: m\n    fix: f\n"
        "    examples: {fires: [{}], quiet: [{}]}\n"
        "  - id: process.two\n    layer: process\n    severity: error\n    scope: container\n"
        "    title: t\n    when: {fact: message, op: matches, value: '('}\n"
        "    message: m\n    fix: f\n"
        "    examples: {fires: [{}], quiet: [{}]}\n"
    )
    result = run("rules", "lint", str(bad))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith(f"{bad}:7: process.one: unknown operator 'nope'")
    assert lines[1].startswith(f"{bad}:16: process.two: bad regular expression")


def test_rules_test_fails_on_a_wrong_example(tmp_path: Path) -> None:
    pack = tmp_path / "process.yaml"
    pack.write_text(
        "rules:\n"
        "  - id: process.exit-three\n    layer: process\n    severity: error\n"
        "    scope: container\n"
        "    title: t\n    when: {fact: exit_code, op: eq, value: 3}\n    message: m\n    fix: f\n"
        "    examples:\n"
        "      fires: [{container: {exit_code: 4}}]\n"
        "      quiet: [{container: {exit_code: 5}}]\n"
    )
    result = run("rules", "test", str(pack))
    assert result.returncode == 1
    assert "expected to fire, stayed quiet" in result.stdout
    assert "1 passed, 1 failed" in result.stdout


def test_text_report_fits_80_columns_without_color(facts_file: Callable[..., Path]) -> None:
    result = run("analyze", str(facts_file()), env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
    assert "\x1b[" not in result.stdout
    long_lines = [
        line for line in result.stdout.splitlines() if len(line) > 80 and "docs: http" not in line
    ]
    assert long_lines == []
    assert "ROOT CAUSE" in result.stdout


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and "stackdoctor" in result.stdout
