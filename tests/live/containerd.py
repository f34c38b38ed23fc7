"""A private containerd for the live CRI tests: its own config, root, state and socket under a
temporary directory, a locally built busybox image, and pods made through the CRI.

Everything it starts it also ends: pods are stopped and removed through the CRI, containerd is
stopped, shims that served this containerd (found by its socket address on their command line)
are killed by pid, mounts under the directory are unmounted, and the cgroup parent is removed.
The mutating CRI calls live here, in tests/, never in stackdoctor's client.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc

HERE = Path(__file__).resolve().parent
IMAGE = "localhost/stackdoctor-test/busybox:1"
BUSYBOX = Path("/bin/busybox")
APPLETS = ("sh", "sleep", "echo", "true", "false", "cat", "ls")
RUNTIME = "/runtime.v1.RuntimeService/"


def unavailable_reason() -> str | None:
    """Why the live tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "the live CRI tests start containerd and need root"
    for tool in ("containerd", "ctr", "runc", "containerd-shim-runc-v2"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install containerd runc)"
    if not BUSYBOX.exists():
        return "/bin/busybox is missing (Debian: apt-get install busybox-static)"
    if importlib.util.find_spec("grpc_tools") is None:
        return "grpcio-tools is not installed (a test dependency)"
    return None


def admin_messages(workdir: Path) -> ModuleType:
    """The fixture's own CRI messages (tests/live/cri_admin.proto), compiled into `workdir`."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{HERE}",
            f"--python_out={workdir}",
            "cri_admin.proto",
        ],
        check=True,
    )
    spec = importlib.util.spec_from_file_location("cri_admin_pb2", workdir / "cri_admin_pb2.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _blob(blobs: Path, data: bytes) -> tuple[str, int]:
    digest = hashlib.sha256(data).hexdigest()
    (blobs / digest).write_bytes(data)
    return f"sha256:{digest}", len(data)


def build_busybox_image(out: Path) -> Path:
    """An OCI image archive: one layer with /bin/busybox and applet symlinks."""
    layout = out / "layout"
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for directory in ("bin", "tmp", "proc", "sys", "dev", "etc"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        data = BUSYBOX.read_bytes()
        info = tarfile.TarInfo("bin/busybox")
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
        for applet in APPLETS:
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type, info.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(info)
    layer, layer_size = _blob(blobs, buffer.getvalue())
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Env": ["PATH=/bin"],
            "Entrypoint": ["/bin/sleep"],
            "Cmd": ["2147483647"],
        },
        "rootfs": {"type": "layers", "diff_ids": [layer]},
    }
    config_digest, config_size = _blob(blobs, json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config_size,
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": layer,
                "size": layer_size,
            }
        ],
    }
    manifest_digest, manifest_size = _blob(blobs, json.dumps(manifest).encode())
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest,
                "size": manifest_size,
                "annotations": {
                    "io.containerd.image.name": IMAGE,
                    "org.opencontainers.image.ref.name": "1",
                },
            }
        ],
    }
    (layout / "index.json").write_text(json.dumps(index))
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    archive = out / "busybox.tar"
    with tarfile.open(archive, "w") as tar:
        for path in sorted(layout.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(layout)), recursive=False)
    return archive


CONFIG = """version = 2
root = "{root}"
state = "{state}"

[grpc]
  address = "{socket}"

[ttrpc]
  address = "{socket}.ttrpc"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{image}"
  # Processes here lack CAP_SYS_RESOURCE: without this, runc fails every sandbox with
  # "failed to update /proc/self/oom_score_adj: Permission denied".
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      Root = "{runc_root}"
      SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{cni}"
