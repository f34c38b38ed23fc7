"""Log reading (bounded tail, sources), parsing (klog, logrus text/JSON, journald) and filtering."""

from __future__ import annotations

import json
import os
import tracemalloc
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from doctor.gather import logs
from doctor.gather.context import GatherContext, GatherOptions, LayerRecorder
from doctor.gather.host import Host
from doctor.gather.logs import (
    KUBELET_LOG,
    RawLog,
    assign_pod_lines,
    is_node_line,
    node_lines,
    parse_journal_record,
    parse_line,
    read_log,
)
from doctor.layers import Layer

REFERENCE = datetime(2023, 11, 30, 12, 0, 0)
SANDBOX = "e5a8e7ad13f2628e35bf08b06924cf006d67164345b0878910868fc68d43b1ff"
CONTAINER = "53940ebcbf87d9313bb88b1656bc189745b04414888305a7ec47aef9c55fcdaf"
UID = "5972853f-1b2c-4d5e-8f90-a1b2c3d4e5f6"

# Lines in the exact formats of /tmp/research/strings.md (kubelet klog, containerd logrus).
KLOG_JOURNAL = (
    "Nov 11 19:19:23 a0.local kubelet[7321]: E1111 19:19:23.250596    7321 kubelet.go:2855]"
    ' "Container runtime network not ready" networkReady="NetworkReady=false'
    " reason:NetworkPluginNotReady message:Network plugin returns error:"
    ' cni plugin not initialized"'
)
KLOG_PLEG = (
    'E1128 14:02:06.631719  308309 kubelet.go:1870] "Skipping pod synchronization"'
    ' err="PLEG is not healthy: pleg was last seen active 3m0.416753742s ago; threshold is 3m0s"'
)
KLOG_EVICTION = (
    'I0617 16:18:42.080925 3814777 eviction_manager.go:381] "Eviction manager: attempting to'
    ' reclaim" resourceName="ephemeral-storage"'
)
KLOG_INFO = (
    'I1129 10:00:00.000001    7321 server.go:487] "Kubelet version" kubeletVersion="v1.28.2"'
)
KLOG_POD = (
    'E0911 19:22:34.966790    3461 pod_workers.go:1301] "Error syncing pod, skipping"'
    ' err="failed to \\"CreatePodSandbox\\" for \\"coredns-7484cd47db-kmg55_kube-system('
    + UID
    + ')\\" with CreatePodSandboxError: \\"Failed to create sandbox for pod\\""'
    ' pod="kube-system/coredns-7484cd47db-kmg55"'
)
LOGRUS_SANDBOX = (
    'Oct 24 11:07:02 node1 containerd[394428]: time="2021-10-24T11:07:02.247996848Z"'
    ' level=error msg="RunPodSandbox for &PodSandboxMetadata{Name:kube-apiserver-node1,'
    'Uid:a668c4166c6878f474f019afbf7729d6,Namespace:kube-system,Attempt:0,} failed, error"'
    ' error="failed to create containerd task: OCI runtime create failed: expected cgroupsPath'
    ' to be of format \\"slice:prefix:name\\" for systemd cgroups, got \\"/kubepods/burstable\\"'
    ' instead: unknown"'
)
LOGRUS_SHIM = (
    'time="2023-06-15T12:01:21.373969868+08:00" level=info msg="shim disconnected" id=' + CONTAINER
)
LOGRUS_TTY = (
    "WARN[2019-04-11T10:39:37.414006366-07:00] cleaning up after shim disconnected"
    "           id=" + CONTAINER + " namespace=k8s.io"
)


def test_klog_with_journald_prefix() -> None:
    line = parse_line(KLOG_JOURNAL, REFERENCE)
    assert line == {
        "time": "2023-11-11T19:19:23.250596",
        "severity": "E",
        "source": "kubelet.go:2855",
        "message": KLOG_JOURNAL.split("kubelet.go:2855] ", 1)[1],
        "raw": KLOG_JOURNAL,
    }


def test_klog_year_is_inferred_backwards_across_new_year() -> None:
    line = parse_line(KLOG_PLEG, datetime(2024, 1, 2))
    assert line is not None and line["time"] == "2023-11-28T14:02:06.631719"
    assert line["message"].startswith('"Skipping pod synchronization" err="PLEG')


def test_logrus_text_keeps_msg_and_its_fields() -> None:
    line = parse_line(LOGRUS_SANDBOX, REFERENCE, "containerd")
    assert line is not None
    assert line["time"] == "2021-10-24T11:07:02.247996848Z"
    assert line["severity"] == "error"
    assert line["message"].startswith(
        "RunPodSandbox for &PodSandboxMetadata{Name:kube-apiserver-node1,"
    )
    assert 'failed, error" error="failed to create containerd task: OCI runtime' in line["message"]
    assert line["message"].endswith('instead: unknown"')


def test_logrus_text_last_msg_loses_its_closing_quote() -> None:
    line = parse_line(LOGRUS_SHIM, REFERENCE)
    assert line is not None
    assert line["message"] == f'shim disconnected" id={CONTAINER}'  # as the rules expect
    quiet = parse_line('time="2024-01-01T00:00:00Z" level=info msg="shim disconnected"', REFERENCE)
    assert quiet is not None and quiet["message"] == "shim disconnected"


