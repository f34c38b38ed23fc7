"""The lab's scenarios: real failures, made through the CRI the way the kubelet makes them.

Each scenario runs its pod (sandbox, then container attempts: a restart is a new attempt of
the same container, as the kubelet makes it) and writes the kubelet log lines the kubelet
would have written, in its real klog formats. The lab compresses time: the kubelet's back-off
between restarts is logged, not waited for. `root_cause` is the rule id `stackdoctor diagnose`
must name, `layer` its layer.
"""

from __future__ import annotations

import logging
import os
import signal
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc  # type: ignore[import-untyped]

from doctor.lab import registry
from doctor.lab.config import CNI_MISSING_PLUGIN, CNI_TINY_RANGE
from doctor.lab.cri import wait_exited
from doctor.lab.errors import LabError
from doctor.lab.generated import cri_admin_pb2 as m
from doctor.lab.kubelet_side import pod_ref, quote
from doctor.lab.runtime import Lab, Pod, Resources, remove_link

log = logging.getLogger(__name__)

NAMESPACE = "lab"
MiB = 1 << 20
PIDS_LIMIT = 8  # the pod's pids.max (the kubelet's podPidsLimit)
BACKOFF = ("10s", "20s", "40s", "1m20s", "2m40s", "5m0s")


@dataclass(frozen=True)
class Scenario:
    """One failure: how to make it, and what the diagnosis must say."""

    name: str
    description: str
    root_cause: str | None  # None: a healthy pod, no finding at or above warning
    layer: str | None
    setup: Callable[[Lab, Scenario], Pod | None]
    # Exclusive scenarios change containerd itself (its config, its process): they run alone,
    # and `restore` puts the shared lab back.
    exclusive: bool = False
    restore: Callable[[Lab], None] | None = None
    sample_interval: float = 0.2
    # `--timeout` for diagnose and check (None: stackdoctor's default); a hung runtime must
    # cost at most this per call
    timeout: float | None = None
    # the fault is the node's: `stackdoctor check` (no pod) must name the same root cause
    node_fault: bool = False
    # needs the lab's registry (docker-registry, skopeo, openssl: see registry.py)
    registry: bool = False

    @property
    def pod_ref(self) -> str:
        return f"{NAMESPACE}/{self.name}"


# -- how the kubelet runs a container ------------------------------------------------------------


def _run_attempt(
    lab: Lab, pod: Pod, container: str, command: list[str], attempt: int, resources: Resources
) -> str:
    config = lab.container_config(pod, container, command, attempt, resources)
    container_id = lab.create_and_start(pod, config)
    lab.kubelet_log.write(
        "I",
        "kubelet.go:2435",
        "SyncLoop (PLEG): event for pod",
        pod=pod.ref,
        event=f'{{"ID":"{pod.uid}","Type":"ContainerStarted","Data":"{container_id}"}}',
    )
    return container_id


def _died(lab: Lab, pod: Pod, container_id: str) -> None:
    lab.kubelet_log.write(
        "I",
        "kubelet.go:2435",
        "SyncLoop (PLEG): event for pod",
        pod=pod.ref,
        event=f'{{"ID":"{pod.uid}","Type":"ContainerDied","Data":"{container_id}"}}',
    )


def _back_off(lab: Lab, pod: Pod, container: str, restart: int) -> None:
    """The kubelet's pod_workers line while the container waits out its restart back-off."""
    delay = BACKOFF[min(restart, len(BACKOFF) - 1)]
    inner = (
        f"back-off {delay} restarting failed container={container} "
        f"pod={pod_ref(pod.name, pod.namespace, pod.uid)}"
    )
    lab.kubelet_log.write(
        "E",
        "pod_workers.go:1298",
        "Error syncing pod, skipping",
        err=f'failed to "StartContainer" for "{container}" with CrashLoopBackOff: "{inner}"',
        pod=pod.ref,
        podUID=pod.uid,
    )


def restart_loop(
    lab: Lab, scenario: Scenario, command: list[str], attempts: int, resources: Resources
) -> Pod:
    """A pod whose `app` container exits each time and is restarted (restartPolicy Always)."""
    pod = lab.run_pod(scenario.name, NAMESPACE)
    for attempt in range(attempts):
        container_id = _run_attempt(lab, pod, "app", command, attempt, resources)
        wait_exited(lab.layout.socket, container_id)
        _died(lab, pod, container_id)
        _back_off(lab, pod, "app", attempt)
    return pod


