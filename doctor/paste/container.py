"""A container's own output (`kubectl logs`, `crictl logs`) -> whose it is.

The command that printed it names the pod and container (`kubectl logs -n NS POD -c NAME
--previous`); otherwise `--pod` or the only pod the paste describes does, and the only
container of that pod. What stays unknown is left None for facts.py to resolve or report.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

# kubectl flags that take a value (the next word) before or after `logs`
_VALUE_FLAGS = {"-n", "--namespace", "-c", "--container", "--context", "--kubeconfig", "-l",
                "--selector", "--since", "--since-time", "--tail", "--limit-bytes",
                "--pod-running-timeout", "-s", "--server", "--cluster", "--user"}  # fmt: skip


@dataclass(frozen=True)
class LogsCommand:
    """What a `kubectl logs` command line says about whose output follows."""

    namespace: str | None = None
    pod: str | None = None
    container: str | None = None
    previous: bool = False
    container_id: str | None = None  # `crictl logs ID`, `docker logs ID`


def logs_command(command: str | None) -> LogsCommand:
    """Read `kubectl [-n NS] logs [pod/]POD [-c NAME] [-p]` and `crictl logs ID`; anything it
    cannot read stays None."""
    try:
        words = shlex.split(command or "")
    except ValueError:
        words = (command or "").split()
    words = [w for w in words if w != "sudo"]
    if len(words) >= 3 and words[0] in ("crictl", "docker") and "logs" in words:
        rest = [w for w in words[words.index("logs") + 1 :] if not w.startswith("-")]
        return LogsCommand(container_id=rest[-1] if rest else None)
    values: dict[str, str] = {}
    positional: list[str] = []
    previous = False
    index = 1
    while index < len(words):
        word = words[index]
        name, equals, value = word.partition("=")
        if name in _VALUE_FLAGS:
            if equals:
                values[name] = value
            elif index + 1 < len(words):
                values[name] = words[index + 1]
                index += 1
        elif word in ("-p", "--previous", "--previous=true"):
            previous = True
        elif not word.startswith("-"):
            positional.append(word)
        index += 1
    if "logs" not in positional:
        return LogsCommand()
    after = positional[positional.index("logs") + 1 :]
    pod = after[0] if after else None
    if pod is not None and "/" in pod:
        kind, _, name = pod.partition("/")
        pod = name if kind in ("pod", "pods", "po") else None
    container = values.get("-c") or values.get("--container")
    if container is None and len(after) >= 2:
        container = after[1]  # `kubectl logs POD CONTAINER`, the old form
    return LogsCommand(
        namespace=values.get("-n") or values.get("--namespace"),
        pod=pod,
        container=container,
        previous=previous,
    )
