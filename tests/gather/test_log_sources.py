"""Where a log is read from: the journal, a dedicated file, the syslog files; a bounded tail."""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from doctor.gather.context import GatherContext, GatherOptions, LayerRecorder
from doctor.gather.host import Host
from doctor.gather.logs.sources import AGENTS_LOG, KUBELET_LOG, read_log
from doctor.layers import Layer
from tests.gather.log_lines import (
    KLOG_INFO,
    KLOG_JOURNAL,
    KLOG_PLEG,
    KLOG_PROBE_LINES,
    LOGRUS_SHIM,
)
from tests.paste.pastes import K3S_SUPERVISOR


def _context(root: Path, **options: Any) -> GatherContext:
    return GatherContext.create(GatherOptions(host_root=root, **options))


@pytest.fixture
def no_journal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("doctor.gather.logs.sources.shutil.which", lambda name: None)


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
def test_a_klog_multi_line_value_stays_with_its_line(tmp_path: Path) -> None:
    text = "\n".join(
        ["\tcut off by the tail", " >", KLOG_PROBE_LINES, KLOG_INFO, "\tnot in a value"]
    )
    _write(tmp_path, "/var/log/kubelet.log", text + "\n")
    lines = read_log(_context(tmp_path), LayerRecorder(Layer.KUBELET), KUBELET_LOG)
    assert lines is not None
    assert [line["raw"] for line in lines] == [
        "\tcut off by the tail",
        " >",
        KLOG_PROBE_LINES,
        KLOG_INFO,
        "\tnot in a value",
    ]
    assert "No such file or directory" in lines[2]["message"]


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


# kube-proxy as CoreOS's kube-proxy.service (kubernetes/kubernetes#5461, v0.8.1)
KUBE_PROXY = (
    "Mar 13 20:57:58 ip-172-16-2-106.ec2.internal kube-proxy[769]: E0313 20:57:58.484688"
    "     769 proxier.go:102] Accept failed: accept tcp [::]:59559: too many open files"
)


@pytest.mark.usefixtures("no_journal")
def test_a_shared_syslog_holds_each_daemons_own_lines(tmp_path: Path) -> None:
    """kube-proxy logs klog as the kubelet does: its identifier, not its format, says whose."""
    _write(tmp_path, "/var/log/syslog", KLOG_JOURNAL + "\n" + KUBE_PROXY + "\n")
    kubelet = read_log(_context(tmp_path), LayerRecorder(Layer.KUBELET), KUBELET_LOG)
    agents = read_log(_context(tmp_path), LayerRecorder(Layer.NODE), AGENTS_LOG)
    assert kubelet is not None and [line["raw"] for line in kubelet] == [KLOG_JOURNAL]
    assert agents is not None and [line["raw"] for line in agents] == [KUBE_PROXY]


@pytest.mark.usefixtures("no_journal")
def test_an_optional_agents_missing_log_is_no_error(tmp_path: Path) -> None:
    """kube-proxy runs in a pod on most nodes: no journal, file or syslog for it is not known,
    not an error (and not an empty log)."""
    recorder = LayerRecorder(Layer.NODE)
    assert read_log(_context(tmp_path), recorder, AGENTS_LOG) is None
    assert recorder.errors == []


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
        "doctor.gather.logs.sources.shutil.which",
        lambda name: fake if name == "journalctl" else None,
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


# -- distributions that rename or bundle the daemons (daemons.py) -------------------------------


def test_the_journal_is_read_for_every_unit_that_may_hold_the_kubelet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    k3s_klog = {"MESSAGE": KLOG_PLEG, "SYSLOG_IDENTIFIER": "k3s", "PRIORITY": "3"}
    # a line of k3s that is neither klog nor logrus is none of the kubelet's
    k3s_other = {"MESSAGE": "Starting k3s v1.27.4+k3s1", "SYSLOG_IDENTIFIER": "k3s"}
    args = tmp_path / "args"
    records = "\n".join(f"echo '{json.dumps(r)}'" for r in (k3s_klog, k3s_other))
    root = _with_journal(tmp_path, monkeypatch, f'echo "$@" > {args}\n{records}\n')
    lines = read_log(_context(root), LayerRecorder(Layer.KUBELET), KUBELET_LOG)
    assert lines is not None and [line["raw"] for line in lines] == [KLOG_PLEG]
    called = args.read_text()
    for unit in ("kubelet", "k3s", "k3s-agent", "rke2-agent", "snap.microk8s.daemon-kubelite"):
        assert f"-u {unit} " in called


@pytest.mark.usefixtures("no_journal")
def test_a_k3s_node_syslog_keeps_its_kubelet_lines(tmp_path: Path) -> None:
    k3s = KLOG_JOURNAL.replace(" kubelet[7321]: ", " k3s[1763]: ")
    _write(tmp_path, "/var/log/syslog", k3s + "\n" + K3S_SUPERVISOR + "\n")
    lines = read_log(_context(tmp_path), LayerRecorder(Layer.KUBELET), KUBELET_LOG)
    assert lines is not None and [line["raw"] for line in lines] == [k3s, K3S_SUPERVISOR]


@pytest.mark.usefixtures("no_journal")
def test_rke2_kubelet_log_file(tmp_path: Path) -> None:
    _write(tmp_path, "/var/lib/rancher/rke2/agent/logs/kubelet.log", KLOG_PLEG + "\n")
    lines = read_log(_context(tmp_path), LayerRecorder(Layer.KUBELET), KUBELET_LOG)
    assert lines is not None and [line["raw"] for line in lines] == [KLOG_PLEG]