def running(lab: Lab, scenario: Scenario, command: list[str], resources: Resources) -> Pod:
    pod = lab.run_pod(scenario.name, NAMESPACE)
    _run_attempt(lab, pod, "app", command, 0, resources)
    return pod


# -- the scenarios -------------------------------------------------------------------------------


def healthy(lab: Lab, scenario: Scenario) -> Pod:
    return running(
        lab, scenario, ["/bin/sleep", "2147483647"], Resources(memory_limit_bytes=64 * MiB)
    )


def oom_kill(lab: Lab, scenario: Scenario) -> Pod:
    command = ["/bin/sh", "-c", "echo allocating; x=a; while true; do x=$x$x; done"]
    return restart_loop(lab, scenario, command, 2, Resources(memory_limit_bytes=16 * MiB))


def crash_loop(lab: Lab, scenario: Scenario) -> Pod:
    command = [
        "/bin/sh",
        "-c",
        "echo starting; echo 'error: cannot open /etc/app/config.yaml: no such file' >&2; exit 1",
    ]
    return restart_loop(lab, scenario, command, 4, Resources())


def exit_zero(lab: Lab, scenario: Scenario) -> Pod:
    command = ["/bin/sh", "-c", "echo job done; exit 0"]
    return restart_loop(lab, scenario, command, 3, Resources())


def segfault(lab: Lab, scenario: Scenario) -> Pod:
    command = ["/bin/sh", "-c", "echo starting; kill -SEGV $$"]
    return restart_loop(lab, scenario, command, 2, Resources())


def exec_not_found(lab: Lab, scenario: Scenario) -> Pod:
    """StartContainer fails in runc; the kubelet logs it and retries (a new attempt)."""
    pod = lab.run_pod(scenario.name, NAMESPACE)
    return _start_fails_twice(lab, scenario, pod, ["/app/server"])


def _start_fails_twice(
    lab: Lab,
    scenario: Scenario,
    pod: Pod,
    command: list[str],
    mounts: list[tuple[str, str]] | None = None,
) -> Pod:
    """StartContainer fails in runc (StartError 128) and the kubelet retries: two attempts, each
    logged as the kubelet logs it; a container that starts means the scenario did not reproduce."""
    for attempt in range(2):
        config = lab.container_config(pod, "app", command, attempt, Resources(), mounts)
        try:
            lab.create_and_start(pod, config)
        except grpc.RpcError as exc:
            _start_failed(lab, pod, "app", exc)
        else:
            raise LabError(f"{scenario.name}: the container started, it should not have")
    return pod


def _rpc_text(exc: grpc.RpcError) -> str:
    code = exc.code()
    name = "".join(part.capitalize() for part in code.name.split("_"))
    return f"rpc error: code = {name} desc = {exc.details()}"


def _start_failed(lab: Lab, pod: Pod, container: str, exc: grpc.RpcError) -> None:
    err = _rpc_text(exc)
    container_id = getattr(exc, "container_id", "")
    lab.kubelet_log.write(
        "E", "remote_runtime.go:343", "StartContainer from runtime service failed",
        err=err, containerID=container_id,
    )  # fmt: skip
    lab.kubelet_log.write(
        "E",
        "pod_workers.go:1298",
        "Error syncing pod, skipping",
        err=f'failed to "StartContainer" for "{container}" with RunContainerError: "{err}"',
        pod=pod.ref,
        podUID=pod.uid,
    )


def cpu_throttling(lab: Lab, scenario: Scenario) -> Pod:
    resources = Resources(cpu_period=100000, cpu_quota=10000, cpu_shares=102)
    return running(lab, scenario, ["/bin/sh", "-c", "while :; do :; done"], resources)


def oom_score_adj_denied(lab: Lab, scenario: Scenario) -> None:
    """containerd without restrict_oom_score_adj: runc may not raise oom_score_adj here, and
    every sandbox fails; the kubelet logs RunPodSandbox's failure, as it would."""
    lab.stop_containerd()
    lab.start_containerd(restrict_oom_score_adj=False)
    _sandbox_must_fail(lab, scenario, "the sandbox started (this machine allows it)")


