"""Real pastes from the real-world corpus (fixtures/realworld/cases), by case name."""

from __future__ import annotations

from bench.realworld import CASES, load_case


def evidence(case: str) -> str:
    """The evidence of case `rule/name` (e.g. `kubelet.config-file-invalid/website-22814`)."""
    return load_case(CASES / f"{case}.yaml").evidence
