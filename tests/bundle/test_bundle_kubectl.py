"""kubectl output (pod, events and node JSON, describe text) fills the apiserver layer, and the
deeper layers' rules fire from it alone — real shapes, from the API reference, issues and the
cluster lab (lab-node-*, unschedulable-*: kube-apiserver v1.36.3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from doctor.apiserver.describe import parse_describe
from doctor.apiserver.evidence import read_evidence
from doctor.apiserver.facts import apply_evidence, kubectl_document
from doctor.bundle.source import load_document
from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.errors import FactsError
from doctor.facts.document import parse_facts
from tests.bundle.helpers import KUBECTL, build_tar, facts_document, facts_member, member, run

RULES = load_rules()


def report_for(*names: str) -> Any:
    document = load_document(None, [KUBECTL / name for name in names])
    return diagnose(document, RULES)


def test_calico_plugin_missing_from_events_alone() -> None:
    report = report_for("calico-pod.json", "calico-events.json")
    assert report.root_cause is not None
    assert report.root_cause.finding.rule_id == "containerd.cni-plugin-missing"
    assert "calico" in report.root_cause.finding.message
    assert [f.rule_id for f in report.root_cause.chain] == [
        "kubelet.sandbox-create-failed",
        "containerd.cni-plugin-missing",
    ]


def test_events_without_the_pod_json_suffice() -> None:
    report = report_for("calico-events.json")
    assert report.root_cause.finding.rule_id == "containerd.cni-plugin-missing"  # type: ignore[union-attr]


def test_image_pull_backoff() -> None:
    report = report_for("imagepull-pod.json", "imagepull-events.json")
    assert report.root_cause.finding.rule_id == "containerd.image-not-found"  # type: ignore[union-attr]
    assert "kubelet.image-pull-backoff" in {f.rule_id for f in report.findings}


@pytest.mark.parametrize("source", ["oom-pod.json", "oom-describe.txt"])
def test_crash_loop_with_last_state_oom_killed(source: str) -> None:
    report = report_for(source)
    assert report.root_cause.finding.rule_id == "process.oom-killed"  # type: ignore[union-attr]
    assert [f.rule_id for f in report.root_cause.chain] == [  # type: ignore[union-attr]
        "kubelet.crash-loop",
        "process.oom-killed",
    ]


def test_no_node_data_document_shape() -> None:
    evidence = read_evidence(
        {str(KUBECTL / n): (KUBECTL / n).read_bytes() for n in ("oom-pod.json",)}
    )
    document = kubectl_document(evidence)
    layers = document["layers"]
    assert layers["apiserver"]["status"] == "ok"
    assert "oom-pod.json" in layers["apiserver"]["source"]
    for name in ("kubelet", "cri", "containerd", "shim", "runc", "process", "node"):
        assert layers[name]["status"] == "absent"
        assert "no node data" in layers[name]["errors"][0]["message"]
    (pod,) = document["pods"]
    assert pod["phase"] == "Running" and pod["uid"] == "c480d1ba-bec2-11e5-ad45-062d2421a4bd"
    assert {c["type"] for c in pod["conditions"]} == {"PodScheduled", "Ready"}
    exited, waiting = pod["containers"]
    assert exited == {
        "name": "memtest",
        "attempt": 2,
        "restart_count": 3,
        "image": {
            "ref": "127.0.0.1:5000/polinux/stress:latest",
            "id": "127.0.0.1:5000/polinux/stress@sha256:"
            "b6144f84f9c15dac80deb48d3a646b55c7043ab1d83ea0a697c09097aaad21aa",
        },
        "id": "7be6ae7b3a1e6bd36f7bb2c0ad7e5b5d8b4c2a1f0e9d8c7b6a5f4e3d2c1b0a99",
        "state": "CONTAINER_EXITED",
        "exit_code": 137,
        "reason": "OOMKilled",
        "started_at": "2024-01-04T09:52:29Z",
        "finished_at": "2024-01-04T09:52:49Z",
        "run_seconds": 20.0,
        "resources": {"memory_limit_bytes": 104857600},
    }
    assert waiting["state"] == "CONTAINER_WAITING" and waiting["reason"] == "CrashLoopBackOff"
    assert waiting["attempt"] == 3
    parse_facts(document, "test")


def test_describe_events_table() -> None:
    parsed = parse_describe((KUBECTL / "oom-describe.txt").read_text())
    assert parsed["node"] == "worker-3"
    events = parsed["events"]
    assert [e["reason"] for e in events] == ["Scheduled", "Pulled", "Created", "Started", "BackOff"]
    assert events[-1]["count"] == 9 and events[-1]["source"] == "kubelet"
    assert events[-1]["message"].startswith("Back-off restarting failed container memtest")
    last = parsed["pod"]["containers"][0]
    assert (last["exit_code"], last["reason"], last["run_seconds"]) == (137, "OOMKilled", 20.0)


def test_describe_with_no_events() -> None:
    text = "Name:         web\nNamespace:    default\nStatus:       Pending\nEvents:       <none>\n"
    assert parse_describe(text)["events"] == []


def test_merged_into_node_facts_keeps_the_node_facts() -> None:
    document = facts_document()
    document["pods"] = [
        {
            "name": "memtest",
            "namespace": "default",
            "containers": [
                {
                    "name": "memtest",
                    "attempt": 2,
                    "state": "CONTAINER_EXITED",
                    "exit_code": 137,
                    "reason": "OOMKilled",
                    "cgroup": {"memory": {"oom_kill_events": 1}},
                },
            ],
        }
    ]
    evidence = read_evidence({"pod.json": (KUBECTL / "oom-pod.json").read_bytes()})
    merged = apply_evidence(document, evidence)
    (pod,) = merged["pods"]
    assert pod["phase"] == "Running"
    attempt2 = next(c for c in pod["containers"] if c["attempt"] == 2)
    assert attempt2["cgroup"] == {"memory": {"oom_kill_events": 1}}  # the node's, kept
    assert attempt2["finished_at"] == "2024-01-04T09:52:49Z"  # the apiserver's, added
    assert {c["attempt"] for c in pod["containers"]} == {2, 3}
    assert merged["layers"]["kubelet"]["status"] == "ok"
    parse_facts(merged, "test")


def test_bundle_apiserver_directory_is_read(tmp_path: Path) -> None:
    path = build_tar(
        tmp_path / "b.tar.gz",
        [
            member("b/apiserver/pod.json", (KUBECTL / "calico-pod.json").read_bytes()),
            member("b/apiserver/events.json", (KUBECTL / "calico-events.json").read_bytes()),
        ],
    )
    report = diagnose(load_document(path), RULES)
    assert report.root_cause.finding.rule_id == "containerd.cni-plugin-missing"  # type: ignore[union-attr]


def test_bundle_with_facts_and_apiserver(tmp_path: Path) -> None:
    path = build_tar(
        tmp_path / "b.tar.gz",
        [
            facts_member(),
            member("b/apiserver/ev.json", (KUBECTL / "calico-events.json").read_bytes()),
        ],
    )
    document = load_document(path)
    assert len(document.pods()) == 2
    assert document.data["layers"]["apiserver"]["status"] == "ok"


def test_cli_kubectl_only(tmp_path: Path) -> None:
    result = run(
        "analyze",
        "--pod-json",
        str(KUBECTL / "calico-pod.json"),
        "--events-json",
        str(KUBECTL / "calico-events.json"),
        "-o",
        "json",
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["root_cause"]["id"] == "containerd.cni-plugin-missing"


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"{not json", "invalid JSON"),
        (b'{"kind": "Service", "metadata": {}}', "neither a Pod, an Event nor a Node"),
        (b"hello world", "neither kubectl JSON"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_bad_kubectl_files(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "pod.json"
    path.write_bytes(content)
    with pytest.raises(FactsError, match=match):
        load_document(None, [path])


def test_usage_without_anything() -> None:
    result = run("analyze")
    assert result.returncode == 2 and "give a BUNDLE" in result.stderr


@pytest.mark.parametrize(
    "sources",
    [
        ("unschedulable-pod.json", "unschedulable-events.json"),
        ("unschedulable-pod.json",),
        ("unschedulable-events.json",),
        ("unschedulable-describe.txt",),
    ],
)
def test_unschedulable_for_memory(sources: tuple[str, ...]) -> None:
    """A pod requesting 1000Gi of memory, as the v1.36.3 scheduler left it (cluster lab)."""
    report = report_for(*sources)
    assert report.root_cause is not None
    assert report.root_cause.finding.rule_id == "apiserver.insufficient-resources"
    assert "no node with enough allocatable memory" in report.root_cause.finding.message


# What the CRI gatherer recorded while the cluster lab's containerd was stopped (its socket gone).
UNREACHABLE = {
    "source": "Version unix:///run/containerd/containerd.sock",
    "message": "rpc error: code = Unavailable desc = failed to connect to all addresses; last "
    "error: FAILED_PRECONDITION: unix:/run/containerd/containerd.sock: connect failed: addr: "
    "unix:/run/containerd/containerd.sock error: No such file or directory",
}


def node_json(name: str) -> dict[str, bytes]:
    return {name: (KUBECTL / name).read_bytes()}


def test_node_json_alone_gives_its_conditions() -> None:
    """`kubectl get node -o json` of the lab's node 20 s after its kubelet stopped."""
    document = kubectl_document(read_evidence(node_json("lab-node-kubelet-stopped.json")))
    assert document["collected"]["host"] == "lab-node"
    assert document["pods"] == []
    conditions = document["layers"]["apiserver"]["node_conditions"]
    assert {c["type"]: c["status"] for c in conditions} == {
        "MemoryPressure": "Unknown",
        "DiskPressure": "Unknown",
        "PIDPressure": "Unknown",
        "Ready": "Unknown",
    }
    report = diagnose(parse_facts(document, "test"), RULES)
    assert report.root_cause is not None
    assert report.root_cause.finding.rule_id == "apiserver.node-not-ready"
    assert 'reason NodeStatusUnknown): "Kubelet stopped posting node status."' in (
        report.root_cause.finding.message
    )