def _sandbox_failed(lab: Lab, name: str, namespace: str, uid: str, exc: grpc.RpcError) -> None:
    err = _rpc_text(exc)
    ref = pod_ref(name, namespace, uid)
    write = lab.kubelet_log.write
    write("E", "remote_runtime.go:193", "RunPodSandbox from runtime service failed", err=err)
    write("E", "kuberuntime_sandbox.go:72", "Failed to create sandbox for pod", err=err,
          pod=f"{namespace}/{name}")  # fmt: skip
    write("E", "kuberuntime_manager.go:1172", "CreatePodSandbox for pod failed", err=err,
          pod=f"{namespace}/{name}")  # fmt: skip
    inner = f'Failed to create sandbox for pod "{ref}": {err}'
    write(
        "E",
        "pod_workers.go:1298",
        "Error syncing pod, skipping",
        err=f'failed to "CreatePodSandbox" for "{ref}" with CreatePodSandboxError: "{inner}"',
        pod=f"{namespace}/{name}",
        podUID=uid,
    )


def restore_containerd(lab: Lab) -> None:
    lab.stop_containerd()
    lab.start_containerd(restrict_oom_score_adj=True)


def containerd_stopped(lab: Lab, scenario: Scenario) -> Pod:
    """A running pod, then containerd stops: its shim and container keep running."""
    pod = running(lab, scenario, ["/bin/sleep", "2147483647"], Resources())
    lab.stop_containerd()
    socket = lab.layout.socket
    err = (
        "rpc error: code = Unavailable desc = connection error: desc = "
        f'"transport: Error while dialing: dial unix {socket}: connect: no such file or directory"'
    )
    write = lab.kubelet_log.write
    write("E", "remote_runtime.go:277", "ListPodSandbox with filter from runtime service failed",
          err=err, filter="nil")  # fmt: skip
    write("E", "kuberuntime_sandbox.go:297", "Failed to list pod sandboxes", err=err)
    write("E", "generic.go:238", "GenericPLEG: Unable to retrieve pods", err=err)
    return pod


def shim_killed(lab: Lab, scenario: Scenario) -> Pod:
    """The pod's containerd-shim-runc-v2 is SIGKILLed (by the lab: a process it started); the
    container ends with it and containerd logs "shim disconnected"."""
    pod = lab.run_pod(scenario.name, NAMESPACE)
    container_id = _run_attempt(
        lab, pod, "app", ["/bin/sleep", "2147483647"], 0, Resources(memory_limit_bytes=64 * MiB)
    )
    shims = lab.shim_pids(pod.sandbox_id)
    if len(shims) != 1:
        raise LabError(f"shim-killed: expected one shim for {pod.sandbox_id}, found {shims}")
    os.kill(shims[0], signal.SIGKILL)
    wait_exited(lab.layout.socket, container_id)
    _died(lab, pod, container_id)
    return pod


def pids_exhausted(lab: Lab, scenario: Scenario) -> Pod:
    """The kubelet's pod PIDs limit (podPidsLimit: pids.max of the pod cgroup, which the lab
    writes as the kubelet does) and a shell that forks sleepers until fork fails."""
    pod = lab.run_pod(scenario.name, NAMESPACE)
    pod_cgroup = lab.pod_cgroup("pids", pod)
    (pod_cgroup / "pids.max").write_text(f"{PIDS_LIMIT}\n")
    script = (
        "echo starting workers; i=0; "
        f"while [ $i -lt {PIDS_LIMIT * 2} ]; do sleep 2147483647 & i=$((i+1)); done; "
        "echo workers started; wait"
    )
    container_id = _run_attempt(lab, pod, "app", ["/bin/sh", "-c", script], 0, Resources())
    wait_exited(lab.layout.socket, container_id)  # ash gives up when fork fails (exit 2)
    _died(lab, pod, container_id)
    if "can't fork" not in _log_text(pod, "app", 0):
        raise LabError("pids-exhausted: the shell exited without a failed fork")
    return pod


