"""The real cluster for the lab tests: binaries built by scripts/build-kube, manifests applied
with the real kubectl, and waits on what the API server reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from doctor.lab.errors import LabError
from doctor.lab.kube.binaries import find_binaries
from doctor.lab.kube.kubelet import NODE_NAME
from doctor.lab.kube.scenarios import NAMESPACE, ClusterScenario
from doctor.lab.runtime import Lab
from tests.lab.support import require_lab

IMAGE = "localhost/stackdoctor-lab/busybox:1"


def require_cluster() -> None:
    """Skip where the Kubernetes binaries are not built; with CI=true (.ci/run builds them),
    fail instead."""
    require_lab()
    try:
        find_binaries()
    except LabError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the lab's cluster cannot start in CI: {exc}", pytrace=False)
        pytest.skip(str(exc))


def pod(name: str, containers: list[dict[str, Any]], **spec: Any) -> str:
    """A pod manifest (JSON, which kubectl apply takes) in namespace default."""
    for container in containers:
        container.setdefault("image", IMAGE)
        container.setdefault("imagePullPolicy", "Never")
    document = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": containers, "terminationGracePeriodSeconds": 1, **spec},
    }
    return json.dumps(document)


def apply(lab: Lab, manifest: str) -> None:
    lab.cluster.kubectl("apply", "-f", "-", stdin=manifest)


def kubectl_output(lab: Lab, scenario: ClusterScenario, directory: Path) -> dict[str, Path]:
    """What a user saves for `stackdoctor analyze`: the pod and its events as JSON, describe."""
    files = {
        "--pod-json": ("get", "pod", "-n", NAMESPACE, scenario.name, "-o", "json"),
        "--events-json": (
            "get",
            "events",
            "-n",
            NAMESPACE,
            "-o",
            "json",
            f"--field-selector=involvedObject.name={scenario.name}",
        ),
        "--describe": ("describe", "pod", "-n", NAMESPACE, scenario.name),
    }
    saved = {}
    for option, args in files.items():
        path = directory / f"{scenario.name}{option}.txt"
        path.write_text(lab.cluster.kubectl(*args).stdout)
        saved[option] = path
    return saved


def node_json(lab: Lab, directory: Path) -> Path:
    path = directory / "node.json"
    path.write_text(lab.cluster.kubectl("get", "node", NODE_NAME, "-o", "json").stdout)
    return path


def analyze(*args: str | Path) -> dict[str, Any]:
    """`stackdoctor analyze ARGS --output json`: the report (exit 0 or 1)."""
    command = [sys.executable, "-m", "doctor", "analyze", *map(str, args), "--output", "json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report
