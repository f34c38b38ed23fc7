"""Start and stop a lab: its private containerd and the real single-node Kubernetes on it
(doctor/lab/kube), or (runtime only, for the live CRI tests) containerd alone, with pods made
through the CRI the way the kubelet makes them.

State (pids, directories made outside the lab dir) is kept in <lab>/lab.json, so `lab down`
in another process ends exactly what `lab up` started. Teardown ends processes by pid — the
ones recorded, the shims whose command line names the lab dir, and whatever is left in the
lab's cgroups — then unmounts everything under the lab dir and removes the cgroups.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]

from doctor.gather.host import Host
from doctor.lab import registry
from doctor.lab.config import (
    CNI_DEFAULT,
    CNI_NONE,
    IMAGE,
    NAMESPACE,
    Layout,
    write_containerd_config,
)
from doctor.lab.cri import AdminClient, sandbox_ids
from doctor.lab.errors import LabError
from doctor.lab.generated import cri_admin_pb2 as m
from doctor.lab.host_tree import build_host_tree
from doctor.lab.images import build_busybox_image
from doctor.lab.kube.cluster import Cluster, ClusterState, alive

log = logging.getLogger(__name__)

TOOLS = ("containerd", "ctr", "runc", "containerd-shim-runc-v2")
CGROUP_FS = Path("/sys/fs/cgroup")
# containerd 1.6 puts shim sockets under /run/containerd/s whatever its state dir
RUN_DIRS = (Path("/run/containerd/s"), Path("/run/containerd"))
START_TIMEOUT = 20.0
NETNS_DIR = Path("/run/netns")
# What the lab starts besides containerd (found by name and the lab dir in their arguments).
LAB_PROGRAMS = (
    b"kubelet",
    b"docker-registry",
    b"etcd",
    b"kube-apiserver",
    b"kube-controller-manager",
    b"kube-scheduler",
)


def unavailable_reason() -> str | None:
    """Why a lab cannot run on this machine, or None."""
    if os.geteuid() != 0:
        return "the lab starts containerd and needs root"
    for tool in TOOLS:
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install containerd runc)"
    if not Path("/bin/busybox").is_file():
        return "/bin/busybox is missing (Debian: apt-get install busybox-static)"
    if not CGROUP_FS.is_dir():
        return f"{CGROUP_FS} is not mounted"
    return None


@dataclass
class State:
    """What a running lab is made of, saved in lab.json."""

    containerd_pid: int | None = None
    restrict_oom_score_adj: bool = True
    made_run_dirs: list[str] = field(default_factory=list)
    scenarios: dict[str, dict[str, str]] = field(default_factory=dict)
    # the registries started (kind -> {"pid", "port"}), and the auth registry's password
    registries: dict[str, dict[str, int]] = field(default_factory=dict)
    registry_password: str = ""
    # the real Kubernetes, when `up()` started it (kube.cluster.ClusterState)
    cluster: dict[str, Any] = field(default_factory=dict)


@dataclass
class Pod:
    """A pod the lab made: its identity and the sandbox config it was made with."""

    name: str
    namespace: str
    uid: str
    sandbox_id: str
    config: Any

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def log_dir(self) -> Path:
        return Path(self.config.log_directory)


@dataclass
class Resources:
    """The container resources a scenario asks for, in the CRI's units."""

    cpu_period: int = 100000
    cpu_quota: int = 0
    cpu_shares: int = 2
    memory_limit_bytes: int = 0


def remove_link(name: str) -> None:
    """Delete a network link the lab's CNI made (a bridge), when it exists."""
    if Path("/sys/class/net", name).exists() and shutil.which("ip"):
        subprocess.run(["ip", "link", "del", name], capture_output=True, check=False)


