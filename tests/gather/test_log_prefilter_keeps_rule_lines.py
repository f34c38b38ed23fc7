"""Every log line a built-in rule can match reaches it: the gatherer's pre-filters keep them.

The node-level filter (selection.NODE_PATTERNS, a severity floor per pattern) and the kernel
log's (node.KERNEL_TROUBLE) decide which lines of the kubelet's, containerd's, the node's other
agents' and the kernel's logs are in the facts at all. Rule examples are facts fragments that
never pass through them, so a rule could match a line in its example that the live gatherer
drops. Checked over the loaded
built-in catalog, two ways:

- each rule predicate on a filtered log: any line its regex matches, logged at warning or above,
  is kept (hypothesis draws the lines from the rule's own regex);
- each log line of a firing example, at the level the example states, is kept by the code the
  gatherer runs (node_lines over the line's text; read_kernel_log over /dev/kmsg).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doctor.engine.loader import load_rules
from doctor.engine.rule import Example, Rule
from doctor.gather.context import LayerRecorder
from doctor.gather.host import Host
from doctor.gather.logs.formats import LogLine, parse_line
from doctor.gather.logs.selection import node_lines
from doctor.gather.logs.sources import RawLog
from doctor.gather.node import KERNEL_TROUBLE, read_kernel_log
from doctor.layers import Layer
from tests.conftest import REPO
from tests.gather.hosttree import write
from tests.gather.log_lines import REFERENCE

# How the lines of each log in the facts schema reach the rules: through the node-level filter,
# through the kernel log's, or as the lines that name a pod (selection.assign_pod_lines).
LOG_FACTS = {
    ("kubelet", "log"): "node",
    ("containerd", "log"): "node",
    ("node", "kernel_log"): "kernel",
    ("node", "agent_log"): "node",
    ("pod", "kubelet_log"): "pod",
    ("pod", "containerd_log"): "pod",
}
FILTERED = {f"$.layers.{d}.{p}": gate for (d, p), gate in LOG_FACTS.items() if gate != "pod"}
CHECKABLE_OPS = {"matches", "contains"}


@dataclass(frozen=True)
class LogPredicate:
    """A rule predicate on a filtered log's messages, with the regex its lines match."""

    rule: str
    fact: str
    pattern: str
    gate: str

    def __str__(self) -> str:
        return f"{self.rule}:{self.fact}"


@dataclass(frozen=True)
class ExampleLine:
    """One line of a filtered log in a rule's firing example."""

    rule: Rule
    example: Example
    gate: str
    line: LogLine

    def __str__(self) -> str:
        return f"{self.rule.id}@{self.example.source.line}"


RULES = tuple(load_rules().branches())  # node branches read the node's logs too


def _gate(fact: str) -> str | None:
    return next((g for prefix, g in FILTERED.items() if fact.startswith(prefix + "[")), None)


def _predicates() -> tuple[list[LogPredicate], list[str]]:
    """The checkable predicates on filtered logs, and a description of any other kind."""
    found, unchecked = [], []
    for rule in RULES:
        for predicate in rule.when.predicates():
            gate = _gate(predicate.fact.text)
            if gate is None:
                continue
            if predicate.op.name not in CHECKABLE_OPS or not predicate.fact.text.endswith(
                "[*].message"
            ):
                unchecked.append(f"{rule.id}: {predicate.fact.text} {predicate.op.name}")
                continue
            value = predicate.value
            pattern = value.pattern if predicate.op.name == "matches" else re.escape(value)
            found.append(LogPredicate(rule.id, predicate.fact.text, pattern, gate))
    return found, unchecked


PREDICATES, UNCHECKED = _predicates()


def _example_lines() -> list[ExampleLine]:
    found = []
    for rule in RULES:
        for example in rule.examples:
            if not example.fires:
                continue
            for name, section in example.fragment.get("layers", {}).items():
                for key, gate in ((k, _gate(f"$.layers.{name}.{k}[*]")) for k in section):
                    if gate is not None:
                        found += [ExampleLine(rule, example, gate, line) for line in section[key]]
    return found


