"""A pod's shim killed, told from state alone: once the logs rotated (or cannot be read), the
containers' exit 255, the sandbox NOTREADY and no shim for its id still name shim.died, not an
application error. The state is real: the lab's capture of a SIGKILLed containerd-shim-runc-v2
(fixtures/scenarios/k8s-shim-killed.json), with its log lines taken out."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.facts.document import PodRef, parse_facts
from tests.conftest import REPO

RULES = load_rules()
CAPTURED = json.loads((REPO / "fixtures" / "scenarios" / "k8s-shim-killed.json").read_text())
POD = PodRef.parse("default/shim-killed")
LOGS = ("log",)
POD_LOGS = ("kubelet_log", "containerd_log")


def without_logs(rotated: bool) -> dict[str, Any]:
    """The capture with every log line gone: read but empty (rotated), or not read at all."""
    data = copy.deepcopy(CAPTURED)
    for section in data["layers"].values():
        for key in LOGS:
            if key in section:
                if rotated:
                    section[key] = []
                else:
                    del section[key]
    for pod in data["pods"]:
        for key in POD_LOGS:
            if rotated:
                pod[key] = []
            else:
                pod.pop(key, None)
    return data


def root_cause(data: dict[str, Any]) -> str | None:
    report = diagnose(parse_facts(data, "test"), RULES, POD)
    return report.root_cause.finding.rule_id if report.root_cause else None


@pytest.mark.parametrize("rotated", [True, False], ids=["logs-rotated", "logs-unreadable"])
def test_shim_killed_is_told_from_state_alone(rotated: bool) -> None:
    data = without_logs(rotated)
    (pod,) = data["pods"]
    (container,) = pod["containers"]
    # the state the rule reads: nothing of the ttrpc line the logs had
    assert (container["exit_code"], pod["sandbox"]["state"]) == (255, "SANDBOX_NOTREADY")
    assert pod["sandbox"]["id"] not in {s["id"] for s in data["layers"]["shim"]["shims"]}
    assert root_cause(data) == "shim.died"


def test_the_same_state_of_a_finished_pod_is_not_a_shim_death() -> None:
    """A pod that finished (phase Failed: its container exited 255 by itself) has its sandbox
    torn down by the kubelet and its shim gone normally."""
    data = without_logs(rotated=True)
    data["pods"][0]["phase"] = "Failed"
    assert root_cause(data) != "shim.died"


def test_a_shim_list_that_was_not_read_decides_nothing() -> None:
    data = without_logs(rotated=True)
    data["layers"]["shim"] = {
        "status": "error",
        "errors": [{"source": "shim", "message": "permission denied"}],
    }
    assert root_cause(data) != "shim.died"
