"""The unparsed skip of node-level filtering (selection.surely_not_node_line) never skips a line
`is_node_line` would keep, whatever the format, level, prefix or message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doctor.gather.logs.formats import parse_line
from doctor.gather.logs.selection import (
    NODE_LINES_MAX,
    NODE_PATTERNS,
    NodePattern,
    is_node_line,
    node_lines,
)
from doctor.gather.logs.selection import surely_not_node_line as skipped
from doctor.gather.logs.sources import RawLog
from tests.gather.log_lines import (
    KLOG_EVICTION,
    KLOG_INFO,
    KLOG_JOURNAL,
    KLOG_PLEG,
    KLOG_POD,
    LOGRUS_SANDBOX,
    LOGRUS_SHIM,
    LOGRUS_TTY,
    REFERENCE,
)

# Texts that node patterns match, and near misses, including escapes and odd spacing.
FRAGMENTS = [
    "PLEG is not healthy",
    "PLEG is  not healthy",
    "Container runtime network not ready",
    "cni plugin not initialized",
    "Eviction manager: evicting",
    '\\"command failed\\"',
    '"command failed"',
    "dial unix /run/containerd/containerd.sock",
    "OCI runtime create failed",
    "I/O error",
    "no space left on device",
    "no space\\u0020left",
    "shim disconnected",
    "Kubelet version",
    "level=fatal",
    'msg="x" level=error',
    "",
]
LEVELS = ["info", "debug", "warning", "warn", "error", "fatal", "panic", "trace", "weird", "INFO"]
PREFIXES = ["", "Nov 11 19:19:23 a0.local kubelet[7321]: ", "Nov 11 19:19:23 h containerd: "]


@st.composite
def log_lines(draw: st.DrawFn) -> str:
    message = " ".join(draw(st.lists(st.sampled_from(FRAGMENTS), max_size=3)))
    message += draw(st.text(alphabet='ab \\"=:{}[]', max_size=8))
    level = draw(st.sampled_from(LEVELS))
    shape = draw(st.sampled_from(["klog", "logrus", "logrus-json", "tty", "plain", "spaced"]))
    if shape == "klog":
        letter = draw(st.sampled_from("IWEFX"))
        body = f"{letter}1129 10:00:00.000001    7321 kubelet.go:1] {message}"
    elif shape == "logrus":
        body = f'time="2024-01-01T00:00:00Z" level={level} msg="{message}"'
    elif shape == "logrus-json":
        body = json.dumps({"level": level, "msg": message})
    elif shape == "tty":
        body = f"{level[:4].upper()}[0001] {message}"
    elif shape == "spaced":
        body = f'time="2024-01-01T00:00:00Z"  level={level} msg={message}'
    else:
        body = message
    return draw(st.sampled_from(PREFIXES)) + body


def kept(text: str, ident: str | None = None) -> bool:
    line = parse_line(text, REFERENCE, ident)
    return line is not None and is_node_line(line)


@settings(max_examples=600, deadline=None)
@given(log_lines())
def test_a_skipped_line_is_never_a_node_line(text: str) -> None:
    if skipped(text):
        assert not kept(text), text
        assert not kept(text, "kubelet"), text


@pytest.mark.parametrize(
    "text",
    [KLOG_JOURNAL, KLOG_PLEG, KLOG_EVICTION, KLOG_POD, LOGRUS_SANDBOX, LOGRUS_TTY],
)
def test_lines_that_matter_are_parsed(text: str) -> None:
    assert not skipped(text)


@pytest.mark.parametrize(
    "text",
    [
        KLOG_INFO,
        LOGRUS_SHIM,
        'W1129 10:00:00.000001    7321 kubelet.go:1] "Unrelated warning"',
        'I1129 10:00:00.000001    7321 kubelet.go:1] "PLEG is not healthy"',  # info: not kept
        'time="2024-01-01T00:00:00Z" level=info msg="RunPodSandbox for &PodSandboxMetadata{}"',
        'Nov 11 19:19:23 h containerd[1]: time="2024-01-01T00:00:00Z" level=error msg="no"',
    ],
)
def test_ordinary_lines_are_skipped_unparsed(text: str) -> None:
    assert skipped(text)


def test_fatal_and_unlevelled_lines_are_parsed() -> None:
    assert not skipped('F1129 10:00:00.000001    7321 server.go:1] "anything"')
    assert not skipped('time="2024-01-01T00:00:00Z" level=fatal msg="anything"')
    assert not skipped("goroutine 1 [running]:")


def test_node_lines_of_a_raw_log_equal_those_of_its_parsed_lines() -> None:
    texts = [KLOG_JOURNAL, KLOG_INFO, LOGRUS_SHIM, LOGRUS_SANDBOX, KLOG_PLEG, "plain text"] * 3
    raw = RawLog(texts, lambda text: parse_line(text, REFERENCE))
    assert node_lines(raw) == node_lines(raw.lines())
    assert len(node_lines(raw)) == 12


# One message per node pattern, each matched by its pattern (checked below).
MATCHED = {
    "pleg": "PLEG is not healthy: pleg was last seen active 3m0s ago",
    "pleg-info": "skipping pod synchronization - [PLEG is not healthy: pleg was last seen active",
    "client-cert": "part of the existing bootstrap client certificate is expired: 2018-07-06",
    "volume": 'MountVolume.SetUp failed for volume "config" : configmap "app" not found',
    "runtime-not-ready": "Container runtime not ready",
    "cni": "failed to setup network for sandbox",
    "eviction": "Eviction manager: attempting to reclaim",
    "cgroup": "misconfiguration: kubelet cgroup driver differs",
    "kubelet-start": "failed to run Kubelet: running with swap on is not supported",
    "runtime-service": "dial unix /run/containerd/containerd.sock: connect: refused",
    "probe": "Probe failed",
    "image-pull": "Back-off pulling image",
    "sandbox": "Failed to create sandbox for pod",
    "proxy": "Head https://k8s.gcr.io/v2/pause/manifests/3.1: proxyconnect tcp: EOF",
    "container-start": "OCI runtime create failed",
    "disk": "no space left on device",
    "image-gc": "Image garbage collection failed",
    "runtime-config": 'failed to load plugin" error="invalid plugin config: `systemd_cgroup`',
    "node-limits": "failed to run Kubelet: inotify_init: too many open files",
    "runc": "apparmor failed to apply profile: no such file or directory",
}


@pytest.mark.parametrize(
    "pattern", [p for p in NODE_PATTERNS if p.regex.pattern], ids=lambda p: p.name
)
def test_a_line_any_node_pattern_matches_is_parsed(pattern: NodePattern) -> None:
    message = MATCHED[pattern.name]
    assert pattern.regex.search(message)
    letter, level = ("I", "info") if pattern.min_rank == 0 else ("W", "warning")
    for text in (
        f"{letter}1129 10:00:00.000001    7321 x.go:1] {message}",
        f'time="2024-01-01T00:00:00Z" level={level} msg="{message}"',
    ):
        assert kept(text) and not skipped(text), text


def test_only_the_newest_node_lines_are_kept_and_parsed() -> None:
    texts = [
        f'E1129 10:00:00.000001    7321 kubelet.go:1] "PLEG is not healthy" n={n}'
        if n % 3
        else LOGRUS_SHIM
        for n in range(3 * NODE_LINES_MAX)
    ]
    parsed: list[str] = []

    def parse(text: str) -> dict[str, Any] | None:
        parsed.append(text)
        return parse_line(text, REFERENCE)

    raw = RawLog(texts, parse)
    newest = node_lines(raw)
    assert newest == node_lines(RawLog(texts, lambda t: parse_line(t, REFERENCE)).lines())
    assert len(newest) == NODE_LINES_MAX and newest[-1]["message"].endswith(f"n={len(texts) - 1}")
    assert len(parsed) == NODE_LINES_MAX  # older lines were never parsed