def mount_source_missing(lab: Lab, scenario: Scenario) -> Pod:
    """A hostPath/subPath volume whose host directory is gone when the container starts:
    containerd made it at CreateContainer (as it does for a missing hostPath), then it was
    removed — runc's mount of it fails (StartError 128). The kubelet retries: a new attempt."""
    pod = lab.run_pod(scenario.name, NAMESPACE)
    source = lab.layout.root / "volumes" / pod.uid / "config"
    for attempt in range(2):
        source.mkdir(parents=True, exist_ok=True)
        mounts = [(str(source), "/etc/app")]
        config = lab.container_config(
            pod, "app", ["/bin/sleep", "2147483647"], attempt, Resources(), mounts
        )
        with lab.client() as client:
            container_id = client.create_container(pod.sandbox_id, config, pod.config)
            source.rmdir()
            try:
                client.start_container(container_id)
            except grpc.RpcError as exc:
                exc.container_id = container_id
                _start_failed(lab, pod, "app", exc)
            else:
                raise LabError("mount-source-missing: the container started, it should not have")
    return pod


def cni_config_missing(lab: Lab, scenario: Scenario) -> None:
    """containerd with an empty CNI conf dir: NetworkReady=false, and a pod that needs pod
    networking gets no sandbox ("cni plugin not initialized"); the kubelet logs both."""
    lab.stop_containerd()
    lab.start_containerd(cni_config=False)
    write = lab.kubelet_log.write
    status = "NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"  # noqa: E501
    write("E", "kubelet.go:2874", "Container runtime network not ready", networkReady=status)
    _sandbox_must_fail(
        lab, scenario, "the sandbox got a pod network without a CNI config", host_network=False
    )


def restore_cni(lab: Lab) -> None:
    lab.stop_containerd()
    lab.start_containerd()


def containerd_hung(lab: Lab, scenario: Scenario) -> Pod:
    """A running pod, then containerd is SIGSTOPped: its socket accepts connections and no call
    is answered. The kubelet's calls end in DeadlineExceeded (logged as it logs them)."""
    pod = running(lab, scenario, ["/bin/sleep", "2147483647"], Resources())
    lab.pause_containerd()
    err = "rpc error: code = DeadlineExceeded desc = context deadline exceeded"
    write = lab.kubelet_log.write
    write("E", "remote_runtime.go:277", "ListPodSandbox with filter from runtime service failed",
          err=err, filter="nil")  # fmt: skip
    write("E", "kuberuntime_sandbox.go:297", "Failed to list pod sandboxes", err=err)
    write("E", "generic.go:238", "GenericPLEG: Unable to retrieve pods", err=err)
    return pod


# -- images: the kubelet pulls before it creates a container ------------------------------------


def _pull_failed(lab: Lab, pod: Pod, container: str, image: str, exc: grpc.RpcError) -> None:
    """What the kubelet logs when PullImage fails: the CRI client's and the image manager's
    lines, then pod_workers' sync error (ErrImagePull, the pull error as its message)."""
    err = _rpc_text(exc)
    write = lab.kubelet_log.write
    write("E", "remote_image.go:180", "PullImage from image service failed", err=err, image=image)
    write("E", "kuberuntime_image.go:55", "Failed to pull image", err=err, image=image)
    write(
        "E",
        "pod_workers.go:1298",
        "Error syncing pod, skipping",
        err=f'failed to "StartContainer" for "{container}" with ErrImagePull: {quote(err)}',
        pod=pod.ref,
        podUID=pod.uid,
    )


def _pull_back_off(lab: Lab, pod: Pod, container: str, image: str) -> None:
    inner = f'Back-off pulling image "{image}"'
    lab.kubelet_log.write(
        "E",
        "pod_workers.go:1298",
        "Error syncing pod, skipping",
        err=f'failed to "StartContainer" for "{container}" with ImagePullBackOff: {quote(inner)}',
        pod=pod.ref,
        podUID=pod.uid,
    )


