"""The kubelet gatherer on synthetic host trees: process, flags, unit files, config, log."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from doctor.engine.examples import base_document
from doctor.facts.document import parse_facts
from doctor.gather import kubelet
from doctor.gather.context import GatherContext, GatherOptions, LayerRecorder, PodQuery
from doctor.gather.logs.selection import assign_pod_lines
from doctor.gather.logs.sources import RawLog
from doctor.layers import Layer
from tests.gather.hosttree import add_process, context, write

# Shapes of real kubeadm output (kubeadm 1.28: /var/lib/kubelet/config.yaml, kubeadm-flags.env,
# the 10-kubeadm.conf drop-in of the kubeadm package).
KUBEADM_CONFIG = """\
apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
cgroupDriver: systemd
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
containerRuntimeEndpoint: ""
cpuManagerReconcilePeriod: 0s
evictionHard:
  memory.available: 200Mi
  nodefs.available: 10%
evictionPressureTransitionPeriod: 0s
healthzBindAddress: 127.0.0.1
healthzPort: 10248
kind: KubeletConfiguration
rotateCertificates: true
staticPodPath: /etc/kubernetes/manifests
"""
KUBEADM_FLAGS = (
    'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock'
    ' --pod-infra-container-image=127.0.0.1:5000/pause:3.9"\n'
)
DROP_IN = """\
# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
"""  # noqa: E501 - the real file's long lines
EKS_CONFIG = """{
  "kind": "KubeletConfiguration",
  "apiVersion": "kubelet.config.k8s.io/v1beta1",
  "cgroupDriver": "cgroupfs",
  "evictionHard": {"memory.available": "100Mi", "nodefs.available": "10%"}
}"""
KUBELET_LOG = (
    'I1129 10:00:00.000001    4321 server.go:487] "Kubelet version" kubeletVersion="v1.28.2"\n'
    'E1129 12:00:00.123456    4321 kubelet.go:1870] "Skipping pod synchronization"'
    ' err="PLEG is not healthy: pleg was last seen active 3m0.416753742s ago; threshold is 3m0s"\n'
    'I1129 12:00:01.000000    4321 kuberuntime_container.go:742] "Killing container with a grace'
    ' period" pod="default/web" podUID="6f1b6c1e-0d3c-4a52-9a55-0e2d3c1b7a10"'
    ' containerName="app" gracePeriod=30\n'
)
ARGV = [
    "/usr/bin/kubelet",
    "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf",
    "--kubeconfig=/etc/kubernetes/kubelet.conf",
    "--config=/var/lib/kubelet/config.yaml",
    "--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock",
    "--pod-infra-container-image=127.0.0.1:5000/pause:3.9",
]


@pytest.fixture(autouse=True)
def no_journal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("doctor.gather.logs.sources.shutil.which", lambda name: None)


def validate(section: dict[str, Any]) -> None:
    document = copy.deepcopy(base_document())
    document["layers"]["kubelet"] = section
    parse_facts(document, "test")


def kubeadm_node(root: Path) -> None:
    write(root, "/var/lib/kubelet/config.yaml", KUBEADM_CONFIG)
    write(root, "/var/lib/kubelet/kubeadm-flags.env", KUBEADM_FLAGS)
    write(root, "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", DROP_IN)
    write(root, "/var/log/kubelet.log", KUBELET_LOG)
    (root / "var/run/containerd").mkdir(parents=True)
    (root / "var/run/containerd/containerd.sock").touch()


def test_running_kubeadm_kubelet(tmp_path: Path) -> None:
    kubeadm_node(tmp_path)
    add_process(tmp_path, 4321, ARGV)
    add_process(tmp_path, 77, ["/usr/bin/containerd"])
    ctx = context(tmp_path)
    section = kubelet.gather(ctx)
    validate(section)
    assert section["status"] == "ok"
    assert section["running"] is True and section["pid"] == 4321
    assert section["cmdline"] == ARGV
    assert section["active_state"] is None  # no systemd in this host view
    assert section["config_path"] == "/var/lib/kubelet/config.yaml"
    assert section["cgroup_driver"] == "systemd"
    assert section["runtime_endpoint"] == "unix:///var/run/containerd/containerd.sock"
    assert section["runtime_endpoint_exists"] is True
    assert section["eviction_hard"] == {"memory.available": "200Mi", "nodefs.available": "10%"}
    assert section["healthz"] is None
    assert section["errors"][0]["source"] == "http://127.0.0.1:10248/healthz"
    assert "not checked" in section["errors"][0]["message"]
    assert section["version"] == "v1.28.2"
    assert [line["source"] for line in section["log"]] == ["kubelet.go:1870"]
    assert ctx.handoff.kubelet_runtime_endpoint == "unix:///var/run/containerd/containerd.sock"
    assert (
        ctx.handoff.kubelet_runtime_endpoint_source == "kubelet --container-runtime-endpoint flag"
    )
    assert ctx.handoff.kubelet_log_lines == section["log"]  # no pod asked for: node lines only


def test_all_lines_are_kept_for_pods(tmp_path: Path) -> None:
    kubeadm_node(tmp_path)
    ctx = context(tmp_path, pod=PodQuery("web", "default"))
    kubelet.gather(ctx)
    lines = ctx.handoff.kubelet_log_lines
    assert isinstance(lines, RawLog)  # the text, parsed only where a pod is mentioned
    assert len(list(lines.lines())) == 3

    uid = "6f1b6c1e-0d3c-4a52-9a55-0e2d3c1b7a10"
    pod: dict[str, Any] = {"name": "web", "namespace": "default", "uid": uid, "containers": []}
    assign_pod_lines([pod], lines, "kubelet_log")
    assert [line["source"] for line in pod["kubelet_log"]] == ["kuberuntime_container.go:742"]


def test_stopped_kubelet_is_examined_from_its_unit_files(tmp_path: Path) -> None:
    kubeadm_node(tmp_path)
    ctx = context(tmp_path)
    section = kubelet.gather(ctx)
    validate(section)
    assert section["status"] == "ok"
    assert section["running"] is False and section["pid"] is None and section["cmdline"] is None
    assert section["config_path"] == "/var/lib/kubelet/config.yaml"
    assert section["runtime_endpoint"] == "unix:///var/run/containerd/containerd.sock"


def test_unit_command_expands_the_drop_in(tmp_path: Path) -> None:
    kubeadm_node(tmp_path)
    write(tmp_path, "/etc/default/kubelet", "KUBELET_EXTRA_ARGS=--node-ip=10.0.0.5\n")
    ctx = context(tmp_path)
    args = kubelet.unit_command(ctx, LayerRecorder(Layer.KUBELET))
    assert args == [*ARGV[1:], "--node-ip=10.0.0.5"]


def test_config_from_flag_wins_and_endpoint_from_config(tmp_path: Path) -> None:
    write(tmp_path, "/etc/kubernetes/kubelet/kubelet-config.json", EKS_CONFIG)
    config = KUBEADM_CONFIG.replace('containerRuntimeEndpoint: ""', "containerRuntimeEndpoint:"
                                    " unix:///run/containerd/containerd.sock")  # fmt: skip
    write(tmp_path, "/srv/kubelet.yaml", config)
    add_process(tmp_path, 10, ["kubelet", "--config", "/srv/kubelet.yaml"])
    ctx = context(tmp_path)
    section = kubelet.gather(ctx)
    validate(section)
    assert section["config_path"] == "/srv/kubelet.yaml"
    assert section["runtime_endpoint"] == "unix:///run/containerd/containerd.sock"
    assert section["runtime_endpoint_exists"] is False
    assert ctx.handoff.kubelet_runtime_endpoint_source == "kubelet config containerRuntimeEndpoint"


@pytest.mark.parametrize("our_pid", [10, 15, 20])  # wherever /proc happens to list it
def test_of_several_kubelets_the_one_whose_config_names_our_endpoint_is_examined(
    tmp_path: Path, our_pid: int
) -> None:
    """A machine running several lab nodes: their kubelets set the runtime endpoint in their
    config files (the flag is deprecated), and only this host root's config is readable here."""
    ours = "unix:///var/tmp/lab-b/run/containerd.sock"
    config = '{"kind": "KubeletConfiguration", "containerRuntimeEndpoint": "%s"}'
    write(tmp_path, "/var/tmp/lab-c/config.json", config % "unix:///var/tmp/lab-c/c.sock")
    write(tmp_path, "/var/tmp/lab-b/config.json", config % ours)
    others = iter(
        [
            ["kubelet", "--config=/var/tmp/lab-a/config.json"],  # not under this host root
            ["kubelet", "--config=/var/tmp/lab-c/config.json"],
        ]
    )
    for pid in (10, 15, 20):
        argv = ["kubelet", "--config=/var/tmp/lab-b/config.json"] if pid == our_pid else None
        add_process(tmp_path, pid, argv or next(others))
    section = kubelet.gather(context(tmp_path, runtime_endpoint=ours))
    assert section["pid"] == our_pid
    assert section["config_path"] == "/var/tmp/lab-b/config.json"
    assert section["runtime_endpoint"] == ours
    assert not any("lab-a" in error["source"] for error in section.get("errors", []))


