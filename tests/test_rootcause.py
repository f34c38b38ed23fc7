"""Root cause: symptoms, severity and depth, the chain, and what a pod target may blame."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from doctor.diagnosis import diagnose
from doctor.engine.evaluate import evaluate
from doctor.engine.examples import base_document
from doctor.engine.loader import RuleSet, load_rules
from doctor.engine.rootcause import cause_graph, root_cause
from doctor.facts.document import FactsDocument, PodRef, parse_facts
from doctor.model import Report

ALWAYS = {
    "container": "{fact: name, op: exists}",
    "pod": "{fact: name, op: exists}",
    "node": "{fact: $.collected.host, op: exists}",
}


def rule(
    rule_id: str,
    severity: str = "error",
    scope: str = "container",
    explains: tuple[str, ...] = (),
    when: str | None = None,
) -> str:
    return (
        f"  - id: {rule_id}\n"
        f"    layer: {rule_id.split('.', 1)[0]}\n"
        f"    severity: {severity}\n"
        f"    scope: {scope}\n"
        f"    title: {rule_id}\n"
        f"    when: {when or ALWAYS[scope]}\n"
        "    message: m\n"
        "    fix: f\n"
        f"    explains: [{', '.join(explains)}]\n"
        "    examples: {fires: [{}], quiet: [{}]}\n"
    )


def rules(tmp_path: Path, *entries: str) -> RuleSet:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n" + "".join(entries), encoding="utf-8")
    return load_rules([path], with_builtin=False)


def facts(pods: int = 1, **layers: dict[str, Any]) -> FactsDocument:
    document = base_document()
    document["pods"] = [
        {
            "name": f"web-{i}",
            "namespace": "shop",
            "containers": [{"name": "app", "attempt": 0}],
        }
        for i in range(pods)
    ]
    for name, section in layers.items():
        document["layers"][name] = copy.deepcopy(section)
    return parse_facts(document, "test")


def root_id(report: Report) -> str | None:
    return report.root_cause.finding.rule_id if report.root_cause else None


def chain_ids(report: Report) -> list[str]:
    assert report.root_cause is not None
    return [f.rule_id for f in report.root_cause.chain]


def test_symptom_explained_by_a_cause_is_not_the_root(tmp_path: Path) -> None:
    ruleset = rules(
        tmp_path,
        rule("kubelet.crashloop", severity="critical"),
        rule("process.oom", severity="error", explains=("kubelet.crashloop",)),
    )
    report = diagnose(facts(), ruleset)
    # the symptom is more severe, but it is explained
    assert root_id(report) == "process.oom"
    assert chain_ids(report) == ["kubelet.crashloop", "process.oom"]
    assert report.explained == {"kubelet.crashloop@shop/web-0/app": ("process.oom@shop/web-0/app",)}


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        # most severe wins, whatever the layer
        ((("kubelet.a", "critical"), ("process.b", "error")), "kubelet.a"),
        ((("kubelet.a", "error"), ("process.b", "critical")), "process.b"),
        ((("cri.a", "warning"), ("runc.b", "error"), ("shim.c", "warning")), "runc.b"),
        # deepest layer on ties
        ((("kubelet.a", "error"), ("process.b", "error")), "process.b"),
        ((("process.b", "error"), ("cri.a", "error")), "process.b"),
        ((("apiserver.a", "warning"), ("containerd.b", "warning")), "containerd.b"),
        # below warning never
        ((("kubelet.a", "info"), ("process.b", "info")), None),
        ((("process.b", "info"), ("kubelet.a", "warning")), "kubelet.a"),
    ],
)
def test_most_severe_then_deepest(
    tmp_path: Path, entries: tuple[tuple[str, str], ...], expected: str | None
) -> None:
    ruleset = rules(tmp_path, *(rule(rule_id, severity) for rule_id, severity in entries))
    assert root_id(diagnose(facts(), ruleset)) == expected


def test_root_cause_none_without_findings(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, rule("process.never", when="{fact: exit_code, op: exists}"))
    report = diagnose(facts(), ruleset)
    assert report.findings == ()
    assert report.root_cause is None


def test_an_info_cause_does_not_hide_the_error_it_explains(tmp_path: Path) -> None:
    # an info finding is never the root cause, so the error it explains stays a candidate
    ruleset = rules(
        tmp_path,
        rule("kubelet.crashloop", severity="error"),
        rule("process.hint", severity="info", explains=("kubelet.crashloop",)),
    )
    assert root_id(diagnose(facts(), ruleset)) == "kubelet.crashloop"


def test_chain_goes_from_the_top_layer_symptom_down_to_the_root(tmp_path: Path) -> None:
    ruleset = rules(
        tmp_path,
        rule("apiserver.not-ready", severity="warning"),
        rule("kubelet.pleg", severity="error"),
        rule("cri.unreachable", severity="error", explains=("kubelet.pleg",)),
        rule(
            "containerd.down",
            severity="error",
            scope="node",
            explains=("cri.unreachable", "apiserver.not-ready"),
        ),
    )
    report = diagnose(facts(), ruleset)
    assert root_id(report) == "containerd.down"
    # the highest layer reached wins over the longer path
    assert chain_ids(report) == ["apiserver.not-ready", "containerd.down"]


def test_chain_prefers_the_longest_path_to_the_same_top_layer(tmp_path: Path) -> None:
    ruleset = rules(
        tmp_path,
        rule("kubelet.pleg", severity="error"),
        rule("cri.unreachable", severity="error", explains=("kubelet.pleg",)),
        rule(
            "containerd.down",
            severity="error",
            scope="node",
            explains=("cri.unreachable", "kubelet.pleg"),
        ),
    )
    report = diagnose(facts(), ruleset)
    assert chain_ids(report) == ["kubelet.pleg", "cri.unreachable", "containerd.down"]


def test_chain_of_an_unexplaining_root_is_itself(tmp_path: Path) -> None:
    report = diagnose(facts(), rules(tmp_path, rule("process.oom")))
    assert chain_ids(report) == ["process.oom"]


def test_pod_finding_does_not_explain_another_pods_finding(tmp_path: Path) -> None:
    ruleset = rules(
        tmp_path,
        rule("kubelet.crashloop", severity="error"),
        rule("cri.sandbox", severity="error", scope="pod", explains=("kubelet.crashloop",)),
    )
    evaluation = evaluate(ruleset, facts(pods=2))
    graph = cause_graph(evaluation.findings, ruleset)
    assert graph.causes == {
        "kubelet.crashloop@shop/web-0/app": ("cri.sandbox@shop/web-0",),
        "kubelet.crashloop@shop/web-1/app": ("cri.sandbox@shop/web-1",),
    }


NODE_DISK = rule(
    "node.disk-full",
    severity="critical",
    scope="node",
    when="{fact: '$.layers.node.disks[*].used_ratio', op: gt, value: 0.95}",
)
FULL_DISK = {"status": "ok", "errors": [], "disks": [{"path": "/var/log", "used_ratio": 0.99}]}


def test_unrelated_node_finding_is_node_health_not_root(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, rule("process.oom", severity="error"), NODE_DISK)
    report = diagnose(facts(pods=2, node=FULL_DISK), ruleset, PodRef("shop", "web-1"))
    assert root_id(report) == "process.oom"
    assert report.node_health == ("node.disk-full@node",)
    assert [f.key for f in report.findings] == [
        "process.oom@shop/web-1/app",
        "node.disk-full@node",
    ]


def test_single_pod_document_is_diagnosed_as_that_pod(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, rule("process.oom", severity="error"), NODE_DISK)
    report = diagnose(facts(pods=1, node=FULL_DISK), ruleset)
    assert (report.target.namespace, report.target.pod) == ("shop", "web-0")
    assert root_id(report) == "process.oom"
    assert report.node_health == ("node.disk-full@node",)


def test_node_target_may_blame_a_node_finding(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, rule("process.oom", severity="error"), NODE_DISK)
    report = diagnose(facts(pods=2, node=FULL_DISK), ruleset)
    assert report.target.pod is None
    assert root_id(report) == "node.disk-full"
    assert report.node_health == ()


def test_node_finding_that_explains_a_pod_finding_is_picked(tmp_path: Path) -> None:
    ruleset = rules(
        tmp_path,
        rule("kubelet.evicted", severity="error"),
        rule(
            "node.disk-full",
            severity="critical",
            scope="node",
            explains=("kubelet.evicted",),
            when="{fact: '$.layers.node.disks[*].used_ratio', op: gt, value: 0.95}",
        ),
    )
    report = diagnose(facts(pods=2, node=FULL_DISK), ruleset, PodRef("shop", "web-0"))
    assert root_id(report) == "node.disk-full"
    assert chain_ids(report) == ["kubelet.evicted", "node.disk-full"]
    assert report.node_health == ()


def test_node_finding_explaining_transitively_is_connected(tmp_path: Path) -> None:
    ruleset = rules(
        tmp_path,
        rule("kubelet.pleg", severity="warning"),
        rule("cri.slow", severity="warning", scope="node", explains=("kubelet.pleg",)),
        rule("node.pressure", severity="error", scope="node", explains=("cri.slow",)),
    )
    report = diagnose(facts(pods=2), ruleset, PodRef("shop", "web-0"))
    assert root_id(report) == "node.pressure"
    assert chain_ids(report) == ["kubelet.pleg", "cri.slow", "node.pressure"]
    assert report.node_health == ()


def test_node_finding_in_an_unexaminable_layer_is_connected(tmp_path: Path) -> None:
    unreachable = {
        "status": "unreachable",
        "errors": [{"source": "/run/containerd/containerd.sock", "message": "connection refused"}],
    }
    ruleset = rules(
        tmp_path,
        rule("process.slow", severity="warning"),
        rule(
            "cri.unreachable",
            severity="critical",
            scope="node",
            when="{fact: $.layers.cri.status, op: eq, value: unreachable}",
        ),
        NODE_DISK,
    )
    report = diagnose(
        facts(pods=2, cri=unreachable, node=FULL_DISK), ruleset, PodRef("shop", "web-1")
    )
    # cri.unreachable explains nothing, but it blinded us to the pod: connected, and it wins
    assert root_id(report) == "cri.unreachable"
    assert report.node_health == ("node.disk-full@node",)


def test_unexaminable_node_finding_below_warning_is_not_root(tmp_path: Path) -> None:
    unreachable = {"status": "timeout", "errors": []}
    ruleset = rules(
        tmp_path,
        rule(
            "cri.timeout",
            severity="info",
            scope="node",
            when="{fact: $.layers.cri.status, op: eq, value: timeout}",
        ),
    )
    report = diagnose(facts(pods=2, cri=unreachable), ruleset, PodRef("shop", "web-1"))
    assert [f.rule_id for f in report.findings] == ["cri.timeout"]
    assert report.node_health == ()
    assert report.root_cause is None


def test_root_cause_only_among_eligible_findings(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, rule("process.oom", severity="error"), NODE_DISK)
    evaluation = evaluate(ruleset, facts(node=FULL_DISK))
    graph = cause_graph(evaluation.findings, ruleset)
    assert root_cause(evaluation.findings, graph, set()) is None
    chosen = root_cause(evaluation.findings, graph, {"process.oom@shop/web-0/app"})
    assert chosen is not None
    assert chosen.finding.rule_id == "process.oom"
    both = root_cause(evaluation.findings, graph, {f.key for f in evaluation.findings})
    assert both is not None
    assert both.finding.rule_id == "node.disk-full"
