"""Which pods the user means, found through ListPodSandbox, and their facts from the CRI.

A query is a name, NAMESPACE/NAME, a pod uid or a sandbox id prefix. Names match the kubelet's
sandbox labels exactly (`io.kubernetes.pod.name` / `io.kubernetes.pod.namespace`), never as
crictl's substring match, so `web` does not find `web-2`. A pod is every sandbox with its
namespace and name: the kubelet makes a new sandbox when one dies, and the older NOTREADY ones
(and their exited containers) are part of the pod's story. The newest sandbox is `sandbox`.
"""

from __future__ import annotations

import difflib
import json
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from doctor.gather.context import LayerRecorder, PodQuery
from doctor.gather.cri.client import CriCallError, CriClient
from doctor.gather.cri.generated.runtime.v1 import api_pb2 as v1
from doctor.gather.cri.query import PodLookupError, PodNotFoundError

log = logging.getLogger(__name__)

NAME_LABEL = "io.kubernetes.pod.name"
NAMESPACE_LABEL = "io.kubernetes.pod.namespace"
UID_LABEL = "io.kubernetes.pod.uid"
MAX_CANDIDATES = 10


@dataclass
class PodGroup:
    """One pod: its sandboxes, newest first."""

    namespace: str
    name: str
    sandboxes: list[v1.PodSandbox] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def newest(self) -> v1.PodSandbox:
        return self.sandboxes[0]


def pod_identity(sandbox: v1.PodSandbox) -> tuple[str, str, str]:
    """(namespace, name, uid): the kubelet's labels, else the sandbox metadata."""
    labels, meta = sandbox.labels, sandbox.metadata
    return (
        labels.get(NAMESPACE_LABEL) or meta.namespace,
        labels.get(NAME_LABEL) or meta.name,
        labels.get(UID_LABEL) or meta.uid,
    )


def group(sandboxes: Iterable[v1.PodSandbox]) -> list[PodGroup]:
    """Sandboxes grouped per pod (namespace, name), newest sandbox first; pods sorted."""
    pods: dict[tuple[str, str], PodGroup] = {}
    for sandbox in sandboxes:
        namespace, name, _ = pod_identity(sandbox)
        pods.setdefault((namespace, name), PodGroup(namespace, name)).sandboxes.append(sandbox)
    for pod in pods.values():
        pod.sandboxes.sort(key=lambda s: (s.created_at, s.metadata.attempt), reverse=True)
    return [pods[key] for key in sorted(pods)]


def resolve(
    client: CriClient, query: PodQuery, everything: list[v1.PodSandbox] | None = None
) -> list[PodGroup]:
    """The one pod the query names; PodLookupError when none or several match.

    Tried in order: NAMESPACE/NAME (or a name with the namespace option) by exact labels; a bare
    name across namespaces; a pod uid; a sandbox id prefix.
    """
    text = query.text.strip()
    if "/" in text:
        namespace, _, name = text.partition("/")
        return _one(client, query, _by_labels(client, name, namespace))
    if query.namespace:
        found = _by_labels(client, text, query.namespace)
        if found:
            return _one(client, query, found)
    else:
        found = _by_labels(client, text, None)
        if found:
            return _one(client, query, found)
    by_uid = group(client.list_pod_sandbox({UID_LABEL: text}))
    if by_uid:
        return _every_sandbox(client, _one(client, query, by_uid))
    if everything is None:
        everything = client.list_pod_sandbox()
    by_prefix = group(s for s in everything if text and s.id.startswith(text))
    if query.namespace:
        by_prefix = [p for p in by_prefix if p.namespace == query.namespace]
    return _every_sandbox(client, _one(client, query, by_prefix, everything))


def _every_sandbox(client: CriClient, found: list[PodGroup]) -> list[PodGroup]:
    """A pod found by one sandbox (id prefix, uid) with all its sandboxes, by its labels."""
    complete = _by_labels(client, found[0].name, found[0].namespace)
    return complete if len(complete) == 1 else found


