"""The cluster's scenarios: real failures made the way users make them — a manifest applied
with the real kubectl (and, for a node's faults, the node broken the way it breaks: a component
stopped, the kubelet restarted with another config, the CNI config removed) — and the root cause
stackdoctor must name: `diagnose` on the pod, `check` on the node for a node fault, `analyze` of
kubectl output for what only the API server shows.

A scenario waits until the API server shows the failure (`shown`: a predicate over the pod's
JSON; `node_shown`: over the node's), so the diagnosis reads a failure that has happened, in the
kubelet's and the controllers' own time. A fault's `restore` puts the shared cluster back,
healthy, for the scenarios after it; they run after the pod-level ones (ORDERED).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from doctor.lab.config import CNI_DEFAULT, CNI_MISSING_PLUGIN, CNI_TINY_RANGE, cni_conflist
from doctor.lab.errors import LabError
from doctor.lab.kube.cluster import node_condition
from doctor.lab.kube.kubelet import NODE_NAME

if TYPE_CHECKING:
    from doctor.lab.runtime import Lab

MANIFESTS = Path(__file__).with_name("manifests")
NAMESPACE = "default"
SHOW_TIMEOUT = 120.0
SANDBOX_READY = 0  # runtime.v1 PodSandboxState
PIDS_LIMIT = 8  # the pids-exhausted scenario's podPidsLimit

PodJson = dict[str, Any]
NodeJson = dict[str, Any]


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
    # -- node and control-plane faults --
    fault: Callable[[Lab], None] | None = None  # breaks the node before the manifest is applied
    restore: Callable[[Lab], None] | None = None  # puts the shared cluster back, healthy
    node_shown: Callable[[NodeJson], bool] | None = None  # the node JSON shows the fault too
    has_pod: bool = True  # False: a node fault alone (no manifest; `shown` is not asked)
    node_fault: bool = False  # `stackdoctor check` (no pod) must name the root cause too
    via_api: bool = False  # only the API server shows it: diagnosed from kubectl output
    symptom: str | None = None  # the pod's finding the diagnosis must explain by the root cause
    # acts on the node once the pod shows `shown` (kills its shim): diagnosed right after it
    then: Callable[[Lab, PodJson], None] | None = None
    # the manifest's {placeholders} and their values, known only at run time (a registry's port)
    fill: Callable[[Lab], dict[str, str]] | None = None
    timeout: float | None = None  # diagnose's and check's --timeout (a hung runtime)

    @property
    def manifest(self) -> Path:
        return MANIFESTS / f"{self.name}.yaml"

    def manifest_text(self, lab: Lab) -> str:
        """The manifest as applied: its placeholders filled (`fill`)."""
        text = self.manifest.read_text()
        for key, value in (self.fill(lab) if self.fill else {}).items():
            text = text.replace("{" + key + "}", value)
        return text

    @property
    def pod_ref(self) -> str:
        return f"{NAMESPACE}/{self.name}"

    def command(self, lab: Lab) -> str:
        """How a user diagnoses it once shown: on the node, or from kubectl output."""
        if self.via_api:
            return (
                f"kubectl get pod -n {NAMESPACE} {self.name} -o json > pod.json; kubectl get "
                f"events -n {NAMESPACE} -o json > events.json; stackdoctor analyze "
                "--pod-json pod.json --events-json events.json"
            )
        verb = f"diagnose {self.pod_ref}" if self.has_pod else "check"
        timeout = f" --timeout {self.timeout}" if self.timeout is not None else ""
        return (
            f"stackdoctor {verb} --host-root {lab.layout.host} --runtime-endpoint "
            f"{lab.layout.address} --sample-interval {self.sample_interval}{timeout}"
        )


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


def anything(_: PodJson) -> bool:
    """`shown` of a scenario without a pod."""
    return True


def unschedulable(pod: PodJson) -> bool:
    return _condition(pod, "PodScheduled") == ("False", "Unschedulable")


def creating(pod: PodJson) -> bool:
    """Scheduled, and its container not started: waiting (ContainerCreating), or no status yet
    (a pod the kubelet skips)."""
    state = container_status(pod).get("state") or {"waiting": {}}
    return _condition(pod, "PodScheduled")[0] == "True" and "waiting" in state


def _condition(pod: PodJson, kind: str) -> tuple[str | None, str | None]:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            return condition.get("status"), condition.get("reason")
    return None, None


def node_ready_is(status: str, message: str) -> Callable[[NodeJson], bool]:
    """The node's Ready condition has this status, its message containing `message`."""

    def shown(node: NodeJson) -> bool:
        ready = node_condition(node, "Ready")
        return ready.get("status") == status and message in str(ready.get("message"))

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


