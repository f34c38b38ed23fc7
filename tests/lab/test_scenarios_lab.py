"""Every lab scenario, made for real, is diagnosed with its expected root cause and layer."""

from __future__ import annotations

import pytest

from doctor.lab import scenarios
from doctor.lab.runtime import Lab
from tests.lab.diagnose import diagnose, root_cause

SHARED = [s for s in scenarios.SCENARIOS if not s.exclusive]
EXCLUSIVE = [s for s in scenarios.SCENARIOS if s.exclusive]
SEVERE = {"warning", "error", "critical"}


def check(lab: Lab, scenario: scenarios.Scenario) -> None:
    run = diagnose(lab, scenario.pod_ref, scenario.sample_interval)
    findings = [(f["id"], f["severity"]) for f in run.report["findings"]]
    print(f"{scenario.name}: diagnose took {run.seconds:.2f}s; findings {findings}")
    if scenario.root_cause is None:
        assert not [f for f in findings if f[1] in SEVERE], findings
        assert run.exit_code == 0
        return

    assert root_cause(run.report) == (scenario.root_cause, scenario.layer), findings
    assert run.exit_code == 1 or scenario.root_cause == "process.cpu-throttled"
    assert run.seconds < 30


@pytest.mark.parametrize("scenario", SHARED, ids=lambda s: s.name)
def test_shared_scenario(lab: Lab, scenario: scenarios.Scenario) -> None:
    scenarios.run(lab, scenario)
    check(lab, scenario)


@pytest.mark.parametrize("scenario", EXCLUSIVE, ids=lambda s: s.name)
def test_exclusive_scenario(lab: Lab, scenario: scenarios.Scenario) -> None:
    """Scenarios that change containerd itself; the shared lab is put back afterwards."""
    try:
        scenarios.run(lab, scenario)
        check(lab, scenario)
    finally:
        assert scenario.restore is not None
        scenario.restore(lab)
    assert lab.running
