"""The lab cluster's command lines, kubelet configuration, credentials and binary lookup, as
data: loopback (and the node's own lab address) only, the kernel kept out of the kubelet's
reach. No root needed."""

from __future__ import annotations

import csv
import ipaddress
import json
import re
import shutil
import stat
from pathlib import Path

import pytest

from doctor.lab.config import Layout
from doctor.lab.errors import LabError
from doctor.lab.kube import control_plane, kubelet
from doctor.lab.kube.binaries import PROGRAMS, KubeBinaries, find_binaries
from doctor.lab.kube.cluster import free_ports, node_ready
from doctor.lab.kube.control_plane import Ports
from doctor.lab.kube.pki import Pki, identities, write_pki

PORTS = Ports(2379, 2380, 6443, 10257, 10259, 10250, 10248)
BINARIES = KubeBinaries(Path("/opt/kube"))
PKI = Pki(Path("/lab/kube/pki"))
NODE_IP = Layout(Path("/var/tmp/stackdoctor-lab")).node_ip


def all_command_lines() -> list[list[str]]:
    return [
        control_plane.etcd(BINARIES, Path("/lab/etcd"), PORTS),
        control_plane.apiserver(BINARIES, PKI, PORTS),
        control_plane.controller_manager(BINARIES, PKI, PORTS),
        control_plane.scheduler(BINARIES, PKI, PORTS),
        kubelet.kubelet_argv(
            BINARIES.path("kubelet"),
            config=Path("/c.yaml"),
            kubeconfig=Path("/k.conf"),
            root_dir=Path("/r"),
            node_ip=NODE_IP,
        ),
    ]


def test_every_address_on_the_command_lines_is_loopback_or_the_lab_node_ip() -> None:
    hosts = []
    for argv in all_command_lines():
        for arg in argv[1:]:
            hosts += re.findall(r"://([^:/,]+)", arg)
            if re.match(r"--(bind|advertise)-address=|--node-ip=", arg):
                hosts.append(arg.split("=", 1)[1])
    assert hosts and set(hosts) == {"127.0.0.1", NODE_IP}


def test_the_node_ip_is_a_private_lab_address_one_per_lab_dir() -> None:
    ips = {Layout(Path(f"/var/tmp/lab-{n}")).node_ip for n in range(50)}
    assert len(ips) > 45  # from the lab dir's hash: labs side by side differ
    for ip in ips:
        address = ipaddress.ip_address(ip)
        assert address in ipaddress.ip_network("10.89.0.0/16") and not address.is_loopback
        assert ip.rsplit(".", 1)[1] not in ("0", "255")


def test_kubelet_config_pins_what_this_machine_needs() -> None:
    config = kubelet.kubelet_config(
        runtime_endpoint="unix:///lab/run/containerd.sock",
        cgroup_root="/stackdoctor-lab-0123abcd",
        pod_logs_dir=Path("/lab/host/var/log/pods"),
        address=NODE_IP,
        port=PORTS.kubelet,
        healthz_port=PORTS.kubelet_healthz,
    )
    assert config["cgroupDriver"] == "cgroupfs"
    assert config["failCgroupV1"] is False and config["failSwapOn"] is False
    assert config["makeIPTablesUtilChains"] is False
    assert config["address"] == NODE_IP and config["healthzBindAddress"] == "127.0.0.1"
    assert config["readOnlyPort"] == 0
    assert config["imageGCHighThresholdPercent"] == 100  # the lab's images are never collected
    assert set(config["evictionHard"]) == {
        "memory.available",
        "nodefs.available",
        "nodefs.inodesFree",
        "imagefs.available",
    }


def test_the_kubelet_writes_its_kernel_tunables_into_lab_files() -> None:
    command = kubelet.private_namespace_command(["/opt/kube/kubelet", "--v=2"], Path("/lab/s"))
    assert command[:4] == ["unshare", "--mount", "--propagation", "unchanged"]
    script = command[-1]
    for key in kubelet.KERNEL_TUNABLES:
        shadow = f"/lab/s/{key.replace('/', '.')}"
        assert f"cat /proc/sys/{key} > {shadow}" in script
        assert f"mount --bind {shadow} /proc/sys/{key}" in script
    # /proc private first (the bind mounts never reach the host's namespace); kubelet last
    assert script.index("mount --make-rprivate /proc") < script.index("mount --bind")
    assert script.endswith("exec /opt/kube/kubelet --v=2")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_credentials(tmp_path: Path) -> None:
    pki = write_pki(tmp_path / "pki", "https://127.0.0.1:6443", "lab-node")
    with open(pki.token_file, newline="") as handle:
        rows = list(csv.reader(handle))
    assert [(row[1], row[3:]) for row in rows] == [
        (identity.user, [",".join(identity.groups)] if identity.groups else [])
        for identity in identities("lab-node")
    ]
    assert len({row[0] for row in rows}) == len(rows)  # one token each
    kubeconfig = json.loads(pki.kubeconfig("kubelet").read_text())
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    assert kubeconfig["users"][0]["user"]["token"] == rows[1][0]
    for secret in (pki.token_file, pki.kubeconfig("admin"), pki.ca_key, pki.service_account_key):
        assert stat.S_IMODE(secret.stat().st_mode) & 0o077 == 0, secret


def test_binaries_from_the_environment_or_the_one_cached_build(tmp_path: Path) -> None:
    build = tmp_path / "bin-kubernetes-v1.36.3_etcd-v3.6.17"
    build.mkdir()
    for program in PROGRAMS:
        (build / program).write_text("#!/bin/sh\n")
        (build / program).chmod(0o755)
    assert find_binaries({"STACKDOCTOR_KUBE_BIN_DIR": str(build)}).directory == build
    assert find_binaries({"STACKDOCTOR_KUBE_CACHE": str(tmp_path)}).directory == build
    (tmp_path / "bin-another").mkdir()
    with pytest.raises(LabError, match="2 build found"):
        find_binaries({"STACKDOCTOR_KUBE_CACHE": str(tmp_path)})
    (build / "kubelet").unlink()
    with pytest.raises(LabError, match="lacks kubelet; run scripts/build-kube"):
        find_binaries({"STACKDOCTOR_KUBE_BIN_DIR": str(build)})


def test_ports_are_distinct_and_node_readiness_reads_the_ready_condition() -> None:
    ports = free_ports(7)
    assert len(set(ports)) == 7
    ready = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    not_ready = {"status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}}
    assert node_ready(ready) and not node_ready(not_ready) and not node_ready(None)
