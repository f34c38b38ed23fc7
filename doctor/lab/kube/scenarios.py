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
from datetime import UTC, datetime
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
    # what the real kubelet/containerd printed that the diagnosis must rest on: (rule id, regex)
    # — the rule is in the root cause's chain, and one of its evidence values matches
    evidence: tuple[tuple[str, str], ...] = ()

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


def exited(code: int, times: int) -> Callable[[PodJson], bool]:
    """The container was restarted `times` times, its last run ending with exit code `code`."""

    def shown(pod: PodJson) -> bool:
        status = container_status(pod)
        code_seen = last_terminated(pod).get("exitCode")
        return status.get("restartCount", 0) >= times and code_seen == code

    return shown


def waiting(reason: str) -> Callable[[PodJson], bool]:
    """The container waits with `reason` (ImagePullBackOff: the kubelet backs off its pull)."""

    def shown(pod: PodJson) -> bool:
        state = (container_status(pod).get("state") or {}).get("waiting") or {}
        return state.get("reason") == reason

    return shown


def backing_off(restarts: int) -> Callable[[PodJson], bool]:
    """Restarted `restarts` times and waiting out the kubelet's restart back-off. The first
    restart is immediate, so 2 means backed off twice ("back-off 10s", "20s"). The v1.36.3
    kubelet shows the container terminated meanwhile: waiting CrashLoopBackOff comes only with
    a later sync of the pod (kubelet_pods.go:2731-2748, its reason cache)."""

    def shown(pod: PodJson) -> bool:
        status = container_status(pod)
        state = status.get("state") or {}
        in_back_off = "terminated" in state or (
            (state.get("waiting") or {}).get("reason") == "CrashLoopBackOff"
        )
        return status.get("restartCount", 0) >= restarts and in_back_off

    return shown


def ready(pod: PodJson) -> bool:
    return container_status(pod).get("ready") is True


def unready_for(seconds: float) -> Callable[[PodJson], bool]:
    """The container has been running for `seconds` without becoming ready."""

    def shown(pod: PodJson) -> bool:
        status = container_status(pod)
        started = ((status.get("state") or {}).get("running") or {}).get("startedAt")
        if status.get("ready") is not False or not started:
            return False
        since = datetime.now(UTC) - datetime.fromisoformat(started)
        return since.total_seconds() >= seconds

    return shown


def failed(reason: str) -> Callable[[PodJson], bool]:
    """The pod is Failed for `reason` (Evicted: the kubelet's eviction manager)."""

    def shown(pod: PodJson) -> bool:
        status = pod.get("status") or {}
        return status.get("phase") == "Failed" and status.get("reason") == reason

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
        evidence=(("kubelet.probe-failed", r"""output="cat: can't open '/tmp/healthy'"""),),
    ),
    ClusterScenario(
        "healthy", "a sleeping container under a 64Mi memory limit", None, None, ready,
    ),
    ClusterScenario(
        "readiness-probe",
        "a readiness probe that always fails: the container runs, the pod is never Ready",
        "kubelet.readiness-probe-failed", "kubelet", unready_for(3),
        evidence=((
            "kubelet.readiness-probe-failed",
            r""""Probe failed" probeType="Readiness" .*output="cat: can't open '/tmp/ready'""",
        ),),
    ),
    ClusterScenario(
        "crash-loop",
        "logs an error and exits 1; the kubelet backs off its restart (10s, 20s, ...)",
        "process.app-error", "process", backing_off(2),
        evidence=(
            ("kubelet.crash-loop", r"back-off \d+s restarting failed container=app"),
            ("process.app-error", r"error: cannot open /etc/app/config\.yaml"),
        ),
    ),
    ClusterScenario(
        "image-pull-backoff",
        "an image on a registry that refuses connections (127.0.0.1:1), pulled Always",
        "containerd.registry-unreachable", "containerd", waiting("ImagePullBackOff"),
        evidence=((
            "containerd.registry-unreachable",
            r'Head \\?"http://127\.0\.0\.1:1/v2/nothing/here/manifests/1\\?": '
            r"dial tcp 127\.0\.0\.1:1: connect: connection refused",
        ),),
    ),
    ClusterScenario(
        "ephemeral-storage-eviction",
        "writes 8 MiB under a 4Mi ephemeral-storage limit: the eviction manager evicts the pod",
        "kubelet.evicted", "kubelet", failed("Evicted"),
        evidence=((
            "kubelet.evicted",
            r'"Eviction manager: pod is evicted successfully"'
            r' pod="default/ephemeral-storage-eviction"',
        ),),
    ),
    ClusterScenario(
        "segfault", "the shell kills itself with SIGSEGV (exit 139)",
        "process.segfault", "process", exited(139, 1),
    ),
    ClusterScenario(
        "exit-zero", "a container that exits 0 under restartPolicy Always",
        "process.exited-zero", "process", restarted(1, "Completed"),
    ),
    ClusterScenario(
        "exec-not-found", "the command /app/server is not in the image: runc's StartError 128",
        "runc.exec-not-found", "runc", restarted(1, "StartError"),
        evidence=((
            "runc.exec-not-found",
            r'exec: \\?"/app/server\\?": stat /app/server: no such file or directory',
        ),),
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
