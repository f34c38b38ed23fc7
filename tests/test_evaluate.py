"""Evaluation outcomes: fired (collapsed per container), skipped with a reason, quiet, error."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from doctor.engine.conditions import Predicate
from doctor.engine.evaluate import evaluate
from doctor.engine.examples import base_document
from doctor.engine.loader import RuleSet, load_rules
from doctor.engine.operators import Operator, ValueKind
from doctor.engine.paths import compile_path
from doctor.facts.document import FactsDocument, parse_facts
from doctor.layers import Layer, Severity
from doctor.model import Evidence, RuleFailure, Skip


def rule_entry(
    rule_id: str,
    when: str,
    scope: str = "container",
    severity: str = "error",
    message: str = "m",
) -> str:
    layer = rule_id.split(".", 1)[0]
    return (
        f"  - id: {rule_id}\n"
        f"    layer: {layer}\n"
        f"    severity: {severity}\n"
        f"    scope: {scope}\n"
        f"    title: {rule_id} title\n"
        f"    when: {when}\n"
        f"    message: '{message}'\n"
        "    fix: f\n"
        "    examples: {fires: [{}], quiet: [{}]}\n"
    )


def ruleset(tmp_path: Path, *entries: str) -> RuleSet:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n" + "".join(entries), encoding="utf-8")
    return load_rules([path], with_builtin=False)


def facts(pods: list[dict[str, Any]], **layers: dict[str, Any]) -> FactsDocument:
    document = base_document()
    document["pods"] = copy.deepcopy(pods)
    for name, section in layers.items():
        document["layers"][name] = section
    return parse_facts(document, "test")


def pod(*containers: dict[str, Any], name: str = "web") -> dict[str, Any]:
    return {"name": name, "namespace": "shop", "containers": list(containers)}


def container(attempt: int, name: str = "app", **fields: Any) -> dict[str, Any]:
    return {"name": name, "attempt": attempt, **fields}


OOM = rule_entry(
    "process.oom",
    "{fact: exit_code, op: eq, value: 137}",
    message="{container.name} attempt {container.attempt} exit {container.exit_code}",
)


def test_fires_per_attempt_and_collapses_newest_first(tmp_path: Path) -> None:
    document = facts(
        [
            pod(
                container(0, exit_code=137),
                container(2, exit_code=137),
                container(1, exit_code=1),
                container(3, exit_code=137),
                container(0, name="sidecar", exit_code=137),
            )
        ]
    )
    outcome = evaluate(ruleset(tmp_path, OOM), document)
    assert [(str(f.subject), f.attempts, f.message) for f in outcome.findings] == [
        ("shop/web/app", (3, 2, 0), "app attempt 3 exit 137"),
        ("shop/web/sidecar", (0,), "sidecar attempt 0 exit 137"),
    ]
    assert outcome.skipped == ()
    assert outcome.failures == ()
    assert outcome.rules_evaluated == 1


def test_finding_carries_rule_data_and_evidence(tmp_path: Path) -> None:
    outcome = evaluate(ruleset(tmp_path, OOM), facts([pod(container(0, exit_code=137))]))
    [finding] = outcome.findings
    assert finding.rule_id == "process.oom"
    assert finding.layer is Layer.PROCESS
    assert finding.severity is Severity.ERROR
    assert finding.title == "process.oom title"
    assert finding.fix == "f"
    assert finding.evidence == (Evidence("exit_code", 137, "eq", 137),)
    assert finding.key == "process.oom@shop/web/app"


def test_same_container_name_in_two_pods_is_two_findings(tmp_path: Path) -> None:
    document = facts(
        [pod(container(0, exit_code=137)), pod(container(4, exit_code=137), name="api")]
    )
    outcome = evaluate(ruleset(tmp_path, OOM), document)
    assert sorted((str(f.subject), f.attempts) for f in outcome.findings) == [
        ("shop/api/app", (4,)),
        ("shop/web/app", (0,)),
    ]


@pytest.mark.parametrize(
    ("scope", "when", "subjects"),
    [
        ("pod", "{fact: name, op: eq, value: web}", ["shop/web"]),
        ("node", "{fact: $.collected.host, op: eq, value: example-node}", ["node"]),
    ],
)
def test_pod_and_node_findings_have_no_attempts(
    tmp_path: Path, scope: str, when: str, subjects: list[str]
) -> None:
    rules = ruleset(tmp_path, rule_entry("kubelet.x", when, scope=scope))
    outcome = evaluate(rules, facts([pod(container(0)), pod(container(0), name="api")]))
    assert [str(f.subject) for f in outcome.findings] == subjects
    assert all(f.attempts == () for f in outcome.findings)


def test_quiet_rule_gives_neither_finding_nor_skip(tmp_path: Path) -> None:
    outcome = evaluate(ruleset(tmp_path, OOM), facts([pod(container(0, exit_code=0))]))
    assert (outcome.findings, outcome.skipped, outcome.failures) == ((), (), ())
    assert outcome.rules_evaluated == 1


MEMORY = rule_entry("process.mem", "{fact: cgroup.memory.usage_bytes, op: gt, value: 5}")


def test_skipped_names_the_missing_fact_when_its_layer_is_ok(tmp_path: Path) -> None:
    document = facts([pod(container(0), container(1), container(0, name="b"))])
    outcome = evaluate(ruleset(tmp_path, MEMORY), document)
    assert outcome.findings == ()
    assert outcome.failures == ()
    assert outcome.skipped == (Skip("process.mem", "cgroup.memory.usage_bytes: missing", 3),)


@pytest.mark.parametrize(
    ("section", "reason"),
    [
        (
            {
                "status": "permission-denied",
                "errors": [
                    {"source": "/sys/fs/cgroup", "message": "open memory.current: EACCES"},
                    {"source": "/proc", "message": "second error is not shown"},
                ],
            },
            "process layer not examined (permission-denied: open memory.current: EACCES)",
        ),
        ({"status": "unsupported", "errors": []}, "process layer not examined (unsupported)"),
        ({"status": "timeout"}, "process layer not examined (timeout)"),
    ],
)
def test_skipped_names_the_layer_that_was_not_examined(
    tmp_path: Path, section: dict[str, Any], reason: str
) -> None:
    document = facts([pod(container(0))], process=section)
    outcome = evaluate(ruleset(tmp_path, MEMORY), document)
    assert outcome.skipped == (Skip("process.mem", reason, 1),)
    assert outcome.findings == ()


def test_skipped_rising_with_one_sample_and_layer_not_examined(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        rule_entry("process.throttled", "{fact: 'cgroup.cpu.samples[*].nr_throttled', op: rising}"),
    )
    sample = {"cpu": {"samples": [{"nr_periods": 1, "nr_throttled": 1}]}}
    ok = evaluate(rules, facts([pod(container(0, cgroup=sample))]))
    assert ok.skipped == (
        Skip(
            "process.throttled", "cgroup.cpu.samples[*].nr_throttled: needs two samples, got one", 1
        ),
    )
    denied = evaluate(
        rules,
        facts(
            [pod(container(0, cgroup=sample))],
            process={"status": "error", "errors": [{"source": "cgroupfs", "message": "gone"}]},
        ),
    )
    assert denied.skipped == (
        Skip("process.throttled", "process layer not examined (error: gone)", 1),
    )


def test_skip_reasons_are_joined_and_deduplicated(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        rule_entry(
            "process.both",
            "{all: [{fact: cgroup.memory.usage_bytes, op: gt, value: 1},"
            " {fact: cgroup.pids.current, op: gt, value: 1}, {fact: reason, op: eq, value: x}]}",
        ),
    )
    document = facts([pod(container(0))], process={"status": "absent", "errors": []})
    outcome = evaluate(rules, document)
    assert outcome.skipped == (
        Skip("process.both", "process layer not examined (absent); reason: missing", 1),
    )


def test_a_rule_that_raises_is_a_rule_failure(tmp_path: Path) -> None:
    def boom(values: Any, expected: Any) -> None:
        raise RuntimeError("operator exploded")

    rules = ruleset(tmp_path, OOM)
    broken = replace(
        rules.rules[0],
        when=Predicate(
            compile_path("exit_code", "container"),
            Operator("boom", ValueKind.SCALAR, boom, "raises"),
            137,
        ),
    )
    document = facts([pod(container(0, exit_code=137), container(0, name="b", exit_code=0))])
    outcome = evaluate(RuleSet((broken,)), document)
    assert outcome.findings == ()
    assert outcome.skipped == ()
    assert outcome.failures == (
        RuleFailure("process.oom", "shop/web/app", "RuntimeError: operator exploded"),
        RuleFailure("process.oom", "shop/web/b", "RuntimeError: operator exploded"),
    )


def test_a_failing_rule_does_not_stop_the_others(tmp_path: Path) -> None:
    def boom(values: Any, expected: Any) -> None:
        raise ValueError("bad")

    rules = ruleset(tmp_path, OOM, rule_entry("kubelet.any", "{fact: name, op: eq, value: app}"))
    oom = rules.get("process.oom")
    assert oom is not None
    broken = replace(
        oom,
        when=Predicate(
            compile_path("exit_code", "container"), Operator("boom", ValueKind.SCALAR, boom, "")
        ),
    )
    kubelet = rules.get("kubelet.any")
    assert kubelet is not None
    outcome = evaluate(RuleSet((broken, kubelet)), facts([pod(container(0, exit_code=137))]))
    assert [f.rule_id for f in outcome.findings] == ["kubelet.any"]
    assert [f.rule_id for f in outcome.failures] == ["process.oom"]


def test_findings_are_ordered_by_layer_depth_then_severity(tmp_path: Path) -> None:
    always = "{fact: name, op: eq, value: app}"
    rules = ruleset(
        tmp_path,
        rule_entry("node.n", "{fact: $.collected.host, op: exists}", scope="node"),
        rule_entry("process.warn", always, severity="warning"),
        rule_entry("process.crit", always, severity="critical"),
        rule_entry("apiserver.a", always, severity="info"),
        rule_entry("shim.s", always),
        rule_entry("kubelet.k", always),
    )
    # evaluation order must not matter: hand the rules over reversed
    reversed_rules = RuleSet(tuple(reversed(rules.rules)))
    outcome = evaluate(reversed_rules, facts([pod(container(0))]))
    assert [f.rule_id for f in outcome.findings] == [
        "apiserver.a",
        "kubelet.k",
        "shim.s",
        "process.crit",
        "process.warn",
        "node.n",
    ]


def test_loaded_rules_run_top_layer_first(tmp_path: Path) -> None:
    always = "{fact: name, op: eq, value: app}"
    rules = ruleset(
        tmp_path,
        rule_entry("process.p", always),
        rule_entry("cri.c", always),
        rule_entry("apiserver.a", always),
    )
    assert [r.id for r in rules.rules] == ["apiserver.a", "cri.c", "process.p"]


def test_as_binding_and_regex_groups_reach_the_message(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        rule_entry(
            "process.log",
            "{all: [{fact: exit_code, op: gt, value: 0, as: code},"
            " {fact: 'log_tail[*]', op: matches, value: 'panic: (?P<why>.+)'}]}",
            message="exit {code} because {why} on {pod.name}",
        ),
    )
    document = facts([pod(container(0, exit_code=2, log_tail=["start", "panic: nil map"]))])
    [finding] = evaluate(rules, document).findings
    assert finding.message == "exit 2 because nil map on web"
