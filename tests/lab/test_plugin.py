"""`kubectl stackdoctor` from a workstation on the lab's real cluster: kubectl runs the plugin,
the plugin asks the API server with the user's kubeconfig and runs the node's half in the
stackdoctor DaemonSet's pod on the pod's node (pods/exec). And every Kubernetes manifest in
deploy/ is accepted by the real API server.

The lab's DaemonSet is the shipped deploy/daemonset.yaml with the image swapped: the lab has no
registry with stackdoctor's image, so its pod runs the lab's busybox and reaches stackdoctor
installed on the machine by `chroot /host` (what `kubectl debug node` does; the pod's
`stackdoctor.io/exec` annotation names that command). Everything else — hostPID, the host's
root mounted read-only, the dropped capabilities, the tolerations — is the shipped manifest's.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from doctor.lab.kube import scenarios
from doctor.lab.kube.binaries import find_binaries
from doctor.lab.runtime import Lab
from tests.conftest import REPO
from tests.lab.cluster_support import IMAGE, apply, require_cluster
from tests.lab.diagnose import root_cause

DEPLOY = REPO / "deploy"
NOT_CLUSTER_OBJECTS = {"deploy/krew/stackdoctor.yaml"}  # krew's index format, not an API object


def manifests() -> list[Path]:
    found = []
    for path in sorted(DEPLOY.rglob("*.yaml")):
        if str(path.relative_to(REPO)) in NOT_CLUSTER_OBJECTS:
            continue
        documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
        if all(isinstance(d, dict) and "apiVersion" in d and "kind" in d for d in documents):
            found.append(path)
    return found


def test_deploy_holds_the_daemonset_and_the_rbac() -> None:
    assert {p.name for p in manifests()} >= {"daemonset.yaml", "rbac.yaml"}


@pytest.mark.parametrize("path", manifests(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_manifest_in_deploy_is_accepted_by_the_real_api_server(
    cluster: Lab, path: Path
) -> None:
    # server-side dry run: validated and admitted by the real kube-apiserver, nothing created
    # (the shipped image is not pulled: no registry outside this machine is ever contacted)
    done = cluster.cluster.kubectl("apply", "--dry-run=server", "-f", str(path))
    assert "(server dry run)" in done.stdout, done.stdout


def lab_agent(lab: Lab) -> dict[str, Any]:
    """deploy/daemonset.yaml with the lab's image and stackdoctor reached by chroot."""
    shipped = yaml.safe_load((DEPLOY / "daemonset.yaml").read_text())
    agent = copy.deepcopy(shipped)
    template = agent["spec"]["template"]
    template["metadata"]["annotations"] = {
        "stackdoctor.io/exec": json.dumps(
            ["busybox", "chroot", "/host", sys.executable, "-m", "doctor"]
        )
    }
    spec = template["spec"]
    (container,) = spec["containers"]
    container.update(image=IMAGE, imagePullPolicy="Never", command=["sleep", "86400"])
    container.pop("args")
    env = {item["name"]: item for item in container["env"]}
    env["STACKDOCTOR_HOST_ROOT"]["value"] = str(lab.layout.host)
    env["CONTAINER_RUNTIME_ENDPOINT"]["value"] = lab.layout.address
    container["securityContext"]["capabilities"]["add"].append("SYS_CHROOT")  # for chroot
    # the periodic check's textfile and the socket's own mount are the machine's: not in a lab
    # (the lab's socket is under the host root already)
    container["volumeMounts"] = [
        m for m in container["volumeMounts"] if m["name"] in ("host-root", "tmp")
    ]
    spec["volumes"] = [v for v in spec["volumes"] if v["name"] in ("host-root", "tmp")]
    return agent