def _by_labels(client: CriClient, name: str, namespace: str | None) -> list[PodGroup]:
    labels = {NAME_LABEL: name}
    if namespace:
        labels[NAMESPACE_LABEL] = namespace
    return group(client.list_pod_sandbox(labels))


def _one(
    client: CriClient,
    query: PodQuery,
    found: list[PodGroup],
    everything: list[v1.PodSandbox] | None = None,
) -> list[PodGroup]:
    where = f"on this node (CRI {client.address})"
    if len(found) == 1:
        return found
    if found:
        names = ", ".join(p.key for p in found[:MAX_CANDIDATES])
        raise PodLookupError(
            f"pod {describe(query)} is ambiguous {where}: it matches {names}; "
            "give NAMESPACE/NAME or a longer id"
        )
    if everything is None:
        everything = client.list_pod_sandbox()
    known = [p.key for p in group(everything)]
    similar = similar_names(query, known)
    hint = f"similar pods: {', '.join(similar)}" if similar else pods_known(len(known))
    raise PodNotFoundError(f"pod {describe(query)} not found {where}; {hint}")


def describe(query: PodQuery) -> str:
    if query.namespace and "/" not in query.text:
        return f"{query.namespace}/{query.text}"
    return query.text


def similar_names(query: PodQuery, known: list[str]) -> list[str]:
    """Pods whose name contains the query or is close to it, for the not-found message."""
    name = query.text.rpartition("/")[2]
    containing = [key for key in known if name and name in key.rpartition("/")[2]]
    by_name = {key.rpartition("/")[2]: key for key in known}
    close = [by_name[n] for n in difflib.get_close_matches(name, list(by_name), n=5, cutoff=0.6)]
    return list(dict.fromkeys(containing + close))[:MAX_CANDIDATES]


def rfc3339(nanoseconds: int) -> str | None:
    """CRI times are nanoseconds since the epoch; 0 means not set."""
    if nanoseconds <= 0:
        return None
    at = datetime.fromtimestamp(nanoseconds / 1e9, UTC)
    return at.isoformat().replace("+00:00", "Z")


def verbose_info(info: Mapping[str, str], recorder: LayerRecorder, source: str) -> dict[str, Any]:
    """The verbose `info` map's "info" JSON (containerd's); {} when absent or unparsable."""
    raw = info.get("info")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        recorder.error(source, f"verbose info is not JSON: {exc}")
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class PodFacts:
    """What the per-pod calls leave beyond the facts, for the CRI layer's CriHandoff."""

    cgroups_paths: dict[str, str] = field(default_factory=dict)
    sandboxes: dict[str, str] = field(default_factory=dict)  # {container id: its sandbox id}
    runc_root: str | None = None
    # The runtime's own verbose answers (runtime spec, options...), for support bundles only:
    # the facts keep what rules need; `collect` keeps these as raw artifacts, redacted.
    verbose: dict[str, dict[str, Any]] = field(default_factory=dict)


def pod_facts(
    client: CriClient, pod: PodGroup, recorder: LayerRecorder, extra: PodFacts
) -> dict[str, Any]:
    """The facts of one pod: its newest sandbox and every container attempt of all of them —
    of this pod only: a pod deleted and made again under its name (a StatefulSet's) is another
    uid, whose sandboxes linger until the kubelet's garbage collection."""
    namespace, name, uid = pod_identity(pod.newest)
    facts: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": uid or None,
        "sandbox": sandbox_facts(client, pod.newest, recorder, extra),
        "containers": [],
    }
    containers: list[v1.Container] = []
    for sandbox in (s for s in pod.sandboxes if pod_identity(s)[2] == uid):
        try:
            containers += client.list_containers(sandbox.id)
        except CriCallError as exc:
            recorder.error(f"ListContainers {sandbox.id}", exc.text)
    restarts: dict[str, int] = {}
    for container in containers:
        name_ = container.metadata.name
        restarts[name_] = max(restarts.get(name_, 0), container.metadata.attempt)
    for container in sorted(containers, key=lambda c: (c.metadata.name, c.metadata.attempt)):
        fact = container_facts(client, container, recorder, extra)
        fact["restart_count"] = restarts[container.metadata.name]
        facts["containers"].append(fact)
    image_facts(client, facts["containers"], recorder)
    return facts


