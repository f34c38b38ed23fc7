"""Secrets recognised by structure rather than by text: environment values, argv flags.

Runtime specs and CRI status JSON carry `env: ["NAME=value", ...]`; pod specs and CRI configs
`env: [{name|key, value}]`; /proc/PID/environ is NUL-separated NAME=value. The names stay (an
analyst needs to know PROXY was set), the values go. In an argv list (`cmdline`, `command`,
`args`), the element after `--password` / `--token` / ... goes. An annotation that holds a
whole manifest as JSON text (`kubectl apply`'s last-applied-configuration, which the kubelet
hands the runtime with the pod's other annotations) is decoded and redacted the same way, and
an annotation named like a credential (`…/token`, `…-password`) loses its value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

ENV_KEYS = frozenset({"env", "envs", "Env", "environment"})
ANNOTATION_KEYS = frozenset({"annotations", "Annotations"})
# an annotation named like a credential holds one (its name stays, as an env name does)
_SECRET_NAME = re.compile(r"(?i)(?:password|passwd|secret|token|api[_-]?key|credential|auth)")
ARGV_KEYS = frozenset({"cmdline", "command", "args", "Args"})
# annotations whose value is an object's whole manifest, env values and arguments included
MANIFEST_KEYS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
_SECRET_FLAG = re.compile(
    r"(?i)^--?[\w.-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key)$"
)

Replace = Callable[[str, str], str]  # (rule name, secret) -> token


def redact_env_entry(entry: str, replace: Replace) -> str:
    """`NAME=value` -> `NAME=<token>`; a bare name (no value) is kept."""
    name, sep, value = entry.partition("=")
    if not sep or not value or value.startswith("<redacted:"):
        return entry
    return f"{name}={replace('env-value', value)}"


def redact_env_lists(node: Any, replace: Replace) -> Any:
    """Walk decoded JSON; replace the value of every environment entry found under an env key."""
    if isinstance(node, dict):
        result: dict[str, Any] = {}
        for key, value in node.items():
            if key in ENV_KEYS and isinstance(value, list):
                result[key] = [_env_item(item, replace) for item in value]
            elif key in ARGV_KEYS and isinstance(value, list):
                result[key] = redact_argv(value, replace)
            elif key in MANIFEST_KEYS and isinstance(value, str):
                result[key] = _redact_manifest(value, replace)
            elif key in ANNOTATION_KEYS and isinstance(value, dict):
                result[key] = _annotations(value, replace)
            else:
                result[key] = redact_env_lists(value, replace)
        return result
    if isinstance(node, list):
        return [redact_env_lists(item, replace) for item in node]
    return node


def redact_argv(argv: list[Any], replace: Replace) -> list[Any]:
    """`--password VALUE` as two argv elements: the element after a secret flag goes."""
    result = list(argv)
    for index in range(1, len(result)):
        previous, value = result[index - 1], result[index]
        if (
            isinstance(previous, str)
            and isinstance(value, str)
            and _SECRET_FLAG.match(previous)
            and not value.startswith(("-", "<redacted:"))
        ):
            result[index] = replace("credential-flag", value)
    return result


def _redact_manifest(text: str, replace: Replace) -> str:
    """The manifest's env values and secret arguments redacted; all of it when not JSON."""
    try:
        manifest = json.loads(text)
    except (ValueError, RecursionError):
        return replace("manifest-annotation", text)
    return json.dumps(redact_env_lists(manifest, replace), separators=(",", ":"))


def _annotations(annotations: dict[str, Any], replace: Replace) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in annotations.items():
        if name in MANIFEST_KEYS and isinstance(value, str):
            result[name] = _redact_manifest(value, replace)
        elif isinstance(value, str) and value and _SECRET_NAME.search(name):
            result[name] = replace("secret-annotation", value)
        else:
            result[name] = redact_env_lists(value, replace)
    return result


def _env_item(item: Any, replace: Replace) -> Any:
    if isinstance(item, str):
        return redact_env_entry(item, replace)
    if isinstance(item, dict):
        value = item.get("value")
        if isinstance(value, str) and value and not value.startswith("<redacted:"):
            return {**item, "value": replace("env-value", value)}
    return item


def redact_environ(data: bytes, replace: Replace) -> bytes:
    """/proc/PID/environ: NUL-separated NAME=value entries."""
    text = data.decode("utf-8", "surrogateescape")
    entries = [redact_env_entry(entry, replace) for entry in text.split("\0")]
    return "\0".join(entries).encode("utf-8", "surrogateescape")
