"""The API server's answer into the facts document, on answers captured from the lab's real
kube-apiserver v1.36.3 (fixtures/api/, scripts/capture-api-answers): the apiserver layer in the
shape the kubectl readers give it, the node's summary and the pod's owners, and where the pod
lives deciding whether the node's layers apply."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from doctor.apiserver.evidence import Evidence
from doctor.apiserver.facts import kubectl_document
from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.facts.document import PodRef, parse_facts
from doctor.gather.api import layer
from doctor.gather.api.node_agent import AgentError, agent_command
from doctor.gather.api.question import named_query
from doctor.layers import LAYER_NAMES
from tests.conftest import REPO

RULES = load_rules()


def answer(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((REPO / "fixtures/api" / f"{name}.json").read_text())
    return loaded


def node_document() -> dict[str, Any]:
    """A document as the node walk leaves it when the pod is not on this node."""
    document = kubectl_document(Evidence())
    for name in LAYER_NAMES[1:]:
        document["layers"][name] = {"status": "ok", "errors": []}
    document["collected"]["host"] = "lab-node"
    return document


def test_a_running_pods_answer_fills_the_apiserver_layer_and_the_pod() -> None:
    document = layer.apply_answer(node_document(), answer("oom-kill"))
    api = document["layers"]["apiserver"]
    assert api["status"] == "ok"
    assert api["source"] == "api server https://127.0.0.1:6443 (context lab)"
    assert {c["type"] for c in api["node_conditions"]} >= {"Ready", "MemoryPressure"}
    assert api["node"]["kubelet_version"] == "v1.36.3"
    assert api["node"]["container_runtime_version"] == "containerd://1.6.20"
    (pod,) = document["pods"]
    assert (pod["namespace"], pod["name"], pod["node_name"]) == ("default", "oom-kill", "lab-node")
    assert pod["owners"] == []
    assert any(e["reason"] == "BackOff" for e in pod["events"])
    exited = [c for c in pod["containers"] if c.get("reason") == "OOMKilled"]
    assert exited and exited[0]["exit_code"] == 137
    parse_facts(document, "api answer")  # the schema holds


def test_the_nodes_own_events_fill_node_events() -> None:
    reply = answer("oom-kill-node-events")  # captured once the node's events were asked too
    document = layer.apply_answer(node_document(), reply)
    reasons = [event["reason"] for event in document["layers"]["apiserver"]["node_events"]]
    # the real kubelet's and node controller's, as v1.36.3 recorded them for lab-node
    assert {"Starting", "NodeReady", "RegisteredNode"} <= set(reasons)
    parse_facts(document, "api answer")


def test_the_owner_chain_up_to_the_deployment() -> None:
    document = layer.apply_answer(node_document(), answer("deployment-pod"))
    (pod,) = document["pods"]
    assert [(o["kind"], o["name"]) for o in pod["owners"]] == [
        ("ReplicaSet", "web-67cf6bf674"),
        ("Deployment", "web"),
    ]
    assert pod["owners"][1]["replicas"] == 1


def test_the_api_answer_alone_names_the_root_cause_the_node_walk_would() -> None:
    document = layer.apply_answer(node_document(), answer("oom-kill"))
    report = diagnose(parse_facts(document, "api"), RULES, PodRef("default", "oom-kill"))
    assert report.root_cause is not None
    assert report.root_cause.finding.rule_id == "process.oom-killed"


def test_an_unscheduled_pod_is_diagnosed_from_the_api_alone() -> None:
    reply = answer("unschedulable")
    assert layer.node_name_of(reply) is None
    document = layer.apply_answer(node_document(), reply)
    layer.not_here(document, reply, "lab-node")
    for name in LAYER_NAMES[1:]:
        assert document["layers"][name]["status"] == "absent"
    assert "not scheduled to any node yet" in document["layers"]["kubelet"]["errors"][0]["message"]
    report = diagnose(parse_facts(document, "api"), RULES, PodRef("default", "unschedulable"))
    assert report.root_cause is not None
    assert report.root_cause.finding.rule_id == "apiserver.insufficient-resources"


def test_a_pod_on_another_node_says_where_and_how_to_diagnose_it_there() -> None:
    reply = answer("far-away")
    document = layer.apply_answer(node_document(), reply)
    layer.not_here(document, reply, "lab-node")
    message = document["layers"]["kubelet"]["errors"][0]["message"]
    assert "runs on node far-node, not on this machine (lab-node)" in message
    assert "kubectl stackdoctor -n default far-away" in message
    assert document["layers"]["node"]["errors"][0]["message"].endswith("is not on this machine")


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        ({"status": "absent", "reason": "no kubeconfig"}, "absent"),
        (
            {"status": "error", "kind": "forbidden", "reason": "get pods x: forbidden"},
            "permission-denied",
        ),
        ({"status": "error", "kind": "unauthorized", "reason": "refused"}, "permission-denied"),
        ({"status": "error", "kind": "unreachable", "reason": "refused"}, "unreachable"),
        ({"status": "error", "kind": "timeout", "reason": "no answer"}, "timeout"),
        ({"status": "error", "reason": "exec plugin failed"}, "error"),
    ],
)
def test_no_answer_says_why_in_the_layer(reply: dict[str, Any], status: str) -> None:
    section = layer.unavailable_section(reply)
    assert section["status"] == status
    assert section["errors"] == [{"source": "apiserver", "message": reply["reason"]}]


def test_events_and_node_that_could_not_be_read_leave_the_rest() -> None:
    reply = copy.deepcopy(answer("crash-loop"))
    reply.update(events=[], node=None)
    reply["errors"] = [{"source": "apiserver", "message": "list events: forbidden"}]
    document = layer.apply_answer(node_document(), reply)
    api = document["layers"]["apiserver"]
    assert api["status"] == "ok" and api["errors"] == reply["errors"]
    assert "node" not in api and "node_conditions" not in api
    assert document["pods"][0]["phase"] == "Running"


@pytest.mark.parametrize(
    ("text", "namespace", "named"),
    [
        ("web", None, ("web", None)),
        ("web", "shop", ("web", "shop")),
        ("shop/web", None, ("web", "shop")),
        ("7b83111c-4229-410f-9346-baedd9beff6d", None, None),  # a pod uid
        ("5f1c2a9d8e7b", None, None),  # a sandbox id prefix
        ("/web", None, None),
    ],
)
def test_which_queries_the_api_is_asked_by(
    text: str, namespace: str | None, named: tuple[str, str | None] | None
) -> None:
    assert named_query(text, namespace) == named


@pytest.mark.parametrize(
    ("annotations", "command"),
    [
        ({}, ["stackdoctor"]),
        (
            {"stackdoctor.io/exec": '["busybox", "chroot", "/host", "stackdoctor"]'},
            ["busybox", "chroot", "/host", "stackdoctor"],
        ),
    ],
)
def test_the_node_agents_command(annotations: dict[str, str], command: list[str]) -> None:
    agent = {"metadata": {"name": "stackdoctor-x", "annotations": annotations}}
    assert agent_command(agent) == command


@pytest.mark.parametrize("given", ["chroot /host", "[]", '["a", 1]', "{}"])
def test_a_broken_exec_annotation_is_one_line(given: str) -> None:
    agent = {"metadata": {"annotations": {"stackdoctor.io/exec": given}}}
    with pytest.raises(AgentError, match=r"^annotation stackdoctor\.io/exec: not a JSON list"):
        agent_command(agent)
