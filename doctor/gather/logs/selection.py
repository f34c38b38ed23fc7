"""Which log lines reach the rules: the node-level lines that matter, and each pod's own.

The node-level lines that match a `NODE_PATTERNS` entry at its level (newest `NODE_LINES_MAX`)
become the layer's `log`; a line no pattern keeps is never seen by a rule reading
`$.layers.kubelet.log` or `$.layers.containerd.log`. The orchestrator later hands every line to
`assign_pod_lines`, which keeps each pod's own lines (newest `POD_LINES_MAX`) in `kubelet_log` /
`containerd_log`.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from doctor.gather.context import GatherContext, GatherOptions, LayerRecorder
from doctor.gather.host import Host
from doctor.gather.logs.formats import LogLine, header_level, severity_rank
from doctor.gather.logs.sources import LogSource, RawLog, read_raw_log

NODE_LINES_MAX = 500
POD_LINES_MAX = 200


@dataclass(frozen=True)
class NodePattern:
    name: str
    regex: re.Pattern[str]
    min_rank: int  # lower-severity lines are not kept (a line without a level always is)
    reason: str


def _pattern(name: str, regex: str, min_rank: int, reason: str) -> NodePattern:
    return NodePattern(name, re.compile(regex), min_rank, reason)


WARN, INFO, FATAL = 1, 0, 3
NODE_PATTERNS: tuple[NodePattern, ...] = (
    _pattern("pleg", r"PLEG is not healthy", WARN,
             "the kubelet stops syncing pods; the node goes NotReady"),
    _pattern("pleg-info",
             r"skipping pod synchronization - \[PLEG is not healthy"
             r"|Node became not ready: .*PLEG is not healthy", INFO,
             "kubelets before 1.14 log the PLEG stall at info (kubelet.go syncLoop, and"
             " kubelet_node_status.go when the node turns NotReady)"),
    _pattern("runtime-not-ready",
             r"[Cc]ontainer runtime (?:network )?not ready|container runtime is down"
             r"|Container runtime sanity check failed", WARN,
             "runtime / network readiness the kubelet reports every few seconds"),
    _pattern("cni",
             r"cni plugin not initialized|cni config uninitialized|no network config found in"
             r"|no valid networks found in|[Nn]o CNI configuration file in"
             r"|failed to find plugin|failed to load cni"
             r"|(?:Error loading|failed to load) CNI config|failed to set bridge addr"
             r"|failed to (?:setup|destroy) network for sandbox|incompatible CNI versions"
             r"|no IP addresses available|(?i:no available IPv[46] addresses)", WARN,
             "CNI configuration, binaries and IPAM: pods stay in ContainerCreating"),
    _pattern("eviction", r"(?i:eviction manager:)", INFO,
             "the eviction manager logs what it reclaims and evicts at info level"),
    _pattern("cgroup",
             r"cgroup driver|cgroupsPath|cgroup mountpoint does not exist"
             r"|unable to apply cgroup configuration|error setting cgroup config"
             r"|did not receive slice as parent", WARN,
             "cgroup driver mismatch between the kubelet and runc/containerd"),
    _pattern("kubelet-start",
             r"[Ff]ailed to run [Kk]ubelet|\"command failed\"|failed to load [Kk]ubelet config"
             r"|[Rr]unning with swap on is not supported|Failed to start ContainerManager"
             r"|(?i:failed to start OOM watcher)|failed to validate kubelet flags"
             r"|runtime endpoint address was not specified|system validation failed", WARN,
             "why the kubelet exits at start-up (systemd then restarts it in a loop)"),
    _pattern("client-cert",
             r"client certificate has expired"
             r"|(?i:bootstrap client certificate (?:in \S+ )?is expired)",
             INFO, "the kubelet's credentials to the API server expired (the bootstrap check"
             " logs at info)"),
    _pattern("volume",
             r"MountVolume\.\w+ failed|[Uu]nable to (?:attach or )?mount volumes"
             r"|hostPath type check failed|volume-subpaths", WARN,
             "volumes the kubelet cannot set up: the pod stays ContainerCreating"),
    _pattern("runtime-service",
             r"from (?:runtime|image) service failed|validate service connection"
             r"|validate CRI v1|CRI v1 (?:runtime|image) API is not implemented"
             r"|Failed to list pod sandboxes|GenericPLEG: Unable to retrieve pods"
             r"|dial unix|unknown service runtime\.", WARN,
             "CRI calls failing: containerd down, socket missing, timeouts"),
    _pattern("runtime-config",
             r"failed to load TOML|invalid (?:plugin|cri \w+) config|failed to decode hosts\.toml"
             r"|does not support d_type|snapshotter cannot be enabled"
             r"|failed to mount rootfs component"
             r"|Page expected to be: |page \d+ already freed", WARN,
             "containerd refusing its config, a plugin's section or its snapshotter's filesystem,"
             " or panicking on a corrupt bolt database"),
    _pattern("probe", r"[Pp]robe failed|probe errored", INFO,
             "probe failures are logged at info (V(1)) by the kubelet"),
    _pattern("image-pull",
             r"PullImage|[Ff]ailed to pull image|failed to pull and unpack image"
             r"|Back-off pulling image|ErrImagePull|ImagePullBackOff"
             # the registry's answer without the PullImage prefix, as ctr and crictl print it
             # (the image rules' node branches read it: a pull no pod made)
             r"|failed to resolve (?:reference|image) |failed to do request: "
             r'|(?:Head|Get|Post) \\*"?https?://[^\s"\\]+/v2/'
             r"|unexpected status (?:code |from )|pulling from host \S+ failed with status code"
             r"|pull access denied|unauthorized: (?:authentication required|incorrect username)"
             # dockerd's own (pasted from a dockershim-era node): distribution/pull.go
             r"|Not continuing with pull after error: ",
             WARN,
             "image pulls failing: registry, auth, rate limits, certificates"),
    _pattern("proxy",
             r"proxyconnect tcp: |Proxy Authentication Required"
             r"|(?i:auth(?:entication)?[ _-]?requir)",
             WARN, "the HTTP proxy containerd pulls through failing (Go's net/http wording); a"
             " pull line without its PullImage prefix, as ctr and crictl print it"),
    _pattern("sandbox",
             r"RunPodSandbox|CreatePodSandbox|[Ff]ailed to create sandbox for pod"
             r"|failed to get sandbox image|failed to start sandbox", WARN,
             "pod sandboxes (pause container + network) failing to start"),
    _pattern("container-start",
             r"StartContainer|CreateContainer|failed to create containerd task"
             r"|failed to create shim task|failed to start shim|OCI runtime \w+ failed"
             r"|oom_score_adj", WARN,
             "runc / shim failures wrapped by containerd and the kubelet"),
    _pattern("runc",
             r"apparmor failed to apply profile|get apparmor_parser version"
             r"|/proc/self/attr/keycreate|cannot fetch program from id"
             r"|error adding seccomp filter rule"
             r"|seccomp: config provided but seccomp not supported|unknown capability"
             r"|cannot load seccomp profile|unable to load local profile"
             r"|runc: .*(?:not found \(required by runc\)|symbol lookup error)"
             r"|open /dev/pts/\d+: operation not permitted", WARN,
             "runc refused by the host's security modules, or too old or new for it; a seccomp"
             " profile the runtime cannot read"),
    _pattern("disk", r"no space left on device", INFO,
             "a full disk breaks pulls, sandboxes and the kubelet's own state (containerd logs"
             " a layer that would not unpack at info level)"),
    _pattern("image-gc", r"[Ii]mage garbage collection failed", WARN,
             "the kubelet cannot free image space: disk pressure and evictions follow"),
    _pattern("node-limits",
             r"[Ff]ailed to find \w+ cgroup|Cgroup subsystem not mounted|too many open files"
             r"|inotify|read-only file system", WARN,
             "the node's kernel setup and limits: cgroup controllers, file handles and inotify"
             " instances exhausted, a filesystem gone read-only"),
    _pattern("fatal", r"", FATAL, "a fatal line is the reason the component exited"),
)  # fmt: skip

# Per severity rank below fatal: the node patterns a line of that rank can be kept for, as one
# regex (an info line, most of any log, is searched for the few info-level patterns only).
_PATTERNS_FROM_RANK = [
    re.compile(
        "|".join(p.regex.pattern for p in NODE_PATTERNS if p.regex.pattern and p.min_rank <= rank)
        or "(?!)"
    )
    for rank in range(FATAL)
]


def is_node_line(line: Mapping[str, Any]) -> bool:
    rank = severity_rank(line.get("severity"))
    text = str(line.get("message", ""))
    for pattern in NODE_PATTERNS:
        if (rank is None or rank >= pattern.min_rank) and pattern.regex.search(text):
            return True
    return False


def node_lines(lines: Iterable[LogLine] | RawLog) -> list[LogLine]:
    """The newest `NODE_LINES_MAX` lines that matter at node level, oldest first.

    From a RawLog: newest first, stopping at `NODE_LINES_MAX`, and the lines that surely do not
    matter skipped unparsed (most of a tail).
    """
    if isinstance(lines, RawLog):
        kept: list[LogLine] = []
        for entry in reversed(lines.entries):
            if surely_not_node_line(entry):
                continue
            line = lines.parse(entry)
            if line is not None and is_node_line(line):
                kept.append(line)
                if len(kept) == NODE_LINES_MAX:
                    break
        return kept[::-1]
    return list(deque((line for line in lines if is_node_line(line)), maxlen=NODE_LINES_MAX))


def surely_not_node_line(entry: str) -> bool:
    """True for a line `is_node_line` would reject, told from its text alone.

    That holds for a klog or logrus-text line (formats.header_level: their message is a
    substring of the line, their level at a fixed place) below fatal level when no node pattern
    of its level or lower matches anywhere in it. Any other line is left to the parser.
    """
    rank = severity_rank(header_level(entry))
    if rank is None or rank >= FATAL:
        return False
    return not _PATTERNS_FROM_RANK[rank].search(entry)


def read_node_log(
    ctx: GatherContext, recorder: LayerRecorder, source: LogSource
) -> tuple[RawLog | None, list[LogLine] | None]:
    """The bounded tail (sources.read_raw_log) and its node-level lines; (None, None) when
    unread."""
    raw = read_raw_log(ctx, recorder, source)
    return raw, None if raw is None else node_lines(raw)


def assign_pod_lines(
    pods: list[dict[str, Any]],
    lines: Iterable[LogLine] | RawLog | None,
    field: str,
    terms: Mapping[str, list[str]] | None = None,
) -> None:
    """Set `pod[field]` to the newest `POD_LINES_MAX` lines that mention the pod.

    `terms` are `GatherContext.pod_terms()` (ns/name, uid, sandbox and container ids; computed
    from `pods` the same way when not given). `lines` None means the log could not be read:
    `field` is then left unset (not known), not `[]`.
    """
    if lines is None or not pods:
        return
    if terms is None:
        terms = _terms_by_pod(pods)
    owners: dict[str, list[str]] = {}
    for key, found in terms.items():
        for term in found:
            if term:
                owners.setdefault(term, []).append(key)
    kept: dict[str, deque[LogLine]] = {
        f"{pod['namespace']}/{pod['name']}": deque(maxlen=POD_LINES_MAX) for pod in pods
    }
    if owners:
        # one alternation of every term, longest first, so one scan of a line finds all pods
        any_term = re.compile("|".join(map(re.escape, sorted(owners, key=len, reverse=True))))
        if isinstance(lines, RawLog):
            candidates: Iterable[tuple[LogLine, str]] = lines.mentioning(any_term)
        else:
            candidates = ((line, line.get("raw") or line.get("message") or "") for line in lines)
        for line, text in candidates:
            hits = {key for match in any_term.finditer(text) for key in owners[match.group()]}
            for key in hits & kept.keys():
                kept[key].append(line)
    for pod in pods:
        pod[field] = list(kept[f"{pod['namespace']}/{pod['name']}"])


def _terms_by_pod(pods: list[dict[str, Any]]) -> dict[str, list[str]]:
    return GatherContext(GatherOptions(), Host(), pods=pods).pod_terms()