def pull_fails(lab: Lab, scenario: Scenario, image: str, auth: m.AuthConfig | None = None) -> Pod:
    """The pod's sandbox runs; the `app` container's image cannot be pulled. The kubelet pulls,
    fails (ErrImagePull), backs off (ImagePullBackOff), pulls again and backs off again."""
    pod = lab.run_pod(scenario.name, NAMESPACE)
    for _ in range(2):
        try:
            with lab.client() as client:
                client.pull_image(image, pod.config, auth)
        except grpc.RpcError as exc:
            _pull_failed(lab, pod, "app", image, exc)
        else:
            raise LabError(f"{scenario.name}: {image} was pulled, it should not have been")
        _pull_back_off(lab, pod, "app", image)
    return pod


def image_not_found(lab: Lab, scenario: Scenario) -> Pod:
    port = lab.registry("plain")
    return pull_fails(lab, scenario, f"127.0.0.1:{port}/{registry.REPOSITORY}:no-such-tag")


def image_unauthorized(lab: Lab, scenario: Scenario) -> Pod:
    """An imagePullSecret whose password is wrong (an expired token, say)."""
    port = lab.registry("auth")
    auth = m.AuthConfig(username=registry.USER, password="not-the-password")
    return pull_fails(lab, scenario, f"127.0.0.1:{port}/{registry.REPOSITORY}:1", auth)


def image_tls(lab: Lab, scenario: Scenario) -> Pod:
    port = lab.registry("tls")
    return pull_fails(lab, scenario, f"127.0.0.1:{port}/{registry.REPOSITORY}:1")


def registry_unreachable(lab: Lab, scenario: Scenario) -> Pod:
    port = registry.free_port()  # nothing listens there
    return pull_fails(lab, scenario, f"127.0.0.1:{port}/{registry.REPOSITORY}:1")


def sandbox_image_missing(lab: Lab, scenario: Scenario) -> None:
    """containerd's sandbox_image names a tag the lab's registry does not have: every
    RunPodSandbox fails pulling it."""
    port = lab.registry("plain")
    lab.stop_containerd()
    lab.start_containerd(sandbox_image=f"127.0.0.1:{port}/lab/pause:3.9")
    _sandbox_must_fail(lab, scenario, "the sandbox started without its image")


# -- CNI: pods with their own network namespace ---------------------------------------------------


def _pod_network_fails(lab: Lab, scenario: Scenario) -> None:
    _sandbox_must_fail(lab, scenario, "the sandbox got a pod network", host_network=False)


def _sandbox_must_fail(
    lab: Lab, scenario: Scenario, if_not: str, host_network: bool = True
) -> None:
    """RunPodSandbox as the kubelet would; its failure is the scenario (logged as the kubelet
    logs it), and a sandbox that starts means the scenario did not reproduce here."""
    uid = _new_uid()
    config = lab.sandbox_config(scenario.name, NAMESPACE, uid, host_network=host_network)
    try:
        with lab.client() as client:
            client.run_sandbox(config)
    except grpc.RpcError as exc:
        _sandbox_failed(lab, scenario.name, NAMESPACE, uid, exc)
        return
    raise LabError(f"{scenario.name}: {if_not}")


def cni_plugin_missing(lab: Lab, scenario: Scenario) -> None:
    """The conflist names a plugin type (calico) that is not in containerd's bin_dir."""
    lab.stop_containerd()
    lab.start_containerd(cni=CNI_MISSING_PLUGIN)
    return _pod_network_fails(lab, scenario)


IP_HOLDER = "ip-holder"


def cni_ip_exhausted(lab: Lab, scenario: Scenario) -> None:
    """host-local on a /30 has one pod address: a first pod takes it, the next one fails."""
    lab.stop_containerd()
    lab.start_containerd(cni=CNI_TINY_RANGE)
    lab.run_pod(IP_HOLDER, NAMESPACE, host_network=False)
    return _pod_network_fails(lab, scenario)


def restore_cni_network(lab: Lab) -> None:
    """The shared lab's containerd back, then the pods these scenarios left with a pod network
    removed (the holder of the only address; a sandbox whose failed network setup could not be
    cleaned up either, containerd keeps it as SANDBOX_UNKNOWN): their netns and veth go with
    them, with the default conflist in place so CNI DEL succeeds. Then the tiny range's bridge."""
    from doctor.gather.cri.client import CriClient

    restore_cni(lab)
    names = {IP_HOLDER, "cni-plugin-missing", "cni-ip-exhausted"}
    socket = lab.layout.socket
    with CriClient(f"unix://{socket}", socket, 10) as cri:
        cri.negotiate()
        left = [s.id for s in cri.list_pod_sandbox() if s.metadata.name in names]
    with lab.client() as client:
        for sandbox in left:
            client.stop_sandbox(sandbox, 20)
            client.remove_sandbox(sandbox, 20)
    remove_link(lab.layout.tiny_bridge)


