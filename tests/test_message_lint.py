"""`rules lint` on messages: a field the rule's `when` does not guarantee needs a fallback or an
optional section, and a count before `times` needs `|count`; such a rule still loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from doctor.engine.guarantees import schema_fields
from doctor.engine.loader import lint, load_rules

RULE = """\
rules:
  - id: process.demo
    layer: process
    severity: error
    scope: {scope}
    title: Demo
    when: {when}
    message: '{message}'
    fix: Fix it by doing the concrete thing
    examples:
      fires: [{{}}]
      quiet: [{{}}]
"""
EXIT_1 = "{fact: exit_code, op: eq, value: 1}"


def message_problems(
    tmp_path: Path, message: str, when: str = EXIT_1, scope: str = "container"
) -> list[str]:
    path = tmp_path / "demo.yaml"
    path.write_text(RULE.format(scope=scope, when=when, message=message.replace("'", "''")))
    _, found = lint([path], with_builtin=False)
    return [problem.message for problem in found]


@pytest.mark.parametrize(
    ("message", "when"),
    [
        # what the condition read is there whenever it holds, and so is the way to it
        ("code {container.exit_code}", EXIT_1),
        ("usage {container.cgroup.memory}", "{fact: cgroup.memory.usage_bytes, op: gt, value: 1}"),
        ("{container.reason}", "{all: [" + EXIT_1 + ", {fact: reason, op: exists}]}"),
        (
            "{container.reason}",
            "{any: [{fact: reason, op: eq, value: a}, {fact: reason, op: ne, value: b}]}",
        ),
        # `not` of a false predicate: it read its fact (absent false = there)
        ("{container.reason}", "{not: {fact: reason, op: absent}}"),
        ("{container.reason}", "{all: [" + EXIT_1 + ", {not: {fact: reason, op: eq, value: x}}]}"),
        # what the facts schema always has
        ("{container.name} {container.attempt} {pod.name} {pod.namespace}", EXIT_1),
        ("{collected.host} {layers.cri.status}", EXIT_1),
        # regex groups outside any optional part, and `as:` bindings
        ("{word}", "{fact: message, op: matches, value: 'x (?P<word>\\w+) y'}"),
        ("{word}", "{fact: message, op: matches, value: '(?:(?P<word>a)+)'}"),
        ("{seen}", "{fact: exit_code, op: gt, value: 0, as: seen}"),
        # fallbacks and optional sections make any field safe
        ('{container.reason||"unknown"}', EXIT_1),
        ("exited{? (reason {container.reason})}", EXIT_1),
        ("{container.reason||container.exit_code}", EXIT_1),
        (
            "restarted {container.restart_count|count:time}",
            "{fact: restart_count, op: gt, value: 0}",
        ),
    ],
)
def test_guaranteed_message_passes(tmp_path: Path, message: str, when: str) -> None:
    assert message_problems(tmp_path, message, when) == []


@pytest.mark.parametrize(
    ("message", "when", "field"),
    [
        ("reason {container.reason}", EXIT_1, "{container.reason}"),
        # one branch of `any` is not enough
        (
            "{container.reason}",
            "{any: [{fact: reason, op: eq, value: a}, " + EXIT_1 + "]}",
            "{container.reason}",
        ),
        # exists being false, or absent being true, says the fact is not there
        ("{container.reason}", "{not: {fact: reason, op: exists}}", "{container.reason}"),
        ("{container.reason}", "{fact: reason, op: absent}", "{container.reason}"),
        ("{seen}", "{fact: reason, op: absent, as: seen}", "{seen}"),
        # a deeper field than the one read, or one the schema allows to be null
        (
            "{container.cgroup.memory.limit_bytes}",
            "{fact: cgroup.memory.usage_bytes, op: gt, value: 1}",
            "{container.cgroup.memory.limit_bytes}",
        ),
        ("{collected.kernel}", EXIT_1, "{collected.kernel}"),
        # a group in an optional part or one branch of an alternation
        ("{word}", "{fact: message, op: matches, value: '(?:x (?P<word>\\w+))? y'}", "{word}"),
        ("{word}", "{fact: message, op: matches, value: '(?P<word>a)|b'}", "{word}"),
        ("{word}", "{fact: message, op: matches, value: '(?P<word>a)*b'}", "{word}"),
        ("{word}", "{fact: message, op: matches, value: '(?:(?P<word>a)+|c)b'}", "{word}"),
        # every alternative may be missing
        ("{container.reason||container.signal}", EXIT_1, "{container.reason||container.signal}"),
    ],
)
def test_unguarded_message_is_flagged(tmp_path: Path, message: str, when: str, field: str) -> None:
    found = message_problems(tmp_path, message, when)
    assert len(found) == 1
    assert found[0].startswith(f"process.demo: message field {field} can be missing")


def test_problem_says_where_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(RULE.format(scope="container", when=EXIT_1, message="x {container.reason}"))
    _, found = lint([path], with_builtin=False)
    assert [str(p) for p in found] == [
        f"{path}:2: process.demo: message field {{container.reason}} can be missing when the rule"
        " fires (its `when` does not require it): add a fallback"
        ' {container.reason||"..."} or put it in an optional section {?...}'
    ]


def test_a_count_before_times_needs_the_count_filter(tmp_path: Path) -> None:
    when = "{fact: restart_count, op: gt, value: 0}"
    found = message_problems(tmp_path, "restarted {container.restart_count} times", when)
    assert found == [
        "process.demo: message field {container.restart_count} counts `times`: write"
        " {container.restart_count|count:time} so that 1 prints `1 time`"
    ]


def test_each_unsafe_field_is_reported_once_per_template(tmp_path: Path) -> None:
    found = message_problems(tmp_path, "{container.reason} and {container.reason} again")
    assert len(found) == 1


def test_a_flagged_rule_still_loads_and_runs(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(RULE.format(scope="container", when=EXIT_1, message="x {container.reason}"))
    assert [rule.id for rule in load_rules([path], with_builtin=False).rules] == ["process.demo"]


def test_schema_fields_per_scope() -> None:
    assert schema_fields("node") >= {"collected.at", "collected.host", "layers.kubelet.status"}
    assert "pod.name" not in schema_fields("node")
    assert schema_fields("pod") - schema_fields("node") == {
        "pod.name",
        "pod.namespace",
        "pod.containers",
    }
    assert schema_fields("container") - schema_fields("pod") == {
        "container.name",
        "container.attempt",
    }
