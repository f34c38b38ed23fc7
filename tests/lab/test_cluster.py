"""The lab's real Kubernetes: kubectl apply -> kube-apiserver -> scheduler -> kubelet -> CRI ->
containerd -> shim -> runc -> the process, diagnosed as it failed, and torn down without a
trace on this machine (whose kernel other machines share)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from doctor.lab.kube import scenarios
from doctor.lab.kube.cluster import node_ready
from doctor.lab.kube.kubelet import KERNEL_TUNABLES
from doctor.lab.kube.scenarios import (
    ORDERED,
    SCENARIOS,
    ClusterScenario,
    container_status,
    last_terminated,
    wait_pod,
)
from doctor.lab.runtime import Lab
from tests.lab.cluster_support import (
    analyze,
    apply,
    kubectl_output,
    node_json,
    pod,
    require_cluster,
)
from tests.lab.conftest import new_lab
from tests.lab.diagnose import diagnose, root_cause, severe, stackdoctor
from tests.lab.support import require_registry

# kernel/ns_last_pid is the last pid handed out, not a setting
VOLATILE = {"/proc/sys/kernel/ns_last_pid"}


def kernel_settings() -> dict[str, str]:
    """Every writable value under /proc/sys/{kernel,vm,fs}: the host-wide settings."""
    found = {}
    for top in ("kernel", "vm", "fs"):
        for directory, _, files in os.walk(f"/proc/sys/{top}"):
            for name in files:
                path = os.path.join(directory, name)
                try:
                    if path in VOLATILE or not os.stat(path).st_mode & 0o200:
                        continue
                    found[path] = Path(path).read_text()
                except OSError:
                    continue
    return found


def machine_state() -> dict[str, Any]:
    """What a lab must leave as it found it, beyond its own directory."""
    netns = Path("/run/netns")
    return {
        "kernel": kernel_settings(),
        "iptables": iptables_rules(),
        "links": sorted(os.listdir("/sys/class/net")),
        "netns": sorted(os.listdir(netns)) if netns.is_dir() else None,
        "run": sorted(os.listdir("/run")),
    }


def iptables_rules() -> list[str]:
    """This network namespace's iptables chains and rules (not comments, not counters)."""
    if not shutil.which("iptables-save"):
        return []
    saved = subprocess.run(["iptables-save"], capture_output=True, text=True, check=False).stdout
    lines = [line.split(" [")[0] for line in saved.splitlines() if not line.startswith("#")]
    return sorted(line for line in lines if line not in ("COMMIT", ""))


