"""Meta-tests that keep the built-in catalog honest: ids, layout, examples, coverage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from doctor.engine import templates
from doctor.engine.evaluate import evaluate
from doctor.engine.examples import example_document, run_examples
from doctor.engine.loader import RuleSet, builtin_rules_dir, lint
from doctor.engine.rule import Example, Rule
from doctor.facts.document import parse_facts
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


FIRING = [
    (rule, example) for rule in RULESET.branches() for example in rule.examples if example.fires
]
# A field that had no value (MISSING is replaced by this while rendering), or a lone `?` word.
_UNSET = "\x00no value\x00"
_LONE_QUESTION_MARK = re.compile(r"(?:^|[\s(\[:=,])\?(?=$|[\s)\],.;:])")
# A count of one with a plural noun.
_ONE_PLURAL = re.compile(r"(?<![\w.,-])1 times\b")


@pytest.mark.parametrize(
    ("rule", "example"), FIRING, ids=[f"{r.id}:{e.source.line}" for r, e in FIRING]
)
def test_firing_example_renders_every_field(
    rule: Rule, example: Example, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(templates, "MISSING", _UNSET)
    facts = parse_facts(example_document(rule, example.fragment), str(example.source))
    findings = evaluate(RuleSet((rule,)), facts).findings
    assert findings
    for finding in findings:
        for text in (finding.message, finding.fix):
            assert _UNSET not in text
            assert not _LONE_QUESTION_MARK.search(text), text
            assert not _ONE_PLURAL.search(text), text


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("exit code ? (Error)", True),
        ("(?)", True),
        ("state: ?, then", True),
        ("ends with ?", True),
        ("https://host/v2/token?scope=repository", False),
        ("a regex like (?P<x>...)", False),
        ("is it? no", False),
    ],
)
def test_lone_question_mark_pattern(text: str, flagged: bool) -> None:
    assert bool(_LONE_QUESTION_MARK.search(text)) is flagged


@pytest.mark.parametrize(
    ("text", "flagged"),
    [("restarted 1 times", True), ("1 times", True), ("11 times", False), ("0.1 times", False)],
)
def test_one_plural_pattern(text: str, flagged: bool) -> None:
    assert bool(_ONE_PLURAL.search(text)) is flagged
