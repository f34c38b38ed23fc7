"""The CRI asked from a child process (the default from the command line) and in-process
(STACKDOCTOR_NO_FORK, or wherever forking is unsafe) give the same facts and the same errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from typing import Any

import pytest

from doctor.lab.kube import scenarios
from doctor.lab.kube.scenarios import wait_pod
from doctor.lab.runtime import Lab
from tests.lab.cluster_support import apply, pod

INLINE = {"STACKDOCTOR_NO_FORK": "1"}
MOMENTS = {"at", "read_at", "timeline"}


def run(
    lab: Lab, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "doctor", *args,
        "--host-root", str(lab.layout.host),
        "--runtime-endpoint", lab.layout.address,
        "--sample-interval", "0", "--quiet",
    ]  # fmt: skip
    environ = {k: v for k, v in os.environ.items() if k != "STACKDOCTOR_NO_FORK"}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=60, env={**environ, **(env or {})}
    )


def stable(value: Any) -> Any:
    """The document with every number replaced by its type: what differs between two runs a
    moment apart (times, free memory and disk, file handles) is numbers, and the times a run
    read something (`at`, `read_at`) and its timeline (made of the facts compared here, with
    the moment of collection); everything else (layers, statuses, errors, pods, containers,
    strings, flags) must be equal."""
    if isinstance(value, dict):
        return {key: stable(item) for key, item in value.items() if key not in MOMENTS}
    if isinstance(value, list):
        return [stable(item) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return type(value).__name__
    return value


def failed_once(pod_json: dict[str, Any]) -> bool:
    state = scenarios.container_status(pod_json).get("state") or {}
    return "terminated" in state


# Pods whose facts hold still between two runs a moment apart: one running, one that failed
# once and is never restarted (a crash-looping pod would change its attempt in between).
PODS = {
    "healthy": None,
    "failed-once": pod(
        "failed-once",
        [{"name": "app", "command": ["sh", "-c", "echo 'fatal: no config'; exit 3"]}],
        restartPolicy="Never",
    ),
}


@pytest.mark.parametrize("name", list(PODS))
def test_the_same_facts_either_way(cluster: Lab, name: str) -> None:
    manifest = PODS[name]
    if manifest is None:
        scenarios.run(cluster, scenarios.get(name))
    else:
        apply(cluster, manifest)
        wait_pod(cluster, name, failed_once)
    ref = f"{scenarios.NAMESPACE}/{name}"
    try:
        # The node is not still (the last test's pods' shims are going away): a pair of runs
        # may see it change in between. A difference in how the facts are gathered shows in
        # every pair; the node's own change in only one.
        for _ in range(3):
            forked = run(cluster, "facts", ref)
            inline = run(cluster, "facts", ref, env=INLINE)
            assert forked.returncode == inline.returncode == 0, forked.stderr + inline.stderr
            if stable(json.loads(forked.stdout)) == stable(json.loads(inline.stdout)):
                break
            time.sleep(2)
        assert stable(json.loads(forked.stdout)) == stable(json.loads(inline.stdout))
    finally:
        cluster.cluster.kubectl(
            "delete", "pod", name, "--grace-period=0", "--force", "--ignore-not-found"
        )


def test_the_same_error_for_an_unknown_pod(cluster: Lab) -> None:
    forked = run(cluster, "diagnose", "default/no-such-pod")
    inline = run(cluster, "diagnose", "default/no-such-pod", env=INLINE)
    assert forked.returncode == inline.returncode == 2
    # the same error; the count of pods the runtime knows may move between the two runs on a
    # live cluster (the last test's pods are still going away)
    known = re.compile(r"\d+ pods? (?:is|are) known")
    assert known.sub("N pods are known", forked.stderr) == known.sub(
        "N pods are known", inline.stderr
    )
    assert forked.stderr.startswith("stackdoctor: error: pod default/no-such-pod not found")
