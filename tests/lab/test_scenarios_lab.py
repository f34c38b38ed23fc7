"""Every lab scenario, made for real, is diagnosed with its expected root cause and layer; the
node faults are named by `stackdoctor check` too, within the deadline when containerd hangs."""

from __future__ import annotations

import pytest

from doctor.lab import scenarios
from doctor.lab.runtime import Lab
from tests.lab import diagnose as sd
from tests.lab.support import require_registry

SHARED = [s for s in scenarios.SCENARIOS if not s.exclusive]
EXCLUSIVE = [s for s in scenarios.SCENARIOS if s.exclusive]


def expect_diagnosis(lab: Lab, scenario: scenarios.Scenario) -> None:
    run = sd.diagnose(lab, scenario.pod_ref, scenario.sample_interval, scenario.timeout)
    findings = [(f["id"], f["severity"]) for f in run.report["findings"]]
    print(f"{scenario.name}: diagnose took {run.seconds:.2f}s; findings {findings}")
    assert sd.within_deadline(run.seconds, scenario.timeout), run.seconds
    if scenario.root_cause is None:
        assert not sd.severe(run.report), findings
        assert run.exit_code == 0
        return
    assert sd.root_cause(run.report) == (scenario.root_cause, scenario.layer), findings
    assert run.exit_code == 1 or scenario.root_cause == "process.cpu-throttled"
    assert run.seconds < 30


def expect_check(lab: Lab, scenario: scenarios.Scenario) -> None:
    run = sd.check(lab, scenario.sample_interval, scenario.timeout)
    findings = [(f["id"], f["severity"]) for f in run.report["findings"]]
    print(f"{scenario.name}: check took {run.seconds:.2f}s; findings {findings}")
    assert sd.within_deadline(run.seconds, scenario.timeout), run.seconds
    assert sd.root_cause(run.report) == (scenario.root_cause, scenario.layer), findings
    assert run.exit_code == 1


def test_check_clean_on_healthy_lab(lab: Lab) -> None:
    """Before any scenario breaks anything: a running healthy pod, nothing at warning."""
    if "healthy" not in lab.state.scenarios:
        scenarios.run(lab, scenarios.get("healthy"))
    run = sd.check(lab)
    print(f"healthy lab: check took {run.seconds:.2f}s; findings {run.report['findings']}")
    assert run.exit_code == 0, run.report["findings"]
    assert not sd.severe(run.report)


@pytest.mark.parametrize("scenario", SHARED, ids=lambda s: s.name)
def test_shared_scenario(lab: Lab, scenario: scenarios.Scenario) -> None:
    if scenario.registry:
        require_registry()
    if scenario.name not in lab.state.scenarios:
        scenarios.run(lab, scenario)
    expect_diagnosis(lab, scenario)


@pytest.mark.parametrize("scenario", EXCLUSIVE, ids=lambda s: s.name)
def test_exclusive_scenario(lab: Lab, scenario: scenarios.Scenario) -> None:
    """Scenarios that change containerd itself; the shared lab is put back afterwards (in a
    finally: a SIGSTOPped containerd always gets its SIGCONT)."""
    if scenario.registry:
        require_registry()
    try:
        scenarios.run(lab, scenario)
        expect_diagnosis(lab, scenario)
        if scenario.node_fault:
            expect_check(lab, scenario)
    finally:
        assert scenario.restore is not None
        scenario.restore(lab)
    assert lab.running