# -- breaking the node, and putting it back -------------------------------------------------------


def stop_kubelet(lab: Lab) -> None:
    lab.cluster.stop("kubelet")
    lab.save()


def restart_kubelet(
    lab: Lab,
    endpoint: str | None = None,
    cgroup_driver: str = "cgroupfs",
    exits: bool = False,
    pod_pids_limit: int = -1,
) -> None:
    """The kubelet restarted with the lab's config, or with another endpoint, cgroup driver or
    pod PIDs limit (`exits`: one it refuses at start)."""
    lab.cluster.restart_kubelet(
        endpoint or lab.layout.address,
        lab.layout.cgroup_root,
        lab.save,
        cgroup_driver,
        exits,
        pod_pids_limit,
    )
    lab.save()


def missing_endpoint(lab: Lab) -> None:
    """containerRuntimeEndpoint at a socket beside containerd's that does not exist."""
    restart_kubelet(lab, f"unix://{lab.layout.socket.with_name('missing.sock')}", exits=True)


def systemd_driver(lab: Lab) -> None:
    """cgroupDriver systemd while containerd's runc uses cgroupfs (SystemdCgroup = false)."""
    restart_kubelet(lab, cgroup_driver="systemd", exits=True)


def pids_limited(lab: Lab) -> None:
    """The kubelet restarted with podPidsLimit 8 (pids.max of every pod cgroup it makes), and
    Ready again, so the manifest's pod is made under it."""
    since = time.time()
    restart_kubelet(lab, pod_pids_limit=PIDS_LIMIT)
    lab.cluster.wait_node_ready(since=since)


def kill_shim(lab: Lab, pod: PodJson) -> None:
    """SIGKILL the containerd-shim-runc-v2 of the pod's ready sandbox (found by its -id), and
    wait until containerd has seen its container go with it."""
    from doctor.gather.cri.client import CriClient
    from doctor.lab.cri import wait_exited

    uid = pod["metadata"]["uid"]
    with CriClient(lab.layout.address, lab.layout.socket, 5) as client:
        client.negotiate()
        sandboxes = client.list_pod_sandbox({"io.kubernetes.pod.uid": uid})
        ready_ids = [sandbox.id for sandbox in sandboxes if sandbox.state == SANDBOX_READY]
        if len(ready_ids) != 1:
            raise LabError(f"shim-killed: expected one ready sandbox of pod {uid}: {ready_ids}")
        shims = lab.shim_pids(ready_ids[0])
        if len(shims) != 1:
            raise LabError(f"shim-killed: expected one shim for {ready_ids[0]}, found {shims}")
        os.kill(shims[0], signal.SIGKILL)
    wait_exited(lab.layout.socket, container_status(pod)["containerID"].split("://")[-1])


def kubelet_back(lab: Lab) -> None:
    since = time.time()
    restart_kubelet(lab)
    lab.cluster.wait_node_ready(since=since)


def containerd_back(lab: Lab) -> None:
    since = time.time()
    lab.start_containerd(lab.state.restrict_oom_score_adj)
    lab.cluster.wait_node_ready(since=since)


def remove_cni_config(lab: Lab) -> None:
    """The conflist removed, until the kubelet marks the node NotReady for the network: the
    manifest then meets a node whose network is down, as on a node without its CNI add-on."""
    for config in lab.layout.cni_dir.glob("*.conflist"):
        config.unlink()
    wait_node(lab, node_ready_is("False", "NetworkReady=false"))


def cni_config_back(lab: Lab) -> None:
    """The conflist written again, and the scenario's pod started. Written, not moved in:
    containerd 1.6 reloads its CNI conf dir on a write, and ignores a file's creation."""
    since = time.time()
    conflist = lab.layout.cni_dir / "10-stackdoctor-lab.conflist"
    conflist.write_text(json.dumps(cni_conflist(lab.layout, CNI_DEFAULT), indent=2) + "\n")
    lab.cluster.wait_node_ready(since=since)
    wait_pod(lab, "cni-config-removed", lambda pod: bool(container_status(pod).get("ready")))


