"""Free text holding a limit the container's process hit is that container's output: the lines
only the process itself prints. The runtime's and host daemons' own words for the same errno
are not. Every line is from the real-world corpus (fixtures/realworld/cases), its thread cited."""

from __future__ import annotations

import pytest

from doctor.paste.kinds import Kind, recognise
from doctor.paste.segment import plain, split


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