EXAMPLE_LINES = _example_lines()


def _log_facts_in_schema() -> set[tuple[str, str]]:
    schema = json.loads((REPO / "doctor" / "facts" / "schema.json").read_text())
    return {
        (definition, name)
        for definition, body in schema["$defs"].items()
        for name, prop in body.get("properties", {}).items()
        if prop.get("$ref") == "#/$defs/log"  # beside its `description` (and `x-layer`)
    }


def test_every_log_in_the_facts_says_how_its_lines_reach_the_rules() -> None:
    assert _log_facts_in_schema() == set(LOG_FACTS)


def test_every_predicate_on_a_filtered_log_is_checked_here() -> None:
    # A predicate of another kind (`exists`, a filter path...) needs its own case below.
    assert UNCHECKED == []
    assert {p.gate for p in PREDICATES} == {"node", "kernel"}
    assert {p.fact for p in PREDICATES} >= {
        "$.layers.kubelet.log[*].message",
        "$.layers.containerd.log[*].message",
    }


def _parse(text: str) -> LogLine | None:
    return parse_line(text, REFERENCE)


def _klog(letter: str, message: str) -> str:
    return f"{letter}0101 00:00:00.000000    1 example.go:1] {message}"


def _logrus(level: str, message: str, closing: str = '"') -> str:
    return f'time="2026-01-01T00:00:00Z" level={level} msg="{message}{closing}'


@pytest.mark.parametrize("predicate", PREDICATES, ids=str)
def test_a_line_a_rule_matches_is_kept_at_warning_or_above(predicate: LogPredicate) -> None:
    regex = re.compile(predicate.pattern)

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.from_regex(regex))
    def kept(drawn: str) -> None:
        message = drawn.replace("\n", " ")  # one line of a log
        if predicate.gate == "kernel":
            assert not regex.search(message) or KERNEL_TROUBLE.search(message), message
            return
        for raw in (_klog("W", message), _logrus("warning", message)):
            line = _parse(raw)
            if line is not None and regex.search(line["message"]):
                assert node_lines(RawLog([raw], _parse)) == [line], raw

    kept()


def _written(line: LogLine) -> str:
    """The line's text as the component writes it: klog for a klog level letter, logrus text for
    a level word, the bare message for a line without a level."""
    severity: str | None = line["severity"]
    message: str = line["message"]
    if severity is None:
        return message
    if severity in ("I", "W", "E", "F"):
        return _klog(severity, message)
    # msg's closing quote is already in a message that other fields follow (`failed" error=...`)
    bare = _logrus(severity, message, closing="")
    parsed = _parse(bare)
    return (
        bare if parsed is not None and parsed["message"] == message else _logrus(severity, message)
    )


@pytest.mark.parametrize("case", [c for c in EXAMPLE_LINES if c.gate == "node"], ids=str)
def test_a_node_level_line_of_a_firing_example_is_kept(case: ExampleLine) -> None:
    line = case.line
    # Whether the line is kept depends on its level (and a line without one is always kept).
    assert "severity" in line or line.get("raw"), (
        f"{case.example.source}: give the level the component logs this line at"
        " (`severity: E`, `severity: info`; null for none) or the line as written (`raw`)"
    )
    raw = line.get("raw") or _written(line)
    parsed = _parse(raw)
    assert parsed is not None and parsed["message"] == line["message"], raw
    assert parsed["severity"] == line.get("severity", parsed["severity"]), raw
    assert node_lines(RawLog([raw], _parse)) == [parsed], f"{case.example.source}: dropped"


@pytest.mark.parametrize("case", [c for c in EXAMPLE_LINES if c.gate == "kernel"], ids=str)
def test_a_kernel_line_of_a_firing_example_is_kept(case: ExampleLine, tmp_path: Path) -> None:
    message = case.line["message"]
    write(tmp_path, "/dev/kmsg", f"3,1,1000,-;{message}\n")
    kept = read_kernel_log(Host(tmp_path), LayerRecorder(Layer.NODE))
    assert [line["message"] for line in kept or []] == [message], f"{case.example.source}: dropped"
