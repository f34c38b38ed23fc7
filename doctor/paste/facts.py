"""What a paste holds, into a facts document: on top of a bundle's or kubectl output's, or alone.

Each layer the paste gives facts of is examined (`ok`); the others keep what they had (`absent`
with NO_PASTE_DATA when the paste is all there is). Log lines are selected as the live
gatherers select them (gather/logs/selection.py: the node-level lines that matter, each pod's
own lines; node.KERNEL_TROUBLE for the kernel's), so a rule sees a pasted journal as it would
see the node's.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from doctor import __version__
from doctor.apiserver.facts import NO_NODE_DATA
from doctor.facts.document import SCHEMA_VERSION, PodRef
from doctor.gather.logs.daemons import Writer
from doctor.gather.logs.formats import LogLine
from doctor.gather.logs.selection import (
    NODE_LINES_MAX,
    POD_LINES_MAX,
    assign_pod_lines,
    node_lines,
)
from doctor.gather.logs.sources import RawLog
from doctor.gather.node import KERNEL_LOG_LINES
from doctor.layers import LAYER_NAMES
from doctor.paste import disks, events, oomkills, runtime, units
from doctor.paste.container import LogsCommand
from doctor.paste.cri_client import CriFailure
from doctor.paste.kinds import start_error
from doctor.paste.logs import bare_line, kernel_lines, parse_daemon_entry
from doctor.paste.place import ContainerLog, DescribedState, Pasted, StartError, StatusMessage
from doctor.paste.proc_cgroup import ProcessCgroup

NO_PASTE_DATA = "no node data: not in the pasted text (nor kubectl output)"
LOG_TAIL_MAX = 1000  # the schema's maxItems of a container's log_tail
UNKNOWN = "unknown"
_LAYER_LOG = {Writer.KUBELET: ("kubelet", "log"), Writer.RUNTIME: ("containerd", "log")}
_POD_LOG = {Writer.KUBELET: "kubelet_log", Writer.RUNTIME: "containerd_log"}


def paste_only_document(host: str | None) -> dict[str, Any]:
    """The document a paste with no kubectl output and no bundle starts from."""
    return {
        "schema": SCHEMA_VERSION,
        "collected": {
            "at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "host": host or "unknown-node",
            "stackdoctor": __version__,
            "source": "paste",
        },
        "layers": {
            name: {"status": "absent", "errors": [{"source": "paste", "message": NO_PASTE_DATA}]}
            for name in LAYER_NAMES
        },
        "pods": [],
    }


def apply_paste(
    document: dict[str, Any], pasted: Pasted, pod: PodRef | None, reference: datetime
) -> list[str]:
    """Fill `document` (in place) from the paste; the notes of what could not be placed."""
    notes: list[str] = []
    about = _user_pod(document["pods"], pod)
    for section in document["layers"].values():
        for error in section.get("errors") or []:
            if section.get("status") != "ok" and error.get("message") == NO_NODE_DATA:
                error.update(source="paste", message=NO_PASTE_DATA)
    notes += _apply_runtime(document, pasted.runtime, pod)
    _apply_cri_client(document, pasted.cri_client)
    _apply_kubectl_errors(document, pasted, pod)
    if pasted.healthz is not None:
        _examined(document, "kubelet")
        document["layers"]["kubelet"].setdefault("healthz", pasted.healthz)
    _apply_node_lines(document, pasted)
    _apply_forwarding(document, pasted.forwarding)
    for log in pasted.container_logs:
        note = _place_container_log(document, log, pod)
        if note:
            notes.append(note)
    if not document["pods"] and pod is None:
        document["pods"] = _pods_named_in(
            [*pasted.logs.entries[Writer.KUBELET], *pasted.logs.entries[Writer.RUNTIME]]
        )
    for error in pasted.start_errors:
        note = _place_start_error(document, error, pod)
        if note:
            notes.append(note)
    for described in pasted.described_states:
        note = _place_described_state(document, described, pod)
        if note:
            notes.append(note)
    for status in pasted.status_messages:
        note = _place_status_message(document, status, pod)
        if note:
            notes.append(note)
    notes += _place_process_cgroups(document, pasted.process_cgroups, pod)
    if pasted.events:
        notes.extend(_place_events(document, pasted.events, about, pod))
    for writer, (layer, key) in _LAYER_LOG.items():
        found = pasted.logs.entries[writer]
        if found:
            raw = RawLog(found, lambda entry: parse_daemon_entry(entry, reference))
            _examined(document, layer)
            section = document["layers"][layer]
            section[key] = _merged(section.get(key), node_lines(raw), NODE_LINES_MAX)
            _assign(document["pods"], raw, _POD_LOG[writer])
            if about is not None:
                _credit(about, raw, _POD_LOG[writer])
    _apply_units(document, pasted)
    kernel = pasted.logs.entries[Writer.KERNEL]
    if kernel:
        _examined(document, "node")
        node = document["layers"]["node"]
        lines = kernel_lines(kernel, reference, KERNEL_LOG_LINES)
        node["kernel_log"] = _merged(node.get("kernel_log"), lines, KERNEL_LOG_LINES)
        notes += _place_memcg_kills(document, pod)
    _apply_agent_lines(document, pasted.logs.entries[Writer.AGENTS], reference)
    if pasted.df_tables:
        found_disks = disks.disks(pasted.df_tables)
        if found_disks:
            _examined(document, "node")
            node = document["layers"]["node"]
            pasted_paths = {d["path"] for d in found_disks}
            kept = [d for d in node.get("disks") or [] if d["path"] not in pasted_paths]
            node["disks"] = kept + found_disks
        else:
            notes.append("df output: no filesystem holding the stack's directories")
    return notes


# How the kubelet and containerd name a pod in a line: klog's `pod="ns/name"` (and
# `podUID="..."` beside it), `pods=["ns/name"]`, the kubelet's older `name_ns(uid)`
# (format.Pod), containerd's `&PodSandboxMetadata{Name:...,Uid:...,Namespace:...,`, and the
# kubelet 1.5's pod worker naming it by its UID alone (pod_workers.go: "Error syncing pod %v,
# skipping: %v" of the pod's UID).
_POD_NAMES = re.compile(
    r'\bpods?=\\?\[?\\?"(?P<ns>[a-z0-9-]+)/(?P<name>[a-z0-9.-]+)\\?"'
    r'(?:[^\n]*?\bpodUID=\\?"?(?P<uid>[0-9a-f-]{36}))?'
    r"|(?P<name2>[a-z0-9][a-z0-9.-]*)_(?P<ns2>[a-z0-9-]+)\((?P<uid2>[0-9a-f-]{36})\)"
    r"|PodSandboxMetadata\{Name:(?P<name3>[^,]+),Uid:(?P<uid3>[^,]*),Namespace:(?P<ns3>[^,]+),"
    r"|\bError syncing pod (?P<uid4>[0-9a-f]{8}-[0-9a-f-]{27}), skipping"
)
PODS_FROM_LINES_MAX = 50  # a journal of a whole node names hundreds: the first ones are kept


def _pods_named_in(entries: list[str]) -> list[dict[str, Any]]:
    """The pods the daemons' lines name, when nothing else says which pods there are: made
    (with no containers) so each gets its own lines and pod-level rules see them."""
    pods: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        for match in _POD_NAMES.finditer(entry):
            found = match.groupdict()
            # a pod named by its UID alone: its name and namespace not known, the UID stands
            # for its name (and finds its lines: selection matches a pod's UID)
            namespace = found["ns"] or found["ns2"] or found["ns3"] or UNKNOWN
            name = found["name"] or found["name2"] or found["name3"] or found["uid4"]
            uid = found["uid"] or found["uid2"] or found["uid3"] or found["uid4"] or None
            if (namespace, name) not in pods:
                if len(pods) == PODS_FROM_LINES_MAX:
                    continue
                pods[(namespace, name)] = {"name": name, "namespace": namespace, "containers": []}
            if uid and not pods[(namespace, name)].get("uid"):
                pods[(namespace, name)]["uid"] = uid
    return list(pods.values())


def _apply_runtime(document: dict[str, Any], found: runtime.Found, pod: PodRef | None) -> list[str]:
    """The sandboxes and container attempts crictl or docker printed, each into its pod (made
    when the facts have none of that name); a note for those whose pod cannot be told."""
    if not found.sandboxes and not found.containers:
        return []
    pods: list[dict[str, Any]] = document["pods"]
    _examined(document, "cri")
    for key, sandbox in found.sandboxes:
        target = _pod_named(pods, key.namespace or "default", key.name or UNKNOWN)
        if key.uid and not target.get("uid"):
            target["uid"] = key.uid
        known = target.get("sandbox")
        if not known:
            target["sandbox"] = sandbox
        elif known.get("id") == sandbox.get("id"):
            known.update(sandbox)
        elif sandbox.get("state") == "SANDBOX_READY" != known.get("state"):
            # the pod's sandbox is its newest: crictl lists newest first, and a ready one is
            # the one that replaced the dead
            target["sandbox"] = sandbox
    notes = []
    homeless = 0
    for key, container in found.containers:
        owner = _container_pod(pods, key, pod)
        if owner is None:
            homeless += 1
            continue
        if key.uid and not owner.get("uid"):
            owner["uid"] = key.uid
        _merge_container(owner, container)
    if homeless:
        notes.append(
            f"{homeless} container(s) from crictl/docker output with no pod named: give --pod,"
            " or paste `crictl pods` (whose POD IDs they name) with it"
        )
    return notes


def _apply_node_lines(document: dict[str, Any], pasted: Pasted) -> None:
    """sysctl's limits into the node's; a Taints line's conditions into the apiserver layer's,
    where no describe node or node JSON gave them."""
    if pasted.limits:
        _examined(document, "node")
        node = document["layers"]["node"]
        node["limits"] = (node.get("limits") or {}) | pasted.limits
    if pasted.node_conditions:
        _examined(document, "apiserver")
        apiserver = document["layers"]["apiserver"]
        apiserver.setdefault("source", "pasted text")
        known = apiserver.setdefault("node_conditions", [])
        types = {c["type"] for c in known}
        known += [c for c in pasted.node_conditions if c["type"] not in types]


def _apply_agent_lines(document: dict[str, Any], found: list[str], reference: datetime) -> None:
    """The node's other agents' lines (kube-proxy, flanneld) into the node's log of them,
    selected as their live reading is (gather/node.py): node-level lines, for no pod."""
    if not found:
        return
    raw = RawLog(found, lambda entry: parse_daemon_entry(entry, reference))
    _examined(document, "node")
    node = document["layers"]["node"]
    node["agent_log"] = _merged(node.get("agent_log"), node_lines(raw), NODE_LINES_MAX)


def _apply_forwarding(document: dict[str, Any], told: dict[str, Any]) -> None:
    """The forwarding settings kubeadm's checks told, over what the facts had (the checks ran
    on the node when the user pasted them)."""
    if not told:
        return
    _examined(document, "node")
    node = document["layers"]["node"]
    node["forwarding"] = (node.get("forwarding") or {}) | told


def _apply_cri_client(document: dict[str, Any], failures: list[CriFailure]) -> None:
    """What a CRI client (crictl, kubeadm's check) met, as the live gatherer records its own
    calls: each error with what was asked, the endpoint, and the first failure's status."""
    if not failures:
        return
    _examined(document, "cri")
    cri = document["layers"]["cri"]
    for failure in failures:
        if failure.endpoint and not cri.get("endpoint"):
            cri["endpoint"] = failure.endpoint
        if failure.endpoint_source and not cri.get("endpoint_source"):
            cri["endpoint_source"] = failure.endpoint_source
        if failure.message is not None:
            error = {"source": failure.source, "message": failure.message}
            if failure.origin:
                error["origin"] = failure.origin
            cri["errors"].append(error)
        if failure.status is not None and cri["status"] == "ok":
            cri["status"] = failure.status.value


def _apply_kubectl_errors(document: dict[str, Any], pasted: Pasted, pod: PodRef | None) -> None:
    """The container states kubectl's errors tell, and the runtime's exec failures of the pod
    the command named, each in its pod."""
    pods: list[dict[str, Any]] = document["pods"]
    for state in pasted.container_states:
        owner = _pod_named(pods, _namespace(pods, state.namespace, state.pod, pod), state.pod)
        _examined(document, "apiserver")
        attempts = [c for c in owner["containers"] if c["name"] == state.container]
        if not attempts:
            owner["containers"].append({"name": state.container, "attempt": 0})
            attempts = owner["containers"][-1:]
        newest = max(attempts, key=lambda c: c["attempt"])
        if newest.get("state") is None:
            newest["state"] = state.state
        if newest.get("reason") is None and state.reason is not None:
            newest["reason"] = state.reason
    for command, line in pasted.pod_runtime_lines:
        name = command.pod or UNKNOWN
        owner = _pod_named(pods, _namespace(pods, command.namespace, name, pod), name)
        owner["containerd_log"] = _merged(
            owner.get("containerd_log"), [bare_line(line)], POD_LINES_MAX
        )


def _namespace(pods: list[dict[str, Any]], said: str | None, name: str, pod: PodRef | None) -> str:
    """A pod's namespace: as the command said, --pod's for that pod, the only pod of that name
    in the facts, else `default` (kubectl's)."""
    if said:
        return said
    if pod is not None and pod.name == name:
        return pod.namespace
    named = [p["namespace"] for p in pods if p["name"] == name]
    return named[0] if len(named) == 1 else "default"


def _pod_named(pods: list[dict[str, Any]], namespace: str, name: str) -> dict[str, Any]:
    for known in pods:
        if known["name"] == name and known["namespace"] == namespace:
            return known
    made: dict[str, Any] = {"name": name, "namespace": namespace, "containers": []}
    pods.append(made)
    return made


def _container_pod(
    pods: list[dict[str, Any]], key: runtime.PodKey, pod: PodRef | None
) -> dict[str, Any] | None:
    """Whose container this is: its labels, its sandbox's id (a table prints a prefix), the
    pod name a newer crictl prints, --pod, or the only pod there is."""
    if key.name and key.namespace:
        return _pod_named(pods, key.namespace, key.name)
    if key.sandbox_id:
        for known in pods:
            sandbox_id = (known.get("sandbox") or {}).get("id") or ""
            if sandbox_id and (
                sandbox_id.startswith(key.sandbox_id) or key.sandbox_id.startswith(sandbox_id)
            ):
                return known
    if key.name:
        named = [p for p in pods if p["name"] == key.name]
        return named[0] if len(named) == 1 else _pod_named(pods, "default", key.name)
    if pod is not None:
        return _pod_named(pods, pod.namespace, pod.name)
    return pods[0] if len(pods) == 1 else None


def _merge_container(pod: dict[str, Any], container: dict[str, Any]) -> None:
    """An attempt the pod already has (describe, pod JSON) gets the fields it lacked; a new one
    is added. The restart count, when nothing said it, is the newest attempt's number."""
    containers: list[dict[str, Any]] = pod["containers"]
    same = next(
        (
            c
            for c in containers
            if c["name"] == container["name"] and c["attempt"] == container["attempt"]
        ),
        None,
    )
    if same is None:
        containers.append(container)
    else:
        for field, value in container.items():
            if same.get(field) is None:
                same[field] = value
    attempts = [c for c in containers if c["name"] == container["name"]]
    newest = max(c["attempt"] for c in attempts)
    for attempt in attempts:
        if attempt.get("restart_count") is None:
            attempt["restart_count"] = newest


def _apply_units(document: dict[str, Any], pasted: Pasted) -> None:
    """The kubelet's and containerd's process state, as systemd told it: `systemctl status`
    (what it was when the user ran it) over systemd's journal lines."""
    found: dict[str, units.UnitState] = {}
    for writer in (Writer.KUBELET, Writer.RUNTIME):
        found |= units.journal_states(pasted.logs.entries[writer])
    found |= {state.layer: state for state in pasted.units}
    for layer, state in found.items():
        _examined(document, layer)
        section = document["layers"][layer]
        for key in ("active_state", "running", "pid"):
            value = getattr(state, key)
            if value is not None:
                section[key] = value


def _user_pod(pods: list[dict[str, Any]], pod: PodRef | None) -> dict[str, Any] | None:
    """The pod the user said the paste is about (`--pod`): the one in the facts, or made
    (with no containers yet) so the paste's evidence has a subject."""
    if pod is None:
        return None
    for known in pods:
        if known["name"] == pod.name and known["namespace"] == pod.namespace:
            return known
    made: dict[str, Any] = {"name": pod.name, "namespace": pod.namespace, "containers": []}
    pods.append(made)
    return made


# a klog/logrus line about a pod names it: pod="ns/name", pods=["ns/name"], pod ns/name
_NAMES_A_POD = re.compile(r'\bpods?=\\?\[?\\?"(?P<ref>[^"\\]+)|\bpod "(?P<quoted>[^"]+)"')


def _credit(about: dict[str, Any], raw: RawLog, field: str) -> None:
    """The user said whose the paste is: its lines that name no other pod are this pod's too
    (docs/diagnosis.md, evidence and its subject), after the lines that name it."""
    own = f"{about['namespace']}/{about['name']}"
    credited = []
    for line in raw.lines():
        text = line.get("raw") or line.get("message") or ""
        named = {m.group("ref") or m.group("quoted") for m in _NAMES_A_POD.finditer(text)}
        if not named or any(own in ref or about["name"] in ref for ref in named):
            credited.append(line)
    about[field] = _merged(about.get(field), credited, POD_LINES_MAX)


def _place_events(
    document: dict[str, Any],
    found: list[events.PastedEvent],
    about: dict[str, Any] | None,
    pod: PodRef | None,
) -> list[str]:
    """The node's events are its events, and give its conditions (events.node_conditions)
    where no describe node or node JSON did; each pod's event goes to its pod: the one the text
    names, else the pod the paste is about (`--pod`, or the only pod), else pod default/unknown
    (said, as for a container's log)."""
    pods: list[dict[str, Any]] = document["pods"]
    notes: list[str] = []
    node = [e for e in found if e.event["reason"] in events.NODE_REASONS]
    if node:
        _examined(document, "apiserver")
        apiserver = document["layers"]["apiserver"]
        apiserver.setdefault("source", "pasted events")
        conditions = events.node_conditions(node)
        if conditions and not apiserver.get("node_conditions"):
            apiserver["node_conditions"] = conditions
        had = apiserver.setdefault("node_events", [])
        had += [e.event for e in node if e.event not in had]
    for pasted in found:
        if pasted.event["reason"] in events.NODE_REASONS:
            continue
        target = about
        if pasted.pod is not None:
            namespace = _namespace(pods, pasted.namespace, pasted.pod, pod)
            target = _pod_named(pods, namespace, pasted.pod)
        elif target is None and len(pods) == 1:
            target = pods[0]
        elif target is None and pods:
            notes.append(
                f"pasted events without their pod, and {len(pods)} pods are in the facts:"
                " give --pod"
            )
            continue
        elif target is None:
            target = _pod_named(pods, "default", UNKNOWN)
            notes.append(
                f"pasted events with no pod named: read as pod default/{UNKNOWN}"
                " (give --pod NAMESPACE/NAME)"
            )
        had = target.setdefault("events", [])
        if pasted.event not in had:
            had.append(pasted.event)
        _examined(document, "apiserver")
        _start_failure(target, pasted.event)
    return list(dict.fromkeys(notes))


def _start_failure(pod: dict[str, Any], event: dict[str, Any]) -> None:
    """The kubelet's event for a container the runtime refused to start (kuberuntime's
    startContainer records Failed, "Error: " and the runtime's message) tells that container's
    status as a start error pasted alone does (_START_FAILED), where nothing else told it: the
    pod's only container."""
    message = event.get("message") or ""
    if event.get("reason") != "Failed" or not message.startswith("Error: "):
        return
    if not start_error(message):
        return
    container = _container(pod, None, previous=False)
    if container is None or container.get("state"):
        return
    container.update(_START_FAILED, message=message.removeprefix("Error: "))


def _examined(document: dict[str, Any], layer: str) -> None:
    """The layer has facts now: `ok`, without the "no data" notes of a document made without
    node data."""
    section = document["layers"][layer]
    if section.get("status") != "ok":
        errors = section.get("errors") or []
        section["status"] = "ok"
        section["errors"] = [
            e for e in errors if e.get("message") not in (NO_NODE_DATA, NO_PASTE_DATA)
        ]


def _merged(before: list[LogLine] | None, pasted: list[LogLine], keep: int) -> list[LogLine]:
    """The lines a document had, then the pasted ones it lacked; the newest `keep`."""
    seen = {line.get("raw") or line["message"] for line in before or []}
    added = [line for line in pasted if (line.get("raw") or line["message"]) not in seen]
    return [*(before or []), *added][-keep:]


def _assign(pods: list[dict[str, Any]], raw: RawLog, field: str) -> None:
    """Each pod's own lines (selection.assign_pod_lines), added to those it had."""
    if not pods:
        return
    had = {id(pod): pod.get(field) for pod in pods}
    assign_pod_lines(pods, raw, field)
    for pod in pods:
        before = had[id(pod)]
        if before:
            pod[field] = _merged(before, pod[field], len(before) + len(pod[field]))


def _place_container_log(
    document: dict[str, Any], log: ContainerLog, pod: PodRef | None
) -> str | None:
    """Put a container's output in its attempt's log_tail (the process layer); a note when
    whose it is cannot be told."""
    container, note = _whose(document, log.command, pod, log.where, "a container's log")
    if container is None:
        return note
    container["log_tail"] = list(log.lines[-LOG_TAIL_MAX:])
    _examined(document, "process")
    return note


# What containerd's CRI records for a container whose start failed (StartContainer's deferred
# cleanup, pkg/cri/server/container_start.go: errorStartReason, errorStartExitCode "the same
# with Docker's behavior"): exited, 128, StartError, the error as its message.
_START_FAILED = {"state": "CONTAINER_EXITED", "exit_code": 128, "reason": "StartError"}


def _place_start_error(
    document: dict[str, Any], error: StartError, pod: PodRef | None
) -> str | None:
    """The runtime's refusal to start a container, as that container's status (what the CRI
    would report for it); a note when whose it is cannot be told."""
    container, note = _whose(document, LogsCommand(), pod, error.where, "a container's start error")
    if container is None:
        return note
    container["message"] = error.message
    if not container.get("state"):
        container.update(_START_FAILED)
    return note


def _place_memcg_kills(document: dict[str, Any], pod: PodRef | None) -> list[str]:
    """The kernel's memory-cgroup OOM kills of a container's process (oomkills.py) counted in
    that container's cgroup, as its memory.events would count them: the container the cgroup
    path names, else the one the paste is about (--pod, the only pod, else default/unknown,
    said); with several processes killed and no pod to tell, whose is not guessed."""
    kernel = document["layers"]["node"].get("kernel_log") or []
    kills = [k for k in oomkills.memcg_kills(line["message"] for line in kernel) if k.a_containers]
    pods: list[dict[str, Any]] = document["pods"]
    counted: dict[int, tuple[dict[str, Any], int]] = {}
    unnamed: list[oomkills.MemcgKill] = []
    notes: list[str] = []
    for kill in kills:
        owner = next((p for p in pods if kill.pod_uid and p.get("uid") == kill.pod_uid), None)
        container = _container_by_id(owner, kill.container_id) if owner else None
        if container is not None:
            known = counted.get(id(container), (container, 0))
            counted[id(container)] = (container, known[1] + 1)
        elif owner is None:
            unnamed.append(kill)
    uids = {k.pod_uid for k in unnamed if k.pod_uid}
    one_subject = len(uids) <= 1 and (
        len({k.comm for k in unnamed}) == 1 or pod is not None or len(pods) == 1
    )
    if unnamed and one_subject:
        what = "a memory-cgroup OOM kill"
        container, note = _whose(document, LogsCommand(), pod, "the kernel log", what)
        if note:
            notes.append(note)
        if container is not None:
            known = counted.get(id(container), (container, 0))
            counted[id(container)] = (container, known[1] + len(unnamed))
            owner = next(p for p in pods if any(c is container for c in p["containers"]))
            if uids and not owner.get("uid"):
                owner["uid"] = uids.pop()
    elif unnamed:
        names = ", ".join(sorted({k.comm for k in unnamed}))
        notes.append(f"memory-cgroup OOM kills of {names}: whose container? give --pod")
    for container, count in counted.values():
        memory = (container.get("cgroup") or {}).get("memory") or {}
        if memory.get("oom_kill_events") is None:
            memory["oom_kill_events"] = count
            container["cgroup"] = (container.get("cgroup") or {}) | {"memory": memory}
            _examined(document, "process")
    return notes


def _place_process_cgroups(
    document: dict[str, Any], found: list[ProcessCgroup], pod: PodRef | None
) -> list[str]:
    """A container process's /proc/PID/cgroup into its attempt's cgroup.path, as the process
    gatherer reads the live file: the pod its path's uid names (else the paste's pod, else one
    named by that uid, as a kubelet line naming a pod by uid makes), the attempt its id names
    (made when the pod has none); a note when whose container it is cannot be told."""
    pods: list[dict[str, Any]] = document["pods"]
    notes: list[str] = []
    for cgroup in found:
        uid = cgroup.pod_uid
        owner = next((p for p in pods if uid and p.get("uid") == uid), None)
        if owner is None and pod is not None:
            owner = _pod_named(pods, pod.namespace, pod.name)
            if uid and owner.get("uid") not in (None, uid):
                owner = None  # the user's pod is another
        if owner is None:
            owner = _pod_named(pods, UNKNOWN, uid or UNKNOWN)
        if uid and not owner.get("uid"):
            owner["uid"] = uid
        container = _container_by_id(owner, cgroup.container_id)
        if container is None and owner["containers"]:
            names = ", ".join(sorted({c["name"] for c in owner["containers"]}))
            notes.append(f"{cgroup.path}: a process's cgroup, but which of {names}?")
            continue
        if container is None:
            container = {"name": UNKNOWN, "attempt": 0}
            owner["containers"].append(container)
        if cgroup.container_id and not container.get("id"):
            container["id"] = cgroup.container_id
        known = container.get("cgroup") or {}
        if not known.get("path"):
            container["cgroup"] = known | {"path": cgroup.path}
        _examined(document, "process")
    return notes


def _container_by_id(pod: dict[str, Any], container_id: str | None) -> dict[str, Any] | None:
    """The attempt whose id is `container_id`, else the pod's only container's newest run."""
    attempts: list[dict[str, Any]] = pod["containers"]
    for attempt in attempts:
        known = attempt.get("id") or ""
        if (
            container_id
            and known
            and (known.startswith(container_id) or container_id.startswith(known))
        ):
            return attempt
    return _container(pod, None, previous=False) if attempts else None


def _place_described_state(
    document: dict[str, Any], described: DescribedState, pod: PodRef | None
) -> str | None:
    """A describe State block's attempts into the container it is about (as a container's
    log's: --pod, the only pod and its only container); what the facts said already stays."""
    where, what = described.where, "a container's State block"
    container, note = _whose(document, LogsCommand(), pod, where, what)
    if container is None:
        return note
    owner = next(p for p in document["pods"] if any(c is container for c in p["containers"]))
    if set(container) == {"name", "attempt"}:
        owner["containers"].remove(container)  # made by _whose for want of one: the block's
    for attempt in described.attempts:
        same = next(
            (
                c
                for c in owner["containers"]
                if c["name"] == container["name"] and c["attempt"] == attempt["attempt"]
            ),
            None,
        )
        if same is None:
            owner["containers"].append({"name": container["name"], **attempt})
        elif not same.get("state"):
            same.update({k: v for k, v in attempt.items() if same.get(k) is None})
    _examined(document, "apiserver")
    return note


def _place_status_message(
    document: dict[str, Any], status: StatusMessage, pod: PodRef | None
) -> str | None:
    """A container's pasted status message, with the state it tells, as that container's; a
    note when whose it is cannot be told."""
    container, note = _whose(
        document, LogsCommand(), pod, status.where, "a container's status message"
    )
    if container is None:
        return note
    container["message"] = status.message
    if not container.get("state"):
        container.update(status.state)
    _examined(document, "apiserver")
    return note


def _whose(
    document: dict[str, Any], command: LogsCommand, pod: PodRef | None, where: str, what: str
) -> tuple[dict[str, Any] | None, str | None]:
    """The container attempt a pasted text of one container is about (the command that printed
    it, `--pod`, the only pod), made when the facts lack it; with a note when it cannot be told
    or was guessed."""
    pods: list[dict[str, Any]] = document["pods"]
    name = command.pod or (pod.name if pod else None)
    target: dict[str, Any] | None = None
    note = None
    if name is not None:
        namespace = command.namespace or (pod.namespace if pod and pod.name == name else None)
        target = next(
            (p for p in pods if p["name"] == name and namespace in (None, p["namespace"])), None
        )
        if target is None:
            target = {"name": name, "namespace": namespace or "default", "containers": []}
            pods.append(target)
    elif len(pods) == 1:
        target = pods[0]
    elif pods:
        return None, (
            f"{where}: {what}, but whose? {len(pods)} pods are in the facts:"
            " give --pod, or paste the `kubectl logs POD -c NAME` line before it"
        )
    else:
        target = {"name": UNKNOWN, "namespace": "default", "containers": []}
        pods.append(target)
        note = (
            f"{where}: {what} with no pod named: read as pod default/{UNKNOWN}"
            " (give --pod NAMESPACE/NAME)"
        )
    container = _container(target, command.container, command.previous)
    if container is None:
        names = sorted({c["name"] for c in target["containers"]})
        return None, (
            f"{where}: {what}, but pod {target['namespace']}/{target['name']} has"
            f" containers {', '.join(names)}: paste the `kubectl logs POD -c NAME` line before it"
        )
    return container, note


def _container(pod: dict[str, Any], name: str | None, previous: bool) -> dict[str, Any] | None:
    """The attempt whose output `kubectl logs` shows: the newest that ran (a container waiting
    in back-off shows its last run's), or with --previous the one before it."""
    containers: list[dict[str, Any]] = pod["containers"]
    names = {c["name"] for c in containers}
    if name is None:
        if len(names) > 1:
            return None
        name = next(iter(names), UNKNOWN)
    attempts = sorted(
        (c for c in containers if c["name"] == name), key=lambda c: c["attempt"], reverse=True
    )
    ran = [c for c in attempts if c.get("state") != "CONTAINER_WAITING"]
    # --previous: the run before the current one; a waiting attempt has not run, so the last
    # run is already the previous one
    waiting = bool(attempts) and attempts[0].get("state") == "CONTAINER_WAITING"
    skip = 1 if previous and not waiting and len(ran) > 1 else 0
    chosen = ran[skip] if ran else attempts[0] if attempts else None
    if chosen is None:
        chosen = {"name": name, "attempt": 0}
        containers.append(chosen)
    return chosen