def test_logrus_tty_format() -> None:
    line = parse_line(LOGRUS_TTY, REFERENCE)
    assert line is not None
    assert line["severity"] == "warning"
    assert line["time"] == "2019-04-11T10:39:37.414006366-07:00"
    assert line["message"] == f"cleaning up after shim disconnected id={CONTAINER} namespace=k8s.io"


def test_logrus_json() -> None:
    text = (
        '{"error":"failed to create containerd task: failed to create shim task","level":"error",'
        '"msg":"StartContainer for \\"0f3c9b1e2d\\" failed","time":"2025-01-02T03:04:05.123Z"}'
    )
    line = parse_line(text, REFERENCE)
    assert line is not None
    assert line["severity"] == "error"
    assert line["time"] == "2025-01-02T03:04:05.123Z"
    assert line["message"] == (
        'StartContainer for "0f3c9b1e2d" failed'
        ' error="failed to create containerd task: failed to create shim task"'
    )


def test_journal_record_uses_the_journal_time() -> None:
    record = {"MESSAGE": KLOG_PLEG, "__REALTIME_TIMESTAMP": "1701180126631719", "PRIORITY": "6"}
    line = parse_journal_record(record, REFERENCE)
    assert line is not None
    assert line["time"] == "2023-11-28T14:02:06.631719Z"
    assert line["severity"] == "E"
    assert line["raw"] == KLOG_PLEG
    plain = parse_journal_record({"MESSAGE": [104, 105], "PRIORITY": "3"}, REFERENCE)
    assert plain == {
        "time": None,
        "severity": "error",
        "source": None,
        "message": "hi",
        "raw": "hi",
    }
    assert parse_journal_record({"MESSAGE": None}, REFERENCE) is None


def test_syslog_lines_of_other_programs_are_skipped() -> None:
    other = "Nov 11 19:19:23 a0.local systemd[1]: Started kubelet.service."
    assert parse_line(other, REFERENCE, "kubelet") is None
    assert parse_line("no prefix at all", REFERENCE, "kubelet") is None
    iso = "2023-11-11T19:19:23.250596+00:00 a0 kubelet[7321]: " + KLOG_PLEG
    line = parse_line(iso, REFERENCE, "kubelet")
    assert line is not None and line["source"] == "kubelet.go:1870"


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
    assert all(pattern.reason for pattern in logs.NODE_PATTERNS)
    assert len({pattern.name for pattern in logs.NODE_PATTERNS}) == len(logs.NODE_PATTERNS)


def test_node_lines_keeps_the_newest() -> None:
    lines: list[dict[str, Any]] = [
        {"severity": "E", "message": f"PLEG is not healthy {n}"} for n in range(600)
    ]
    kept = node_lines(lines)
    assert len(kept) == logs.NODE_LINES_MAX
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
    assert len(pod["kubelet_log"]) == logs.POD_LINES_MAX
    assert pod["kubelet_log"][-1]["message"].endswith("n=299")


def _context(root: Path, **options: Any) -> GatherContext:
    return GatherContext.create(GatherOptions(host_root=root, **options))


@pytest.fixture
def no_journal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("doctor.gather.logs.shutil.which", lambda name: None)


def _write(root: Path, path: str, text: str) -> Path:
    local = root / path.lstrip("/")
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_text(text)
    return local


@pytest.mark.usefixtures("no_journal")
def test_read_log_prefers_the_dedicated_file(tmp_path: Path) -> None:
    _write(tmp_path, "/var/log/kubelet.log", KLOG_PLEG + "\n" + KLOG_INFO + "\n")
    _write(tmp_path, "/var/log/syslog", KLOG_JOURNAL + "\n")
    recorder = LayerRecorder(Layer.KUBELET)
    lines = read_log(_context(tmp_path), recorder, KUBELET_LOG)
    assert lines is not None and [line["raw"] for line in lines] == [KLOG_PLEG, KLOG_INFO]
    assert recorder.errors == []


@pytest.mark.usefixtures("no_journal")
def test_read_log_filters_syslog_by_program(tmp_path: Path) -> None:
    other = "Nov 11 19:19:24 a0.local containerd[900]: " + LOGRUS_SHIM
    _write(tmp_path, "/var/log/messages", KLOG_JOURNAL + "\n" + other + "\n")
    lines = read_log(_context(tmp_path), LayerRecorder(Layer.KUBELET), KUBELET_LOG)
    assert lines is not None and [line["raw"] for line in lines] == [KLOG_JOURNAL]


@pytest.mark.usefixtures("no_journal")
def test_missing_log_is_not_an_empty_log(tmp_path: Path) -> None:
    recorder = LayerRecorder(Layer.KUBELET)
    assert read_log(_context(tmp_path), recorder, KUBELET_LOG) is None
    assert recorder.errors and "none of /var/log/kubelet.log" in recorder.errors[0]["message"]
    _write(tmp_path, "/var/log/kubelet.log", "")
    assert read_log(_context(tmp_path), LayerRecorder(Layer.KUBELET), KUBELET_LOG) == []


