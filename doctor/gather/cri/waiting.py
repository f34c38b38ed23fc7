"""Containers the kubelet waits on but the runtime never made, from the kubelet's own log.

The CRI has no container whose image could not be pulled: the kubelet calls PullImage before
CreateContainer, and when the pull fails it only logs it (and, with an API server, sets the
container's waiting state). On a node that log is all there is: pod_workers' sync error

    "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"app\\" with
    ErrImagePull: \\"rpc error: code = NotFound desc = ...\\"" pod="ns/name" podUID="..."

names the container, the kubelet's waiting reason and its message. For each such container the
runtime does not list, the pod gets a CONTAINER_WAITING container with that reason and message
(the newest line wins), as the API server would show it, and the image the message names.
"""

from __future__ import annotations

import json
import re
from typing import Any

# the kubelet's waiting reasons for a container it cannot create for want of its image
# (pkg/kubelet/images/types.go; RegistryUnavailable and SignatureValidationFailed from cri-api)
PULL_REASONS = (
    "ErrImagePull",
    "ImagePullBackOff",
    "ErrImageNeverPull",
    "InvalidImageName",
    "RegistryUnavailable",
    "SignatureValidationFailed",
)
_ERR_FIELD = re.compile(r'\berr="(?P<value>(?:[^"\\]|\\.)*)"')
_SYNC_ERROR = re.compile(
    r'failed to "StartContainer" for "(?P<name>[^"]+)" with (?P<reason>'
    + "|".join(PULL_REASONS)
    + r'): "(?P<message>(?:[^"\\]|\\.)*)"'
)

# The image a pull error names: the kubelet's own words name it as the pod does (v1.36.3
# pkg/kubelet/images/image_manager.go:157 and 338), containerd's "failed to pull and unpack" as
# it resolved it (a short name with docker.io/library/ in front).
_IMAGE = re.compile(
    r"(?:Back-off pulling image|Container image|[Ff]ailed to pull (?:and unpack )?image)"
    r' "(?P<ref>[^"]+)"'
)


def go_unquote(text: str) -> str:
    """The inside of a Go %q string (klog's quoted values), unescaped."""
    try:
        value = json.loads(f'"{text}"')
    except ValueError:
        return text.replace('\\"', '"').replace("\\\\", "\\")
    return value if isinstance(value, str) else text


def waiting_containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    """The waiting containers the pod's kubelet log shows and its containers lack."""
    have = {c.get("name") for c in pod.get("containers") or []}
    newest: dict[str, tuple[str, str]] = {}
    for line in pod.get("kubelet_log") or []:
        text = str(line.get("message", ""))
        if "StartContainer" not in text:
            continue
        field = _ERR_FIELD.search(text)
        if not field:
            continue
        match = _SYNC_ERROR.search(go_unquote(field.group("value")))
        if match and match.group("name") not in have:
            newest[match.group("name")] = (
                match.group("reason"),
                go_unquote(match.group("message")),
            )
    return [
        {
            "name": name,
            "id": None,
            "attempt": 0,
            "restart_count": 0,
            "state": "CONTAINER_WAITING",
            "reason": reason,
            "message": message,
            **_image(message),
        }
        for name, (reason, message) in sorted(newest.items())
    ]


def _image(message: str) -> dict[str, Any]:
    named = _IMAGE.search(message)
    return {"image": {"ref": named.group("ref")}} if named else {}


def add_waiting_containers(pods: list[dict[str, Any]]) -> None:
    for pod in pods:
        found = waiting_containers(pod)
        if found:
            pod["containers"] = [*pod.get("containers", []), *found]