@pytest.mark.parametrize(
    ("node", "layer", "facts", "cause"),
    [
        ("lab-node-kubelet-stopped.json", "kubelet", {"running": False}, "kubelet.not-running"),
        (
            "lab-node-containerd-stopped.json",
            "containerd",
            {"running": False, "socket": "/run/containerd/containerd.sock"},
            "containerd.not-running",
        ),
    ],
)
def test_node_json_with_node_facts_is_explained_by_the_node(
    node: str, layer: str, facts: dict[str, Any], cause: str
) -> None:
    """The node's NotReady is the symptom; what the node's own facts show is the cause."""
    document = facts_document()
    document["pods"] = []
    document["layers"][layer].update(facts)
    if layer == "containerd":  # and so nothing answers on the CRI socket
        document["layers"]["cri"] = {"status": "unreachable", "errors": [UNREACHABLE]}
    merged = apply_evidence(document, read_evidence(node_json(node)))
    report = diagnose(parse_facts(merged, "test"), RULES)
    assert report.root_cause is not None
    assert report.root_cause.finding.rule_id == cause
    assert "apiserver.node-not-ready" in [f.rule_id for f in report.root_cause.chain]


def test_several_nodes_need_the_pods_node() -> None:
    stopped = json.loads((KUBECTL / "lab-node-kubelet-stopped.json").read_text())
    other = json.loads((KUBECTL / "lab-node-containerd-stopped.json").read_text())
    other["metadata"]["name"] = "node-2"
    nodes = json.dumps({"kind": "List", "items": [other, stopped]}).encode()
    with pytest.raises(FactsError, match="which node is this"):
        kubectl_document(read_evidence({"nodes.json": nodes}))
    pod = json.loads((KUBECTL / "calico-pod.json").read_text())
    pod["spec"]["nodeName"] = "node-2"
    evidence = read_evidence({"nodes.json": nodes, "pod.json": json.dumps(pod).encode()})
    document = kubectl_document(evidence)
    assert document["collected"]["host"] == "node-2"
    (ready,) = [
        c for c in document["layers"]["apiserver"]["node_conditions"] if c["type"] == "Ready"
    ]
    assert (ready["status"], ready["message"]) == ("False", "container runtime is down")


