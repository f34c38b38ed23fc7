"""What kubectl printed when a command failed (`kubectl exec`, `kubectl logs [-f]`, `kubectl
apply`, `kubectl port-forward`) -> the layer it tells about, where the schema has a place.

- `OCI runtime exec failed: ...` (runc's, through containerd): the runtime's log, and the pod's
  own when the command names the pod.
- `container "x" in pod "y" is waiting to start: R` / `... is terminated` (the kubelet's
  validateContainerLogStatus, pkg/kubelet/kubelet_pods.go): that container's state and waiting
  reason; `image can't be pulled` is ErrImagePull, `trying and failing to pull image`
  ImagePullBackOff.
- the API server failing to reach the kubelet (`Error from server: ... dial tcp ...:10250: ...`),
  `error: unable to upgrade connection: ...` and any other kubectl error: no fact holds them,
  each is reported as not placed.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

EXEC_FAILED = re.compile(r"OCI runtime exec failed: ")
_CONTAINER = r'container "(?P<container>[^"]+)" in pod "(?P<pod>[^"]+)" is '
WAITING = re.compile(_CONTAINER + r"waiting to start: (?P<why>.+?)\s*$")
TERMINATED = re.compile(_CONTAINER + r"terminated\b")
KUBELET_DIAL = re.compile(r"Error from server: .*?dial tcp (?P<address>\S+?:10250): (?P<error>.+)")
UPGRADE = re.compile(r"error: unable to upgrade connection: (?P<error>.+)")
_ANY = re.compile(r"\s*(?:Error from server\b|error: |Error: )")
# the kubelet's words for the waiting reasons it does not print (kubelet_pods.go)
_WAITING_REASONS = {
    "image can't be pulled": "ErrImagePull",
    "trying and failing to pull image": "ImagePullBackOff",
}


def is_error(line: str) -> bool:
    return bool(
        EXEC_FAILED.search(line)
        or WAITING.search(line)
        or TERMINATED.search(line)
        or _ANY.match(line)
    )


@dataclass(frozen=True)
class ContainerState:
    """A container's state as the kubelet told kubectl."""

    namespace: str | None  # from the command's -n; None: not said
    pod: str
    container: str
    state: str
    reason: str | None


@dataclass(frozen=True)
class Target:
    """The pod a kubectl command line names, and its namespace."""

    namespace: str | None = None
    pod: str | None = None


_VALUE_FLAGS = {"-n", "--namespace", "-c", "--container", "--context", "--kubeconfig",
                "-f", "--filename", "-l", "--selector", "-s", "--server", "--since",
                "--tail"}  # fmt: skip
_POD_VERBS = ("exec", "logs", "log", "attach", "port-forward")


def target(command: str | None) -> Target:
    """`kubectl [-n NS] exec|logs|attach|port-forward [pod/]POD ...`; what it does not say
    stays None."""
    try:
        words = shlex.split(command or "")
    except ValueError:
        words = (command or "").split()
    namespace = None
    positional: list[str] = []
    index = 1
    while index < len(words):
        word = words[index]
        if word == "--":
            break
        name, equals, value = word.partition("=")
        if name in _VALUE_FLAGS:
            if not equals and index + 1 < len(words):
                value = words[index + 1]
                index += 1
            if name in ("-n", "--namespace"):
                namespace = value
        elif not word.startswith("-"):
            positional.append(word)
        index += 1
    verbs = [p for p in positional if p in _POD_VERBS]
    if not verbs:
        return Target(namespace)
    after = positional[positional.index(verbs[0]) + 1 :]
    pod = after[0] if after else None
    if pod is not None and "/" in pod:
        kind, _, name = pod.partition("/")
        pod = name if kind in ("pod", "pods", "po") else None
    return Target(namespace, pod)


def container_state(line: str, namespace: str | None) -> ContainerState | None:
    waiting = WAITING.search(line)
    if waiting:
        why = waiting.group("why")
        reason = _WAITING_REASONS.get(why) or (why if re.fullmatch(r"[A-Z]\w+", why) else None)
        return ContainerState(
            namespace, waiting.group("pod"), waiting.group("container"), "CONTAINER_WAITING", reason
        )
    terminated = TERMINATED.search(line)
    if terminated:
        return ContainerState(
            namespace,
            terminated.group("pod"),
            terminated.group("container"),
            "CONTAINER_EXITED",
            None,
        )
    return None


def unplaced_reason(line: str) -> str:
    """Why an error line kubectl printed has no place in the facts."""
    dial = KUBELET_DIAL.search(line)
    if dial:
        return (
            f"the API server could not reach the kubelet at {dial.group('address')}"
            f" ({dial.group('error').strip()}): no fact holds it"
        )
    upgrade = UPGRADE.search(line)
    if upgrade:
        return (
            f"the API server could not open a stream to the kubelet"
            f" ({upgrade.group('error').strip()}): no fact holds it"
        )
    return "kubectl's error: no fact holds it"
