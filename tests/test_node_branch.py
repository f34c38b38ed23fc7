"""A pod rule's node branch: the same failure read at node level, with no pod to pin it to (an
image pulled by hand with ctr or crictl). Its finding is the node's, explains nothing, and is
never the root cause of a pod it does not name (docs/diagnosis.md)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from doctor.diagnosis import diagnose
from doctor.engine.examples import base_document
from doctor.engine.loader import load_rules
from doctor.facts.document import PodRef, parse_facts
from tests.test_rule_loader import problems, two_rules, write

RULES = load_rules()
# ctr's stderr from https://github.com/canonical/microk8s/issues/382
CTR_PLAIN_HTTP = (
    'ctr: failed to resolve reference "10.141.241.175:32000/mynginx:registry": failed to do'
    " request: Head https://10.141.241.175:32000/v2/mynginx/manifests/registry: http: server"
    " gave HTTP response to HTTPS client"
)


def _pod(name: str, message: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    container = {
        "name": "app",
        "attempt": 0,
        "state": "CONTAINER_WAITING",
        "reason": "ImagePullBackOff",
        "message": message,
    }
    return {
        "name": name,
        "namespace": "shop",
        "uid": name,
        "containers": [container],
        "events": events,
        "kubelet_log": [],
        "containerd_log": [],
    }


def _document() -> dict[str, Any]:
    """A node whose containerd logged a plain-HTTP pull no pod made, pod `tls` failing its
    own pull for that reason, and pod `other` backing off with no registry answer at hand."""
    document = base_document()
    document["layers"]["containerd"]["log"] = [{"severity": "error", "message": CTR_PLAIN_HTTP}]
    document["layers"]["cri"]["errors"] = []
    tls_event = {
        "type": "Warning",
        "reason": "Failed",
        "message": 'Failed to pull image "registry.local:5000/web:1": rpc error: code = Unknown'
        ' desc = failed to pull and unpack image "registry.local:5000/web:1": failed to resolve'
        ' reference "registry.local:5000/web:1": failed to do request: Head'
        ' "https://registry.local:5000/v2/web/manifests/1": http: server gave HTTP response to'
        " HTTPS client",
    }
    document["pods"] = [
        _pod("tls", 'Back-off pulling image "registry.local:5000/web:1"', [tls_event]),
        _pod("other", 'Back-off pulling image "nginx:1.27"', []),
    ]
    return document


def test_one_rule_fires_on_a_pod_and_on_the_node_under_distinct_keys() -> None:
    report = diagnose(parse_facts(_document(), "test"), RULES)
    keys = [f.key for f in report.findings if f.rule_id == "containerd.image-tls"]
    assert sorted(keys) == ["containerd.image-tls@node", "containerd.image-tls@shop/tls"]
    [node] = [f for f in report.findings if f.key == "containerd.image-tls@node"]
    assert "10.141.241.175:32000/mynginx:registry" in node.message
    assert "No pod in the facts is tied to it" in node.message
    # no pod is known to wait on it: it must not outrank what stops the node's pods
    assert node.severity.value == "warning"


def test_the_pods_own_pull_is_its_root_cause_and_the_node_pull_is_node_health() -> None:
    report = diagnose(parse_facts(_document(), "test"), RULES, PodRef("shop", "tls"))
    assert report.root_cause is not None
    assert report.root_cause.finding.key == "containerd.image-tls@shop/tls"
    assert "containerd.image-tls@node" in report.node_health


def test_a_node_level_pull_failure_is_not_an_unrelated_pods_root_cause() -> None:
    report = diagnose(parse_facts(_document(), "test"), RULES, PodRef("shop", "other"))
    assert report.root_cause is not None
    assert report.root_cause.finding.rule_id == "kubelet.image-pull-backoff"
    assert report.explained.get(report.root_cause.finding.key) is None
    assert "containerd.image-tls@node" in report.node_health
    # nor a sign for the pod's differential: that pull is not the pod's
    seen = {c.rule_id: c.seen for c in report.differential}
    assert seen.get("containerd.image-tls") != "fired"


def test_with_no_pod_the_node_level_pull_failure_is_the_root_cause() -> None:
    document = _document()
    document["pods"] = []
    report = diagnose(parse_facts(document, "test"), RULES)
    assert report.root_cause is not None
    assert report.root_cause.finding.key == "containerd.image-tls@node"


def test_a_pull_in_a_layer_not_examined_blinds_no_pod() -> None:
    """crictl's error fills the CRI layer while containerd's stays absent: the node branch's
    finding (layer containerd) must not count as a layer we could not see into."""
    document = _document()
    document["layers"]["containerd"] = {"status": "absent", "errors": []}
    document["layers"]["cri"]["errors"] = [
        {"source": "PullImage", "message": "rpc error: code = Unknown desc = " + CTR_PLAIN_HTTP[5:]}
    ]
    report = diagnose(parse_facts(document, "test"), RULES, PodRef("shop", "other"))
    assert any(f.key == "containerd.image-tls@node" for f in report.findings)
    assert report.root_cause is not None
    assert report.root_cause.finding.rule_id == "kubelet.image-pull-backoff"


NODE_BRANCH = (
    "    node:\n"
    "      when: {fact: '$.collected.host', op: exists}\n"
    "      message: On the node\n"
    "      fix: Fix it there\n"
    "      examples:\n"
    "        fires: [{}]\n"
    "        quiet: [{collected: {host: ''}}]\n"
)


def test_a_node_branch_loads_with_its_own_examples(tmp_path: Path) -> None:
    path = write(tmp_path, "rules.yaml", two_rules("process.a", "process.b", NODE_BRANCH))
    assert problems(path) == []
    rule = load_rules([path], with_builtin=False).get("process.a")
    assert rule is not None and rule.node is not None
    assert rule.node.scope.value == "node" and rule.node.explains == ()
    assert rule.node.severity == rule.severity  # the rule's, unless the branch gives its own
    assert [e.source.line for e in rule.node.examples] == [15, 16]


def test_a_node_rule_cannot_have_a_node_branch(tmp_path: Path) -> None:
    text = two_rules("process.a", "process.b", NODE_BRANCH).replace(
        "scope: container", "scope: node", 1
    )
    text = text.replace("{fact: exit_code", "{fact: '$.pods[*].containers[*].exit_code'", 1)
    found = problems(write(tmp_path, "rules.yaml", text))
    assert any("a node branch is for pod and container rules" in p for p in found), found


def test_a_differential_of_one_other_cause_loads_and_an_empty_one_does_not(
    tmp_path: Path,
) -> None:
    one = "    differential:\n      - {cause: process.b, tell: look}\n"
    assert problems(write(tmp_path, "one.yaml", two_rules("process.a", "process.b", one))) == []
    empty = "    differential: []\n"
    [problem] = problems(write(tmp_path, "empty.yaml", two_rules("process.a", "process.b", empty)))
    assert "differential" in problem


def test_the_node_branch_skips_only_when_the_rule_decided_nothing(tmp_path: Path) -> None:
    """Node logs missing: a pod the rule was decided on still counts it as examined."""
    branch = NODE_BRANCH.replace(
        "{fact: '$.collected.host', op: exists}",
        "{fact: '$.layers.containerd.log[*].message', op: matches, value: x509}",
    ).replace("quiet: [{collected: {host: ''}}]", "quiet: [{layers: {containerd: {log: []}}}]")
    branch = branch.replace(
        "fires: [{}]", "fires: [{layers: {containerd: {log: [{message: x509}]}}}]"
    )
    path = write(tmp_path, "rules.yaml", two_rules("process.a", "process.b", branch))
    assert problems(path) == []
    rules = load_rules([path], with_builtin=False)
    document = base_document()
    document["pods"] = [
        {
            "name": "web",
            "namespace": "shop",
            "uid": "1",
            "containers": [{"name": "app", "attempt": 0, "exit_code": 0}],
        }
    ]
    report = diagnose(parse_facts(copy.deepcopy(document), "test"), rules)
    assert "process.a" not in {s.rule_id for s in report.skipped}
    document["pods"] = []
    report = diagnose(parse_facts(document, "test"), rules)
    [skip] = [s for s in report.skipped if s.rule_id == "process.a"]
    assert "$.layers.containerd.log" in skip.reason