def test_eks_config_is_found_without_a_flag(tmp_path: Path) -> None:
    write(tmp_path, "/etc/kubernetes/kubelet/kubelet-config.json", EKS_CONFIG)
    section = kubelet.gather(context(tmp_path))
    validate(section)
    assert section["config_path"] == "/etc/kubernetes/kubelet/kubelet-config.json"
    assert section["cgroup_driver"] == "cgroupfs"
    assert section["eviction_hard"] == {"memory.available": "100Mi", "nodefs.available": "10%"}
    assert section["runtime_endpoint"] is None
    assert "log" not in section  # no log anywhere: not known, not "no lines"


def test_deprecated_flags_win(tmp_path: Path) -> None:
    write(tmp_path, "/var/lib/kubelet/config.yaml", KUBEADM_CONFIG)
    argv = ["kubelet", "--cgroup-driver", "cgroupfs", "--eviction-hard=memory.available<5%"]
    add_process(tmp_path, 10, argv)
    section = kubelet.gather(context(tmp_path))
    assert section["cgroup_driver"] == "cgroupfs"
    assert section["eviction_hard"] == {"memory.available": "5%"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "kind: Config\napiVersion: v1\nclusters: []\n",
            "not a KubeletConfiguration (kind Config)",
        ),
        ("kind: [unclosed\n", "not valid YAML/JSON"),
    ],
)
def test_bad_config_is_recorded(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "/etc/kubernetes/kubelet.conf", text)
    add_process(tmp_path, 10, ["kubelet", "--config=/etc/kubernetes/kubelet.conf"])
    section = kubelet.gather(context(tmp_path))
    validate(section)
    assert section["status"] == "ok"
    assert section["config_path"] == "/etc/kubernetes/kubelet.conf"
    assert section["cgroup_driver"] is None
    assert any(message in error["message"] for error in section["errors"])