def creating_for(seconds: float) -> Callable[[PodJson], bool]:
    """Scheduled, its container not started, `seconds` after the pod was made: the kubelet has
    tried (and failed) to make its sandbox meanwhile; the pod JSON alone does not say so."""

    def shown(pod: PodJson) -> bool:
        made = (pod.get("metadata") or {}).get("creationTimestamp")
        if not made or not creating(pod):
            return False
        since = datetime.now(UTC) - datetime.fromisoformat(made)
        return since.total_seconds() >= seconds

    return shown


# -- images on the lab's registries (127.0.0.1): the manifest gets the port at run time -----------

PULL_SECRET = "registry-wrong-password"


def registry_port(kind: str) -> Callable[[Lab], dict[str, str]]:
    """The lab's `kind` registry started; its port for the manifest's {registry_port}."""

    def fill(lab: Lab) -> dict[str, str]:
        return {"registry_port": str(lab.registry(kind))}

    return fill


def wrong_password(lab: Lab) -> dict[str, str]:
    """The htpasswd registry, and an imagePullSecret for it whose password is wrong (an expired
    token, say): the kubelet hands it to containerd, the registry answers 401."""
    from doctor.lab import registry

    port = lab.registry("auth")
    secret = lab.cluster.kubectl(
        "create", "secret", "docker-registry", PULL_SECRET, "-n", NAMESPACE,
        f"--docker-server=127.0.0.1:{port}", f"--docker-username={registry.USER}",
        "--docker-password=not-the-password", "--dry-run=client", "-o", "yaml",
    ).stdout  # fmt: skip
    lab.cluster.kubectl("apply", "-f", "-", stdin=secret)
    return {"registry_port": str(port)}


# -- containerd's own config: the sandbox image, the CNI conflist ---------------------------------


def missing_sandbox_image(lab: Lab) -> None:
    """containerd restarted with sandbox_image a tag the lab's registry does not have."""
    port = lab.registry("plain")
    lab.stop_containerd()
    lab.start_containerd(sandbox_image=f"127.0.0.1:{port}/lab/pause:3.9")
    lab.cluster.wait_node_ready()


def unrestricted_oom_score_adj(lab: Lab) -> None:
    """containerd restarted without restrict_oom_score_adj, as its default config has it."""
    lab.stop_containerd()
    lab.start_containerd(restrict_oom_score_adj=False)
    lab.cluster.wait_node_ready()


def containerd_config_back(lab: Lab) -> None:
    """containerd restarted with the lab's config. A restart this quick need not turn the node
    NotReady, so no fresh heartbeat is awaited (the kubelet reports an unchanged status only
    every few minutes): Ready, and containerd answering, is enough."""
    lab.stop_containerd()
    lab.start_containerd(restrict_oom_score_adj=True)
    lab.cluster.wait_node_ready()


def write_conflist(lab: Lab, variant: str) -> None:
    """The conflist rewritten in place (containerd 1.6 reloads its conf dir on a write); then a
    moment for its watcher to load it before a pod is made."""
    conflist = lab.layout.cni_dir / "10-stackdoctor-lab.conflist"
    conflist.write_text(json.dumps(cni_conflist(lab.layout, variant), indent=2) + "\n")
    time.sleep(1)


IP_HOLDER = "ip-holder"


def tiny_range(lab: Lab) -> None:
    """host-local on a /30 has one pod address: a first pod (the holder) takes it."""
    write_conflist(lab, CNI_TINY_RANGE)
    holder = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": IP_HOLDER, "namespace": NAMESPACE},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "containers": [{
                "name": "app", "image": "localhost/stackdoctor-lab/busybox:1",
                "imagePullPolicy": "Never", "command": ["sleep", "2147483647"],
            }],
        },
    }  # fmt: skip
    lab.cluster.kubectl("apply", "-f", "-", stdin=json.dumps(holder))
    wait_pod(lab, IP_HOLDER, ready)


def network_back(lab: Lab) -> None:
    """The address holder deleted while its network is still the tiny range (CNI DEL frees its
    address there), the default conflist written again, and the tiny range's bridge removed."""
    from doctor.lab.runtime import remove_link

    lab.cluster.kubectl(
        "delete", "pod", "-n", NAMESPACE, IP_HOLDER, "--grace-period=0", "--force",
        "--ignore-not-found", "--wait=true",
    )  # fmt: skip
    write_conflist(lab, CNI_DEFAULT)
    remove_link(lab.layout.tiny_bridge)
    lab.cluster.wait_node_ready()


