"""Which daemon wrote a journal or syslog line (gather/logs/daemons.py): identifiers and units
of kubeadm, k3s, rke2, microk8s, CRI-O and dockerd nodes, and a bundling daemon's lines told
apart by their format."""

from __future__ import annotations

import pytest

from doctor.gather.logs.daemons import (
    IDENTIFIERS,
    UNITS,
    Writer,
    identifiers_of,
    units_of,
    writer,
)
from doctor.gather.logs.formats import syslog_prefix
from tests.gather.log_lines import KLOG_JOURNAL, LOGRUS_SANDBOX
from tests.paste.pastes import K3S_SUPERVISOR, raw_lines

KERN = raw_lines("kernel-oom-global", "node", "kernel_log")[0]


def _writer(line: str) -> Writer | None:
    prefix = syslog_prefix(line)
    assert prefix is not None
    return writer(*prefix)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (KLOG_JOURNAL, Writer.KUBELET),
        (LOGRUS_SANDBOX, Writer.RUNTIME),
        (KERN, Writer.KERNEL),
        (K3S_SUPERVISOR, Writer.KUBELET),  # k3s's own logrus line: the node agent's
        # the same klog text under k3s's identifier: the in-process kubelet's
        (KLOG_JOURNAL.replace(" kubelet[7321]: ", " k3s[1763]: "), Writer.KUBELET),
        (KLOG_JOURNAL.replace(" kubelet[7321]: ", " sshd[12]: "), None),
        # journald's audit transport: an SELinux denial is the kernel's record
        # (coreos/bugs#1757, Container Linux 1235.4.0)
        (
            "Jan 10 15:51:17 alien3 audit[20404]: AVC avc:  denied  { read } for  pid=20404"
            ' comm="nslookup" name="etc-hosts" dev="sda9" ino=1062417'
            " scontext=system_u:system_r:svirt_lxc_net_t:s0:c15,c665"
            " tcontext=system_u:object_r:svirt_lxc_file_t:s0:c354,c771 tclass=file permissive=0",
            Writer.KERNEL,
        ),
    ],
    ids=["kubelet", "containerd", "kernel", "k3s-supervisor", "k3s-klog", "other-program", "audit"],
)
def test_writer_of_a_line(line: str, expected: Writer | None) -> None:
    assert _writer(line) is expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # systemd's own lines about a unit go with the daemon it runs
        ("kubelet.service: Main process exited, code=exited, status=1/FAILURE", Writer.KUBELET),
        ("containerd.service: Failed with result 'exit-code'.", Writer.RUNTIME),
        ("k3s.service: Scheduled restart job, restart counter is at 3.", Writer.KUBELET),
        ("Started Session 1 of user root.", None),
    ],
)
def test_systemd_lines_about_a_unit(body: str, expected: Writer | None) -> None:
    assert writer("systemd", body) is expected


def test_microk8s_kubelite_is_split_by_format() -> None:
    klog = KLOG_JOURNAL.split(": ", 1)[1]
    assert writer("microk8s.daemon-kubelite", klog) is Writer.KUBELET
    assert writer("microk8s.daemon-containerd", "anything") is Writer.RUNTIME


def test_every_unit_runs_a_known_identifier() -> None:
    assert set(UNITS.values()) <= IDENTIFIERS.keys()


def test_units_and_identifiers_per_log() -> None:
    assert units_of(Writer.KUBELET)[:1] == ("kubelet",)
    assert {"k3s", "k3s-agent", "snap.microk8s.daemon-kubelite"} <= set(units_of(Writer.KUBELET))
    assert {"containerd", "crio", "docker", "snap.microk8s.daemon-containerd"} <= set(
        units_of(Writer.RUNTIME)
    )
    assert "k3s" not in identifiers_of(Writer.RUNTIME)
    assert {"kube-proxy", "snap.microk8s.daemon-proxy"} <= set(units_of(Writer.AGENTS))
    assert "kube-proxy" not in identifiers_of(Writer.KUBELET)


# kube-proxy as CoreOS's kube-proxy.service (kubernetes/kubernetes#5461, v0.8.1)
KUBE_PROXY_JOURNAL = (
    "Mar 13 20:57:58 ip-172-16-2-106.ec2.internal kube-proxy[769]: E0313 20:57:58.484688"
    "     769 proxier.go:102] Accept failed: accept tcp [::]:59559: too many open files"
)


def test_the_node_agents_lines_have_their_own_log() -> None:
    """Not the kubelet's though it logs klog too: a rule on the kubelet's log must not take
    kube-proxy's line for the kubelet's."""
    assert _writer(KUBE_PROXY_JOURNAL) is Writer.AGENTS
    assert writer("systemd", "kube-proxy.service: Main process exited, code=killed") is (
        Writer.AGENTS
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # minikube v0.24 localkube: the kubelet's exit, not klog (kubernetes/minikube#2381)
        (
            "Jan 03 01:49:48 banwagong localkube[30646]: kubelet: Exit with error: failed to run"
            " Kubelet: failed to create kubelet: misconfiguration: kubelet cgroup driver:"
            ' "cgroupfs" is different from docker cgroup driver: "systemd"',
            Writer.KUBELET,
        ),
        # Container Linux's kubelet-wrapper (kubernetes/kubernetes#39028)
        (
            "Mar 07 15:14:35 ip-10-56-147-170.thomac.net kubelet-wrapper[1558]: E0307"
            " 15:14:35.456471    1558 docker_manager.go:2324] container start failed:"
            " RunContainerError: runContainer: operation timeout: context deadline exceeded",
            Writer.KUBELET,
        ),
        # OpenShift 3.2's node process (openshiftdemos/gogs-openshift#3): its klog lines
        (
            "May 24 16:07:17 ose3-node2.example.com atomic-openshift-node[2474]: E0524"
            " 16:07:17.915440    2474 kubelet.go:1796] Unable to mount volumes for pod"
            ' "gogs-2-91275_infra(3c2d0709-2204-11e6-843d-525400daa840)": timeout expired',
            Writer.KUBELET,
        ),
    ],
    ids=["localkube", "kubelet-wrapper", "atomic-openshift-node"],
)
def test_distributions_that_rename_the_kubelet(line: str, expected: Writer) -> None:
    assert _writer(line) is expected
