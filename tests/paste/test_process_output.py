"""Free text holding a limit the container's process hit is that container's output: the lines
only the process itself prints. The runtime's and host daemons' own words for the same errno
are not. Every line is from the real-world corpus (fixtures/realworld/cases), its thread cited."""

from __future__ import annotations

import pytest

from doctor.paste.kinds import Kind, recognise
from doctor.paste.segment import plain, split
from tests.paste.corpus import evidence


def kinds_of(text: str) -> list[Kind]:
    return [recognise(s.shape()) for s in split(plain(text), "paste")]


@pytest.mark.parametrize(
    "text",
    [
        # https://github.com/awslabs/amazon-eks-ami/issues/1535 (envoy)
        "[2023-12-22 03:31:18.128][198][critical][assert] [external/envoy/source/common/network/"
        "socket_interface_impl.cc:72] assert failure: SOCKET_VALID(result.return_value_). Details:"
        " socket(2) failed, got error: Too many open files",
        # https://github.com/awslabs/amazon-eks-ami/issues/234 (Elasticsearch's bootstrap check)
        "[1]: max file descriptors [4096] for elasticsearch process is too low, increase to at"
        " least [65536]",
        # https://github.com/cri-o/cri-o/issues/5779 (nginx)
        "2022/04/05 09:27:49 [alert] 56#56: sendmsg() failed (9: Bad file descriptor)\n"
        "2022/04/05 09:27:49 [alert] 1415#1415: pthread_create() failed (11: Resource temporarily"
        " unavailable)",
    ],
    ids=["envoy-emfile", "elasticsearch-nofile", "nginx-eagain"],
)
def test_a_process_limit_in_free_text_is_container_output(text: str) -> None:
    assert kinds_of(text) == [Kind.CONTAINER_LOG]


def test_the_runtimes_own_emfile_is_not_container_output() -> None:
    # https://github.com/containerd/cri/issues/448: containerd itself out of descriptors
    text = "failed to start shim: open /dev/null: too many open files: unknown"
    assert Kind.CONTAINER_LOG not in kinds_of(text)


@pytest.mark.parametrize(
    "case",
    [
        "process.app-error/kubeadm-1162",  # CoreDNS's [FATAL] in Go's log format
        "process.app-error/open-bank-oss-3215",  # a Java exception's cause
        "process.app-error/kia-15",  # dash refusing a script without its x bit
    ],
)
def test_an_applications_failure_in_free_text_is_container_output(case: str) -> None:
    assert kinds_of(evidence(case)) == [Kind.CONTAINER_LOG]


@pytest.mark.parametrize(
    "text",
    [
        # the node's daemons write klog and logrus, never Go's bare log with a level tag:
        # kubelet's fatal line (kubernetes/kubernetes#104303)
        "F0811 13:31:01.771818       1 server.go:488] failed complete: too many open files",
        # a sentence that only quotes an exception
        "I think the Caused by: java.net.ConnectException: Connection refused is the clue",
        # a host shell missing a tool says it as dash would in a container
        "sh: 1: crictl: not found",
        # a healthy CoreDNS warns (k3s-io/k3s#5712): no failure, and not recognised alone
        "[WARNING] No files matching import glob pattern: /etc/coredns/custom/*.server",
    ],
    ids=["klog-fatal", "prose", "host-shell", "coredns-warning"],
)
def test_other_text_is_no_applications_failure(text: str) -> None:
    assert Kind.CONTAINER_LOG not in kinds_of(text)
