"""The live apiserver layer on the lab's real cluster: read with exactly the ClusterRole that
deploy/rbac.yaml ships and with less, a pod bound to another node, an API server that does not
answer, and a node gone NotReady — each diagnosed as a user would run it (a subprocess)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from doctor.lab.kube import scenarios
from doctor.lab.runtime import Lab
from tests.conftest import REPO
from tests.lab.cluster_support import analyze, apply, pod
from tests.lab.diagnose import diagnose, root_cause, stackdoctor, within_deadline
from tests.lab.test_cluster import layer_status, not_walked

NAMESPACE = "default"
CRASH = ["sh", "-c", "echo 'fatal: no config' >&2; exit 1"]


def kubeconfig_for(lab: Lab, account: str, path: Path) -> str:
    """A kubeconfig holding a token of the service account `account` (the TokenRequest API)."""
    token = lab.cluster.kubectl("create", "token", account, "-n", NAMESPACE).stdout.strip()
    admin = yaml.safe_load(lab.cluster.files.admin_kubeconfig.read_text())
    admin["users"] = [{"name": account, "user": {"token": token}}]
    admin["contexts"] = [{"name": account, "context": {"cluster": "lab", "user": account}}]
    admin["current-context"] = account
    path.write_text(yaml.safe_dump(admin))
    return str(path)


@contextlib.contextmanager
def service_account(lab: Lab, name: str, *bindings: str) -> Iterator[None]:
    lab.cluster.kubectl("create", "serviceaccount", name, "-n", NAMESPACE)
    for binding in bindings:
        apply(lab, binding)
    try:
        yield
    finally:
        lab.cluster.kubectl("delete", "serviceaccount", name, "-n", NAMESPACE, "--wait=false")
        for binding in bindings:
            lab.cluster.kubectl("delete", "-f", "-", "--wait=false", stdin=binding, check=False)


def apiserver_facts(saved: Path) -> dict[str, Any]:
    layer: dict[str, Any] = json.loads(saved.read_text())["layers"]["apiserver"]
    return layer


def binding(kind: str, role: str, account: str) -> str:
    scope = "ClusterRoleBinding" if kind == "ClusterRole" else "RoleBinding"
    metadata: dict[str, Any] = {"name": f"{account}-{role}"}
    if scope == "RoleBinding":
        metadata["namespace"] = NAMESPACE
    return yaml.safe_dump(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": scope,
            "metadata": metadata,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": NAMESPACE}],
        }
    )


@pytest.fixture(scope="module")
def crash_loop(cluster: Lab) -> Iterator[str]:
    """A pod of a Deployment whose container exits 1 (the app's own error), crash-looping."""
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api-crash", "namespace": NAMESPACE},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "api-crash"}},
            "template": {
                "metadata": {"labels": {"app": "api-crash"}},
                "spec": json.loads(pod("api-crash", [{"name": "app", "command": CRASH}]))["spec"],
            },
        },
    }
    try:
        apply(cluster, json.dumps(manifest))
        yield f"{NAMESPACE}/{crashed_twice(cluster, 'app=api-crash')}"
    finally:
        # foreground: returns once its pods are gone too (their netns and veth with them), so
        # the next test's snapshot of the machine does not catch them on their way out
        cluster.cluster.kubectl(
            "delete", "deployment", "api-crash", "-n", NAMESPACE, "--cascade=foreground",
            "--wait=true", timeout=120,
        )  # fmt: skip


def crashed_twice(lab: Lab, selector: str, timeout: float = 180) -> str:
    """The name of the pod `selector` picks once its container restarted twice. Polled: the
    Deployment's pod may not exist yet (`kubectl wait -l` fails at once when none matches)."""
    deadline = time.monotonic() + timeout
    while True:
        found = lab.cluster.kubectl_json("get", "pod", "-l", selector, "-n", NAMESPACE) or {}
        for item in found.get("items") or []:
            statuses = (item.get("status") or {}).get("containerStatuses") or []
            if statuses and statuses[0].get("restartCount", 0) >= 2:
                return str(item["metadata"]["name"])
        if time.monotonic() > deadline:
            raise AssertionError(f"no pod {selector} restarted twice in {timeout:.0f} s")
        time.sleep(1)


def test_exactly_the_shipped_cluster_role_reads_everything(
    cluster: Lab, crash_loop: str, tmp_path: Path
) -> None:
    shipped = (REPO / "deploy/rbac.yaml").read_text()
    apply(cluster, shipped)
    reader = binding("ClusterRole", "stackdoctor-reader", "sd-reader")
    with service_account(cluster, "sd-reader", reader):
        config = kubeconfig_for(cluster, "sd-reader", tmp_path / "kubeconfig")
        run = diagnose(cluster, crash_loop, api=config, save=tmp_path / "facts.json")
    assert root_cause(run.report) == ("process.app-error", "process")
    api = apiserver_facts(tmp_path / "facts.json")
    assert (api["status"], api["errors"]) == ("ok", []), api  # nothing it asked was refused
    assert api["node"]["name"] == "lab-node"
    (pod_facts,) = json.loads((tmp_path / "facts.json").read_text())["pods"]
    assert f"{pod_facts['namespace']}/{pod_facts['name']}" == crash_loop
    assert [owner["kind"] for owner in pod_facts["owners"]] == ["ReplicaSet", "Deployment"]


def test_with_less_it_says_what_was_refused_and_walks_the_node(
    cluster: Lab, crash_loop: str, tmp_path: Path
) -> None:
    # may read pods in the namespace, nothing else: no events, no node, no ReplicaSet
    role = yaml.safe_dump(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "pods-only", "namespace": NAMESPACE},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
        }
    )
    with service_account(cluster, "sd-less", role, binding("Role", "pods-only", "sd-less")):
        config = kubeconfig_for(cluster, "sd-less", tmp_path / "kubeconfig")
        run = diagnose(cluster, crash_loop, api=config, save=tmp_path / "facts.json")
    api = apiserver_facts(tmp_path / "facts.json")
    assert api["status"] == "ok", api
    refused = " ".join(error["message"] for error in api["errors"])
    assert 'cannot list resource "events"' in refused, api
    assert 'cannot get resource "nodes"' in refused, api
    assert root_cause(run.report) == ("process.app-error", "process")

    with service_account(cluster, "sd-nothing"):
        config = kubeconfig_for(cluster, "sd-nothing", tmp_path / "nothing")
        run = diagnose(cluster, crash_loop, api=config)
    api = next(layer for layer in run.report["layers"] if layer["name"] == "apiserver")
    assert api["status"] == "permission-denied", api
    assert 'cannot get resource "pods"' in api["reason"] or "cannot list" in api["reason"], api
    assert "Traceback" not in run.stderr
    assert root_cause(run.report) == ("process.app-error", "process")  # the node still tells


def test_a_pod_bound_to_another_node_is_said_so(cluster: Lab) -> None:
    far = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "far-node"},
    }
    apply(cluster, json.dumps(far))
    manifest = json.loads(pod("far-away", [{"name": "app", "command": ["sleep", "3600"]}]))
    manifest["spec"]["nodeName"] = "far-node"
    apply(cluster, json.dumps(manifest))
    try:
        run = diagnose(cluster, "far-away", api=str(cluster.cluster.files.admin_kubeconfig))
    finally:
        cluster.cluster.kubectl("delete", "pod", "far-away", "--force", "--grace-period=0")
        cluster.cluster.kubectl("delete", "node", "far-node")
    kubelet = next(layer for layer in run.report["layers"] if layer["name"] == "kubelet")
    assert "runs on node far-node, not on this machine (lab-node)" in kubelet["reason"]
    assert "kubectl stackdoctor -n default far-away" in kubelet["reason"]
    assert not_walked(run.report) >= {"cri", "runc", "process"}


def test_a_pod_named_without_its_namespace_is_found_in_any(cluster: Lab) -> None:
    """`diagnose NAME` asks the API for NAME in every namespace, as the node walk looks in
    every sandbox: a Pending pod (no sandbox on any node) of another namespace is found and
    diagnosed from its events; the same name in two namespaces asks for -n, naming both."""
    manifest = json.loads(pod("elsewhere", [{"name": "app", "command": ["sleep", "3600"]}]))
    manifest["metadata"]["namespace"] = "team-a"
    manifest["spec"]["nodeSelector"] = {"stackdoctor.io/no-such-label": "x"}
    cluster.cluster.kubectl("create", "namespace", "team-a")
    admin = str(cluster.cluster.files.admin_kubeconfig)
    try:
        apply(cluster, json.dumps(manifest))
        scheduled = "jsonpath={.status.conditions[?(@.type=='PodScheduled')].reason}"
        cluster.cluster.kubectl(
            "wait", "pod/elsewhere", "-n", "team-a", f"--for={scheduled}=Unschedulable",
            "--timeout=60s", timeout=90,
        )  # fmt: skip
        run = diagnose(cluster, "elsewhere", api=admin)
        assert root_cause(run.report) == ("apiserver.node-selector-mismatch", "apiserver")
        assert run.report["target"]["namespace"] == "team-a", run.report["target"]

        manifest["metadata"]["namespace"] = NAMESPACE
        apply(cluster, json.dumps(manifest))
        code, _, err, _ = stackdoctor(
            cluster, "diagnose", "elsewhere", "--kubeconfig", admin, "-o", "json"
        )
        assert code == 2, err
        assert "pods of that name in namespaces default, team-a: give -n" in err, err
    finally:
        cluster.cluster.kubectl(
            "delete", "namespace", "team-a", "--wait=true", timeout=120, check=False
        )
        cluster.cluster.kubectl(
            "delete", "pod", "elsewhere", "-n", NAMESPACE, "--force", "--grace-period=0",
            check=False,
        )  # fmt: skip


