"""Find the API server and credentials the way kubectl does.

Order (client-go's loading rules): `--kubeconfig FILE` alone; else every file of KUBECONFIG
(colon-separated), merged; else ~/.kube/config; else, inside a pod, its service account.
Merging follows kubectl: for each cluster, user and context name the first file that defines it
wins, and so does the first current-context. A relative path in a file (certificate-authority,
client-certificate, client-key, tokenFile, an exec command with a slash) is relative to that
file's directory, so paths are made absolute before files are merged.

lightkube (chosen for its import and first-request time: docs/apiserver.md) reads one file
only; the merge is done here and handed to it as one config.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from lightkube.config.kubeconfig import SingleConfig

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
MAX_KUBECONFIG_BYTES = 4 << 20
_SECTIONS = (("clusters", "cluster"), ("users", "user"), ("contexts", "context"))
_FILE_FIELDS = {
    "cluster": ("certificate-authority",),
    "user": ("client-certificate", "client-key", "tokenFile"),
}


class NoApiAccess(Exception):
    """No usable configuration: the reason, in one line, naming what and where."""


@dataclass(frozen=True)
class ApiTarget:
    """The chosen context: where the server is and how to reach it."""

    config: SingleConfig
    source: str  # the kubeconfig file(s), or "in-cluster service account"

    @property
    def server(self) -> str:
        return str(self.config.cluster.server)

    @property
    def namespace(self) -> str:
        return self.config.namespace


def find_target(
    kubeconfig: str | None,
    context: str | None,
    environ: Mapping[str, str],
    service_account: Path = SERVICE_ACCOUNT,
) -> ApiTarget:
    """The context to use, or NoApiAccess with why there is none."""
    files = _kubeconfig_files(kubeconfig, environ)
    in_cluster = (
        bool(environ.get("KUBERNETES_SERVICE_HOST")) and (service_account / "token").is_file()
    )
    if not files and not in_cluster:  # the common case on a node: no client to import
        raise NoApiAccess(_none_found(kubeconfig, environ))
    from lightkube.config.kubeconfig import KubeConfig
    from lightkube.core.exceptions import ConfigError

    try:
        if files:
            merged = merge_kubeconfigs([(path, _read(path)) for path in files])
            source = ", ".join(str(path) for path in files)
            if not context and not merged.get("current-context"):
                raise NoApiAccess(f"{source}: no current-context set (give --context)")
            config = KubeConfig.from_dict(merged, fname=files[0] if len(files) == 1 else None)
        else:
            if context:
                raise NoApiAccess(f"--context {context}: no kubeconfig, only a service account")
            config = _in_cluster(service_account, environ)
            source = "in-cluster service account"
        chosen = config.get(context_name=context) if context else config.get()
    except ConfigError as exc:
        raise NoApiAccess(f"{source if files else 'kubeconfig'}: {exc}") from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise NoApiAccess(f"{', '.join(map(str, files))}: not a usable kubeconfig: {exc}") from None
    if chosen is None:
        raise NoApiAccess(f"{source}: no current-context set (give --context)")
    return ApiTarget(chosen, source)


def _kubeconfig_files(kubeconfig: str | None, environ: Mapping[str, str]) -> list[Path]:
    if kubeconfig:
        path = Path(kubeconfig).expanduser()
        if not path.is_file():
            raise NoApiAccess(f"--kubeconfig {kubeconfig}: no such file")
        return [path]
    if environ.get("KUBECONFIG"):
        # kubectl skips the listed files that do not exist
        listed = [Path(p).expanduser() for p in environ["KUBECONFIG"].split(os.pathsep) if p]
        return [path for path in listed if path.is_file()]
    home = environ.get("HOME")
    default = Path(home) / ".kube" / "config" if home else None
    return [default] if default is not None and default.is_file() else []


def _none_found(kubeconfig: str | None, environ: Mapping[str, str]) -> str:
    if environ.get("KUBECONFIG"):
        return f"KUBECONFIG={environ['KUBECONFIG']}: none of its files exists"
    return "no kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config) and not in a pod"


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KUBECONFIG_BYTES + 1)
    except OSError as exc:
        raise NoApiAccess(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_KUBECONFIG_BYTES:
        raise NoApiAccess(f"{path}: larger than {MAX_KUBECONFIG_BYTES >> 20} MiB: not a kubeconfig")
    try:
        # libyaml when PyYAML has it: a kubeconfig's embedded certificates are long scalars
        loaded = yaml.load(data, getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise NoApiAccess(f"{path}{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise NoApiAccess(f"{path}: not a kubeconfig (a YAML mapping)")
    return loaded


def merge_kubeconfigs(files: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """kubectl's merge of several kubeconfig files (see the module's docstring)."""
    merged: dict[str, Any] = {"clusters": [], "users": [], "contexts": []}
    seen: dict[str, set[str]] = {section: set() for section, _ in _SECTIONS}
    for path, config in files:
        for section, kind in _SECTIONS:
            entries = config.get(section) or []
            if not isinstance(entries, list):
                raise NoApiAccess(f"{path}: '{section}' is not a list")
            for entry in entries:
                if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                    raise NoApiAccess(f"{path}: an entry of '{section}' has no name")
                if entry["name"] in seen[section]:
                    continue
                seen[section].add(entry["name"])
                merged[section].append(_absolute(entry, kind, path.parent))
        if "current-context" not in merged and config.get("current-context"):
            merged["current-context"] = config["current-context"]
    return merged


def _absolute(entry: dict[str, Any], kind: str, base: Path) -> dict[str, Any]:
    body = entry.get(kind)
    if not isinstance(body, dict):
        return entry
    body = dict(body)
    for name in _FILE_FIELDS.get(kind, ()):
        value = body.get(name)
        if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
            body[name] = str(base / value)
    plugin = body.get("exec")
    if kind == "user" and isinstance(plugin, dict):
        command = plugin.get("command")
        # client-go resolves an exec command against the file only when it names a path
        if isinstance(command, str) and "/" in command and not Path(command).is_absolute():
            body["exec"] = {**plugin, "command": str(base / command)}
    return {**entry, kind: body}


def _in_cluster(account: Path, environ: Mapping[str, str]) -> Any:
    """The service account's config, with the server from the pod's environment."""
    from lightkube.config.kubeconfig import KubeConfig
    from lightkube.config.models import Cluster, User

    host, port = environ["KUBERNETES_SERVICE_HOST"], environ.get("KUBERNETES_SERVICE_PORT", "443")
    if ":" in host:
        host = f"[{host}]"
    namespace_file = account / "namespace"
    namespace = namespace_file.read_text().strip() if namespace_file.is_file() else None
    return KubeConfig.from_one(
        cluster=Cluster(server=f"https://{host}:{port}", certificate_auth=str(account / "ca.crt")),
        # the kubelet rotates the projected token: read from the file on every request
        user=User(token_file=str(account / "token")),
        namespace=namespace,
    )