# -- runc: the entrypoint cannot be executed ------------------------------------------------------


def foreign_elf(machine: int = 183) -> bytes:
    """A minimal ELF64 executable header for another machine (183: aarch64): the kernel's
    execve refuses it with ENOEXEC, "exec format error"."""
    header = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header += struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, 0x400078, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    program = struct.pack("<IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, 0x80, 0x80, 0x1000)
    return header + program + bytes(8)


def _app_volume(lab: Lab, pod: Pod, name: str, data: bytes, mode: int) -> list[tuple[str, str]]:
    """A host directory holding /app/<name>, mounted at /app (a volume with the binary)."""
    directory = lab.layout.root / "volumes" / pod.uid / "app"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(data)
    path.chmod(mode)
    return [(str(directory), "/app")]


def exec_format(lab: Lab, scenario: Scenario) -> Pod:
    """The entrypoint is an aarch64 binary on this node: runc's execve fails after the start,
    the container exits 1 with runc's message on its stderr; restarted with back-off."""
    pod = lab.run_pod(scenario.name, NAMESPACE)
    mounts = _app_volume(lab, pod, "server", foreign_elf(), 0o755)
    for attempt in range(2):
        config = lab.container_config(pod, "app", ["/app/server"], attempt, Resources(), mounts)
        container_id = lab.create_and_start(pod, config)
        wait_exited(lab.layout.socket, container_id)
        _died(lab, pod, container_id)
        _back_off(lab, pod, "app", attempt)
    return pod


def permission_denied(lab: Lab, scenario: Scenario) -> Pod:
    """The entrypoint is a script without the execute bit: runc refuses it at start
    (StartError 128); the kubelet retries."""
    pod = lab.run_pod(scenario.name, NAMESPACE)
    mounts = _app_volume(lab, pod, "run.sh", b"#!/bin/sh\necho started\n", 0o644)
    return _start_fails_twice(lab, scenario, pod, ["/app/run.sh"], mounts)


def _log_text(pod: Pod, container: str, attempt: int) -> str:
    try:
        return (pod.log_dir / container / f"{attempt}.log").read_text(errors="replace")
    except OSError:
        return ""


def _new_uid() -> str:
    import uuid

    return str(uuid.uuid4())


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("healthy", "a sleeping container under a 64Mi limit", None, None, healthy),
    Scenario(
        "oom-kill",
        "a shell doubling a string under a 16Mi limit: OOM-killed (137, OOMKilled), restarted",
        "process.oom-killed", "process", oom_kill,
    ),
    Scenario(
        "crash-loop",
        "exits 1 after logging an error, restarted 3 times with back-off",
        "process.app-error", "process", crash_loop,
    ),
    Scenario(
        "exit-zero",
        "a long-running container that exits 0 under restartPolicy Always",
        "process.exited-zero", "process", exit_zero,
    ),
    Scenario(
        "segfault", "the shell kills itself with SIGSEGV (exit 139)",
        "process.segfault", "process", segfault,
    ),
    Scenario(
        "exec-not-found", "the command /app/server is not in the image: runc's StartError 128",
        "runc.exec-not-found", "runc", exec_not_found,
    ),
    Scenario(
        "cpu-throttling", "a busy loop under a 10m CPU quota (10000/100000)",
        "process.cpu-throttled", "process", cpu_throttling, sample_interval=1.0,
    ),
    Scenario(
        "oom-score-adj-denied",
        "containerd without restrict_oom_score_adj on a node lacking CAP_SYS_RESOURCE",
        "runc.oom-score-adj-denied", "runc", oom_score_adj_denied,
        exclusive=True, restore=restore_containerd,
    ),
    Scenario(
        "containerd-stopped", "containerd stops while a pod runs (shim and container survive)",
        "containerd.not-running", "containerd", containerd_stopped,
        exclusive=True, restore=lambda lab: lab.start_containerd(), node_fault=True,
    ),
    Scenario(
        "shim-killed", "the pod's containerd-shim-runc-v2 is SIGKILLed while its container runs",
        "shim.died", "shim", shim_killed,
    ),
    Scenario(
        "pids-exhausted",
        f"a shell forking sleepers in a pod whose pids.max is {PIDS_LIMIT} (podPidsLimit)",
        "process.pids-exhausted", "process", pids_exhausted,
    ),
    Scenario(
        "mount-source-missing",
        "a volume's host directory is removed before StartContainer: runc cannot mount it",
        "runc.mount-source-missing", "runc", mount_source_missing,
    ),
    Scenario(
        "cni-config-missing",
        "containerd's CNI conf dir is empty: NetworkReady=false, pod-network sandboxes fail",
        "containerd.cni-config-missing", "containerd", cni_config_missing,
        exclusive=True, restore=restore_cni, node_fault=True,
    ),
    Scenario(
        "containerd-hung", "containerd is SIGSTOPped while a pod runs: every CRI call times out",
        "cri.timeout", "cri", containerd_hung,
        exclusive=True, restore=lambda lab: lab.resume_containerd(), timeout=2.0,
        node_fault=True,
    ),
    Scenario(
        "image-not-found", "a tag the lab's registry (127.0.0.1) does not have: 404",
        "containerd.image-not-found", "containerd", image_not_found, registry=True,
    ),
    Scenario(
        "image-unauthorized", "a registry with htpasswd auth, pulled with a wrong password: 401",
        "containerd.image-unauthorized", "containerd", image_unauthorized, registry=True,
    ),
    Scenario(
        "image-tls", "a registry serving HTTPS with a self-signed certificate",
        "containerd.image-tls", "containerd", image_tls, registry=True,
    ),
    Scenario(
        "registry-unreachable", "an image on 127.0.0.1 at a port nothing listens on",
        "containerd.registry-unreachable", "containerd", registry_unreachable,
    ),
    Scenario(
        "exec-format", "the entrypoint is an aarch64 binary: exec format error",
        "runc.exec-format", "runc", exec_format,
    ),
    Scenario(
        "permission-denied", "the entrypoint is a script without the execute bit",
        "runc.permission-denied", "runc", permission_denied,
    ),
    Scenario(
        "sandbox-image-missing",
        "containerd's sandbox_image is a tag the lab's registry does not have",
        "containerd.sandbox-image-unavailable", "containerd", sandbox_image_missing,
        exclusive=True, restore=restore_cni, node_fault=True, registry=True,
    ),
    Scenario(
        "cni-plugin-missing", "the CNI conflist names plugin type calico, not in bin_dir",
        "containerd.cni-plugin-missing", "containerd", cni_plugin_missing,
        exclusive=True, restore=restore_cni_network, node_fault=True,
    ),
    # last: its failure stays in the kubelet's and containerd's logs, and the rule reads logs
    Scenario(
        "cni-ip-exhausted", "host-local on a /30: one pod holds the only address, the next fails",
        "containerd.cni-ip-exhausted", "containerd", cni_ip_exhausted,
        exclusive=True, restore=restore_cni_network, node_fault=True,
    ),
)  # fmt: skip
BY_NAME: dict[str, Scenario] = {s.name: s for s in SCENARIOS}


def get(name: str) -> Scenario:
    try:
        return BY_NAME[name]
    except KeyError:
        raise LabError(f"no scenario {name!r}; `stackdoctor lab list` shows them") from None


def run(lab: Lab, scenario: Scenario) -> dict[str, Any]:
    """Make the scenario in a running lab; what `diagnose` should be pointed at."""
    try:
        pod = scenario.setup(lab, scenario)
    except grpc.RpcError as exc:
        raise LabError(f"scenario {scenario.name}: {_rpc_text(exc)}") from None
    record = {
        "pod": scenario.pod_ref,
        "uid": pod.uid if pod else "",
        "root_cause": scenario.root_cause or "",
    }
    lab.state.scenarios[scenario.name] = record
    lab.save()
    return record
