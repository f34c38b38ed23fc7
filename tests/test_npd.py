"""`check --npd`: node-problem-detector's custom-plugin contract (exit 0 OK, 1 NonOK, 2 Unknown;
one line on stdout whose first 80 bytes name the finding), with a fake collect and on a
synthetic host tree."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from doctor import npd
from doctor.cli.main import cli
from tests.conftest import REPO, stackdoctor
from tests.gather.test_collect import kubeadm_node

SCENARIOS = REPO / "fixtures" / "scenarios"
NPD_MAX_OUTPUT_LENGTH = 80  # NPD's default max_output_length


def scenario(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SCENARIOS / f"{name}.json").read_text())
    return document


@pytest.fixture
def fake_collect(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """`collect` returns `state["document"]` and records the options it was given."""
    state: dict[str, Any] = {}

    def collect(options: Any, progress: Any = None, meanwhile: Any = None) -> dict[str, Any]:
        state["options"] = options
        if meanwhile:
            meanwhile()
        return copy.deepcopy(state["document"])

    monkeypatch.setattr("doctor.gather.collect.collect", collect)
    return state


def run_npd(*args: str) -> Result:
    return CliRunner().invoke(cli, ["check", "--npd", *args])


def test_a_failing_node_is_non_ok_with_the_key_first(fake_collect: dict[str, Any]) -> None:
    fake_collect["document"] = scenario("containerd-down")
    result = run_npd()
    assert result.exit_code == npd.NON_OK
    assert result.output.count("\n") == 1 and result.output.endswith("\n")
    head = result.output.encode()[:NPD_MAX_OUTPUT_LENGTH].decode("ascii")
    assert head.startswith(
        "containerd.config-invalid@node [critical, +4 more]: containerd on worker-04"
    )
    assert fake_collect["options"].sample_interval == 0  # no CPU sampling under NPD
    assert fake_collect["options"].timeout == npd.PROBE_TIMEOUT_SECONDS


def test_a_healthy_node_is_ok(fake_collect: dict[str, Any]) -> None:
    fake_collect["document"] = scenario("healthy")
    result = run_npd()
    assert (result.exit_code, result.output.split(":")[0]) == (npd.OK, "ok")


def test_nothing_examined_is_unknown_with_a_reason(fake_collect: dict[str, Any]) -> None:
    document = scenario("healthy")
    for section in document["layers"].values():
        section.update(status="permission-denied", errors=[{"source": "/proc", "message": "no"}])
    fake_collect["document"] = document
    result = run_npd()
    assert result.exit_code == npd.UNKNOWN
    assert result.output.startswith("unknown: could not examine any layer")
    assert result.output.count("\n") == 1


def test_only_a_layer_that_was_not_examined_is_unknown(fake_collect: dict[str, Any]) -> None:
    document = scenario("healthy")
    document["layers"]["runc"].update(status="absent", errors=[])
    fake_collect["document"] = document
    result = run_npd("--only", "runc")
    assert (result.exit_code, result.output) == (
        npd.UNKNOWN,
        "unknown: runc not examined: absent\n",
    )
    assert run_npd("--only", "kubelet").exit_code == npd.OK


def test_rule_keeps_its_causes(fake_collect: dict[str, Any]) -> None:
    # kubelet.pleg-unhealthy is quiet here; the broken config.toml (containerd.config-invalid)
    # explains it through containerd.not-running, and fires.
    fake_collect["document"] = scenario("containerd-down")
    result = run_npd("--rule", "kubelet.pleg-unhealthy")
    assert result.exit_code == npd.NON_OK
    assert result.output.startswith("containerd.config-invalid@node [critical, +3 more]")
    assert run_npd("--rule", "node.memory-pressure").exit_code == npd.OK


def test_bad_arguments_are_one_line_unknown(fake_collect: dict[str, Any]) -> None:
    fake_collect["document"] = scenario("healthy")
    result = run_npd("--rule", "no.such-rule")
    assert result.exit_code == npd.UNKNOWN
    assert result.output == (
        "unknown: --rule no.such-rule: no rule has that id (see `stackdoctor rules list`)\n"
    )


def test_a_baselined_finding_is_ok(fake_collect: dict[str, Any], tmp_path: Path) -> None:
    fake_collect["document"] = scenario("containerd-down")
    baseline = tmp_path / "baseline.json"
    assert CliRunner().invoke(cli, ["check", "--write-baseline", str(baseline)]).exit_code == 1
    assert run_npd("--baseline", str(baseline)).exit_code == npd.OK


def test_the_report_still_goes_to_output_file(fake_collect: dict[str, Any], tmp_path: Path) -> None:
    fake_collect["document"] = scenario("containerd-down")
    target = tmp_path / "stackdoctor.prom"
    result = run_npd("--output", "prometheus", "--output-file", str(target))
    assert result.exit_code == npd.NON_OK
    assert 'stackdoctor_finding{rule="cri.unreachable"' in target.read_text()


def test_a_run_past_the_deadline_is_unknown(
    fake_collect: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def hang(options: Any, progress: Any = None, meanwhile: Any = None) -> dict[str, Any]:
        time.sleep(5)
        raise AssertionError("the deadline did not fire")

    monkeypatch.setattr("doctor.gather.collect.collect", hang)
    monkeypatch.setattr(npd, "DEADLINE_SECONDS", 0.2)
    started = time.monotonic()
    result = run_npd()
    assert time.monotonic() - started < 2
    assert result.exit_code == npd.UNKNOWN
    assert result.output == "unknown: check did not finish within 0.2s (a hung runtime?)\n"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a\n  b\tc", "a b c"),
        ("wait\u2026 \u2014 \u201cquoted\u201d \u2192 x", 'wait... - "quoted" -> x'),
        ("caf\u00e9", "caf?"),
    ],
)
def test_the_line_is_flat_ascii(text: str, line: str) -> None:
    assert npd.one_line(text) == line


def test_a_synthetic_node_within_npd_timeout(tmp_path: Path) -> None:
    root = kubeadm_node(tmp_path)
    started = time.monotonic()
    result = stackdoctor("check", "--npd", "--host-root", str(root))
    elapsed = time.monotonic() - started
    assert result.returncode == npd.NON_OK, result.stdout + result.stderr
    first = result.stdout.encode()[:NPD_MAX_OUTPUT_LENGTH].decode("ascii")
    assert first.startswith(("cri.unreachable@node", "containerd.not-running@node"))
    assert elapsed < 5  # NPD's default plugin timeout, interpreter start included
