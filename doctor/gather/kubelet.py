"""The kubelet layer: its process, flags, systemd unit, KubeletConfiguration, healthz and log.

Flags come from the running process; when it is not running, from what systemd would start it
with (the kubelet.service drop-ins, /var/lib/kubelet/kubeadm-flags.env, /etc/default/kubelet).
The config file is the one `--config` names, else the first of the paths distributions use.

Hands on to later gatherers (ctx.handoff, see handoff.py):
- `kubelet_runtime_endpoint`: the CRI endpoint the kubelet uses (str or None), with
  `kubelet_runtime_endpoint_source` saying where it was found;
- `kubelet_log_lines`: every parsed line of the log's bounded tail (None when the log could not
  be read) — for `assign_pod_lines(ctx.pods, lines, "kubelet_log")`. Without a pod query
  (neither --pod nor --all-pods) only the node-level lines are kept, to save memory.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
from dataclasses import dataclass
from typing import Any

from doctor.gather.context import GatherContext, LayerRecorder, status_for_os_error
from doctor.gather.cri.endpoint import using_endpoint
from doctor.gather.logs.selection import read_node_log
from doctor.gather.logs.sources import KUBELET_LOG, RawLog, unit_active_state
from doctor.layers import Layer

log = logging.getLogger(__name__)

KUBEADM_FLAGS = "/var/lib/kubelet/kubeadm-flags.env"
DEFAULTS_FILE = "/etc/default/kubelet"  # KUBELET_EXTRA_ARGS (Debian packages), sysconfig below
ENVIRONMENT_FILES = (KUBEADM_FLAGS, DEFAULTS_FILE, "/etc/sysconfig/kubelet")
DROP_IN_DIRS = (
    "/usr/lib/systemd/system/kubelet.service.d",
    "/lib/systemd/system/kubelet.service.d",
    "/etc/systemd/system/kubelet.service.d",  # last: /etc overrides the vendor's files
)
# Where distributions put the KubeletConfiguration when no --config is known (kube-bench's
# list, without the kubeconfigs and unit files it also holds): kubeadm, EKS, GKE, kubespray.
CONFIG_PATHS = (
    "/var/lib/kubelet/config.yaml",
    "/var/lib/kubelet/config.yml",
    "/var/lib/kubelet/config.json",
    "/etc/kubernetes/kubelet/kubelet-config.json",
    "/etc/kubernetes/kubelet/config",
    "/etc/kubernetes/kubelet-config.yaml",
    "/home/kubernetes/kubelet-config.yaml",
    "/home/kubernetes/kubelet-config.yml",
)
HEALTHZ_PORT = 10248
HEALTHZ_TIMEOUT = 1.0
_VERSION = re.compile(r'"Kubelet version" kubeletVersion="(?P<version>v[^"]+)"')
_VALUE_FLAGS = {
    "config",
    "container-runtime-endpoint",
    "kubeconfig",
    "cgroup-driver",
    "root-dir",
    "eviction-hard",
    "healthz-port",
    "healthz-bind-address",
    "hostname-override",
}


@dataclass(frozen=True)
class StartedWith:
    """The running kubelet (when /proc could be read) and the flags and config it runs with."""

    processes: list[tuple[int, list[str]]] | None  # None: /proc unreadable
    flags: dict[str, str]
    config: dict[str, Any] | None
    config_path: str | None


def started_with(ctx: GatherContext, recorder: LayerRecorder) -> StartedWith:
    # Without /proc the process cannot be looked for ("not running" would be a guess): the
    # layer is not examined, but its config files and log still say a lot.
    processes = None
    if _proc_readable(ctx, recorder):
        processes = _prefer_endpoint(ctx, ctx.host.find_processes("kubelet"))
    argv = processes[0][1] if processes else None
    flags = parse_flags(argv[1:]) if argv else parse_flags(unit_command(ctx, recorder))
    config, config_path = _read_config(ctx, recorder, flags.get("config"))
    return StartedWith(processes, flags, config, config_path)


def note_runtime_endpoint(ctx: GatherContext, start: StartedWith) -> str | None:
    """Hand on what the CRI gatherer reads (cri/endpoint.py), and return the endpoint. Also run
    on its own, before the rest of this layer, when the CRI is asked from a child (collect.py)."""
    endpoint, source = _runtime_endpoint(start.flags, start.config)
    ctx.handoff.kubelet_runtime_endpoint = endpoint
    ctx.handoff.kubelet_runtime_endpoint_source = source
    return endpoint


def gather(ctx: GatherContext) -> dict[str, Any]:
    recorder = LayerRecorder(Layer.KUBELET)
    facts = recorder.facts
    start = started_with(ctx, recorder)
    if start.processes is not None:
        facts["running"] = bool(start.processes)
        facts["pid"] = start.processes[0][0] if start.processes else None
        facts["cmdline"] = start.processes[0][1] if start.processes else None
    facts["active_state"] = unit_active_state(ctx, recorder, "kubelet")
    flags, config = start.flags, start.config
    facts["config_path"] = start.config_path
    facts["node_name"] = _node_name(ctx, flags)
    facts["cgroup_driver"] = _cgroup_driver(flags, config)
    endpoint = note_runtime_endpoint(ctx, start)
    facts["runtime_endpoint"] = endpoint
    facts["runtime_endpoint_exists"] = endpoint_exists(ctx, endpoint)
    facts["eviction_hard"] = _eviction_hard(flags, config)
    facts["healthz"] = _healthz(ctx, recorder, flags, config, facts.get("pid"))

    raw, important = read_node_log(ctx, recorder, KUBELET_LOG)
    if important is not None:  # unread: the key stays absent (not known), never null
        facts["log"] = important
    facts["version"] = _version(raw)
    keep_all = ctx.options.pod is not None or ctx.options.all_pods
    ctx.handoff.kubelet_log_lines = raw if keep_all else important

    return recorder.section()


def _node_name(ctx: GatherContext, flags: dict[str, str]) -> str | None:
    """The name this node registers as: --hostname-override, else the host's name, trimmed and
    lowercased as the kubelet does (k8s.io/component-helpers/node/util GetHostname)."""
    name = flags.get("hostname-override") or ctx.host.hostname()
    return name.strip().lower() or None if name else None


def _prefer_endpoint(
    ctx: GatherContext, processes: list[tuple[int, list[str]]]
) -> list[tuple[int, list[str]]]:
    """The kubelets that may be this node's, the one using the runtime endpoint named first.

    A test machine can run a node per lab. When the endpoint is named (--runtime-endpoint,
    CONTAINER_RUNTIME_ENDPOINT), a kubelet known to use another one (its flag, else its
    config's containerRuntimeEndpoint) is another node's, so when none uses it this node's
    kubelet is not running. One whose endpoint is not known may be it and stays.
    """
    wanted = ctx.options.runtime_endpoint or ctx.options.environ.get("CONTAINER_RUNTIME_ENDPOINT")
    if not processes or not wanted:
        return processes
    return using_endpoint(ctx, processes, wanted, _process_endpoint)


def _process_endpoint(ctx: GatherContext, pid: int, argv: list[str]) -> str | None:
    """The runtime endpoint a kubelet process uses, when its flags or config say."""
    flags = parse_flags(argv[1:])
    if flags.get("container-runtime-endpoint"):
        return flags["container-runtime-endpoint"]
    if not flags.get("config"):
        return None
    try:
        # a recorder of its own: another kubelet's config problems are not this layer's
        text = ctx.host.read_text_seen_by(pid, flags["config"])
        config = _parse_config(LayerRecorder(Layer.KUBELET), flags["config"], text)
    except OSError:
        return None
    return _runtime_endpoint(flags, config)[0]


def _proc_readable(ctx: GatherContext, recorder: LayerRecorder) -> bool:
    """Without /proc the process cannot be looked for: "not running" would be a guess."""
    try:
        os.listdir(ctx.host.path("/proc"))
    except OSError as exc:
        recorder.fail(status_for_os_error(exc), "/proc", exc.strerror or str(exc))
        return False
    return True


def parse_flags(args: list[str]) -> dict[str, str]:
    """`--name=value`, `--name value` (for the flags whose values matter here) and `-c value`
    style flags; the last occurrence wins, as with the kubelet's and containerd's flag parsers."""
    flags: dict[str, str] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if not arg.startswith("-") or arg in ("-", "--"):
            continue
        name, equals, value = arg.lstrip("-").partition("=")
        if equals:
            flags[name] = value
        elif index < len(args) and not args[index].startswith("-"):
            if name in _VALUE_FLAGS or len(name) == 1 or name in ("address", "log-level"):
                flags[name] = args[index]
                index += 1
        else:
            flags.setdefault(name, "")
    return flags


def unit_command(ctx: GatherContext, recorder: LayerRecorder) -> list[str]:
    """The arguments systemd would start the kubelet with: the last ExecStart of the drop-ins,
    its $VARIABLES expanded from their Environment= lines and the kubelet environment files."""
    environment: dict[str, str] = {}
    exec_start = ""
    for directory in DROP_IN_DIRS:
        if not ctx.host.path(directory).is_dir():
            continue
        names: list[str] = []
        with recorder.reading(directory):
            names = [n for n in ctx.host.listdir(directory) if n.endswith(".conf")]
        for name in names:
            path = f"{directory}/{name}"
            with recorder.reading(path):
                text = ctx.host.read_text(path)
                exec_start = _read_unit(text, environment) or exec_start
    for path in ENVIRONMENT_FILES:
        if ctx.host.exists(path):
            with recorder.reading(path):
                environment.update(parse_env_file(ctx.host.read_text(path)))
    if not exec_start:
        # no drop-in: the kubeadm flags alone still say how the kubelet is configured
        exec_start = "kubelet $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS"
    try:
        words = shlex.split(exec_start)
    except ValueError:
        words = exec_start.split()
    args: list[str] = []
    for word in words[1:]:
        variable = re.fullmatch(r"\$\{?(\w+)\}?", word)
        if variable:  # systemd splits an unbraced $VAR into words; a braced one too here
            args += _split(environment.get(variable.group(1), ""))
        else:
            args.append(word)
    return args


def _read_unit(text: str, environment: dict[str, str]) -> str:
    """Environment= into `environment`; the unit's last non-empty ExecStart (or "")."""
    exec_start = ""
    for line in text.splitlines():
        key, _, value = line.strip().partition("=")
        if key == "Environment":
            for word in _split(value):
                name, equals, setting = word.partition("=")
                if equals:
                    environment[name] = setting
        elif key == "ExecStart" and value.strip():
            exec_start = value.strip().lstrip("-@")
    return exec_start


def parse_env_file(text: str) -> dict[str, str]:
    """KEY=value lines (kubeadm-flags.env: KUBELET_KUBEADM_ARGS="--flag=value ...")."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        words = _split(value)
        found[name.strip()] = words[0] if len(words) == 1 else " ".join(words)
    return found


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _read_config(
    ctx: GatherContext, recorder: LayerRecorder, flag: str | None
) -> tuple[dict[str, Any] | None, str | None]:
    """The KubeletConfiguration and its path; (None, path) when it exists but is unreadable."""
    candidates = (flag,) if flag else CONFIG_PATHS
    for path in candidates:
        if not flag and not ctx.host.path(path).is_file():
            continue
        config: dict[str, Any] | None = None
        with recorder.reading(path):
            config = _parse_config(recorder, path, ctx.host.read_text(path))
        return config, path
    return None, None


def _parse_config(recorder: LayerRecorder, path: str, text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else _yaml(text)
    except ValueError as exc:  # yaml.YAMLError is turned into one too
        recorder.error(path, f"not valid YAML/JSON: {exc}")
        return None
    if not isinstance(data, dict) or data.get("kind") != "KubeletConfiguration":
        kind = data.get("kind") if isinstance(data, dict) else type(data).__name__
        recorder.error(path, f"not a KubeletConfiguration (kind {kind})")
        return None
    return data


def _yaml(text: str) -> Any:
    import yaml  # on first use, only for YAML: PyYAML costs ~10-30 ms of start-up

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it
        return yaml.load(text, loader)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from None


def _cgroup_driver(flags: dict[str, str], config: dict[str, Any] | None) -> str | None:
    # Unset means cgroupfs by the config's defaults, but since 1.31 the kubelet takes the
    # driver the CRI reports (KubeletCgroupDriverFromCRI): so unset stays "not known".
    value = flags.get("cgroup-driver") or (config or {}).get("cgroupDriver")
    return value if value in ("systemd", "cgroupfs") else None


def _runtime_endpoint(
    flags: dict[str, str], config: dict[str, Any] | None
) -> tuple[str | None, str | None]:
    if flags.get("container-runtime-endpoint"):
        return flags["container-runtime-endpoint"], "kubelet --container-runtime-endpoint flag"
    value = (config or {}).get("containerRuntimeEndpoint")
    if isinstance(value, str) and value:
        return value, "kubelet config containerRuntimeEndpoint"
    return None, None


def endpoint_exists(ctx: GatherContext, endpoint: str | None) -> bool | None:
    """Whether a unix socket endpoint's path exists on the host (None for other schemes)."""
    if not endpoint:
        return None
    path = endpoint.removeprefix("unix://")
    if "://" in path or not path.startswith("/"):
        return None
    return os.path.exists(ctx.host.path(path))


def _eviction_hard(flags: dict[str, str], config: dict[str, Any] | None) -> dict[str, str] | None:
    # Unset: the kubelet's defaults apply (memory.available<100Mi, nodefs.available<10%, ...).
    if flags.get("eviction-hard"):
        pairs = (item.partition("<") for item in flags["eviction-hard"].split(","))
        return {signal.strip(): value.strip() for signal, _, value in pairs if signal.strip()}
    value = (config or {}).get("evictionHard")
    if isinstance(value, dict):
        return {str(signal): str(threshold) for signal, threshold in value.items()}
    return None


def _healthz(
    ctx: GatherContext,
    recorder: LayerRecorder,
    flags: dict[str, str],
    config: dict[str, Any] | None,
    pid: int | None,
) -> str | None:
    """ "ok", or what went wrong; asked only where 127.0.0.1 is the kubelet's loopback too."""
    port = flags.get("healthz-port") or (config or {}).get("healthzPort", HEALTHZ_PORT)
    url = f"http://127.0.0.1:{port}/healthz"
    if not _shares_network(ctx, pid):
        recorder.error(url, f"not checked: the kubelet under {ctx.host.root} is in another network")
        return None
    if str(port) == "0":
        return "disabled (healthzPort 0)"
    try:
        status, body = _http_get("127.0.0.1", int(port), "/healthz")
    except ValueError:
        return f"healthz port {port!r} is not a number"
    except OSError as exc:
        return str(exc.strerror or exc) if not isinstance(exc, TimeoutError) else "timed out"
    return body if status == 200 and body == "ok" else f"HTTP {status}: {body}".strip()


def _http_get(host: str, port: int, path: str) -> tuple[int, str]:
    """A plain HTTP/1.0 GET on loopback: the status and the first 4 KiB of the body. (No
    urllib: its import costs ~30 ms, and a proxy must never be asked.)"""
    import socket

    with socket.create_connection((host, port), timeout=HEALTHZ_TIMEOUT) as connection:
        connection.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n".encode())
        answer = b""
        while len(answer) < 8192:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    if len(status_line) < 2 or not status_line[1].isdigit():
        raise OSError(f"not an HTTP answer: {head[:80]!r}")
    return int(status_line[1]), body[:4096].decode("utf-8", "replace").strip()


def _shares_network(ctx: GatherContext, pid: int | None) -> bool:
    """Whether this process is in the kubelet's network namespace (a DaemonSet with
    hostNetwork, or on the node itself), so 127.0.0.1 reaches its healthz. Without its pid:
    only when the host root is this machine's /."""
    if pid is None:
        return ctx.host.root == ctx.host.root.parent
    try:
        theirs = os.stat(ctx.host.path(f"/proc/{pid}/ns/net"))
        ours = os.stat("/proc/self/ns/net")
    except OSError:
        return False
    return (theirs.st_dev, theirs.st_ino) == (ours.st_dev, ours.st_ino)


def _version(raw: RawLog | None) -> str | None:
    """The version the kubelet logs at start-up (no exec of the host's binary)."""
    for entry in reversed(raw.entries if raw else []):
        match = _VERSION.search(entry)
        if match:
            return match.group("version")
    return None