def test_cli_node_json(tmp_path: Path) -> None:
    result = run(
        "analyze", "--node-json", str(KUBECTL / "lab-node-containerd-stopped.json"), "-o", "json"
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["root_cause"]["id"] == "apiserver.node-not-ready"
    (finding,) = report["findings"]
    assert "container runtime is down" in finding["message"]


# A SystemOOM event about a node and a pod's event, as `kubectl get events -o json` lists them
# (the kubelet's wording naming the victim, pkg/kubelet/oom/oom_watcher_linux.go; the node and
# the victim as a public `kubectl get events` paste named them)
NODE_AND_POD_EVENTS = {
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "nlk8s-node04.17a1", "namespace": "default"},
            "involvedObject": {"kind": "Node", "name": "nlk8s-node04", "uid": "nlk8s-node04"},
            "reason": "SystemOOM",
            "message": "System OOM encountered, victim process: prometheus, pid: 967770",
            "source": {"component": "kubelet", "host": "nlk8s-node04"},
            "count": 1,
            "lastTimestamp": "2024-05-02T10:01:00Z",
            "type": "Warning",
        },
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "prometheus-0.17a2", "namespace": "monitoring"},
            "involvedObject": {"kind": "Pod", "name": "prometheus-0", "namespace": "monitoring"},
            "reason": "Unhealthy",
            "message": 'Readiness probe failed: Get "http://10.0.0.82:9090/-/ready": dial tcp'
            " 10.0.0.82:9090: connect: connection refused",
            "source": {"component": "kubelet", "host": "nlk8s-node04"},
            "count": 3,
            "lastTimestamp": "2024-05-02T10:01:30Z",
            "type": "Warning",
        },
    ],
}


