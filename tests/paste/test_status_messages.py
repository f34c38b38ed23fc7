"""A container's status message pasted alone becomes that container's message, with the state
the kubelet gives it; a message that tells no state is left to the other readers. Real texts:
the corpus's cases (by name)."""

from __future__ import annotations

from pathlib import Path

import pytest

from doctor.facts.document import PodRef
from doctor.paste.status_message import pull_failure
from tests.paste.corpus import evidence
from tests.paste.reading import read_paste


def test_a_pull_failure_is_the_waiting_containers_message(tmp_path: Path) -> None:
    """containerd's CI printing a container's status (containerd#5357): the Go-quoted
    `Message:` field, unquoted; the pod given by --pod."""
    text = evidence("containerd.image-rate-limited/containerd-5357")
    loaded = read_paste(tmp_path, text, PodRef("default", "busybox"))
    assert [r.split(": ", 1)[1] for r in loaded.read] == ["a container's status message"]
    (pod,) = loaded.document.data["pods"]
    (container,) = pod["containers"]
    assert container["state"] == "CONTAINER_WAITING"
    assert container["reason"] == "ErrImagePull"
    assert container["message"].startswith(
        'failed to pull and unpack image "docker.io/library/busybox:1.28": failed to copy:'
    )
    assert container["message"].endswith("https://www.docker.com/increase-rate-limit")


@pytest.mark.parametrize(
    "line",
    [
        # a message that tells no pull failure
        '    Message: "Back-off restarting failed container"',
        # a pull failure as the kubelet's event words it: events.py's, not a status
        'Message: "Failed to pull image \\"nginx\\": rpc error: code = NotFound desc = x"',
        # not a quoted field
        "failed to pull and unpack image nginx: not found",
    ],
)
def test_messages_that_tell_no_state(line: str) -> None:
    assert pull_failure(line) is None


def test_the_grpc_prefix_the_kubelet_keeps() -> None:
    line = (
        '  message: "rpc error: code = NotFound desc = failed to pull and unpack image'
        ' \\"docker.io/library/nginx:nope\\": failed to resolve reference: not found"'
    )
    assert pull_failure(line) == (
        'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/'
        'nginx:nope": failed to resolve reference: not found'
    )
