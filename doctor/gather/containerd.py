"""The containerd layer: its process, unit, config.toml (CRI part), socket, CNI setup and log.

The config is read in its three layouts: version 1 (`plugins.cri`, containerd 1.x without a
version line), version 2 (`plugins."io.containerd.grpc.v1.cri"`, 1.x) and version 3
(containerd 2.x: `io.containerd.cri.v1.runtime` / `io.containerd.cri.v1.images`). Only the
facts the rules need are kept: never registry credentials (auths, configs, headers).

Hands on (ctx.handoff, see handoff.py):
- `containerd_log_lines`: the parsed bounded tail of its log (None when unreadable), for
  `assign_pod_lines(ctx.pods, lines, "containerd_log")`; node-level lines only when no
  pod was asked for;
- `containerd_runc_root`: the runc state root, when the default runtime's options set `Root`.
Reads the CRI's `cri.sandbox_image` and `runtime_name` (no config file is containerd's
defaults only when the runtime answered as containerd), and reads its log ahead (`prefetch`) into
`containerd_log_ahead`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tomllib
from typing import Any

from doctor.gather.context import GatherContext, LayerRecorder, status_for_os_error
from doctor.gather.cri.endpoint import using_endpoint
from doctor.gather.kubelet import parse_flags
from doctor.gather.logs.selection import read_node_log
from doctor.gather.logs.sources import CONTAINERD_LOG, RawLog, unit_active_state
from doctor.layers import Layer

log = logging.getLogger(__name__)

DEFAULT_CONFIG = "/etc/containerd/config.toml"
DEFAULT_SOCKET = "/run/containerd/containerd.sock"
DEFAULT_CNI_CONF_DIR = "/etc/cni/net.d"
DEFAULT_CNI_BIN_DIR = "/opt/cni/bin"
CNI_EXTENSIONS = (".conf", ".conflist", ".json")  # what libcni's ConfFiles loads
# What containerd uses for what its config leaves unset, the same in 1.6, 1.7 and 2.x
# (`containerd config default`). The sandbox image differs by version: left unknown.
DEFAULTS: dict[str, Any] = {
    "root": "/var/lib/containerd",
    "state": "/run/containerd",
    "systemd_cgroup": False,
    "restrict_oom_score_adj": False,
    "snapshotter": "overlayfs",
    "disabled_plugins": [],
    "sandbox_image": None,
    "registry_config_path": None,
}
_STARTING = re.compile(r'starting containerd"? .*?\bversion="?(?P<version>[^"\s]+)')


def serving_cri(
    ctx: GatherContext, processes: list[tuple[int, list[str]]]
) -> list[tuple[int, list[str]]]:
    """The containerd processes that may serve the CRI endpoint in use, the one that does first.

    A machine can run several (Docker's beside the kubelet's, test labs side by side): one whose
    socket (`--address`, else its config's grpc.address, else the default) is another is not
    the node's runtime, so when none serves the endpoint, the node's containerd is not running.
    One whose config cannot be read may be it and stays. Without a unix endpoint, or when the
    runtime there answered as another (CRI-O), nothing tells them apart: all stay.
    """
    cri = ctx.sections.get(Layer.CRI, {})
    endpoint, runtime = cri.get("endpoint"), cri.get("runtime_name")
    if not processes or not isinstance(endpoint, str) or not endpoint.startswith("unix://"):
        return processes
    if isinstance(runtime, str) and runtime != "containerd":
        return processes
    return using_endpoint(ctx, processes, endpoint, _process_socket)


def _process_socket(ctx: GatherContext, pid: int, argv: list[str]) -> str | None:
    """The socket a containerd process serves; None when its config cannot be read."""
    flags = parse_flags(argv[1:])
    socket = flags.get("address") or flags.get("a")
    if socket:
        return socket
    config = flags.get("config") or flags.get("c") or DEFAULT_CONFIG
    try:
        text = ctx.host.read_text_seen_by(pid, config)
        return _grpc_address(tomllib.loads(text)) or DEFAULT_SOCKET
    except FileNotFoundError:
        return DEFAULT_SOCKET  # no config: containerd runs on its defaults
    except (OSError, tomllib.TOMLDecodeError, ValueError):
        return None


def gather(ctx: GatherContext) -> dict[str, Any]:
    recorder = LayerRecorder(Layer.CONTAINERD)
    facts = recorder.facts
    argv: list[str] | None = None
    try:
        os.listdir(ctx.host.path("/proc"))
    except OSError as exc:
        # Not examined (running or not is unknown), but the config, CNI and log still count.
        recorder.fail(status_for_os_error(exc), "/proc", exc.strerror or str(exc))
    else:
        processes = serving_cri(ctx, ctx.host.find_processes("containerd"))
        argv = processes[0][1] if processes else None
        facts["running"] = bool(processes)
        facts["pid"] = processes[0][0] if processes else None
        facts["cmdline"] = argv
    flags = parse_flags(argv[1:]) if argv else {}

    facts["active_state"] = unit_active_state(ctx, recorder, "containerd")

    config_path = flags.get("config") or flags.get("c") or DEFAULT_CONFIG
    data = _read_toml(ctx, recorder, config_path)
    missing = _missing(ctx, config_path)
    facts["config_path"] = None if missing else config_path
    facts["config"] = _config(data, missing, ctx.sections.get(Layer.CRI, {}).get("runtime_name"))
    socket = flags.get("address") or flags.get("a") or _grpc_address(data) or DEFAULT_SOCKET
    facts["socket"] = socket
    facts["socket_exists"] = os.path.exists(ctx.host.path(socket))
    runc_root = _runc_root(data or {})
    if runc_root:
        ctx.handoff.containerd_runc_root = runc_root
    facts["cni"] = cni_facts(ctx, recorder, _cni_dirs(data or {}))
    known = ctx.handoff.cri.sandbox_image  # the CRI layer asked the runtime (ImageStatus)
    if known is not None:
        facts["sandbox_image_present"] = known[1]

    raw, important = ctx.prefetched(
        ctx.handoff.containerd_log_ahead, recorder, lambda r: read_node_log(ctx, r, CONTAINERD_LOG)
    )
    if important is not None:  # unread: the key stays absent (not known), never null
        facts["log"] = important
    cri_version = ctx.sections.get(Layer.CRI, {}).get("runtime_version")
    facts["version"] = cri_version or _logged_version(raw)
    keep_all = ctx.options.pod is not None or ctx.options.all_pods
    ctx.handoff.containerd_log_lines = raw if keep_all else important

    return recorder.section()


def prefetch(ctx: GatherContext) -> None:
    """Its log needs no other layer: read (and filter) it ahead (collect.py)."""
    ctx.prefetch(
        ctx.handoff.containerd_log_ahead,
        Layer.CONTAINERD,
        lambda r: read_node_log(ctx, r, CONTAINERD_LOG),
    )


def _missing(ctx: GatherContext, path: str) -> bool:
    return not ctx.host.path(path).exists()


def _read_toml(ctx: GatherContext, recorder: LayerRecorder, path: str) -> dict[str, Any] | None:
    """The parsed config; None when there is none (containerd's defaults apply) or when it
    cannot be read or parsed (recorded: containerd itself would refuse to start)."""
    if _missing(ctx, path):
        return None
    with recorder.reading(path):
        text = ctx.host.read_text(path)
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            recorder.error(path, f"not valid TOML: {exc}")
    return None


def _table(data: Any, *keys: str) -> dict[str, Any]:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def _cri_tables(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(runtime, images, server) tables of the CRI plugin for the config's version; in
    versions 1 and 2 the one CRI table holds all three."""
    plugins = _table(data, "plugins")
    version = data.get("version", 1)
    if version == 3:
        return (
            _table(plugins, "io.containerd.cri.v1.runtime"),
            _table(plugins, "io.containerd.cri.v1.images"),
            _table(plugins, "io.containerd.grpc.v1.cri"),
        )
    cri = _table(plugins, "io.containerd.grpc.v1.cri") if version == 2 else _table(plugins, "cri")
    return cri, cri, cri


def _default_runtime(runtime: dict[str, Any]) -> dict[str, Any]:
    containerd = _table(runtime, "containerd")
    name = containerd.get("default_runtime_name") or "runc"
    return _table(containerd, "runtimes", str(name))


def config_facts(data: dict[str, Any]) -> dict[str, Any]:
    """The facts of a parsed config.toml; the defaults for what it leaves unset."""
    runtime, images, _ = _cri_tables(data)
    version = data.get("version", 1) if data else None
    options = _table(_default_runtime(runtime), "options")
    systemd = options.get("SystemdCgroup")
    if systemd is None:  # the version 1 runtime's (io.containerd.runtime.v1.linux) old option
        systemd = runtime.get("systemd_cgroup")
    if version == 3:
        sandbox = _table(images, "pinned_images").get("sandbox")
        snapshotter = images.get("snapshotter")
    else:
        sandbox = images.get("sandbox_image")
        snapshotter = _table(runtime, "containerd").get("snapshotter")
    disabled = data.get("disabled_plugins")
    found = {
        "version": version if isinstance(version, int) else None,
        "systemd_cgroup": systemd if isinstance(systemd, bool) else None,
        "sandbox_image": sandbox or None,
        "restrict_oom_score_adj": runtime.get("restrict_oom_score_adj"),
        "snapshotter": snapshotter or None,
        "disabled_plugins": [str(p) for p in disabled] if isinstance(disabled, list) else None,
        "root": data.get("root") or None,
        "state": data.get("state") or None,
        "registry_config_path": _table(images, "registry").get("config_path") or None,
    }
    for key, default in DEFAULTS.items():
        if found[key] is None:
            found[key] = default
    if not isinstance(found["restrict_oom_score_adj"], bool):
        found["restrict_oom_score_adj"] = None
    return found


def _config(data: dict[str, Any] | None, missing: bool, runtime_name: Any) -> dict[str, Any] | None:
    """The config's facts. No file is containerd's defaults only when the runtime on the CRI
    socket answered Version as containerd: a node running another runtime (CRI-O, a
    dockershim-era node) has no containerd config either, and reading its absence as
    SystemdCgroup = false would invent a cgroup-driver mismatch. A file that could not be read,
    or no file with the runtime not known: not known (None)."""
    if data is not None:
        return config_facts(data)
    if missing and runtime_name == "containerd":
        return config_facts({})
    return None


def _grpc_address(data: dict[str, Any] | None) -> str | None:
    address = _table(data or {}, "grpc").get("address")
    return address if isinstance(address, str) and address else None


def _runc_root(data: dict[str, Any]) -> str | None:
    runtime, _, _ = _cri_tables(data)
    root = _table(_default_runtime(runtime), "options").get("Root")
    return root if isinstance(root, str) and root else None


def _cni_dirs(data: dict[str, Any]) -> tuple[str, list[str]]:
    runtime, _, _ = _cri_tables(data)
    cni = _table(runtime, "cni")
    conf_dir = cni.get("conf_dir") or DEFAULT_CNI_CONF_DIR
    bin_dirs = cni.get("bin_dirs")  # containerd 2.1+: a list, replacing bin_dir
    if not (isinstance(bin_dirs, list) and bin_dirs):
        bin_dirs = [cni.get("bin_dir") or DEFAULT_CNI_BIN_DIR]
    return str(conf_dir), [str(d) for d in bin_dirs]


def cni_facts(
    ctx: GatherContext, recorder: LayerRecorder, dirs: tuple[str, list[str]]
) -> dict[str, Any]:
    """Every network config in the conf dir and the plugin binaries it needs that are missing.

    A missing conf dir is "no configs" ([]); an unreadable one leaves them absent (not known)."""
    conf_dir, bin_dirs = dirs
    facts: dict[str, Any] = {"conf_dir": conf_dir, "bin_dirs": bin_dirs}
    names: list[str] | None = None
    if not ctx.host.path(conf_dir).exists():
        names = []
    else:
        with recorder.reading(conf_dir):
            names = [n for n in ctx.host.listdir(conf_dir) if n.endswith(CNI_EXTENSIONS)]
    if names is None:  # could not list: configs stay absent (not known)
        return facts
    configs = [_cni_config(ctx, recorder, f"{conf_dir.rstrip('/')}/{name}") for name in names]
    facts["configs"] = configs
    needed: list[str] = []
    for config in configs:
        for plugin in [*config.get("plugins", []), *config.pop("_ipam", [])]:
            if plugin not in needed:
                needed.append(plugin)
    facts["missing_plugins"] = [p for p in needed if not _executable(ctx, bin_dirs, p)]
    return facts


def _cni_config(ctx: GatherContext, recorder: LayerRecorder, path: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"file": path, "name": None, "valid": False, "error": None}
    try:
        text = ctx.host.read_text(path, 1 << 20)
    except OSError as exc:
        recorder.error(path, exc.strerror or str(exc))
        entry["error"] = exc.strerror or str(exc)
        return entry
    try:
        data = json.loads(text)
    except ValueError as exc:
        entry["error"] = f"invalid JSON: {exc}"
        return entry
    if not isinstance(data, dict):
        entry["error"] = "not a JSON object"
        return entry
    # a .conflist lists plugins; a .conf/.json is a single plugin
    plugins = data.get("plugins") if "plugins" in data else [data]
    if not isinstance(plugins, list):
        entry["error"] = "plugins is not a list"
        return entry
    entry["name"] = data.get("name") if isinstance(data.get("name"), str) else None
    entry["plugins"] = [str(p["type"]) for p in plugins if isinstance(p, dict) and p.get("type")]
    # IPAM plugins (host-local...) are executables in the bin dirs too
    entry["_ipam"] = [
        str(_table(p, "ipam")["type"])
        for p in plugins
        if isinstance(p, dict) and _table(p, "ipam").get("type")
    ]
    entry["valid"] = bool(entry["plugins"])
    if not entry["valid"]:
        entry["error"] = "no plugin type"
    return entry


def _executable(ctx: GatherContext, bin_dirs: list[str], plugin: str) -> bool:
    for directory in bin_dirs:
        local = ctx.host.path(f"{directory.rstrip('/')}/{plugin}")
        if local.is_file() and os.access(local, os.X_OK):
            return True
    return False


def _logged_version(raw: RawLog | None) -> str | None:
    """containerd logs `msg="starting containerd" ... version=1.6.20~ds1` at start-up."""
    for entry in reversed(raw.entries if raw else []):
        match = _STARTING.search(entry)
        if match:
            return match.group("version")
    return None