def containerd_resumed(lab: Lab) -> None:
    """SIGCONT. A hang this short need not turn the node NotReady, so no fresh heartbeat is
    awaited (an unchanged status is reported only every few minutes)."""
    lab.resume_containerd()
    lab.cluster.wait_node_ready()


# NoSchedule only: a NoExecute taint would evict the cluster's other pods
LAB_TAINT = "stackdoctor-lab/dedicated=batch:NoSchedule"


def taint_node(lab: Lab) -> None:
    """lab-node tainted as a dedicated pool's nodes are; the scheduler sees it at once."""
    lab.cluster.kubectl("taint", "node", NODE_NAME, LAB_TAINT)


def untaint_node(lab: Lab) -> None:
    """The taint removed (`KEY=VALUE:EFFECT-`), leaving the node's other taints as they were."""
    lab.cluster.kubectl("taint", "node", NODE_NAME, f"{LAB_TAINT}-", check=False)
    wait_node(lab, lambda node: not any(
        taint.get("key") == LAB_TAINT.split("=")[0]
        for taint in (node.get("spec") or {}).get("taints") or []
    ))  # fmt: skip


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
    ClusterScenario(
        "unschedulable",
        "requests 1000Gi of memory: the scheduler finds no node for it, it stays Pending",
        "apiserver.insufficient-resources", "apiserver", unschedulable, via_api=True,
    ),
    ClusterScenario(
        "node-selector-mismatch",
        "a nodeSelector (stackdoctor-lab/pool=gpu) no node's labels match: it stays Pending",
        "apiserver.node-selector-mismatch", "apiserver", unschedulable, via_api=True,
    ),
    ClusterScenario(
        "untolerated-taint",
        f"lab-node tainted {LAB_TAINT}, the pod has no toleration: it stays Pending",
        "apiserver.untolerated-taint", "apiserver", unschedulable, via_api=True,
        fault=taint_node, restore=untaint_node,
    ),
    ClusterScenario(
        "kubelet-stopped",
        "the kubelet stops (SIGTERM): the node turns Ready=Unknown after the 20 s grace",
        "kubelet.not-running", "kubelet", anything,
        fault=stop_kubelet, restore=kubelet_back, has_pod=False, node_fault=True,
        node_shown=node_ready_is("Unknown", "Kubelet stopped posting node status."),
    ),
    ClusterScenario(
        "containerd-stopped",
        "containerd stops under a running kubelet: Ready=False, container runtime is down",
        "containerd.not-running", "containerd", anything,
        fault=lambda lab: lab.stop_containerd(), restore=containerd_back, has_pod=False,
        node_fault=True, node_shown=node_ready_is("False", "container runtime is down"),
    ),
    ClusterScenario(
        "cni-config-removed",
        "containerd's CNI conflist removed: NetworkReady=false, a new pod stays ContainerCreating",
        "containerd.cni-config-missing", "containerd", creating,
        fault=remove_cni_config, restore=cni_config_back, node_fault=True,
        node_shown=node_ready_is("False", "NetworkReady=false"),
        symptom="kubelet.network-not-ready",
    ),
    ClusterScenario(
        "cgroup-driver-mismatch",
        "the kubelet restarted with cgroupDriver systemd, containerd's runc on cgroupfs",
        "kubelet.cgroup-driver-mismatch", "kubelet", anything,
        fault=systemd_driver, restore=kubelet_back, has_pod=False, node_fault=True,
    ),
    ClusterScenario(
        "runtime-endpoint-wrong",
        "the kubelet restarted with containerRuntimeEndpoint at a socket that does not exist",
        "kubelet.runtime-endpoint-missing", "kubelet", anything,
        fault=missing_endpoint, restore=kubelet_back, has_pod=False, node_fault=True,
    ),
    ClusterScenario(
        "exec-format",
        "the entrypoint, written into an emptyDir by an init container, is an aarch64 ELF",
        "runc.exec-format", "runc", exited(1, 1),
        evidence=(("runc.exec-format", r"^exec /app/server: exec format error$"),),
    ),
    ClusterScenario(
        "permission-denied",
        "the entrypoint, written into an emptyDir by an init container, has mode 0644",
        "runc.permission-denied", "runc", restarted(1, "StartError"),
        evidence=((
            "runc.permission-denied",
            r'runc create failed: unable to start container process: '
            r'exec: \\?"/app/run\.sh\\?": permission denied',
        ),),
    ),
    ClusterScenario(
        "subpath-over-directory",
        "a ConfigMap file mounted with subPath over a directory of the app's volume",
        "runc.mount-source-missing", "runc", restarted(1, "StartError"),
        evidence=((
            "runc.mount-source-missing",
            r'error mounting \\?"[^"\\]+/volume-subpaths/config/app/1\\?" to rootfs at '
            r'\\?"/app/config\\?": mount .*: not a directory',
        ),),
    ),
    ClusterScenario(
        "cpu-throttling", "a busy loop under a 10m CPU limit (quota 1000 per 100000 us period)",
        "process.cpu-throttled", "process", ready, sample_interval=1.0,
    ),
    ClusterScenario(
        "pids-exhausted",
        f"the kubelet restarted with podPidsLimit {PIDS_LIMIT}; a shell forks 16 sleepers",
        "process.pids-exhausted", "process", exited(2, 1),
        fault=pids_limited, restore=kubelet_back,
        evidence=((
            "process.pids-exhausted", r"can't fork: Resource temporarily unavailable",
        ),),
    ),
    ClusterScenario(
        "shim-killed",
        "the pod's containerd-shim-runc-v2 is SIGKILLed while its container runs",
        "shim.died", "shim", ready, then=kill_shim,
        evidence=((
            "shim.died",
            r'failed to get task exit status for \\"[0-9a-f]{64}\\"" error="ttrpc: closed',
        ),),
    ),
    ClusterScenario(
        "image-not-found", "a tag the lab's registry (127.0.0.1) does not have: 404",
        "containerd.image-not-found", "containerd", waiting("ImagePullBackOff"),
        fill=registry_port("plain"),
        evidence=((
            "containerd.image-not-found",
            r'failed to resolve reference \\?"127\.0\.0\.1:\d+/lab/busybox:no-such-tag\\?": '
            r"127\.0\.0\.1:\d+/lab/busybox:no-such-tag: not found",
        ),),
    ),
    ClusterScenario(
        "image-unauthorized",
        "a registry with htpasswd auth, pulled with an imagePullSecret whose password is wrong",
        "containerd.image-unauthorized", "containerd", waiting("ImagePullBackOff"),
        fill=wrong_password,
        evidence=((
            "containerd.image-unauthorized",
            r"pulling from host 127\.0\.0\.1:\d+ failed with status code \[manifests 1\]: "
            r"401 Unauthorized",
        ),),
    ),
    ClusterScenario(
        "image-tls", "a registry serving HTTPS with a self-signed certificate",
        "containerd.image-tls", "containerd", waiting("ImagePullBackOff"),
        fill=registry_port("tls"),
        evidence=((
            "containerd.image-tls",
            r'Head \\?"https://127\.0\.0\.1:\d+/v2/lab/busybox/manifests/1\\?": '
            r"x509: certificate signed by unknown authority",
        ),),
    ),
    # Before the three below: their failures stay in the kubelet's and containerd's logs, which
    # `check` reads with no pod to tie them to; cni-ip-exhausted, read from logs alone, is last.
    ClusterScenario(
        "containerd-hung", "containerd is SIGSTOPped: every CRI call times out",
        "cri.timeout", "cri", anything,
        fault=lambda lab: lab.pause_containerd(), restore=containerd_resumed, has_pod=False,
        node_fault=True, timeout=2.0,
    ),
    ClusterScenario(
        "sandbox-image-missing",
        "containerd's sandbox_image is a tag the lab's registry does not have: no pod starts",
        "containerd.sandbox-image-unavailable", "containerd", creating_for(10),
        fault=missing_sandbox_image, restore=containerd_config_back, node_fault=True,
        evidence=((
            "containerd.sandbox-image-unavailable",
            r'failed to get sandbox image \\?"127\.0\.0\.1:\d+/lab/pause:3\.9\\?": failed to pull '
            r'image .*127\.0\.0\.1:\d+/lab/pause:3\.9: not found',
        ),),
    ),
    ClusterScenario(
        "oom-score-adj-denied",
        "containerd without restrict_oom_score_adj, lacking CAP_SYS_RESOURCE: no sandbox starts",
        "runc.oom-score-adj-denied", "runc", creating_for(10),
        fault=unrestricted_oom_score_adj, restore=containerd_config_back,
        evidence=((
            "runc.oom-score-adj-denied",
            r"failed to update /proc/self/oom_score_adj: [Pp]ermission denied|"
            r"can't get final child's PID from pipe: EOF",
        ),),
    ),
    ClusterScenario(
        "cni-plugin-missing", "the CNI conflist names plugin type calico, not in bin_dir",
        "containerd.cni-plugin-missing", "containerd", creating_for(10),
        fault=lambda lab: write_conflist(lab, CNI_MISSING_PLUGIN), restore=network_back,
        node_fault=True,
        evidence=((
            "kubelet.sandbox-create-failed",
            r'plugin type=\\*"calico\\*" failed \(add\): failed to find plugin \\*"calico\\*" '
            r"in path \[/usr/lib/cni\]",
        ),),
    ),
    ClusterScenario(
        "cni-ip-exhausted",
        "host-local on a /30: a first pod holds the only address, this one gets none",
        "containerd.cni-ip-exhausted", "containerd", creating_for(10),
        fault=tiny_range, restore=network_back, node_fault=True,
        evidence=((
            "containerd.cni-ip-exhausted",
            r"failed to allocate for range 0: no IP addresses available in range set: "
            r"10\.88\.215\.1-10\.88\.215\.2",
        ),),
    ),
)  # fmt: skip
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
# The pod-level scenarios first, then the node faults (each leaves the cluster restored).
ORDERED = tuple(sorted(SCENARIOS, key=lambda scenario: scenario.fault is not None))