"""

# A conflist on a private subnet, so the runtime reports NetworkReady; the test pods use the
# host's network, so no bridge, veth or network namespace is ever made from it.
CNI_CONFLIST = {
    "cniVersion": "1.0.0",
    "name": "stackdoctor-test",
    "plugins": [
        {
            "type": "bridge",
            "bridge": "sdtest0",
            "isGateway": False,
            "ipMasq": False,
            "ipam": {
                "type": "host-local",
                "ranges": [[{"subnet": "10.88.213.0/24"}]],
            },
        }
    ],
}


@dataclass
class Pod:
    name: str
    namespace: str
    uid: str
    sandbox_id: str
    config: Any


@dataclass
class Containerd:
    """A running private containerd and the pods made in it."""

    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    messages: ModuleType | None = None
    cgroup_parent: str = field(default_factory=lambda: f"/stackdoctor-test-{uuid.uuid4().hex[:8]}")
    sandboxes: list[str] = field(default_factory=list)
    # containerd 1.6 puts shim sockets in /run/containerd/s whatever its state dir: removed
    # afterwards (when empty) unless they were there before.
    made_run_dirs: list[Path] = field(default_factory=list)
    _channel: Any = None

    @property
    def socket(self) -> Path:
        return self.workdir / "c.sock"

    @property
    def address(self) -> str:
        return f"unix://{self.socket}"

    @property
    def runc_root(self) -> Path:
        return self.workdir / "runc"

    @property
    def log(self) -> Path:
        return self.workdir / "containerd.log"

    def start(self) -> None:
        for name in ("root", "state", "cni", "pods", "gen"):
            (self.workdir / name).mkdir()
        (self.workdir / "cni" / "10-stackdoctor-test.conflist").write_text(json.dumps(CNI_CONFLIST))
        config = self.workdir / "config.toml"
        config.write_text(
            CONFIG.format(
                root=self.workdir / "root",
                state=self.workdir / "state",
                socket=self.socket,
                image=IMAGE,
                cni=self.workdir / "cni",
                runc_root=self.runc_root,
            )
        )
        self.messages = admin_messages(self.workdir / "gen")
        self.made_run_dirs = [
            p for p in (Path("/run/containerd/s"), Path("/run/containerd")) if not p.exists()
        ]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                ["containerd", "--config", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 20
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"containerd did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.05)
        archive = build_busybox_image(self.workdir)
        self.ctr("images", "import", str(archive))
        self._channel = grpc.insecure_channel(f"unix:{self.socket}")

    def ctr(self, *args: str) -> str:
        result = subprocess.run(
            ["ctr", "--address", str(self.socket), "-n", "k8s.io", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"ctr {' '.join(args)}: {result.stderr}")
        return result.stdout

    def _cri(self, method: str, request: Any, response: Any, timeout: float = 60) -> Any:
        call = self._channel.unary_unary(
            RUNTIME + method,
            request_serializer=type(request).SerializeToString,
            response_deserializer=response.FromString,
        )
        return call(request, timeout=timeout)

    def run_pod(self, name: str, namespace: str = "default", uid: str | None = None) -> Pod:
        """RunPodSandbox with the kubelet's labels, on the host's network."""
        return self._run_sandbox(name, namespace, uid or str(uuid.uuid4()), 0)

    def rerun_sandbox(self, pod: Pod, attempt: int) -> Pod:
        """A new sandbox for the same pod, as the kubelet makes after the old one died."""
        return self._run_sandbox(pod.name, pod.namespace, pod.uid, attempt)

    def _run_sandbox(self, name: str, namespace: str, uid: str, attempt: int) -> Pod:
        m = self.messages
        assert m is not None
        logs = self.workdir / "pods" / f"{namespace}_{name}_{uid}"
        logs.mkdir(exist_ok=True)
        config = m.PodSandboxConfig(
            metadata=m.PodSandboxMetadata(name=name, uid=uid, namespace=namespace, attempt=attempt),
            log_directory=str(logs),
            labels={
                "io.kubernetes.pod.name": name,
                "io.kubernetes.pod.namespace": namespace,
                "io.kubernetes.pod.uid": uid,
            },
            linux=m.LinuxPodSandboxConfig(
                cgroup_parent=self.cgroup_parent,
                security_context=m.LinuxSandboxSecurityContext(
                    namespace_options=m.NamespaceOption(network=m.NODE)
                ),
            ),
        )
        answer = self._cri(
            "RunPodSandbox", m.RunPodSandboxRequest(config=config), m.RunPodSandboxResponse
        )
        self.sandboxes.append(answer.pod_sandbox_id)
        return Pod(name, namespace, uid, answer.pod_sandbox_id, config)

    def run_container(
        self,
        pod: Pod,
        name: str,
        command: list[str],
        attempt: int = 0,
        memory_limit: int = 0,
    ) -> str:
        """CreateContainer + StartContainer; the container id."""
        m = self.messages
        assert m is not None
        config = m.ContainerConfig(
            metadata=m.ContainerMetadata(name=name, attempt=attempt),
            image=m.ImageSpec(image=IMAGE),
            command=command,
            log_path=f"{name}/{attempt}.log",
            labels={
                "io.kubernetes.container.name": name,
                "io.kubernetes.pod.name": pod.name,
                "io.kubernetes.pod.namespace": pod.namespace,
                "io.kubernetes.pod.uid": pod.uid,
            },
            linux=m.LinuxContainerConfig(
                resources=m.LinuxContainerResources(
                    cpu_period=100000,
                    cpu_quota=50000,
                    cpu_shares=512,
                    memory_limit_in_bytes=memory_limit,
                )
            ),
        )
        (Path(pod.config.log_directory) / name).mkdir(exist_ok=True)
        request = m.CreateContainerRequest(
            pod_sandbox_id=pod.sandbox_id, config=config, sandbox_config=pod.config
        )
        created = self._cri("CreateContainer", request, m.CreateContainerResponse)
        self._cri(
            "StartContainer",
            m.StartContainerRequest(container_id=created.container_id),
            m.StartContainerResponse,
        )
        return str(created.container_id)

    def wait_exited(self, container_id: str, timeout: float = 20) -> None:
        """Until the CRI reports the container exited (its exit event is handled)."""
        from doctor.gather.cri.client import CriClient

        deadline = time.monotonic() + timeout
        with CriClient(self.address, self.socket, 5) as client:
            client.negotiate()
            while time.monotonic() < deadline:
                if client.container_status(container_id).status.state == 2:  # EXITED
                    return
                time.sleep(0.1)
        raise TimeoutError(f"container {container_id} still runs")

    def stop_pod(self, pod: Pod) -> None:
        m = self.messages
        assert m is not None
        self._cri(
            "StopPodSandbox",
            m.StopPodSandboxRequest(pod_sandbox_id=pod.sandbox_id),
            m.StopPodSandboxResponse,
        )

    # -- teardown ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Remove every pod, stop containerd, and leave nothing behind."""
        m = self.messages
        if self._channel is not None and m is not None:
            for sandbox in reversed(self.sandboxes):
                for method, request, response in (
                    ("StopPodSandbox", m.StopPodSandboxRequest, m.StopPodSandboxResponse),
                    ("RemovePodSandbox", m.RemovePodSandboxRequest, m.RemovePodSandboxResponse),
                ):
                    with contextlib.suppress(grpc.RpcError):
                        self._cri(method, request(pod_sandbox_id=sandbox), response, timeout=30)
            self._channel.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for pid in self.leftover_processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.unmount_all()
        self.remove_cgroups()
        for path in self.made_run_dirs:
            with contextlib.suppress(OSError):
                path.rmdir()

    def leftover_processes(self) -> list[int]:
        """Shims (and anything else) whose command line names this containerd's directory."""
        found = []
        marker = str(self.workdir).encode()
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                argv = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if marker in argv:
                found.append(int(entry))
        return found

    def mounts(self) -> list[str]:
        prefix = str(self.workdir) + "/"
        points = []
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            point = line.split()[4].replace("\\040", " ")
            if point.startswith(prefix):
                points.append(point)
        return points

    def unmount_all(self) -> None:
        for point in sorted(self.mounts(), key=len, reverse=True):
            subprocess.run(["umount", "-l", point], capture_output=True, check=False)

    def cgroup_dirs(self) -> list[Path]:
        root = Path("/sys/fs/cgroup")
        name = self.cgroup_parent.lstrip("/")
        candidates = [root / name] + [c / name for c in root.iterdir() if c.is_dir()]
        return [path for path in candidates if path.is_dir()]

    def remove_cgroups(self) -> None:
        for path in self.cgroup_dirs():
            for child in sorted(path.rglob("*"), key=lambda p: len(str(p)), reverse=True):
                if child.is_dir():
                    with contextlib.suppress(OSError):
                        child.rmdir()
            with contextlib.suppress(OSError):
                path.rmdir()


@contextlib.contextmanager
def private_containerd() -> Iterator[Containerd]:
    """A started private containerd, torn down (and checked to be gone) afterwards."""
    # A short path: unix socket paths are limited to 107 bytes.
    workdir = Path(tempfile.mkdtemp(prefix="sd-ctrd-", dir="/tmp"))
    instance = Containerd(workdir)
    try:
        instance.start()
        yield instance
    finally:
        instance.stop()
        leftovers = {
            "processes": instance.leftover_processes(),
            "mounts": instance.mounts(),
            "cgroups": [str(p) for p in instance.cgroup_dirs()],
        }
        shutil.rmtree(workdir, ignore_errors=True)
        assert not any(leftovers.values()), f"live containerd left things behind: {leftovers}"