def sandbox_facts(
    client: CriClient, sandbox: v1.PodSandbox, recorder: LayerRecorder, extra: PodFacts
) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "id": sandbox.id,
        "state": v1.PodSandboxState.Name(sandbox.state),
        "created_at": rfc3339(sandbox.created_at),
        "ip": None,
        "runtime_handler": sandbox.runtime_handler or None,
    }
    try:
        answer = client.pod_sandbox_status(sandbox.id)
    except CriCallError as exc:
        recorder.error(f"PodSandboxStatus {sandbox.id}", exc.text)
        return facts
    status = answer.status
    facts["state"] = v1.PodSandboxState.Name(status.state)
    facts["ip"] = status.network.ip or None
    info = verbose_info(answer.info, recorder, f"PodSandboxStatus {sandbox.id}")
    extra.runc_root = extra.runc_root or runc_root(info.get("runtimeOptions"))
    extra.verbose[f"sandbox-{sandbox.id}"] = info
    return facts


def runc_root(options: Any) -> str | None:
    """runc's state root from the runtime options (`Root` in TOML, `root` in their JSON)."""
    if isinstance(options, dict):
        for key in ("root", "Root"):
            value = options.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def container_facts(
    client: CriClient, container: v1.Container, recorder: LayerRecorder, extra: PodFacts
) -> dict[str, Any]:
    """One attempt of one container, as ListContainers and ContainerStatus (verbose) tell."""
    state = v1.ContainerState.Name(container.state)
    facts: dict[str, Any] = {
        "name": container.metadata.name,
        "attempt": container.metadata.attempt,
        "id": container.id,
        "state": state,
        "created_at": rfc3339(container.created_at),
        "image": {"ref": container.image.image or None, "id": container.image_ref or None},
    }
    if container.pod_sandbox_id:
        extra.sandboxes[container.id] = container.pod_sandbox_id
    source = f"ContainerStatus {container.id}"
    try:
        answer = client.container_status(container.id)
    except CriCallError as exc:
        recorder.error(source, exc.text)
        return facts
    status = answer.status
    state = v1.ContainerState.Name(status.state)
    exited = state == "CONTAINER_EXITED"
    facts.update(
        state=state,
        exit_code=status.exit_code if exited else None,
        reason=status.reason or None,
        message=status.message or None,
        created_at=rfc3339(status.created_at),
        started_at=rfc3339(status.started_at),
        finished_at=rfc3339(status.finished_at),
        run_seconds=run_seconds(status, exited),
        image={
            "ref": status.image.image or container.image.image or None,
            "id": status.image_ref or container.image_ref or None,
        },
        log_path=status.log_path or None,
    )
    info = verbose_info(answer.info, recorder, source)
    extra.verbose[f"container-{container.id}"] = info
    pid = info.get("pid")

    facts["pid"] = pid if isinstance(pid, int) and pid > 0 else None
    spec = _obj(info, "runtimeSpec")
    args = _obj(spec, "process").get("args")
    facts["command"] = [str(a) for a in args] if isinstance(args, list) else None
    facts["resources"] = resources(spec, status)
    cgroups_path = _obj(spec, "linux").get("cgroupsPath")
    if isinstance(cgroups_path, str) and cgroups_path:
        extra.cgroups_paths[container.id] = cgroups_path
    extra.runc_root = extra.runc_root or runc_root(info.get("runtimeOptions"))
    if state == "CONTAINER_RUNNING":
        facts["stats"] = stats(client, container.id, recorder)
    return facts


