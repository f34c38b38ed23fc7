"""Root causes named from the API server alone, for a pod this machine's layers cannot tell about.

A Pending pod: when the scheduler gives several reasons each is its own finding, and the root
cause is the reason of the nodes that got furthest through the scheduler's filters (resources,
then node selector/affinity, then taints, then cordons: the order of rules/apiserver.yaml, see
the comment above apiserver.node-selector-mismatch). A pod bound to a node whose kubelet never
posted status: that node's NotReady."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.facts.document import PodRef, parse_facts
from doctor.gather.api import layer
from tests.conftest import REPO
from tests.gather.test_api_layer import node_document

RULES = load_rules()
SCHEDULING = {
    "apiserver.insufficient-resources",
    "apiserver.node-selector-mismatch",
    "apiserver.untolerated-taint",
    "apiserver.nodes-cordoned",
}
PREEMPTION = " preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."


def pending_with(message: str) -> dict[str, Any]:
    """The lab's real unschedulable pod (kube-apiserver v1.36.3), its scheduler message replaced."""
    reply: dict[str, Any] = json.loads((REPO / "fixtures/api/unschedulable.json").read_text())
    reply = copy.deepcopy(reply)
    reply["pod"]["status"]["conditions"][0]["message"] = message
    for event in reply["events"]:
        event["message"] = message
    document = layer.apply_answer(node_document(), reply)
    layer.not_here(document, reply, "lab-node")
    return document


@pytest.mark.parametrize(
    ("message", "root", "fired"),
    [
        # the control plane's taint beside workers short of cpu: the workers' cpu
        (
            "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu.",
            "apiserver.insufficient-resources",
            {"apiserver.insufficient-resources", "apiserver.untolerated-taint"},
        ),
        # the control plane's taint beside workers without the selected label: the selector
        (
            "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't "
            "match Pod's node affinity/selector.",
            "apiserver.node-selector-mismatch",
            {"apiserver.node-selector-mismatch", "apiserver.untolerated-taint"},
        ),
        # cordoned nodes beside tainted ones: the taint (hcloud-cloud-controller-manager#226)
        (
            "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) were "
            "unschedulable.",
            "apiserver.untolerated-taint",
            {"apiserver.untolerated-taint", "apiserver.nodes-cordoned"},
        ),
        # as the lab's v1.36.3 scheduler printed it, a second node tainted
        (
            "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 "
            "node(s) had untolerated taint(s). no new claims to deallocate,",
            "apiserver.node-selector-mismatch",
            {"apiserver.node-selector-mismatch", "apiserver.untolerated-taint"},
        ),
        # one reason alone is the root cause, whatever its place in the order
        (
            "0/3 nodes are available: 3 node(s) were unschedulable.",
            "apiserver.nodes-cordoned",
            {"apiserver.nodes-cordoned"},
        ),
    ],
)
def test_the_nodes_that_got_furthest_name_the_root_cause(
    message: str, root: str, fired: set[str]
) -> None:
    facts = parse_facts(pending_with(message + PREEMPTION), "api")
    report = diagnose(facts, RULES, PodRef("default", "unschedulable"))
    assert report.root_cause is not None
    assert report.root_cause.finding.rule_id == root
    assert {f.rule_id for f in report.findings} & SCHEDULING == fired


def test_a_pod_on_a_node_no_kubelet_runs_behind_names_that_nodes_not_ready() -> None:
    """The lab's pod bound to far-node (a Node object alone), once the v1.36.3 node lifecycle
    controller gave it the condition it gives a node whose kubelet never posted
    (node_lifecycle_controller.go:943) and its unreachable taint."""
    reply: dict[str, Any] = json.loads((REPO / "fixtures/api/far-away.json").read_text())
    reply["node"]["spec"]["taints"] = [
        {"key": "node.kubernetes.io/unreachable", "effect": effect}
        for effect in ("NoSchedule", "NoExecute")
    ]
    reply["node"]["status"]["conditions"] = [
        {
            "type": kind,
            "status": "Unknown",
            "reason": "NodeStatusNeverUpdated",
            "message": "Kubelet never posted node status.",
        }
        for kind in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
    ]
    document = layer.apply_answer(node_document(), reply)
    layer.not_here(document, reply, "lab-node")
    report = diagnose(parse_facts(document, "api"), RULES, PodRef("default", "far-away"))
    assert report.root_cause is not None
    assert report.root_cause.finding.rule_id == "apiserver.node-not-ready"
    assert report.root_cause.finding.message.startswith(
        'Node far-node is NotReady (Ready=Unknown, reason NodeStatusNeverUpdated): "Kubelet '
        'never posted node status."'
    )
    assert [f.rule_id for f in report.root_cause.chain] == [
        "apiserver.pod-node-not-reporting",
        "apiserver.node-not-ready",
    ]


def test_a_pod_on_a_reachable_node_is_not_said_to_be_on_a_silent_one() -> None:
    """The same pod, its node Ready: no finding about its node."""
    reply: dict[str, Any] = json.loads((REPO / "fixtures/api/far-away.json").read_text())
    reply["node"]["status"]["conditions"] = [
        {"type": "Ready", "status": "True", "reason": "KubeletReady"}
    ]
    document = layer.apply_answer(node_document(), reply)
    layer.not_here(document, reply, "lab-node")
    report = diagnose(parse_facts(document, "api"), RULES, PodRef("default", "far-away"))
    assert not {f.rule_id for f in report.findings} & {
        "apiserver.node-not-ready",
        "apiserver.pod-node-not-reporting",
    }
