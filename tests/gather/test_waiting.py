"""A container whose image could not be pulled exists only in the kubelet's log: the pod gets it
as CONTAINER_WAITING with the kubelet's reason and message (lines captured from the lab)."""

from __future__ import annotations

from doctor.gather.cri.waiting import add_waiting_containers

PULL = (
    '"Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"app\\" with '
    'ErrImagePull: \\"rpc error: code = NotFound desc = failed to pull and unpack image '
    '\\\\\\"127.0.0.1:45391/lab/busybox:no-such-tag\\\\\\": failed to resolve reference '
    '\\\\\\"127.0.0.1:45391/lab/busybox:no-such-tag\\\\\\": '
    '127.0.0.1:45391/lab/busybox:no-such-tag: not found\\"" pod="lab/image-not-found" '
    'podUID="5b045793-f9d2-4973-9841-2ab56d4df026"'
)
BACK_OFF = (
    '"Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"app\\" with '
    'ImagePullBackOff: \\"Back-off pulling image \\\\\\"127.0.0.1:45391/lab/busybox:no-such-tag'
    '\\\\\\"\\"" pod="lab/image-not-found" podUID="5b045793-f9d2-4973-9841-2ab56d4df026"'
)


def pod(*messages: str, containers: list[dict[str, object]] | None = None) -> dict[str, object]:
    return {
        "name": "image-not-found",
        "namespace": "lab",
        "containers": containers or [],
        "kubelet_log": [{"message": m} for m in messages],
    }


def test_the_newest_pull_error_becomes_a_waiting_container() -> None:
    pods = [pod(PULL)]
    add_waiting_containers(pods)
    [container] = pods[0]["containers"]  # type: ignore[misc]
    assert container["state"] == "CONTAINER_WAITING"
    assert container["reason"] == "ErrImagePull"
    assert container["message"] == (
        "rpc error: code = NotFound desc = failed to pull and unpack image "
        '"127.0.0.1:45391/lab/busybox:no-such-tag": failed to resolve reference '
        '"127.0.0.1:45391/lab/busybox:no-such-tag": 127.0.0.1:45391/lab/busybox:no-such-tag: '
        "not found"
    )
    pods = [pod(PULL, BACK_OFF)]
    add_waiting_containers(pods)
    [container] = pods[0]["containers"]  # type: ignore[misc]
    assert container["reason"] == "ImagePullBackOff"
    assert (
        container["message"] == 'Back-off pulling image "127.0.0.1:45391/lab/busybox:no-such-tag"'
    )
    assert container["image"] == {"ref": "127.0.0.1:45391/lab/busybox:no-such-tag"}


def test_the_image_is_the_one_the_kubelet_names() -> None:
    """The cluster lab's kubelet v1.36.3 (its line, the pod renamed to this test's): the
    back-off message names the pod's image first."""
    back_off = (
        '"Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"app\\" with'
        ' ImagePullBackOff: \\"Back-off pulling image \\\\\\"127.0.0.1:1/nothing/here:1\\\\\\":'
        " ErrImagePull: failed to pull and unpack image"
        ' \\\\\\"127.0.0.1:1/nothing/here:1\\\\\\": failed to resolve reference'
        ' \\\\\\"127.0.0.1:1/nothing/here:1\\\\\\": failed to do request: Head'
        ' \\\\\\"http://127.0.0.1:1/v2/nothing/here/manifests/1\\\\\\": dial tcp 127.0.0.1:1:'
        ' connect: connection refused\\"" pod="lab/image-not-found"'
        ' podUID="1e559556-2ab5-4143-9863-d2ec6371e655"'
    )
    pods = [pod(back_off)]
    add_waiting_containers(pods)
    [container] = pods[0]["containers"]  # type: ignore[misc]
    assert container["reason"] == "ImagePullBackOff"
    assert container["image"] == {"ref": "127.0.0.1:1/nothing/here:1"}
    assert container["message"].endswith("dial tcp 127.0.0.1:1: connect: connection refused")


def test_a_container_the_runtime_has_is_left_alone() -> None:
    known = {"name": "app", "attempt": 0, "state": "CONTAINER_EXITED"}
    pods = [pod(PULL, containers=[known])]
    add_waiting_containers(pods)
    assert pods[0]["containers"] == [known]


def test_other_sync_errors_add_nothing() -> None:
    crash = (
        '"Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"app\\" with '
        'CrashLoopBackOff: \\"back-off 10s restarting failed container=app\\"" pod="lab/x"'
    )
    pods = [pod(crash)]
    add_waiting_containers(pods)
    assert pods[0]["containers"] == []
