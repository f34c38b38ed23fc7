"""Which lines are kept: the node-level lines that matter, and each pod's own lines."""

from __future__ import annotations

from typing import Any

import pytest

from doctor.gather.context import GatherContext, GatherOptions
from doctor.gather.host import Host
from doctor.gather.logs.formats import parse_line
from doctor.gather.logs.selection import (
    NODE_LINES_MAX,
    NODE_PATTERNS,
    POD_LINES_MAX,
    assign_pod_lines,
    is_node_line,
    node_lines,
)
from doctor.gather.logs.sources import RawLog
from tests.gather.log_lines import (
    CONTAINER,
    KLOG_EVICTION,
    KLOG_INFO,
    KLOG_JOURNAL,
    KLOG_PLEG,
    KLOG_POD,
    LOGRUS_SANDBOX,
    LOGRUS_SHIM,
    REFERENCE,
    SANDBOX,
    UID,
)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (KLOG_JOURNAL, True),
        (KLOG_PLEG, True),
        (KLOG_EVICTION, True),  # info level, but the eviction manager's decisions matter
        (KLOG_INFO, False),
        (LOGRUS_SANDBOX, True),
        (LOGRUS_SHIM, False),
        ('I1129 10:00:00.000001    7321 kubelet.go:1] "PLEG is not healthy"', False),  # info
        ('F1129 10:00:00.000001    7321 server.go:1] "anything fatal"', True),
    ],
)
def test_node_level_filter(text: str, kept: bool) -> None:
    line = parse_line(text, REFERENCE)
    assert line is not None and is_node_line(line) is kept


def test_every_pattern_says_why() -> None:
    assert all(pattern.reason for pattern in NODE_PATTERNS)
    assert len({pattern.name for pattern in NODE_PATTERNS}) == len(NODE_PATTERNS)


def test_node_lines_keeps_the_newest() -> None:
    lines: list[dict[str, Any]] = [
        {"severity": "E", "message": f"PLEG is not healthy {n}"} for n in range(600)
    ]
    kept = node_lines(lines)
    assert len(kept) == NODE_LINES_MAX
    assert kept[-1]["message"].endswith("599") and kept[0]["message"].endswith("100")


def _pod(name: str = "coredns-7484cd47db-kmg55", **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": "kube-system", "containers": [], **extra}


def test_assign_pod_lines_by_every_term() -> None:
    by_name = parse_line(KLOG_POD, REFERENCE)
    by_sandbox = {"message": f"failed to setup network for sandbox {SANDBOX}", "raw": None}
    by_container = parse_line(LOGRUS_SHIM, REFERENCE)
    unrelated = parse_line(KLOG_PLEG, REFERENCE)
    lines = [line for line in (by_name, by_sandbox, by_container, unrelated) if line]
    pod = _pod(uid=UID, sandbox={"id": SANDBOX}, containers=[{"name": "c", "id": CONTAINER}])
    other = _pod("other")
    assign_pod_lines([pod, other], lines, "kubelet_log")
    assert pod["kubelet_log"] == [by_name, by_sandbox, by_container]
    assert other["kubelet_log"] == []  # read, nothing mentions it


def test_assign_pod_lines_unread_log_leaves_the_field_unset() -> None:
    pod = _pod()
    assign_pod_lines([pod], None, "containerd_log")
    assert "containerd_log" not in pod


def test_assign_pod_lines_keeps_the_newest() -> None:
    lines = [{"message": f'pod="kube-system/x" n={n}', "raw": None} for n in range(300)]
    pod = _pod("x")
    assign_pod_lines([pod], lines, "kubelet_log")
    assert len(pod["kubelet_log"]) == POD_LINES_MAX
    assert pod["kubelet_log"][-1]["message"].endswith("n=299")


def test_assign_pod_lines_with_the_context_terms() -> None:
    pod = _pod(uid=UID)
    ctx = GatherContext(GatherOptions(), Host(), pods=[pod])
    line = parse_line(KLOG_POD, REFERENCE)
    assert line is not None
    assign_pod_lines(ctx.pods, [line], "kubelet_log", ctx.pod_terms())
    assert pod["kubelet_log"] == [line]


def test_a_raw_log_parses_only_the_lines_that_mention_a_pod() -> None:
    parsed: list[str] = []

    def parse(text: str) -> dict[str, Any]:
        parsed.append(text)
        return {"message": text, "raw": text}

    uid = "6f1b6c1e-0d3c-4a52-9a55-0e2d3c1b7a10"
    raw = RawLog([f"line {n} about another pod" for n in range(1000)] + [f"mentions {uid}"], parse)
    pod: dict[str, Any] = {"name": "web", "namespace": "default", "uid": uid, "containers": []}
    assign_pod_lines([pod], raw, "kubelet_log")
    assert [line["message"] for line in pod["kubelet_log"]] == [f"mentions {uid}"]
    assert parsed == [f"mentions {uid}"]
