"""Lines users trimmed of their prefixes still land in the log of the daemon that wrote them:
a klog line cut before its `file.go:N] `, the kubelet's own start-up texts wherever they sit in
the line, a journal line cut before its identifier. Every text is from a real-world corpus case
(fixtures/realworld/cases, named in each id)."""

from __future__ import annotations

import pytest

from doctor.paste.kinds import Kind, bare_entry, recognise
from doctor.paste.segment import plain, split


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(
            "kubelet.go:1821] skipping pod synchronization - [PLEG is not healthy: pleg was last"
            " seen active 3m3.917895079s ago; threshold is 3m0s]",
            ("kubelet", None),
            id="klog-without-date-k8s-74135",
        ),
        pytest.param(
            "error: failed to run Kubelet: failed to create kubelet: misconfiguration: kubelet"
            ' cgroup driver: "cgroupfs" is different from docker cgroup driver: "systemd"',
            ("kubelet", None),
            id="run-error-rancher-9304",
        ),
        pytest.param(
            "- Others: kubelet: F0731 16:39:07.275508   14855 server.go:199] failed to load"
            " Kubelet config file /var/lib/kubelet/config.yaml, error failed to read kubelet"
            ' config file "/var/lib/kubelet/config.yaml", error: open'
            " /var/lib/kubelet/config.yaml: no such file or directory",
            ("kubelet", None),
            id="phrase-mid-line-k8s-93616",
        ),
        pytest.param(
            "Failed to start ContainerManager failed to get rootfs info: failed to get device for"
            ' dir "/var/lib/kubelet": could not find device with major: 0, minor: 46 in cached'
            " partitions map",
            ("kubelet", None),
            id="container-manager-k8s-65204",
        ),
        pytest.param(
            'containerd[21688]: time="2020-12-16T19:38:06.081521590+01:00" level=error'
            ' msg="RunPodSandbox for &PodSandboxMetadata{Name:etcd-k8smaster,Uid:89f4f2cb,'
            'Namespace:kube-system,Attempt:0,} failed, error" error="failed to create containerd'
            ' task: OCI runtime create failed"',
            (
                "runtime",
                'time="2020-12-16T19:38:06.081521590+01:00" level=error msg="RunPodSandbox for'
                " &PodSandboxMetadata{Name:etcd-k8smaster,Uid:89f4f2cb,Namespace:kube-system,"
                'Attempt:0,} failed, error" error="failed to create containerd task: OCI runtime'
                ' create failed"',
            ),
            id="journal-without-date-containerd-4857",
        ),
        pytest.param(
            '"Failed to retrieve agent config: \\"overlayfs\\" snapshotter cannot be enabled for'
            ' \\"/var/lib/rancher/k3s/agent/containerd\\", try using \\"fuse-overlayfs\\" or'
            ' \\"native\\": failed to mount overlay: invalid argument"',
            ("kubelet", None),
            id="k3s-agent-msg-alone-k3s-3266",
        ),
    ],
)
def test_trimmed_line_lands_with_its_writer(line: str, expected: tuple[str, str | None]) -> None:
    writer, text = expected
    assert bare_entry(line) == (writer, text or line)
    assert [recognise(s.shape()) for s in split(plain(line), "paste")] == [Kind.FRAGMENTS]


@pytest.mark.parametrize(
    "line",
    [
        # an identifier no layer reads, and prose that only mentions the kubelet
        "sshd[812]: Accepted publickey for root from 10.0.0.1 port 52113 ssh2",
        "I restarted the kubelet and it failed to come back",
    ],
)
def test_other_text_is_not_a_kubelet_line(line: str) -> None:
    assert bare_entry(line) is None
