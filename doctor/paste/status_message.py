"""A container's status message pasted alone, as a Go struct or YAML dump prints its field
(`Message: "failed to pull and unpack image \"...\": ..."`) -> the state the kubelet gives a
container with that message.

A failed pull leaves the container waiting, reason ErrImagePull, the runtime's PullImage error as
its message (pkg/kubelet/images/image_manager.go returns ErrImagePull with it; the kubelet's
event says `Failed to pull image ...` instead, events.py). containerd's CRI words that error
`failed to pull and unpack image %q: %w` (its image_pull.go, 1.x and 2.x). Other messages do not
tell the state: they are left to the other readers.
"""

from __future__ import annotations

import json
import re

# the field, its value quoted as Go quotes a string (%q, %#v, a YAML dump's double quotes)
_FIELD = re.compile(r'(?:^|\s)[Mm]essage:\s+"(?P<value>(?:[^"\\]|\\.)*)",?\s*$')
_PULL_FAILED = re.compile(
    r'(?:rpc error: code = \w+ desc = )?failed to pull and unpack image "[^"]+": \S'
)
# what the CRI records for it (kuberuntime: the waiting state's reason and message)
WAITING_ON_PULL = {"state": "CONTAINER_WAITING", "reason": "ErrImagePull"}


def pull_failure(line: str) -> str | None:
    """The message of a status field holding the runtime's pull failure, unquoted; else None."""
    field = _FIELD.search(line)
    if field is None:
        return None
    try:
        message = json.loads(f'"{field["value"]}"')
    except ValueError:
        return None
    return message if isinstance(message, str) and _PULL_FAILED.match(message) else None