@pytest.mark.usefixtures("no_journal")
def test_unreadable_log_is_recorded(tmp_path: Path) -> None:
    (tmp_path / "var/log/kubelet.log").mkdir(parents=True)  # a directory where a file should be
    recorder = LayerRecorder(Layer.KUBELET)
    assert read_log(_context(tmp_path), recorder, KUBELET_LOG) is None
    assert recorder.errors[0]["source"] == "/var/log/kubelet.log"
    assert recorder.status.value == "ok"


@pytest.mark.usefixtures("no_journal")
def test_permission_denied_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, "/var/log/kubelet.log", KLOG_PLEG + "\n")

    def denied(*args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")

    ctx = _context(tmp_path)
    monkeypatch.setattr(type(ctx.host), "read_tail", denied)
    recorder = LayerRecorder(Layer.KUBELET)
    assert read_log(ctx, recorder, KUBELET_LOG) is None
    assert recorder.errors[0] == {
        "source": "/var/log/kubelet.log",
        "message": "Permission denied",
    }


@pytest.mark.usefixtures("no_journal")
def test_a_huge_log_is_read_only_to_the_bound(tmp_path: Path) -> None:
    """A 200 MB (sparse) log with a 1 MiB bound: only the bound is read and parsed."""
    path = tmp_path / "var/log/kubelet.log"
    path.parent.mkdir(parents=True)
    bound = 1 << 20
    with open(path, "wb") as handle:
        handle.truncate(200 << 20)
        handle.seek(0, os.SEEK_END)
        line = (KLOG_PLEG + "\n").encode()
        handle.write(line * (2 * bound // len(line)))
    size = path.stat().st_size
    assert size > 200 << 20
    reads: list[int] = []
    original = Host.read_tail

    def spy(host: Host, absolute: str, max_bytes: int) -> Any:
        tail = original(host, absolute, max_bytes)
        reads.append(len(tail.data))
        return tail

    ctx = _context(tmp_path, log_bytes=bound)
    tracemalloc.start()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Host, "read_tail", spy)
            lines = read_log(ctx, LayerRecorder(Layer.KUBELET), KUBELET_LOG)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reads and reads[0] <= bound
    assert lines is not None and len(lines) == reads[0] // len(line)
    assert peak < 20 * bound  # parsed lines of a 1 MiB tail, nowhere near the 200 MB file


def _fake_journalctl(tmp_path: Path, script: str) -> str:
    """A stand-in journalctl (the real one would read this machine's journal)."""
    fake = tmp_path / "bin/journalctl"
    fake.parent.mkdir(parents=True, exist_ok=True)
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(0o755)
    return str(fake)


def _with_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> Path:
    root = tmp_path / "host"
    _write(root, "/var/log/journal/0123456789abcdef/system.journal", "x")
    fake = _fake_journalctl(tmp_path, script)
    monkeypatch.setattr(
        "doctor.gather.logs.shutil.which", lambda name: fake if name == "journalctl" else None
    )
    return root


def test_read_log_from_the_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = json.dumps(
        {"MESSAGE": KLOG_PLEG, "__REALTIME_TIMESTAMP": "1701180126631719", "PRIORITY": "3"}
    )
    args = tmp_path / "args"
    root = _with_journal(tmp_path, monkeypatch, f"echo \"$@\" > {args}\necho '{record}'\n")
    recorder = LayerRecorder(Layer.KUBELET)
    lines = read_log(_context(root), recorder, KUBELET_LOG)
    assert lines is not None and [line["raw"] for line in lines] == [KLOG_PLEG]
    assert lines[0]["time"] == "2023-11-28T14:02:06.631719Z"
    called = args.read_text()
    assert f"--directory={root}/var/log/journal" in called
    assert "-u kubelet" in called and "-o json" in called and "-n " in called


def test_journal_failure_falls_back_to_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _with_journal(tmp_path, monkeypatch, "echo 'Failed to open journal' >&2\nexit 1\n")
    _write(root, "/var/log/kubelet.log", KLOG_INFO + "\n")
    recorder = LayerRecorder(Layer.KUBELET)
    lines = read_log(_context(root), recorder, KUBELET_LOG)
    assert lines is not None and [line["raw"] for line in lines] == [KLOG_INFO]
    assert recorder.errors == [
        {"source": "journalctl -u kubelet", "message": "Failed to open journal"}
    ]


def test_journal_timeout_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _with_journal(tmp_path, monkeypatch, "exec sleep 30\n")
    recorder = LayerRecorder(Layer.KUBELET)
    assert read_log(_context(root, timeout=0.3), recorder, KUBELET_LOG) is None
    assert recorder.errors[0] == {
        "source": "journalctl -u kubelet",
        "message": "timed out after 0.3s",
    }


def test_empty_journal_unit_is_looked_and_found_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _with_journal(tmp_path, monkeypatch, "exit 0\n")
    recorder = LayerRecorder(Layer.KUBELET)
    assert read_log(_context(root), recorder, KUBELET_LOG) == []
    assert recorder.errors == []


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
