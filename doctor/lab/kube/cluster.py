"""Start and stop the lab's Kubernetes: etcd, the API server, the controller manager, the
scheduler and the kubelet, against the lab's containerd; wait until the node is Ready.

What runs is recorded in the lab's state (`ClusterState`, inside lab.json), so `lab down` in
another process stops exactly what `lab up` started. Everything listens on 127.0.0.1, on ports
chosen free at start.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from doctor.lab.config import Layout
from doctor.lab.errors import LabError
from doctor.lab.kube import control_plane, kubelet
from doctor.lab.kube.binaries import KubeBinaries, find_binaries
from doctor.lab.kube.control_plane import Ports
from doctor.lab.kube.pki import Pki, write_pki

READY_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0
# Start order; `down` stops them in reverse.
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet")


@dataclass
class ClusterState:
    """What a running cluster is made of (saved in lab.json under `cluster`)."""

    bin_dir: str = ""
    pids: dict[str, int] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    # the kubelet's root dir, bind-mounted onto itself as a shared mount (unmounted by down)
    shared_mounts: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ClusterState:
        return cls(**(data or {}))


@dataclass(frozen=True)
class ClusterLayout:
    """Where the cluster keeps its files, inside the lab dir and its host tree (where a node
    keeps them: /var/lib/kubelet, /etc/kubernetes, /var/log)."""

    lab: Layout

    @property
    def directory(self) -> Path:
        return self.lab.root / "kube"

    @property
    def pki(self) -> Pki:
        return Pki(self.directory / "pki")

    @property
    def etcd_data(self) -> Path:
        return self.directory / "etcd"

    @property
    def sysctl_shadows(self) -> Path:
        return self.directory / "sysctl"

    @property
    def admin_kubeconfig(self) -> Path:
        """The kubeconfig `kubectl --kubeconfig` takes: the lab dir's `kubeconfig`."""
        return self.lab.root / "kubeconfig"

    @property
    def kubelet_root(self) -> Path:
        return self.lab.host_path("/var/lib/kubelet")

    @property
    def kubelet_config(self) -> Path:
        return self.kubelet_root / "config.yaml"

    @property
    def kubelet_kubeconfig(self) -> Path:
        return self.lab.host_path("/etc/kubernetes/kubelet.conf")

    def log(self, component: str) -> Path:
        if component == "kubelet":
            return self.lab.kubelet_log
        return self.lab.host_path(f"/var/log/{component}.log")


def free_ports(count: int) -> list[int]:
    """`count` distinct free TCP ports on 127.0.0.1 (held open together while chosen)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def alive(pid: int | None) -> bool:
    """The process exists and is not a zombie (the lab's processes outlive `lab up`, and a
    zombie is not reaped where PID 1 is no init)."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