@pytest.fixture(scope="module")
def agent(cluster: Lab) -> Iterator[None]:
    try:
        apply(cluster, json.dumps(lab_agent(cluster)))
        cluster.cluster.kubectl(
            "rollout", "status", "daemonset/stackdoctor", "-n", "kube-system", "--timeout=150s",
            timeout=160,
        )  # fmt: skip
        yield
    finally:
        cluster.cluster.kubectl(
            "delete",
            "daemonset",
            "stackdoctor",
            "-n",
            "kube-system",
            "--cascade=foreground",
            "--wait=true",
            timeout=120,
        )


@pytest.fixture(scope="module")
def crash_loop(cluster: Lab) -> Iterator[str]:
    scenario = scenarios.get("crash-loop")
    scenarios.run(cluster, scenario)
    try:
        yield scenario.pod_ref
    finally:
        scenarios.remove(cluster, scenario)


def kubectl_stackdoctor(lab: Lab, *args: str) -> tuple[int, dict[str, Any], str]:
    """`kubectl stackdoctor ARGS` as a user runs it: kubectl finds the plugin on PATH."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    kubectl = str(Path(lab.cluster.state.bin_dir) / "kubectl")
    admin = str(lab.cluster.files.admin_kubeconfig)
    command = [kubectl, "stackdoctor", *args, "--kubeconfig", admin]
    done = subprocess.run(
        [*command, "--output", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PATH": path},
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout), done.stderr


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {layer["name"]: layer["status"] for layer in report["layers"]}


def test_the_plugin_diagnoses_with_both_sides(cluster: Lab, agent: None, crash_loop: str) -> None:
    code, report, stderr = kubectl_stackdoctor(cluster, crash_loop)
    assert code == 1, stderr
    assert root_cause(report) == ("process.app-error", "process")
    # every layer examined: the API's here, the node's by the agent on lab-node
    assert set(statuses(report).values()) == {"ok"}, statuses(report)
    findings = {f["id"] for f in report["findings"]}
    assert "kubelet.crash-loop" in findings  # read from the API's container statuses and events


def test_without_an_agent_on_the_node_it_says_how_to_deploy_one(
    cluster: Lab, crash_loop: str
) -> None:
    # an agent namespace where none runs: as on a cluster that never got the DaemonSet
    _, report, _ = kubectl_stackdoctor(cluster, crash_loop, "--agent-namespace", "default")
    assert statuses(report)["apiserver"] == "ok"
    kubelet = next(layer for layer in report["layers"] if layer["name"] == "kubelet")
    assert kubelet["status"] == "absent"
    assert "no stackdoctor pod runs on node lab-node" in kubelet["reason"]
    assert "deploy/daemonset.yaml" in kubelet["reason"]
    assert report["root_cause"] is not None  # the API's container statuses still tell


def test_krew_installs_the_plugin_from_its_manifest(tmp_path: Path) -> None:
    """The real krew (v0.4.3, built by scripts/build-kube) installs deploy/krew/stackdoctor.yaml
    with the archive scripts/build-krew-archive makes — the sha256 checked by krew itself —
    and kubectl then runs the plugin krew put on PATH. Offline: --archive, KREW_ROOT here."""
    require_cluster()  # the binaries built by scripts/build-kube
    bin_dir = find_binaries().directory
    krew = bin_dir / "krew"
    if not krew.exists():
        pytest.fail(f"{krew}: not built (scripts/build-kube builds it)", pytrace=False)
    subprocess.run(
        [sys.executable, str(REPO / "scripts/build-krew-archive"), "--output", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (archive,) = tmp_path.glob("kubectl-stackdoctor-v*.tar.gz")
    root = tmp_path / "krew"
    env = {**os.environ, "KREW_ROOT": str(root), "STACKDOCTOR_PYTHON": sys.executable}
    done = subprocess.run(
        [str(krew), "install", f"--manifest={DEPLOY / 'krew/stackdoctor.yaml'}",
         f"--archive={archive}"],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (root / "bin/kubectl-stackdoctor").exists()
    env["PATH"] = f"{root / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin"
    shown = subprocess.run(
        [str(bin_dir / "kubectl"), "stackdoctor", "--help"],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Usage: kubectl stackdoctor [OPTIONS] POD")