def test_up_and_down_leave_the_machine_as_they_found_it() -> None:
    """`lab down` (the command, in another process) leaves no process, mount, network
    namespace, link, iptables rule, cgroup or kernel setting behind — on a lab with running,
    crash-looping and OOM-killed pods, a registry it started and pods in their own netns."""
    require_cluster()
    require_registry()
    before = machine_state()
    tunables_before = {key: Path(f"/proc/sys/{key}").read_text() for key in KERNEL_TUNABLES}
    lab = new_lab()
    try:
        lab.up()
        command = ["sh", "-c", "echo up; exec sleep 3600"]
        apply(lab, pod("netns", [{"name": "app", "command": command}]))
        wait_pod(lab, "netns", lambda p: container_status(p, "app").get("ready"))
        # The API server reaches the kubelet at the node's (non-loopback) lab address.
        assert lab.cluster.kubectl("logs", "netns").stdout == "up\n"
        eth0 = lab.cluster.kubectl(
            "exec", "netns", "--", "busybox", "ip", "-o", "-4", "addr", "show", "eth0"
        )
        assert " 10.88.214." in eth0.stdout  # the pod got its own netns on the lab's bridge
        shadows = lab.cluster.files.sysctl_shadows
        # The kubelet did set its kernel tunables — in the lab's files, not in the kernel.
        assert {
            key: int((shadows / key.replace("/", ".")).read_text()) for key in KERNEL_TUNABLES
        } == KERNEL_TUNABLES
        assert {
            key: Path(f"/proc/sys/{key}").read_text() for key in KERNEL_TUNABLES
        } == tunables_before
        assert "Updating kernel flag" in lab.layout.kubelet_log.read_text()
        for name in ("crash-loop", "oom-kill", "image-not-found"):
            scenarios.run(lab, scenarios.get(name))
        assert lab.processes() and lab.mounts() and lab.cgroup_dirs() and lab.state.registries
        done = subprocess.run(
            [sys.executable, "-m", "doctor", "lab", "down", "--lab-dir", str(lab.layout.root)],
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    finally:
        if lab.layout.root.exists():
            Lab(lab.layout.root).down()
    after = machine_state()
    assert after == before
    assert not lab.layout.root.exists()
    assert lab.leftovers() == {"processes": [], "mounts": [], "cgroups": []}


def test_the_components_are_the_real_ones(cluster: Lab) -> None:
    node = cluster.cluster.kubectl_json("get", "node", "lab-node")
    assert node is not None
    info = node["status"]["nodeInfo"]
    assert info["kubeletVersion"] == "v1.36.3"
    assert info["containerRuntimeVersion"].startswith("containerd://1.")
    assert cluster.cluster.state.versions == {"kubernetes": "v1.36.3", "etcd": "3.6.17"}
    kubelet_pid = cluster.cluster.state.pids["kubelet"]
    assert Path(f"/proc/{kubelet_pid}/exe").resolve().name == "kubelet"


def node_not_ready_is_explained(
    facts: Path, node: Path, expected: tuple[str | None, str | None]
) -> None:
    """The node's own facts and its NotReady from the API server: the node's finding stays the
    root cause, and explains apiserver.node-not-ready (the real Ready condition's message)."""
    report = analyze(facts, "--node-json", node)
    assert root_cause(report) == expected, severe(report)
    assert "apiserver.node-not-ready" in report["root_cause"]["chain"], report["root_cause"]


def test_kubelet_facts_come_from_the_real_kubelet(cluster: Lab) -> None:
    scenarios.run(cluster, scenarios.get("oom-kill"))
    kubelet = facts(cluster, "default/oom-kill")["layers"]["kubelet"]
    assert kubelet["running"] is True
    assert kubelet["version"] == "v1.36.3"  # read from the real kubelet's own log
    assert kubelet["cgroup_driver"] == "cgroupfs"
    assert kubelet["config_path"] == str(cluster.cluster.files.kubelet_config)
    assert kubelet["healthz"] == "ok"  # asked: the lab shares the kubelet's network namespace


def test_liveness_kill_is_not_an_oom_kill(cluster: Lab) -> None:
    """What makes the liveness scenario worth having: an exit 137 the kernel did not cause."""
    last = last_terminated(scenarios.run(cluster, scenarios.get("liveness-probe")))
    assert last["exitCode"] in (137, 143) and last["reason"] != "OOMKilled"


def test_cri_facts_equal_what_the_real_crictl_prints(cluster: Lab) -> None:
    scenarios.run(cluster, scenarios.get("oom-kill"))
    document = facts(cluster, "default/oom-kill")
    (pod_facts,) = document["pods"]
    sandbox = pod_facts["sandbox"]
    inspectp = crictl(cluster, "inspectp", sandbox["id"])
    assert inspectp["status"]["id"] == sandbox["id"]
    assert inspectp["status"]["state"] == sandbox["state"]
    assert inspectp["status"]["metadata"]["uid"] == pod_facts["uid"]
    listed = crictl(cluster, "ps", "-a", "--pod", sandbox["id"])["containers"]
    by_id = {c["id"]: c for c in listed}
    ours = {c["id"]: c for c in pod_facts["containers"]}
    assert set(ours) <= set(by_id)
    for container_id, container in ours.items():
        status = crictl(cluster, "inspect", container_id)["status"]
        assert status["state"] == container["state"]
        assert status["metadata"]["attempt"] == container["attempt"]
        assert status["exitCode"] == container.get("exit_code", 0)
        assert (status.get("reason") or None) == container.get("reason")


# Last: the tests above reuse the oom-kill and liveness-probe pods, which this one deletes.
@pytest.mark.parametrize("scenario", ORDERED, ids=lambda s: s.name)
def test_scenario(cluster: Lab, scenario: ClusterScenario, tmp_path: Path) -> None:
    """Made for real (a manifest applied with kubectl, the node broken the way it breaks),
    shown by the API server in the kubelet's and the controllers' own time, and diagnosed to
    its root cause from what the real components printed: on the pod, on the node (`check`) for
    a node fault, from kubectl output for what only the API server shows. A fault is restored
    and the pod deleted, so the next scenario gets a healthy node and none of this one's lines."""
    expected = (scenario.root_cause, scenario.layer)
    try:
        shown = scenarios.run(cluster, scenario)
        api = str(cluster.cluster.files.admin_kubeconfig)
        if scenario.via_api:
            files = kubectl_output(cluster, scenario, tmp_path)
            for given in (("--pod-json", "--events-json"), ("--describe",)):
                report = analyze(*[arg for option in given for arg in (option, files[option])])
                assert root_cause(report) == expected, (given, severe(report))
            # live, from the API server alone: the pod is on no node, so no node walk
            run = diagnose(cluster, scenario.pod_ref, api=api, timeout=scenario.timeout)
            assert root_cause(run.report) == expected, severe(run.report)
            assert not_walked(run.report) == NODE_LAYERS
        elif scenario.has_pod:
            # the node's layers alone, then the API server's and the node's together
            for where in (None, api):
                run = diagnose(
                    cluster,
                    scenario.pod_ref,
                    sample_interval=scenario.sample_interval,
                    timeout=scenario.timeout,
                    api=where,
                )
                assert root_cause(run.report) == expected, (
                    where,
                    severe(run.report),
                    last_terminated(shown),
                )
                # the node's own lines as evidence; with the API, its events may come first
                check_pod_report(scenario, run.report, evidence=where is None)
                assert layer_status(run.report, "apiserver") == ("ok" if where else "absent")
        if scenario.node_fault:
            saved = tmp_path / "facts.json"
            code, out, err, _ = stackdoctor(
                cluster, "check", "--output", "json", "--save", str(saved), timeout=scenario.timeout
            )
            assert code == 1, err
            assert root_cause(json.loads(out)) == expected, severe(json.loads(out))
            if scenario.node_shown is not None:
                node_not_ready_is_explained(saved, node_json(cluster, tmp_path), expected)
    finally:
        try:
            if scenario.restore is not None:
                scenario.restore(cluster)
        finally:
            scenarios.remove(cluster, scenario)
    assert node_ready(cluster.cluster.kubectl_json("get", "node", "lab-node"))


NODE_LAYERS = {"kubelet", "cri", "containerd", "shim", "runc", "process", "node"}


def layer_status(report: dict[str, Any], name: str) -> str:
    return next(str(layer["status"]) for layer in report["layers"] if layer["name"] == name)


def not_walked(report: dict[str, Any]) -> set[str]:
    return {layer["name"] for layer in report["layers"] if layer["status"] == "absent"}


def check_pod_report(
    scenario: ClusterScenario, report: dict[str, Any], evidence: bool = True
) -> None:
    """Beyond the root cause: a healthy pod has no finding; no exit 137 is called an OOM kill
    unless it was; the chain holds the symptom and rests on the real lines named as evidence."""
    if scenario.root_cause is None:
        assert severe(report) == []
    if scenario.root_cause != "process.oom-killed":
        assert "process.oom-killed" not in {f["id"] for f in report["findings"]}
    chain = report["root_cause"]["chain"] if scenario.root_cause else []
    if scenario.symptom is not None:
        assert scenario.symptom in chain, report["root_cause"]
    findings = {f["id"]: f for f in report["findings"]}
    for rule_id, pattern in scenario.evidence:
        assert rule_id in chain, (rule_id, chain)
        values = [str(item.get("value")) for item in findings[rule_id]["evidence"]]
        if evidence:
            assert any(re.search(pattern, value) for value in values), (rule_id, pattern, values)


def test_every_scenario_has_its_manifest() -> None:
    """One pod per manifest (beside the objects it needs), named as its scenario, saying what
    it does, on local images only."""
    with_pods = [scenario for scenario in SCENARIOS if scenario.has_pod]
    for scenario in with_pods:
        text = scenario.manifest.read_text()
        assert text.startswith("# "), scenario.name
        objects = list(yaml.safe_load_all(text))
        pods = [manifest for manifest in objects if manifest["kind"] == "Pod"]
        assert len(pods) == 1, scenario.name
        for manifest in objects:
            assert manifest["metadata"]["namespace"] == scenarios.NAMESPACE, scenario.name
        assert pods[0]["metadata"] == {"name": scenario.name, "namespace": scenarios.NAMESPACE}
        spec = pods[0]["spec"]
        for container in spec["containers"] + spec.get("initContainers", []):
            assert container["image"].startswith(("localhost/", "127.0.0.1:")), scenario.name
    assert {path.stem for path in scenarios.MANIFESTS.glob("*.yaml")} == {
        scenario.name for scenario in with_pods
    }


def facts(lab: Lab, pod_ref: str) -> dict[str, Any]:
    code, out, err, _ = stackdoctor(lab, "facts", pod_ref)
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


def crictl(lab: Lab, command: str, *args: str) -> dict[str, Any]:
    """crictl COMMAND -o json ARGS (crictl 1.37 reads flags after an argument as arguments)."""
    program = Path(lab.cluster.state.bin_dir) / "crictl"
    endpoint = ["--runtime-endpoint", lab.layout.address]
    result = subprocess.run(
        [str(program), *endpoint, command, "-o", "json", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer
