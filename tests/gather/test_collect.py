"""The whole walk on synthetic host trees: `collect`, and `check` / `diagnose` / `facts` as a
user runs them, with every layer's status honest about what could be examined."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from doctor.facts.document import parse_facts
from doctor.gather.collect import collect, examined_anything
from doctor.gather.context import GatherOptions, PodQuery
from tests.conftest import stackdoctor
from tests.gather.hosttree import write
from tests.gather.test_kubelet import DROP_IN, KUBEADM_CONFIG, KUBEADM_FLAGS

# A containerd 1.6 config of the shape `containerd config default` prints, reduced to the keys
# that matter here: runc without SystemdCgroup, so the kubelet's systemd driver disagrees.
CONTAINERD_CONFIG = """\
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "127.0.0.1:5000/pause:3.6"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/opt/cni/bin"
      conf_dir = "/etc/cni/net.d"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = false
"""
KUBELET_LOG = (
    'E1129 12:00:01.000000    4242 remote_runtime.go:116] "RunPodSandbox from runtime service'
    ' failed" err="rpc error: code = Unavailable desc = connection error: desc = \\"transport:'
    " Error while dialing: dial unix /var/run/containerd/containerd.sock: connect: no such file"
    ' or directory\\""\n'
)


def kubeadm_node(root: Path) -> Path:
    """A kubeadm node whose kubelet runs but whose containerd is gone (no process, no socket)."""
    write(root, "/var/lib/kubelet/config.yaml", KUBEADM_CONFIG)
    write(root, "/var/lib/kubelet/kubeadm-flags.env", KUBEADM_FLAGS)
    write(root, "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", DROP_IN)
    write(root, "/etc/containerd/config.toml", CONTAINERD_CONFIG)
    write(
        root,
        "/etc/cni/net.d/10-bridge.conflist",
        '{"cniVersion": "1.0.0", "name": "k8s",'
        ' "plugins": [{"type": "bridge"}, {"type": "portmap"}]}',
    )
    for plugin in ("bridge", "portmap", "host-local", "loopback"):
        write(root, f"/opt/cni/bin/{plugin}", "")
        (root / "opt/cni/bin" / plugin).chmod(0o755)
    write(
        root,
        "/proc/4242/cmdline",
        "/usr/bin/kubelet\0--config=/var/lib/kubelet/config.yaml\0"
        "--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock\0",
    )
    write(root, "/proc/4242/comm", "kubelet\n")
    write(root, "/proc/sys/kernel/hostname", "worker-7\n")
    write(root, "/var/log/kubelet.log", KUBELET_LOG)
    return root


def options(root: Path, **extra: Any) -> GatherOptions:
    return GatherOptions(host_root=root, sample_interval=0, timeout=1, **extra)


def test_collect_a_node_without_containerd(tmp_path: Path) -> None:
    document = collect(options(kubeadm_node(tmp_path)))
    facts = parse_facts(document, "collected")  # the document validates
    layers = document["layers"]
    assert document["collected"]["host"] == "worker-7"
    assert document["collected"]["source"] == "live"
    assert layers["apiserver"]["status"] == "absent"
    assert layers["kubelet"]["status"] == "ok" and layers["kubelet"]["running"] is True
    assert layers["kubelet"]["cgroup_driver"] == "systemd"
    assert layers["cri"]["status"] == "unreachable"
    assert layers["cri"]["endpoint"] == "unix:///var/run/containerd/containerd.sock"
    assert layers["containerd"]["running"] is False
    assert layers["containerd"]["config"]["systemd_cgroup"] is False
    assert facts.pods() == []
    assert examined_anything(document)


def test_a_named_pod_is_a_placeholder_when_the_cri_is_down(tmp_path: Path) -> None:
    document = collect(options(kubeadm_node(tmp_path), pod=PodQuery("default/web")))
    (pod,) = document["pods"]
    assert (pod["namespace"], pod["name"], pod["containers"]) == ("default", "web", [])


def test_check_names_the_broken_layers(tmp_path: Path) -> None:
    root = kubeadm_node(tmp_path)
    result = stackdoctor("check", "--host-root", str(root), "--sample-interval", "0", "-o", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    found = {finding["id"] for finding in report["findings"]}
    assert {"containerd.not-running", "cri.unreachable", "kubelet.cgroup-driver-mismatch"} <= found
    assert report["root_cause"]["id"] == "containerd.not-running"
    assert report["target"]["host"] == "worker-7"


def test_no_containerd_config_is_no_cgroup_driver_mismatch(tmp_path: Path) -> None:
    """Without /etc/containerd/config.toml and no runtime answering, containerd's defaults
    (SystemdCgroup = false) are not assumed against the systemd kubelet (issue #13, point 5)."""
    root = kubeadm_node(tmp_path)
    (root / "etc/containerd/config.toml").unlink()
    result = stackdoctor("check", "--host-root", str(root), "--sample-interval", "0", "-o", "json")
    report = json.loads(result.stdout)
    found = {finding["id"] for finding in report["findings"]}
    assert "containerd.not-running" in found
    assert "kubelet.cgroup-driver-mismatch" not in found


def test_diagnose_without_a_runtime_still_reports(tmp_path: Path) -> None:
    root = kubeadm_node(tmp_path)
    saved = tmp_path / "facts.json"
    result = stackdoctor(
        "diagnose", "web", "-n", "default", "--host-root", str(root),
        "--sample-interval", "0", "--save", str(saved), "-o", "json",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["target"]["pod"] == "web"
    assert report["root_cause"]["id"] == "containerd.not-running"
    assert json.loads(saved.read_text())["pods"][0]["name"] == "web"


def test_facts_prints_a_document_analyze_reads(tmp_path: Path) -> None:
    root = kubeadm_node(tmp_path)
    facts = stackdoctor("facts", "--host-root", str(root), "--sample-interval", "0")
    assert facts.returncode == 0, facts.stderr
    path = tmp_path / "facts.json"
    path.write_text(facts.stdout)
    analyzed = stackdoctor("analyze", str(path), "-o", "json")
    assert json.loads(analyzed.stdout)["root_cause"]["id"] == "containerd.not-running"


def test_an_empty_host_tree_is_not_examined(tmp_path: Path) -> None:
    document = collect(options(tmp_path))
    statuses = {name: section["status"] for name, section in document["layers"].items()}
    assert statuses == {
        "apiserver": "absent",
        "kubelet": "absent",
        "cri": "unreachable",
        "containerd": "absent",
        "shim": "absent",
        "runc": "absent",
        "process": "absent",
        "node": "ok",  # the tree's own filesystem is still measured
    }


def test_nothing_examinable_is_exit_2(monkeypatch: Any) -> None:
    import pytest

    from doctor.cli import gathering
    from doctor.engine.examples import base_document
    from doctor.errors import GatherError

    blind = base_document()
    for section in blind["layers"].values():
        section["status"] = "permission-denied"
    monkeypatch.setattr("doctor.gather.collect.collect", lambda *args, **kwargs: blind)
    with pytest.raises(GatherError, match="could not examine any layer") as raised:
        gathering.gather_facts(GatherOptions(), quiet=True)
    assert raised.value.exit_code == 2
