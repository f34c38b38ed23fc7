"""Meta-tests that keep the built-in catalog honest: ids, layout, examples, coverage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from doctor.engine.examples import run_examples
from doctor.engine.loader import builtin_rules_dir, lint
from doctor.layers import LAYER_NAMES

_REQUIRED = """
kubelet.not-running kubelet.runtime-endpoint-missing kubelet.cgroup-driver-mismatch
kubelet.crash-loop kubelet.probe-failed kubelet.config-error kubelet.evicted
cri.unreachable cri.timeout cri.api-unsupported cri.network-not-ready cri.runtime-not-ready
containerd.not-running containerd.image-not-found containerd.image-unauthorized
containerd.image-tls containerd.image-rate-limited containerd.registry-unreachable
containerd.sandbox-image-unavailable containerd.cni-config-missing containerd.cni-plugin-missing
containerd.cni-ip-exhausted
shim.died shim.orphaned
runc.exec-not-found runc.exec-format runc.permission-denied runc.mount-source-missing
runc.cgroup-apply-failed runc.oom-score-adj-denied
process.oom-killed process.killed process.segfault process.exited-zero process.app-error
process.cpu-throttled process.memory-near-limit process.pids-exhausted
node.disk-pressure node.memory-pressure node.kernel-oom
"""
REQUIRED_IDS = _REQUIRED.split()


RULESET, PROBLEMS = lint([builtin_rules_dir()])
RESULTS = run_examples(RULESET)


def test_builtin_packs_lint_clean() -> None:
    assert [str(p) for p in PROBLEMS] == []


def test_catalog_size_and_required_ids() -> None:
    ids = {rule.id for rule in RULESET.rules}
    assert len(ids) >= 40
    assert sorted(set(REQUIRED_IDS) - ids) == []


def test_every_layer_has_rules() -> None:
    assert {rule.layer.value for rule in RULESET.rules} == set(LAYER_NAMES)


def test_one_file_per_layer() -> None:
    for rule in RULESET.rules:
        assert Path(rule.source.file).name == f"{rule.layer.value}.yaml", rule.id


@pytest.mark.parametrize("rule", RULESET.rules, ids=lambda r: r.id)
def test_rule_has_both_kinds_of_example(rule: object) -> None:
    examples = rule.examples  # type: ignore[attr-defined]
    assert any(e.fires for e in examples) and any(not e.fires for e in examples)


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: f"{r.rule_id}:{r.example.source.line}")
def test_rule_example(result: object) -> None:
    assert result.passed, str(result)  # type: ignore[attr-defined]


@pytest.mark.parametrize("rule", RULESET.rules, ids=lambda r: r.id)
def test_rule_text_is_actionable(rule: object) -> None:
    assert len(rule.fix.text) >= 40, "a fix must say concretely what to do"  # type: ignore[attr-defined]
    assert len(rule.message.text) >= 20  # type: ignore[attr-defined]
    for url in rule.docs:  # type: ignore[attr-defined]
        assert re.match(r"https://[a-z0-9.-]+\.[a-z]{2,}/", url), url