class Lab:
    """One lab directory: what runs in it, and the verbs to drive it."""

    def __init__(self, root: Path) -> None:
        self.layout = Layout(root)
        self.state = self._load()
        self._containerd: subprocess.Popen[bytes] | None = None
        self.cluster = Cluster(self.layout, ClusterState.from_json(self.state.cluster))

    # -- state --------------------------------------------------------------------------------

    def _load(self) -> State:
        try:
            return State(**json.loads(self.layout.state_file.read_text()))
        except (OSError, ValueError, TypeError):
            return State()

    def save(self) -> None:
        self.state.cluster = asdict(self.cluster.state)
        self.layout.root.mkdir(parents=True, exist_ok=True)
        tmp = self.layout.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self.state), indent=2) + "\n")
        os.replace(tmp, self.layout.state_file)

    @property
    def running(self) -> bool:
        return alive(self.state.containerd_pid)

    # -- up -----------------------------------------------------------------------------------

    def up(self, restrict_oom_score_adj: bool = True, cluster: bool = True) -> None:
        """Start the lab (idempotent): host tree, containerd, the image, and (unless `cluster`
        is False: containerd alone, as the live CRI tests drive it) the real control plane and
        kubelet, waiting for the node to be Ready."""
        reason = unavailable_reason()
        if reason:
            raise LabError(f"cannot start the lab: {reason}")
        if not cluster and self.state.cluster:
            raise LabError(f"the lab in {self.layout.root} runs a cluster: lab down first")
        self.layout.root.mkdir(parents=True, exist_ok=True)
        build_host_tree(self.layout)
        if cluster and not self.state.made_run_dirs:
            # pods get their own network namespace: containerd makes /run/netns if missing
            self.state.made_run_dirs = [str(p) for p in (*RUN_DIRS, NETNS_DIR) if not p.exists()]
        if not self.running:
            self.start_containerd(restrict_oom_score_adj)
            archive = build_busybox_image(self.layout.images, IMAGE)
            self.ctr("images", "import", str(archive))
        if cluster and not self.cluster.running:
            self.cluster.up(self.layout.address, self.layout.cgroup_root, self.save)
            self.save()

    def start_containerd(
        self,
        restrict_oom_score_adj: bool = True,
        cni_config: bool = True,
        cni: str = CNI_DEFAULT,
        sandbox_image: str | None = None,
        registry_auth: tuple[str, str, str] | None = None,
    ) -> None:
        """containerd with the lab's config (rewritten for this variant); waits for its socket."""
        write_containerd_config(
            self.layout,
            restrict_oom_score_adj,
            cni if cni_config else CNI_NONE,
            sandbox_image,
            registry_auth,
        )
        if not self.state.made_run_dirs:
            self.state.made_run_dirs = [str(p) for p in RUN_DIRS if not p.exists()]
        self.layout.socket.unlink(missing_ok=True)
        self.layout.containerd_log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.layout.containerd_log, "ab") as out:
            self._containerd = subprocess.Popen(
                ["containerd", "--config", str(self.layout.config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # `lab up` returns; containerd stays
            )
        self.state.containerd_pid = self._containerd.pid
        self.state.restrict_oom_score_adj = restrict_oom_score_adj
        self.save()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            if not self.running or time.monotonic() > deadline:
                tail = self.layout.containerd_log.read_text(errors="replace")[-2000:]
                raise LabError(f"containerd did not start; the end of its log: {tail!r}")
            time.sleep(0.1)

    def _answers(self) -> bool:
        if not self.layout.socket.exists():
            return False
        try:
            sandbox_ids(self.layout.socket)
        except Exception:  # not serving the CRI yet
            return False
        return True

    def pause_containerd(self) -> None:
        """SIGSTOP containerd: it keeps its socket and accepts connections, but answers nothing
        (a hung runtime). `resume_containerd` (or `stop_containerd`) undoes it."""
        if not self.running or self.state.containerd_pid is None:
            raise LabError("containerd is not running")
        os.kill(self.state.containerd_pid, signal.SIGSTOP)

    def resume_containerd(self) -> None:
        pid = self.state.containerd_pid
        if pid and alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def shim_pids(self, sandbox_id: str) -> list[int]:
        """The lab's containerd-shim-runc-v2 serving `sandbox_id` (found by its -id)."""
        found = []
        address = str(self.layout.socket)
        for pid in Host().pids():
            argv = Host().cmdline(pid) or []
            if not argv or not os.path.basename(argv[0]).startswith("containerd-shim"):
                continue
            flags = dict(itertools.pairwise(argv))
            if flags.get("-id") == sandbox_id and flags.get("-address") == address:
                found.append(pid)
        return found

    def stop_containerd(self, kill: bool = False) -> None:
        """End containerd only: shims and containers keep running, as with `systemctl stop`."""
        pid = self.state.containerd_pid
        if pid and alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)  # a hung (SIGSTOPped) containerd first resumes
                os.kill(pid, signal.SIGKILL if kill else signal.SIGTERM)
            self._wait_gone(pid, 15)
        self.state.containerd_pid = None
        self.save()

    def _wait_gone(self, pid: int, timeout: float) -> None:
        if self._containerd is not None and self._containerd.pid == pid:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._containerd.wait(timeout)
        deadline = time.monotonic() + timeout
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if self._containerd is not None and self._containerd.pid == pid:
                self._containerd.wait(10)

    # -- registries ---------------------------------------------------------------------------

    def registry(self, kind: str) -> int:
        """The port of the lab's `kind` registry (registry.KINDS), started if it is not running;
        the plain one gets the lab's busybox pushed, the TLS one a hosts.toml saying HTTPS."""
        known = self.state.registries.get(kind)
        if known and alive(known["pid"]) and registry.listening(known["port"]):
            return known["port"]
        if kind == "auth" and not self.state.registry_password:
            self.state.registry_password = uuid.uuid4().hex
        pid, port = registry.start(
            self.layout.registries / kind, kind, self.state.registry_password
        )
        self.state.registries[kind] = {"pid": pid, "port": port}
        self.save()
        if kind == "plain":
            archive = self.layout.images / "busybox.tar"
            if not archive.exists():
                build_busybox_image(self.layout.images, IMAGE)
            registry.push(archive, port)
        elif kind == "tls":
            registry.hosts_toml(self.layout.certs_d, port, "https")
        return port

    def stop_registries(self) -> None:
        for known in self.state.registries.values():
            if alive(known["pid"]):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(known["pid"], signal.SIGTERM)
        for known in self.state.registries.values():
            deadline = time.monotonic() + 5
            while alive(known["pid"]) and time.monotonic() < deadline:
                time.sleep(0.05)
        self.state.registries = {}
        self.save()

    def ctr(self, *args: str) -> str:
        command = ["ctr", "--address", str(self.layout.socket), "-n", NAMESPACE, *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            raise LabError(f"ctr {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def client(self) -> AdminClient:
        if not self.running:
            raise LabError(f"the lab in {self.layout.root} is not running (stackdoctor lab up)")
        return AdminClient(self.layout.socket)

    # -- pods ---------------------------------------------------------------------------------

    def sandbox_config(
        self, name: str, namespace: str, uid: str, attempt: int = 0, host_network: bool = True
    ) -> Any:
        """The PodSandboxConfig the kubelet sends: its labels, annotations and log directory;
        on the host's network unless `host_network` is False (then the CNI sets it up)."""
        log_dir = self.layout.pod_logs / f"{namespace}_{name}_{uid}"
        log_dir.mkdir(parents=True, exist_ok=True)
        labels = {
            "io.kubernetes.pod.name": name,
            "io.kubernetes.pod.namespace": namespace,
            "io.kubernetes.pod.uid": uid,
        }
        annotations = {
            "kubernetes.io/config.source": "api",
            "kubernetes.io/config.seen": time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z"),
        }
        return m.PodSandboxConfig(
            metadata=m.PodSandboxMetadata(name=name, uid=uid, namespace=namespace, attempt=attempt),
            log_directory=str(log_dir),
            labels=labels,
            annotations=annotations,
            linux=m.LinuxPodSandboxConfig(
                cgroup_parent=f"/{self.layout.cgroup_root}/pod{uid}",
                security_context=m.LinuxSandboxSecurityContext(
                    namespace_options=m.NamespaceOption(network=m.NODE if host_network else m.POD)
                ),
            ),
        )

    def run_pod(
        self,
        name: str,
        namespace: str = "default",
        uid: str | None = None,
        host_network: bool = True,
    ) -> Pod:
        """RunPodSandbox, on the host's network unless `host_network` is False (raises
        grpc.RpcError as the kubelet sees it)."""
        uid = uid or str(uuid.uuid4())
        config = self.sandbox_config(name, namespace, uid, host_network=host_network)
        with self.client() as client:
            sandbox_id = client.run_sandbox(config)
        return Pod(name, namespace, uid, sandbox_id, config)

    def container_config(
        self,
        pod: Pod,
        name: str,
        command: list[str],
        attempt: int,
        resources: Resources,
        mounts: list[tuple[str, str]] | None = None,
        image: str = IMAGE,
        args: list[str] | None = None,
        envs: dict[str, str] | None = None,
    ) -> Any:
        """The ContainerConfig the kubelet sends: labels, annotations, the CRI log path."""
        (pod.log_dir / name).mkdir(parents=True, exist_ok=True)
        labels = {
            "io.kubernetes.container.name": name,
            "io.kubernetes.pod.name": pod.name,
            "io.kubernetes.pod.namespace": pod.namespace,
            "io.kubernetes.pod.uid": pod.uid,
        }
        annotations = {
            "io.kubernetes.container.restartCount": str(attempt),
            "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
            "io.kubernetes.container.terminationMessagePolicy": "File",
        }
        return m.ContainerConfig(
            metadata=m.ContainerMetadata(name=name, attempt=attempt),
            image=m.ImageSpec(image=image),
            command=command,
            args=args or [],
            envs=[m.KeyValue(key=k, value=v) for k, v in (envs or {}).items()],
            log_path=f"{name}/{attempt}.log",
            labels=labels,
            annotations=annotations,
            mounts=[m.Mount(host_path=h, container_path=c) for h, c in mounts or []],
            linux=m.LinuxContainerConfig(
                resources=m.LinuxContainerResources(
                    cpu_period=resources.cpu_period,
                    cpu_quota=resources.cpu_quota,
                    cpu_shares=resources.cpu_shares,
                    memory_limit_in_bytes=resources.memory_limit_bytes,
                )
            ),
        )

    def pod_cgroup(self, controller: str, pod: Pod) -> Path:
        """The pod's cgroup under one controller (v1) or the unified tree (v2)."""
        path = CGROUP_FS / controller / self.layout.cgroup_root / f"pod{pod.uid}"
        if not path.is_dir():
            path = CGROUP_FS / self.layout.cgroup_root / f"pod{pod.uid}"
        if not path.is_dir():
            raise LabError(f"no {controller} cgroup for pod {pod.ref}")
        return path

    def create_and_start(self, pod: Pod, config: Any) -> str:
        """CreateContainer + StartContainer; the id (StartContainer's RpcError propagates, with
        the id in `.container_id` on the exception)."""
        with self.client() as client:
            container_id = client.create_container(pod.sandbox_id, config, pod.config)
            try:
                client.start_container(container_id)
            except grpc.RpcError as exc:
                exc.container_id = container_id
                raise
        return container_id

    # -- down ---------------------------------------------------------------------------------

    def down(self) -> None:
        """Remove every pod, end every process, unmount, remove cgroups and the lab dir."""
        self.cluster.down()  # first: a running kubelet would make the pods again
        if self.running:
            self._remove_pods()
        self.stop_containerd()
        self.stop_registries()
        remove_link(self.layout.tiny_bridge)
        remove_link(self.layout.bridge)
        for _ in range(50):
            leftovers = self.processes()
            if not leftovers:
                break
            for pid in leftovers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        self._unmount_all()
        self._remove_cgroups()
        self._remove_run_dirs()
        left = self.leftovers()
        if any(left.values()):
            raise LabError(f"the lab left things behind: {left}")
        shutil.rmtree(self.layout.root, ignore_errors=True)

    def _remove_run_dirs(self) -> None:
        """/run/containerd, when the lab made it: whole when no other containerd runs (a killed
        shim leaves its socket there), else only if empty."""
        others = any(
            os.path.basename((Host().cmdline(pid) or [""])[0]).startswith("containerd")
            for pid in Host().pids()
        )
        for path in self.state.made_run_dirs:
            if others:
                with contextlib.suppress(OSError):
                    Path(path).rmdir()
            else:
                shutil.rmtree(path, ignore_errors=True)

    def _remove_pods(self) -> None:
        try:
            ids = sandbox_ids(self.layout.socket)
        except Exception as exc:  # a hung or broken containerd: the processes are killed below
            log.debug("cannot list sandboxes: %s", exc)
            return
        with AdminClient(self.layout.socket) as client:
            for sandbox in ids:
                for step in (client.stop_sandbox, client.remove_sandbox):
                    try:
                        step(sandbox, 20)
                    except grpc.RpcError as exc:
                        log.debug("%s %s: %s", step.__name__, sandbox, exc)

    def processes(self) -> list[int]:
        """Lab processes: their command line names the lab dir (containerd, shims, the kubelet
        and the control plane), or they are in one of the lab's cgroups (containers)."""
        found: set[int] = set()
        marker = str(self.layout.root).encode()
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            with contextlib.suppress(OSError):
                argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
                program = os.path.basename(argv[0])
                # only what the lab starts: never a shell whose arguments name the lab dir
                ours = program.startswith(b"containerd") or program in LAB_PROGRAMS
                if ours and marker in b" ".join(argv) and alive(int(entry)):
                    found.add(int(entry))
        for directory in self.cgroup_dirs():
            for procs in directory.rglob("cgroup.procs"):
                with contextlib.suppress(OSError, ValueError):
                    found.update(int(p) for p in procs.read_text().split() if alive(int(p)))
        found.discard(os.getpid())
        return sorted(found)

    def mounts(self) -> list[str]:
        prefix = str(self.layout.root) + "/"
        points = []
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            point = line.split()[4].replace("\\040", " ")
            if point.startswith(prefix):
                points.append(point)
        return points

    def _unmount_all(self) -> None:
        for point in sorted(self.mounts(), key=len, reverse=True):
            subprocess.run(["umount", "-l", point], capture_output=True, check=False)

    def cgroup_dirs(self) -> list[Path]:
        if not CGROUP_FS.is_dir():
            return []
        name = self.layout.cgroup_root
        candidates = [CGROUP_FS / name] + [c / name for c in CGROUP_FS.iterdir() if c.is_dir()]
        return [path for path in candidates if path.is_dir()]

    def _remove_cgroups(self) -> None:
        for _ in range(20):
            for path in self.cgroup_dirs():
                children = sorted(path.rglob("*"), key=lambda p: len(str(p)), reverse=True)
                for child in [*children, path]:
                    if child.is_dir():
                        with contextlib.suppress(OSError):
                            child.rmdir()
            if not self.cgroup_dirs():
                return
            time.sleep(0.1)

    def leftovers(self) -> dict[str, list[str]]:
        """What a torn-down lab must not leave: processes, mounts, cgroups."""
        return {
            "processes": [str(p) for p in self.processes()],
            "mounts": self.mounts(),
            "cgroups": [str(p) for p in self.cgroup_dirs()],
        }

    # -- status -------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        pods: list[str] = []
        if self.running:
            with contextlib.suppress(Exception):
                pods = sandbox_ids(self.layout.socket)
        return {
            "lab_dir": str(self.layout.root),
            "containerd": {"pid": self.state.containerd_pid, "running": self.running},
            "cluster": {
                "running": self.cluster.running,
                "pids": self.cluster.state.pids,
                "kubeconfig": str(self.cluster.files.admin_kubeconfig),
                "versions": self.cluster.state.versions,
            }
            if self.state.cluster
            else None,
            "restrict_oom_score_adj": self.state.restrict_oom_score_adj,
            "registries": {
                kind: f"127.0.0.1:{known['port']}" for kind, known in self.state.registries.items()
            },
            "host_root": str(self.layout.host),
            "runtime_endpoint": self.layout.address,
            "sandboxes": len(pods),
            "scenarios": self.state.scenarios,
        }