def get(name: str) -> ClusterScenario:
    try:
        return BY_NAME[name]
    except KeyError:
        raise LabError(f"no cluster scenario {name!r}; `stackdoctor lab list` shows them") from None


def run(lab: Lab, scenario: ClusterScenario, timeout: float = SHOW_TIMEOUT) -> dict[str, Any]:
    """Break the node (`fault`), apply the manifest, and wait until the pod (and the node, with
    `node_shown`) show the failure; the pod's JSON, or the node's for a scenario without a pod."""
    if scenario.fault is not None:
        scenario.fault(lab)
    if scenario.has_pod:
        lab.cluster.kubectl("apply", "-f", "-", stdin=scenario.manifest_text(lab))
    deadline = time.monotonic() + timeout
    while True:
        pod = get_pod(lab, scenario.name) if scenario.has_pod else None
        node = None
        if scenario.node_shown is not None or not scenario.has_pod:
            node = lab.cluster.kubectl_json("get", "node", NODE_NAME, check=False)
        pod_shown = pod is not None and scenario.shown(pod)
        node_shown = scenario.node_shown is None or scenario.node_shown(node or {})
        if (pod_shown or not scenario.has_pod) and node_shown:
            if scenario.then is not None and pod is not None:
                scenario.then(lab, pod)
            return (pod if scenario.has_pod else node) or {}
        if time.monotonic() > deadline:
            phase = ((pod or {}).get("status") or {}).get("phase")
            ready = node_condition(node, "Ready").get("message")
            raise LabError(
                f"scenario {scenario.name}: not shown after {timeout:.0f} s (pod {phase}, "
                f"node Ready: {ready})"
            )
        time.sleep(1)


