"""No container-level pattern matches a host-side line: a line about the node's own daemons and
binaries is no evidence about any container (docs/diagnosis.md, evidence and its subject).

Every `matches` pattern of every container-scope rule is run against real host-side lines: the
healthy or unrelated pastes of the real-world corpus, the node-level log lines of the captured
scenarios that name no pod or container, and host-side lines of corpus failures whose subject
is the node (the runtime missing its own binaries).
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from doctor.engine.loader import load_rules
from doctor.layers import Scope
from tests.conftest import REPO

CASES = REPO / "fixtures" / "realworld" / "cases"
SCENARIOS = REPO / "fixtures" / "scenarios"
# a line that names a pod or a container is about one: not host-side
NAMES_ONE = re.compile(
    r"\bpods?=|podUID=|containerID=|[0-9a-f]{64}|PodSandboxMetadata|\([0-9a-f]{8}-[0-9a-f]{4}-"
)
# Real host-side lines among corpus failures, by case and a substring of the line: the runtime
# could not find a binary of its own, in the words a container's missing entrypoint also has.
HOST_LINES_OF_FAILURES = (
    ("shim.start-failed/containerd-2481", 'exec: "containerd-shim"'),
    ("runc.apparmor-denied/containerd-7547", "get apparmor_parser version"),
    ("containerd.known-regression/containerd-11557", "executable file not found"),
    ("containerd.known-regression/containerd-11169", "executable file not found"),
)
# Patterns that match any line by design: they only pick the line to show for an exit the rule
# already decided on, from the container's own output (log_tail), where host lines never go.
SHOW_ANY_LINE = {("process.app-error", "log_tail[*]"), ("process.segfault", "log_tail[*]")}


def evidence_lines(case: str) -> list[str]:
    text = yaml.safe_load((CASES / f"{case}.yaml").read_text())["evidence"]
    return [line for line in text.splitlines() if line.strip()]


def host_side_lines() -> list[tuple[str, str]]:
    lines = [
        (f"none/{path.stem}", line)
        for path in sorted((CASES / "none").glob("*.yaml"))
        for line in evidence_lines(f"none/{path.stem}")
    ]
    for path in sorted(SCENARIOS.glob("*.json")):
        if path.name.endswith(".expected.json"):
            continue
        data = json.loads(path.read_text())
        for layer, key in (("kubelet", "log"), ("containerd", "log"), ("node", "kernel_log")):
            for line in data["layers"].get(layer, {}).get(key) or []:
                if not NAMES_ONE.search(line["message"]):
                    lines.append((f"{path.stem}:{layer}", line["message"]))
    for case, part in HOST_LINES_OF_FAILURES:
        found = [line for line in evidence_lines(case) if part in line]
        assert found, f"{case}: no line with {part!r}"
        lines.extend((case, line) for line in found)
    return lines


LINES = host_side_lines()
PATTERNS = sorted(
    {
        (rule.id, predicate.fact.text, predicate.expected_text)
        for rule in load_rules().rules
        if rule.scope is Scope.CONTAINER
        for predicate in rule.when.predicates()
        if predicate.op.name == "matches" and (rule.id, predicate.fact.text) not in SHOW_ANY_LINE
    }
)
# Pod-scope rules held to the same: their words are the kubelet's about one container, so no
# host-side line may hold them. (Not every pod rule can be: the pull and sandbox rules read
# the lines the kubelet and the runtime log per image or sandbox, which name no pod.)
POD_RULES_HELD = {"kubelet.run-as-non-root-violated"}
POD_PATTERNS = sorted(
    {
        (rule.id, predicate.fact.text, predicate.expected_text)
        for rule in load_rules().rules
        if rule.id in POD_RULES_HELD
        for predicate in rule.when.predicates()
        if predicate.op.name == "matches"
    }
)


def test_there_are_host_side_lines_and_patterns() -> None:
    assert len(LINES) > 1000
    assert len(PATTERNS) > 20
    assert {rule_id for rule_id, _, _ in POD_PATTERNS} == POD_RULES_HELD


@pytest.mark.parametrize(
    ("rule_id", "fact", "pattern"), PATTERNS + POD_PATTERNS, ids=lambda v: str(v)[:60]
)
def test_no_container_pattern_matches_a_host_side_line(
    rule_id: str, fact: str, pattern: str
) -> None:
    regex = re.compile(pattern)
    matched = [f"{source}: {line[:200]}" for source, line in LINES if regex.search(line)]
    assert not matched, f"{rule_id} {fact} matches host-side lines:\n" + "\n".join(matched[:5])