def run_seconds(status: v1.ContainerStatus, exited: bool) -> float | None:
    """How long the attempt ran: until it finished, or until now while it runs."""
    if status.started_at <= 0:
        return None
    end = status.finished_at if exited else time.time_ns()
    if end <= 0:
        return None
    # containerd stamps started_at after the task started: a process that exits at once can
    # finish "before" it started.
    return round(max(0, end - status.started_at) / 1e9, 3)


def resources(spec: Mapping[str, Any], status: v1.ContainerStatus) -> dict[str, Any] | None:
    """Limits as the runtime spec applied them (linux.resources, process.oomScoreAdj); the
    CRI's own ContainerStatus.resources when there is no spec."""
    applied = spec_resources(spec)
    if applied is not None:
        return applied
    if status.HasField("resources") and status.resources.HasField("linux"):
        cri = status.resources.linux
        return {
            "cpu_period": cri.cpu_period or None,
            "cpu_quota": cri.cpu_quota or None,
            "cpu_shares": cri.cpu_shares or None,
            "memory_limit_bytes": cri.memory_limit_in_bytes or None,
            "pids_limit": None,
            "oom_score_adj": cri.oom_score_adj,
        }
    return None


def spec_resources(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """Limits as an OCI runtime spec (the verbose info's `runtimeSpec`) applied them; None when
    it has no linux section. Also read from a pasted `crictl inspect` (doctor/paste)."""
    if not isinstance(spec.get("linux"), dict):
        return None
    applied = _obj(spec["linux"], "resources")
    cpu, memory = _obj(applied, "cpu"), _obj(applied, "memory")
    return {
        "cpu_period": _int(cpu.get("period")),
        "cpu_quota": _int(cpu.get("quota")),
        "cpu_shares": _int(cpu.get("shares")),
        "memory_limit_bytes": _int(memory.get("limit")),
        "pids_limit": _int(_obj(applied, "pids").get("limit")),
        "oom_score_adj": _int(_obj(spec, "process").get("oomScoreAdj")),
    }


def _obj(mapping: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A JSON object member, or {} when it is missing or not an object."""
    value = mapping.get(key)
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _wrapped(message: Any, name: str) -> int | None:
    """A UInt64Value field's value, or None when the runtime did not set it."""
    return int(getattr(message, name).value) if message.HasField(name) else None


def stats(client: CriClient, container_id: str, recorder: LayerRecorder) -> dict[str, Any] | None:
    """ContainerStats of a running container: CPU time, memory, writable layer."""
    try:
        answer = client.container_stats(container_id).stats
    except CriCallError as exc:
        recorder.error(f"ContainerStats {container_id}", exc.text)
        return None
    return {
        "cpu_usage_core_nanoseconds": _wrapped(answer.cpu, "usage_core_nano_seconds"),
        "memory_working_set_bytes": _wrapped(answer.memory, "working_set_bytes"),
        "memory_usage_bytes": _wrapped(answer.memory, "usage_bytes"),
        "writable_layer_used_bytes": _wrapped(answer.writable_layer, "used_bytes"),
    }


def image_facts(
    client: CriClient, containers: list[dict[str, Any]], recorder: LayerRecorder
) -> None:
    """ImageStatus once per image of the pod: its id, and whether the node still has it."""
    seen: dict[str, v1.Image | None] = {}
    for container in containers:
        image = container.get("image") or {}
        ref = image.get("ref")
        if not ref:
            continue
        if ref not in seen:
            try:
                answer = client.image_status(ref)
                seen[ref] = answer.image if answer.HasField("image") else None
            except CriCallError as exc:
                recorder.error(f"ImageStatus {ref}", exc.text)
                continue
        found = seen[ref]
        image["present"] = found is not None
        if found is not None and not image.get("id"):
            image["id"] = found.id or None


def pods_known(count: int) -> str:
    """How many pods the runtime knows, said as a person would ("1 pod is known")."""
    return f"{count} pod is known" if count == 1 else f"{count} pods are known"