def test_missing_config_named_by_the_flag(tmp_path: Path) -> None:
    add_process(tmp_path, 10, ["kubelet", "--config=/var/lib/kubelet/config.yaml"])
    section = kubelet.gather(context(tmp_path))
    validate(section)
    assert section["config_path"] == "/var/lib/kubelet/config.yaml"
    assert {"source": "/var/lib/kubelet/config.yaml", "message": "No such file or directory"} in (
        section["errors"]
    )


def test_config_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "var/lib/kubelet/config.yaml").mkdir(parents=True)
    add_process(tmp_path, 10, ["kubelet", "--config=/var/lib/kubelet/config.yaml"])
    section = kubelet.gather(context(tmp_path))
    assert section["status"] == "ok"
    assert any(e["source"] == "/var/lib/kubelet/config.yaml" for e in section["errors"])


def test_unreadable_drop_in_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kubeadm_node(tmp_path)
    ctx = context(tmp_path)
    original = type(ctx.host).read_text

    def read_text(host: Any, absolute: str, limit: int = 1 << 20) -> str:
        if absolute.endswith("10-kubeadm.conf"):
            raise PermissionError(13, "Permission denied")
        return original(host, absolute, limit)

    monkeypatch.setattr(type(ctx.host), "read_text", read_text)
    section = kubelet.gather(ctx)
    validate(section)
    assert section["status"] == "ok"
    assert {
        "source": "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
        "message": "Permission denied",
    } in section["errors"]


def test_unreadable_proc_means_not_examined(tmp_path: Path) -> None:
    ctx = GatherContext.create(GatherOptions(host_root=tmp_path))  # no /proc at all
    section = kubelet.gather(ctx)
    validate(section)
    assert section["status"] == "absent"
    assert "running" not in section


def test_parse_flags() -> None:
    assert kubelet.parse_flags(["--config", "/a", "--v=2", "--fail-swap-on", "-c", "/b"]) == {
        "config": "/a",
        "v": "2",
        "fail-swap-on": "",
        "c": "/b",
    }


def test_healthz_on_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Host root "/": the probe goes to 127.0.0.1 (a port nothing listens on here)."""
    ctx = GatherContext.create(GatherOptions())
    recorder = LayerRecorder(Layer.KUBELET)
    result = kubelet._healthz(ctx, recorder, {"healthz-port": "1"}, None, None)
    assert result is not None and result != "ok"
    assert recorder.errors == []


def test_healthz_under_a_host_root_in_the_kubelets_network(tmp_path: Path) -> None:
    """A DaemonSet with hostNetwork (or the lab, whose host tree links /proc): the kubelet's
    network namespace is this process's, so 127.0.0.1 reaches its healthz."""
    (tmp_path / "proc").symlink_to("/proc")
    ctx = GatherContext.create(GatherOptions(host_root=tmp_path))
    recorder = LayerRecorder(Layer.KUBELET)
    result = kubelet._healthz(ctx, recorder, {"healthz-port": "1"}, None, os.getpid())
    assert result is not None and result != "ok"  # asked: nothing listens on port 1
    assert recorder.errors == []


