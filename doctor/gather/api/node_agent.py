"""The node's half of `kubectl stackdoctor`: the facts of the pod's node, gathered by the
stackdoctor DaemonSet's pod on that node and read back through the API's exec (pods/exec), with
the user's own credentials.

The agent is the DaemonSet's pod running on the node (label app.kubernetes.io/name=stackdoctor,
deploy/daemonset.yaml). It runs `stackdoctor facts NAMESPACE/NAME --no-api --pod-on-node`; the
command that starts stackdoctor inside it is `stackdoctor` unless the pod's annotation
`stackdoctor.io/exec` (a JSON list) names another — how a node image without Python runs it
(`chroot /host ...`, what `kubectl debug node` does).
"""

from __future__ import annotations

import json
from typing import Any

from doctor.gather.api.client import ApiFailure, ReadOnlyApi
from doctor.gather.api.kubeconfig import ApiTarget
from doctor.gather.api.resources import resource

AGENT_LABEL = "app.kubernetes.io/name=stackdoctor"
EXEC_ANNOTATION = "stackdoctor.io/exec"
MAX_FACTS_BYTES = 64 << 20


class AgentError(Exception):
    """The agent could not give the node's facts: one line saying why."""


def find_agent(api: ReadOnlyApi, node: str, namespace: str) -> dict[str, Any] | None:
    """The running stackdoctor pod on `node`, or None."""
    pods = api.list(
        resource("v1", "Pod"),
        namespace,
        {"spec.nodeName": node, "status.phase": "Running"},
        10,
        AGENT_LABEL,
    )
    return pods[0] if pods else None


def agent_command(agent: dict[str, Any]) -> list[str]:
    annotations = (agent.get("metadata") or {}).get("annotations") or {}
    given = annotations.get(EXEC_ANNOTATION)
    if not given:
        return ["stackdoctor"]
    try:
        command = json.loads(given)
    except json.JSONDecodeError as exc:
        raise AgentError(f"annotation {EXEC_ANNOTATION}: not a JSON list: {exc.msg}") from None
    if not isinstance(command, list) or not command or not all(isinstance(a, str) for a in command):
        raise AgentError(f"annotation {EXEC_ANNOTATION}: not a JSON list of strings")
    return command


def node_facts(
    target: ApiTarget, agent: dict[str, Any], pod: tuple[str, str], timeout: float
) -> dict[str, Any]:
    """The facts document the agent gathers for `pod` ((namespace, name)) on its node."""
    from lightkube import ApiError, Client

    metadata = agent.get("metadata") or {}
    name, namespace = str(metadata.get("name")), str(metadata.get("namespace"))
    command = [
        *agent_command(agent),
        "facts", f"{pod[0]}/{pod[1]}", "--no-api", "--pod-on-node", "--quiet",
        "--timeout", f"{timeout:g}",
    ]  # fmt: skip
    client = Client(target.config, trust_env=False)
    try:
        done = client.exec(
            name,
            namespace=namespace,
            command=command,
            stdout=True,
            stderr=True,
            # the node's walk: the runtime's deadline per call, a few calls, the cgroup sample
            timeout=4 * timeout + 10,
        )
    except ApiError as exc:
        raise AgentError(f"exec in {namespace}/{name}: {exc.status.message}") from None
    except Exception as exc:  # a websocket or TLS failure
        raise AgentError(f"exec in {namespace}/{name}: {type(exc).__name__}: {exc}") from None
    finally:
        client.close()
    if done.exit_code:
        said = str(done.stderr or "").strip().splitlines()
        raise AgentError(
            f"{namespace}/{name} on its node: exit {done.exit_code}: {said[-1] if said else ''}"
        )
    output = str(done.stdout or "")
    if len(output) > MAX_FACTS_BYTES:
        raise AgentError(f"{namespace}/{name}: facts larger than {MAX_FACTS_BYTES >> 20} MiB")
    try:
        document: dict[str, Any] = json.loads(output)
    except json.JSONDecodeError as exc:
        raise AgentError(f"{namespace}/{name}: its output is not JSON: {exc.msg}") from None
    return document


__all__ = ["AgentError", "ApiFailure", "agent_command", "find_agent", "node_facts"]
