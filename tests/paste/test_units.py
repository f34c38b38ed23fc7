"""Whether the kubelet and containerd run, from `systemctl status` and systemd's journal lines:
a table of real pastes (the corpus case each is from) -> the process facts they give."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from doctor.paste.units import journal_states
from tests.paste.corpus import evidence
from tests.paste.reading import read_paste


def process_facts(tmp_path: Path, text: str) -> dict[str, dict[str, Any]]:
    layers = read_paste(tmp_path, text).document.data["layers"]
    keys = ("status", "running", "active_state", "pid")
    return {
        name: {k: layers[name][k] for k in keys if k in layers[name]}
        for name in ("kubelet", "containerd")
        if layers[name]["status"] == "ok"
    }


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param(
            "kubelet.config-file-invalid/website-22814",
            {"kubelet": {"status": "ok", "running": False, "active_state": "activating"}},
            id="activating (auto-restart), Main PID exited",
        ),
        pytest.param(
            "kubelet.runtime-endpoint-missing/k8s-115824",
            {"kubelet": {"status": "ok", "running": False, "active_state": "activating"}},
            id="status then the kubelet's own lines",
        ),
        pytest.param(
            "none/containerd-6408-status",
            {"containerd": {"status": "ok", "running": True, "active_state": "active", "pid": 940}},
            id="active (running)",
        ),
    ],
)
def test_systemctl_status(tmp_path: Path, case: str, expected: dict[str, Any]) -> None:
    assert process_facts(tmp_path, evidence(case)) == expected


# systemd's lines about kubelet.service, as journalctl -u kubelet shows them (kubernetes/kubeadm
# #1026, #2569: the kubelet in a start-up loop; the old wording from kubernetes/website #22814)
EXITED = "Feb 16 08:15:48 node systemd[1]: kubelet.service: Main process exited, code=exited, status=1/FAILURE"  # noqa: E501
FAILED = "Feb 16 08:15:48 node systemd[1]: kubelet.service: Failed with result 'exit-code'."
RESTART = "Feb 16 08:15:58 node systemd[1]: kubelet.service: Scheduled restart job, restart counter is at 7."  # noqa: E501
OLD_FAILED = "Jul 29 08:46:32 node1 systemd[1]: Unit kubelet.service entered failed state."
KUBELET_LINE = 'Feb 16 08:15:59 node kubelet[5148]: I0216 08:15:59.852698    5148 server.go:417] "Kubelet version" kubeletVersion="v1.26.1"'  # noqa: E501
CONTAINERD_EXITED = "Sep 18 10:46:45 node systemd[1]: containerd.service: Main process exited, code=exited, status=1/FAILURE"  # noqa: E501


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param([EXITED, FAILED], {"kubelet": ("failed", False)}, id="exited, failed"),
        pytest.param([EXITED, FAILED, RESTART], {"kubelet": ("activating", False)}, id="restart"),
        pytest.param([RESTART, EXITED], {"kubelet": ("activating", False)}, id="loop"),
        pytest.param([EXITED], {"kubelet": (None, False)}, id="exited only"),
        pytest.param([OLD_FAILED], {"kubelet": ("failed", False)}, id="systemd < 236"),
        pytest.param([EXITED, FAILED, RESTART, KUBELET_LINE], {}, id="restarted and logging"),
        pytest.param([CONTAINERD_EXITED], {"containerd": (None, False)}, id="containerd"),
    ],
)
def test_journal_lines(lines: list[str], expected: dict[str, tuple[str | None, bool]]) -> None:
    found = journal_states(lines)
    assert {k: (v.active_state, v.running) for k, v in found.items()} == expected


def test_a_journal_of_a_failing_kubelet_gives_its_state(tmp_path: Path) -> None:
    facts = process_facts(tmp_path, "\n".join([KUBELET_LINE, EXITED, FAILED, RESTART]))
    assert facts["kubelet"] == {"status": "ok", "running": False, "active_state": "activating"}