def test_healthz_is_not_asked_across_network_namespaces(tmp_path: Path) -> None:
    """The kubelet's netns cannot be compared (another machine's tree, no such pid): 127.0.0.1
    here may be anything, so the answer would be a guess."""
    ctx = GatherContext.create(GatherOptions(host_root=tmp_path))
    recorder = LayerRecorder(Layer.KUBELET)
    assert kubelet._healthz(ctx, recorder, {"healthz-port": "1"}, None, 4242) is None
    assert recorder.errors[0]["message"].startswith("not checked")


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, "ok", "ok"),
        (500, "[-]syncloop failed: reason withheld\nhealthz check failed", "HTTP 500: [-]syncloop"),
        (200, "not quite", "HTTP 200: not quite"),
    ],
)
def test_healthz_answers(status: int, body: str, expected: str) -> None:
    """What a kubelet's healthz answers, served on 127.0.0.1 by a real HTTP server."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            assert self.path == "/healthz"
            self.send_response(status)
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        ctx = GatherContext.create(GatherOptions())
        recorder = LayerRecorder(Layer.KUBELET)
        port = str(server.server_address[1])
        result = kubelet._healthz(ctx, recorder, {"healthz-port": port}, None, None)
    finally:
        server.shutdown()
        server.server_close()
    assert result is not None and result.startswith(expected)


def lab_kubelet(root: Path, pid: int, name: str) -> None:
    """A test lab's kubelet: its endpoint in its own config, as the lab's cluster runs it."""
    config = KUBEADM_CONFIG.replace('containerRuntimeEndpoint: ""', "containerRuntimeEndpoint:"
                                    f" unix:///var/tmp/{name}/containerd.sock")  # fmt: skip
    write(root, f"/var/tmp/{name}/config.yaml", config)
    add_process(root, pid, ["kubelet", f"--config=/var/tmp/{name}/config.yaml"])


def test_the_kubelet_of_the_named_endpoint_is_chosen(tmp_path: Path) -> None:
    lab_kubelet(tmp_path, 10, "lab-a")
    lab_kubelet(tmp_path, 20, "lab-b")
    ctx = context(tmp_path, runtime_endpoint="unix:///var/tmp/lab-b/containerd.sock")
    section = kubelet.gather(ctx)
    assert (section["running"], section["pid"]) == (True, 20)
    assert section["config_path"] == "/var/tmp/lab-b/config.yaml"


def test_other_nodes_kubelets_are_not_this_one(tmp_path: Path) -> None:
    """This lab's kubelet stopped while other labs' run: not running (the kubelet-stopped
    cluster scenario found another lab's kubelet running), examined from its config."""
    kubeadm_node(tmp_path)  # this node: its config.yaml and unit files
    lab_kubelet(tmp_path, 10, "lab-a")
    add_process(tmp_path, 30, ["kubelet", "--container-runtime-endpoint=/run/k3s/k.sock"])
    ctx = context(tmp_path, runtime_endpoint="unix:///run/containerd/containerd.sock")
    section = kubelet.gather(ctx)
    assert (section["running"], section["pid"]) == (False, None)
    assert section["config_path"] == "/var/lib/kubelet/config.yaml"
    assert [e for e in section["errors"] if e["source"].endswith(".yaml")] == []


def test_a_kubelet_whose_endpoint_is_unknown_may_be_this_one(tmp_path: Path) -> None:
    lab_kubelet(tmp_path, 10, "lab-a")
    add_process(tmp_path, 20, ["kubelet", "--config=/var/tmp/gone/config.yaml"])  # unreadable
    environ = {"CONTAINER_RUNTIME_ENDPOINT": "/run/containerd/containerd.sock"}
    ctx = context(tmp_path, environ=environ)
    section = kubelet.gather(ctx)
    assert (section["running"], section["pid"]) == (True, 20)


def test_another_kubelets_config_is_read_through_its_own_root(tmp_path: Path) -> None:
    """A kubelet in its own mount namespace (a kind node, another lab): its --config is a path
    in its root, /proc/PID/root, not on this host."""
    kubeadm_node(tmp_path)
    theirs = tmp_path / "elsewhere"
    config = KUBEADM_CONFIG.replace('containerRuntimeEndpoint: ""', "containerRuntimeEndpoint:"
                                    " unix:///run/containerd/containerd.sock")  # fmt: skip
    write(theirs, "/var/lib/kubelet/config.yaml", config)
    add_process(tmp_path, 40, ["kubelet", "--config=/var/lib/kubelet/config.yaml"])
    (tmp_path / "proc/40/root").symlink_to(theirs)
    # its own root's config names the socket; this node's (kubeadm's, on the host) another
    ctx = context(tmp_path, runtime_endpoint="unix:///run/k3s/containerd/containerd.sock")
    assert kubelet.gather(ctx)["running"] is False
    ctx = context(tmp_path, runtime_endpoint="unix:///var/run/containerd/containerd.sock")
    assert kubelet.gather(ctx)["pid"] == 40