def test_events_about_the_node_are_its_events() -> None:
    evidence = read_evidence({"events.json": json.dumps(NODE_AND_POD_EVENTS).encode()})
    document = kubectl_document(evidence)
    assert document["collected"]["host"] == "nlk8s-node04"
    assert [e["reason"] for e in document["layers"]["apiserver"]["node_events"]] == ["SystemOOM"]
    assert [(p["namespace"], p["name"]) for p in document["pods"]] == [
        ("monitoring", "prometheus-0")
    ]
    assert [e["reason"] for e in document["pods"][0]["events"]] == ["Unhealthy"]
    report = diagnose(parse_facts(document, "test"), RULES)
    assert report.root_cause is not None
    assert report.root_cause.finding.rule_id == "node.kernel-oom"
    assert "prometheus (pid 967770)" in report.root_cause.finding.message


def test_events_about_another_node_are_not_this_nodes() -> None:
    """The pods' node is the facts' node: a SystemOOM on another node is not its."""
    items = [dict(e) for e in NODE_AND_POD_EVENTS["items"]]  # type: ignore[attr-defined]
    items.append(
        {
            **items[0],
            "involvedObject": {"kind": "Node", "name": "other-node"},
            "reason": "NodeNotReady",
            "message": "Node other-node status is now: NodeNotReady",
        }
    )
    evidence = read_evidence({"events.json": json.dumps({"kind": "List", "items": items}).encode()})
    evidence.node = "other-node"
    events = kubectl_document(evidence)["layers"]["apiserver"]["node_events"]
    assert [e["reason"] for e in events] == ["NodeNotReady"]


def test_describe_node_events_are_the_nodes_events() -> None:
    """A real `kubectl describe node` (tests/paste/describe-node-dgx.txt): its Events rows are
    the node's events; the k3s#838 node's SystemOOM row in their place, the kernel's OOM."""
    text = (Path(__file__).parent.parent / "paste" / "describe-node-dgx.txt").read_text()
    document = kubectl_document(read_evidence({"describe.txt": text.encode()}))
    assert [e["reason"] for e in document["layers"]["apiserver"]["node_events"]] == [
        "CIDRNotAvailable"
    ]
    oom = text.replace(
        "  Normal  CIDRNotAvailable  2m48s (x39 over 167m)  cidrAllocator  Node dgx status is"
        " now: CIDRNotAvailable",
        # at the header's columns, as kubectl aligns them
        "  Warning SystemOOM         12m (x4 over 25m)      kubelet, dgx   System OOM encountered",
    )
    document = kubectl_document(read_evidence({"describe.txt": oom.encode()}))
    (event,) = document["layers"]["apiserver"]["node_events"]
    assert (event["reason"], event["message"], event["count"]) == (
        "SystemOOM",
        "System OOM encountered",
        4,
    )
    report = diagnose(parse_facts(document, "test"), RULES)
    assert "node.kernel-oom" in {f.rule_id for f in report.findings}