def get_pod(lab: Lab, name: str) -> PodJson | None:
    return lab.cluster.kubectl_json("get", "pod", "-n", NAMESPACE, name, check=False)


def wait_node(
    lab: Lab, done: Callable[[NodeJson], bool], timeout: float = SHOW_TIMEOUT
) -> NodeJson:
    deadline = time.monotonic() + timeout
    while True:
        node = lab.cluster.kubectl_json("get", "node", NODE_NAME, check=False) or {}
        if done(node):
            return node
        if time.monotonic() > deadline:
            ready = node_condition(node, "Ready")
            raise LabError(f"node {NODE_NAME} did not get there in {timeout:.0f} s: {ready}")
        time.sleep(1)


def wait_pod(
    lab: Lab, name: str, done: Callable[[PodJson], bool], timeout: float = SHOW_TIMEOUT
) -> PodJson:
    deadline = time.monotonic() + timeout
    while True:
        pod = get_pod(lab, name)
        if pod is not None and done(pod):
            return pod
        if time.monotonic() > deadline:
            status = json.dumps((pod or {}).get("status"))[-1500:]
            raise LabError(f"pod {name} did not get there in {timeout:.0f} s: {status}")
        time.sleep(1)


def remove(lab: Lab, scenario: ClusterScenario) -> None:
    """Delete the scenario's pod now (no grace), so the next scenario starts clean."""
    lab.cluster.kubectl(
        "delete", "pod", "-n", NAMESPACE, scenario.name, "--grace-period=0", "--force",
        "--ignore-not-found", "--wait=true",
    )  # fmt: skip