def test_a_pod_on_a_node_no_kubelet_runs_behind_is_diagnosed_from_the_api_alone(
    cluster: Lab,
) -> None:
    """A Node object with no kubelet behind it: the node lifecycle controller marks it
    Ready=Unknown ("Kubelet never posted node status.", about a minute after it was made in the
    lab: a node that never posted waits out the startup grace, not the 20 s one); a pod bound to it
    is diagnosed from the API server alone, apiserver.node-not-ready its root cause."""
    lost = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "lost-node"}}
    manifest = json.loads(pod("on-lost-node", [{"name": "app", "command": ["sleep", "3600"]}]))
    manifest["spec"]["nodeName"] = "lost-node"
    apply(cluster, json.dumps(lost))
    try:
        apply(cluster, json.dumps(manifest))
        cluster.cluster.kubectl(
            "wait", "node", "lost-node", "--for=condition=Ready=Unknown", "--timeout=180s",
            timeout=200,
        )  # fmt: skip
        run = diagnose(cluster, "on-lost-node", api=str(cluster.cluster.files.admin_kubeconfig))
    finally:
        cluster.cluster.kubectl(
            "delete", "pod", "on-lost-node", "--force", "--grace-period=0", "--ignore-not-found"
        )
        cluster.cluster.kubectl("delete", "node", "lost-node", "--ignore-not-found")
    assert root_cause(run.report) == ("apiserver.node-not-ready", "apiserver"), run.report
    cause = run.report["root_cause"]
    assert "apiserver.pod-node-not-reporting" in cause["chain"], cause
    (finding,) = [f for f in run.report["findings"] if f["key"] == cause["key"]]
    assert "Node lost-node is NotReady (Ready=Unknown" in finding["message"], finding
    assert "Kubelet never posted node status." in finding["message"], finding
    kubelet = next(layer for layer in run.report["layers"] if layer["name"] == "kubelet")
    assert "runs on node lost-node, not on this machine (lab-node)" in kubelet["reason"]
    assert not_walked(run.report) >= {"cri", "runc", "process"}


def test_an_api_server_that_does_not_answer_costs_the_deadline_once(
    cluster: Lab, crash_loop: str
) -> None:
    pid = cluster.cluster.state.pids["kube-apiserver"]
    os.kill(pid, signal.SIGSTOP)
    try:
        run = diagnose(
            cluster, crash_loop, api=str(cluster.cluster.files.admin_kubeconfig), timeout=2
        )
    finally:
        os.kill(pid, signal.SIGCONT)
    assert layer_status(run.report, "apiserver") == "timeout"
    assert root_cause(run.report) == ("process.app-error", "process")
    assert within_deadline(run.seconds, 2), run.seconds
    cluster.cluster.wait_apiserver()


def test_a_pod_on_this_node_gone_not_ready_names_the_condition_and_walks_the_node(
    cluster: Lab, crash_loop: str, tmp_path: Path
) -> None:
    """The kubelet stops: the API server shows lab-node Ready=Unknown; the pod's diagnosis
    names that condition from the API and walks this node, where the kubelet is not running."""
    scenarios.stop_kubelet(cluster)
    try:
        scenarios.wait_node(
            cluster, scenarios.node_ready_is("Unknown", "Kubelet stopped posting node status.")
        )
        run = diagnose(
            cluster, crash_loop, api=str(cluster.cluster.files.admin_kubeconfig),
            save=tmp_path / "facts.json",
        )  # fmt: skip
    finally:
        scenarios.kubelet_back(cluster)
    findings = {f["id"] for f in run.report["findings"]}
    assert "apiserver.node-not-ready" in findings, findings
    assert root_cause(run.report) == ("kubelet.not-running", "kubelet")
    assert not not_walked(run.report), run.report["layers"]  # this node: every layer read
    conditions = apiserver_facts(tmp_path / "facts.json")["node_conditions"]
    ready = next(c for c in conditions if c["type"] == "Ready")
    assert ready["status"] == "Unknown"


def test_collect_keeps_what_the_api_said_redacted_for_analyze(
    cluster: Lab, crash_loop: str, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.tar.gz"
    code, _, err, _ = stackdoctor(
        cluster, "collect", crash_loop, "--kubeconfig", str(cluster.cluster.files.admin_kubeconfig),
        "-o", str(bundle),
    )  # fmt: skip
    assert code == 0, err
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
        (answer_name,) = [n for n in names if n.endswith("api/answer.json")]
        handle = tar.extractfile(answer_name)
        assert handle is not None
        answer = json.loads(handle.read())
    assert answer["pod"]["metadata"]["name"] == crash_loop.split("/")[1]
    assert "managedFields" not in answer["pod"]["metadata"]
    assert [o["kind"] for o in answer["owners"]] == ["ReplicaSet", "Deployment"]
    report = analyze(bundle)
    assert root_cause(report) == ("process.app-error", "process")
    api = next(layer for layer in report["layers"] if layer["name"] == "apiserver")
    assert api["status"] == "ok"