class Cluster:
    """One lab's cluster: start it, wait for it, stop it."""

    def __init__(self, layout: Layout, state: ClusterState) -> None:
        self.files = ClusterLayout(layout)
        self.state = state

    @property
    def ports(self) -> Ports:
        return Ports(**self.state.ports)

    @property
    def running(self) -> bool:
        return bool(self.state.pids) and all(alive(pid) for pid in self.state.pids.values())

    # -- up -----------------------------------------------------------------------------------

    def up(self, runtime_endpoint: str, cgroup_root: str, save: Callable[[], None]) -> None:
        """Start every component in order, each once the one before answers; `save()` is
        called after each start so a failed `up` can still be torn down."""
        binaries = find_binaries()
        self.state.bin_dir = str(binaries.directory)
        self.state.versions = {
            "kubernetes": binaries.version("kubelet"),
            "etcd": binaries.version("etcd"),
        }
        ports = Ports(*free_ports(7))
        self.state.ports = asdict(ports)
        files = self.files
        files.directory.mkdir(parents=True, exist_ok=True)
        pki = write_pki(files.pki.directory, ports.server, kubelet.NODE_NAME)
        files.admin_kubeconfig.write_bytes(pki.kubeconfig("admin").read_bytes())
        os.chmod(files.admin_kubeconfig, 0o600)

        self._start("etcd", control_plane.etcd(binaries, files.etcd_data, ports), save)
        self._start("kube-apiserver", control_plane.apiserver(binaries, pki, ports), save)
        self.wait_apiserver()
        cm = control_plane.controller_manager(binaries, pki, ports)
        self._start("kube-controller-manager", cm, save)
        self._start("kube-scheduler", control_plane.scheduler(binaries, pki, ports), save)
        self.start_kubelet(binaries, runtime_endpoint, cgroup_root, save)
        self.wait_node_ready()
        self.wait_default_service_account()

    def start_kubelet(
        self,
        binaries: KubeBinaries,
        runtime_endpoint: str,
        cgroup_root: str,
        save: Callable[[], None],
        cgroup_driver: str = "cgroupfs",
        exits: bool = False,
        pod_pids_limit: int = -1,
    ) -> None:
        """Start the kubelet with the lab's config (`runtime_endpoint`, `cgroup_driver`,
        `pod_pids_limit`); with `exits`, a config it refuses: wait until it has exited."""
        files = self.files
        ports = self.ports
        config = kubelet.kubelet_config(
            runtime_endpoint=runtime_endpoint,
            cgroup_root="/" + cgroup_root.strip("/"),
            pod_logs_dir=files.lab.pod_logs,
            address=files.lab.node_ip,
            port=ports.kubelet,
            healthz_port=ports.kubelet_healthz,
            cgroup_driver=cgroup_driver,
            pod_pids_limit=pod_pids_limit,
        )
        kubelet.write_config(files.kubelet_config, config)
        files.kubelet_kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        files.kubelet_kubeconfig.write_bytes(files.pki.kubeconfig("kubelet").read_bytes())
        os.chmod(files.kubelet_kubeconfig, 0o600)
        files.lab.pod_logs.mkdir(parents=True, exist_ok=True)
        make_cgroup(cgroup_root)  # the kubelet refuses a cgroupRoot that does not exist
        add_node_address(files.lab.bridge, files.lab.node_ip)
        self._share(files.kubelet_root)
        files.sysctl_shadows.mkdir(parents=True, exist_ok=True)
        argv = kubelet.kubelet_argv(
            binaries.path("kubelet"),
            config=files.kubelet_config,
            kubeconfig=files.kubelet_kubeconfig,
            root_dir=files.kubelet_root,
            node_ip=files.lab.node_ip,
        )
        command = kubelet.private_namespace_command(argv, files.sysctl_shadows)
        self._start("kubelet", command, save, exits)

    def restart_kubelet(
        self,
        runtime_endpoint: str,
        cgroup_root: str,
        save: Callable[[], None],
        cgroup_driver: str = "cgroupfs",
        exits: bool = False,
        pod_pids_limit: int = -1,
    ) -> None:
        """Stop the kubelet and start it again (from the binaries it ran from) with this config."""
        self.stop("kubelet")
        binaries = KubeBinaries(Path(self.state.bin_dir))
        self.start_kubelet(
            binaries, runtime_endpoint, cgroup_root, save, cgroup_driver, exits, pod_pids_limit
        )

    def _share(self, directory: Path) -> None:
        """Make `directory` a shared mount (a bind mount onto itself), once."""
        directory.mkdir(parents=True, exist_ok=True)
        if str(directory) in self.state.shared_mounts:
            return
        for command in (
            ["mount", "--bind", str(directory), str(directory)],
            ["mount", "--make-shared", str(directory)],
        ):
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise LabError(f"{' '.join(command)} failed: {result.stderr.strip()}")
            if command[1] == "--bind":
                self.state.shared_mounts.append(str(directory))

    def _start(
        self, component: str, argv: list[str], save: Callable[[], None], exits: bool = False
    ) -> None:
        log_path = self.files.log(component)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as out:
            process = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # `lab up` returns; the cluster stays
            )
        self.state.pids[component] = process.pid
        save()
        if exits:
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                raise LabError(
                    f"{component} did not exit: {self.log_tail(component, 600)}"
                ) from None
            return
        time.sleep(0.2)
        if process.poll() is not None:
            raise LabError(f"{component} exited at start: {self.log_tail(component, 600)}")

    def log_tail(self, component: str, size: int = 1500) -> str:
        try:
            return self.files.log(component).read_text(errors="replace")[-size:]
        except OSError as exc:
            return f"(no log: {exc})"

    # -- waiting --------------------------------------------------------------------------------

    def wait_apiserver(self, timeout: float = READY_TIMEOUT) -> None:
        context = ssl.create_default_context(cafile=str(self.files.pki.ca_cert))
        token = json.loads(self.files.admin_kubeconfig.read_text())["users"][0]["user"]["token"]
        request = urllib.request.Request(
            f"{self.ports.server}/readyz", headers={"Authorization": f"Bearer {token}"}
        )
        deadline = time.monotonic() + timeout
        while True:
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(request, context=context, timeout=5) as answer,
            ):
                if answer.status == 200:
                    return
            for component in ("etcd", "kube-apiserver"):
                if not alive(self.state.pids.get(component)):
                    raise LabError(f"{component} exited: {self.log_tail(component, 600)}")
            if time.monotonic() > deadline:
                raise LabError(f"the API server is not ready: {self.log_tail('kube-apiserver')}")
            time.sleep(0.5)

    def wait_node_ready(self, timeout: float = READY_TIMEOUT, since: float | None = None) -> None:
        """Until the node is Ready — by a heartbeat at or after `since` (time.time()), when given:
        a node that was never marked otherwise still shows the Ready of an earlier kubelet."""
        deadline = time.monotonic() + timeout
        while True:
            node = self.kubectl_json("get", "node", kubelet.NODE_NAME, check=False)
            if node_ready(node, since):
                return
            if not alive(self.state.pids.get("kubelet")):
                raise LabError(f"the kubelet exited: {self.log_tail('kubelet', 600)}")
            if time.monotonic() > deadline:
                raise LabError(f"node {kubelet.NODE_NAME} is not Ready: {self.log_tail('kubelet')}")
            time.sleep(1)

    def wait_default_service_account(self, timeout: float = READY_TIMEOUT) -> None:
        """Pods are refused until the controller manager made namespace default's account."""
        deadline = time.monotonic() + timeout
        while self.kubectl("get", "serviceaccount", "default", check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise LabError(
                    "no service account default/default: "
                    + self.log_tail("kube-controller-manager", 600)
                )
            time.sleep(0.5)

    # -- kubectl ----------------------------------------------------------------------------------

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        program = str(Path(self.state.bin_dir) / "kubectl")
        argv = [program, f"--kubeconfig={self.files.admin_kubeconfig}", *args]
        result = subprocess.run(
            argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise LabError(f"kubectl {' '.join(args)}: {result.stderr.strip()[-800:]}")
        return result

    def kubectl_json(self, *args: str, check: bool = True) -> dict[str, Any] | None:
        result = self.kubectl(*args, "-o", "json", check=check)
        if result.returncode != 0:
            return None
        answer: dict[str, Any] = json.loads(result.stdout)
        return answer

    # -- down -----------------------------------------------------------------------------------

    def stop(self, component: str, sig: int = signal.SIGTERM) -> None:
        """Stop one component and wait for it to exit (SIGKILL after STOP_TIMEOUT)."""
        pid = self.state.pids.get(component)
        if not alive(pid):
            return
        assert pid is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + STOP_TIMEOUT
        while alive(pid):
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)

    def down(self) -> None:
        """Stop every component, newest first (the lab unmounts and removes the files)."""
        for component in reversed(COMPONENTS):
            self.stop(component)


def add_node_address(bridge: str, address: str) -> None:
    """The node's address on the lab's bridge, made now (the CNI bridge plugin adopts an
    existing bridge) and up: a local address, as a node's InternalIP is. Idempotent."""
    steps = []
    if not Path("/sys/class/net", bridge).exists():
        steps.append(["ip", "link", "add", bridge, "type", "bridge"])
    shown = subprocess.run(
        ["ip", "-o", "-4", "addr", "show", "dev", bridge], capture_output=True, text=True
    )
    if f" {address}/" not in shown.stdout:  # a restarted kubelet finds it there
        steps.append(["ip", "addr", "add", f"{address}/32", "dev", bridge])
    steps.append(["ip", "link", "set", bridge, "up"])
    for command in steps:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise LabError(f"{' '.join(command)} failed: {result.stderr.strip()}")


def make_cgroup(name: str, cgroup_fs: Path = Path("/sys/fs/cgroup")) -> None:
    """`name` under every cgroup hierarchy (v1: each controller's mount; v2: the one)."""
    if (cgroup_fs / "cgroup.procs").exists():
        (cgroup_fs / name).mkdir(exist_ok=True)
        return
    for hierarchy in cgroup_fs.iterdir():
        if (hierarchy / "cgroup.procs").exists():
            (hierarchy / name).mkdir(exist_ok=True)


def node_ready(node: dict[str, Any] | None, since: float | None = None) -> bool:
    """Ready=True, by a heartbeat at or after `since` (whole seconds, as the API keeps it)."""
    ready = node_condition(node, "Ready")
    if ready.get("status") != "True":
        return False
    if since is None:
        return True
    beat = ready.get("lastHeartbeatTime")
    try:
        at = datetime.strptime(str(beat), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return False
    return at >= int(since)


def node_condition(node: dict[str, Any] | None, kind: str) -> dict[str, Any]:
    """The node's condition of this type ({} when it has none)."""
    for condition in ((node or {}).get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            return dict(condition)
    return {}
