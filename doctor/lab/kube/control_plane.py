"""The control plane's command lines: etcd, kube-apiserver, kube-controller-manager and
kube-scheduler, every listener on 127.0.0.1 at the ports the cluster chose."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from doctor.lab.kube.binaries import KubeBinaries
from doctor.lab.kube.pki import Pki

SERVICE_RANGE = "10.96.0.0/24"
# How long the node-lifecycle controller waits for a kubelet's status before it marks the
# node NotReady ("Kubelet stopped posting node status"): 50 s upstream, shortened so the lab's
# kubelet-stopped scenario takes seconds. It must exceed the kubelet's 10 s status period.
NODE_MONITOR_GRACE = "20s"


@dataclass(frozen=True)
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int
    controller_manager: int
    scheduler: int
    kubelet: int
    kubelet_healthz: int

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.apiserver}"


def etcd(binaries: KubeBinaries, data_dir: Path, ports: Ports) -> list[str]:
    client = f"http://127.0.0.1:{ports.etcd_client}"
    peer = f"http://127.0.0.1:{ports.etcd_peer}"
    return [
        binaries.path("etcd"),
        "--name=lab",
        f"--data-dir={data_dir}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=lab={peer}",
        "--log-level=warn",
    ]


def apiserver(binaries: KubeBinaries, pki: Pki, ports: Ports) -> list[str]:
    return [
        binaries.path("kube-apiserver"),
        f"--etcd-servers=http://127.0.0.1:{ports.etcd_client}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={ports.apiserver}",
        f"--tls-cert-file={pki.serving_cert}",
        f"--tls-private-key-file={pki.serving_key}",
        f"--client-ca-file={pki.ca_cert}",
        f"--token-auth-file={pki.token_file}",
        "--authorization-mode=Node,RBAC",
        f"--service-account-issuer={ports.server}",
        f"--service-account-key-file={pki.service_account_public_key}",
        f"--service-account-signing-key-file={pki.service_account_key}",
        f"--service-cluster-ip-range={SERVICE_RANGE}",
        # The `kubernetes` service's endpoint would be 127.0.0.1, which Endpoints refuse.
        "--endpoint-reconciler-type=none",
        # logs/exec/port-forward reach the kubelet at the node's InternalIP (a lab address),
        # never by its name: the default tries the Hostname first, a DNS lookup off the machine.
        "--kubelet-preferred-address-types=InternalIP",
        "--allow-privileged=true",
        "--profiling=false",
    ]


def controller_manager(binaries: KubeBinaries, pki: Pki, ports: Ports) -> list[str]:
    config = str(pki.kubeconfig("controller-manager"))
    return [
        binaries.path("kube-controller-manager"),
        f"--kubeconfig={config}",
        f"--authentication-kubeconfig={config}",
        f"--authorization-kubeconfig={config}",
        "--bind-address=127.0.0.1",
        f"--secure-port={ports.controller_manager}",
        f"--service-account-private-key-file={pki.service_account_key}",
        f"--root-ca-file={pki.ca_cert}",
        "--use-service-account-credentials=true",
        "--leader-elect=false",
        "--node-monitor-period=2s",
        f"--node-monitor-grace-period={NODE_MONITOR_GRACE}",
        "--profiling=false",
    ]


def scheduler(binaries: KubeBinaries, pki: Pki, ports: Ports) -> list[str]:
    config = str(pki.kubeconfig("scheduler"))
    return [
        binaries.path("kube-scheduler"),
        f"--kubeconfig={config}",
        f"--authentication-kubeconfig={config}",
        f"--authorization-kubeconfig={config}",
        "--bind-address=127.0.0.1",
        f"--secure-port={ports.scheduler}",
        "--leader-elect=false",
        "--profiling=false",
    ]
