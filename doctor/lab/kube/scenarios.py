"""The cluster's scenarios: real failures made the way users make them — a manifest applied
with the real kubectl (and, for a node's faults, the node broken the way it breaks) — and the
root cause `stackdoctor diagnose` must name.

A scenario waits until the API server shows the failure (`shown`: a predicate over the pod's
JSON), so the diagnosis reads a failure that has happened, in the kubelet's own time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from doctor.lab.errors import LabError

if TYPE_CHECKING:
    from doctor.lab.runtime import Lab

MANIFESTS = Path(__file__).with_name("manifests")
NAMESPACE = "default"
SHOW_TIMEOUT = 120.0

PodJson = dict[str, Any]


@dataclass(frozen=True)
class ClusterScenario:
    name: str  # the manifest's file stem and the pod's name
    description: str
    root_cause: str | None  # the rule id diagnose must name; None: healthy
    layer: str | None
    shown: Callable[[PodJson], bool]  # the pod JSON shows the failure: diagnose now
    sample_interval: float = 0.2

    @property
    def manifest(self) -> Path:
        return MANIFESTS / f"{self.name}.yaml"

    @property
    def pod_ref(self) -> str:
        return f"{NAMESPACE}/{self.name}"


def container_status(pod: PodJson, name: str = "app") -> dict[str, Any]:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status.get("name") == name:
            return dict(status)
    return {}


def last_terminated(pod: PodJson, name: str = "app") -> dict[str, Any]:
    return dict((container_status(pod, name).get("lastState") or {}).get("terminated") or {})


def restarted(times: int, reason: str | None = None) -> Callable[[PodJson], bool]:
    """The container was restarted `times` times, its last run ending with `reason`."""

    def shown(pod: PodJson) -> bool:
        status = container_status(pod)
        if status.get("restartCount", 0) < times:
            return False
        return reason is None or last_terminated(pod).get("reason") == reason

    return shown


SCENARIOS: tuple[ClusterScenario, ...] = (
    ClusterScenario(
        "oom-kill",
        "reads 200 MiB under a 32Mi limit: OOM-killed (137, OOMKilled), restarted with back-off",
        "process.oom-killed", "process", restarted(1, "OOMKilled"),
    ),
    ClusterScenario(
        "liveness-probe",
        "a liveness probe that always fails: the prober kills the container (137, not an OOM)",
        "kubelet.probe-failed", "kubelet", restarted(1),
    ),
)  # fmt: skip
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


def get(name: str) -> ClusterScenario:
    try:
        return BY_NAME[name]
    except KeyError:
        raise LabError(f"no cluster scenario {name!r}; `stackdoctor lab list` shows them") from None


def run(lab: Lab, scenario: ClusterScenario, timeout: float = SHOW_TIMEOUT) -> PodJson:
    """Apply the scenario's manifest and wait until the pod shows its failure; the pod's JSON."""
    lab.cluster.kubectl("apply", "-f", str(scenario.manifest))
    deadline = time.monotonic() + timeout
    while True:
        pod = lab.cluster.kubectl_json("get", "pod", "-n", NAMESPACE, scenario.name)
        if pod is not None and scenario.shown(pod):
            return pod
        if time.monotonic() > deadline:
            phase = ((pod or {}).get("status") or {}).get("phase")
            raise LabError(f"scenario {scenario.name}: not shown after {timeout:.0f} s ({phase})")
        time.sleep(1)


def remove(lab: Lab, scenario: ClusterScenario) -> None:
    """Delete the scenario's pod now (no grace), so the next scenario starts clean."""
    lab.cluster.kubectl(
        "delete", "pod", "-n", NAMESPACE, scenario.name, "--grace-period=0", "--force",
        "--ignore-not-found", "--wait=true",
    )  # fmt: skip
