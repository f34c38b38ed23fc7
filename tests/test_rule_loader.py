"""Rule loading and linting: every problem as an exact `file:line: message`."""

from __future__ import annotations

from pathlib import Path

import pytest

from doctor.engine.loader import lint, load_rules
from doctor.errors import RuleError

# One valid rule; the comments give the line numbers the cases below refer to.
BASE = """\
rules:
  - id: process.demo
    layer: process
    severity: error
    scope: container
    title: Demo
    when:
      all:
        - {fact: exit_code, op: eq, value: 1}
    message: Container {container.name} exited
    fix: Fix it
    examples:
      fires:
        - container: {exit_code: 1}
      quiet:
        - container: {exit_code: 0}
"""
#  1 rules:            5 scope      9 predicate     13 fires
#  2 - id              6 title     10 message       14 fires item
#  3 layer             7 when      11 fix           15 quiet
#  4 severity          8 all       12 examples      16 quiet item

KNOWN_OPS = "eq, ne, lt, le, gt, ge, in, contains, matches, exists, absent, rising"


def variant(line: int, replacement: str) -> str:
    """BASE with one line replaced (by zero, one or several lines)."""
    lines = BASE.splitlines(keepends=True)
    lines[line - 1] = replacement
    return "".join(lines)


def problems(path: Path, with_builtin: bool = False) -> list[str]:
    _, found = lint([path], with_builtin=with_builtin)
    return [str(problem) for problem in found]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_base_rule_is_clean(tmp_path: Path) -> None:
    path = write(tmp_path, "demo.yaml", BASE)
    ruleset, found = lint([path])
    assert found == []
    rule = ruleset.get("process.demo")
    assert rule is not None
    assert (rule.source.file, rule.source.line) == (str(path), 2)
    assert [(e.fires, e.source.line) for e in rule.examples] == [(True, 14), (False, 16)]


CASES: list[tuple[str, str, str]] = [
    # (name, file text, expected problem with {f} for the file)
    (
        "invalid yaml: bad indentation",
        variant(6, "   title: Demo\n"),
        "{f}:6: invalid YAML: did not find expected '-' indicator",
    ),
    (
        "invalid yaml: tab",
        variant(6, "\ttitle: Demo\n"),
        "{f}:6: invalid YAML: found a tab character that violates indentation",
    ),
    (
        "invalid yaml: mapping in a plain scalar",
        variant(6, "    title: Demo: x: y\n"),
        "{f}:6: invalid YAML: mapping values are not allowed in this context",
    ),
    (
        "duplicate yaml key",
        variant(11, "    fix: Fix it\n    title: Again\n"),
        "{f}:12: invalid YAML: duplicate key 'title'",
    ),
    (
        "unknown rule key",
        variant(6, "    title: Demo\n    colour: red\n"),
        "{f}:7: rules.0: Additional properties are not allowed ('colour' is not a known key)",
    ),
    (
        "unknown top-level key",
        "rulez: []\n" + BASE,
        "{f}:1: top level: Additional properties are not allowed ('rulez' is not a known key)",
    ),
    ("missing required key", variant(11, ""), "{f}:2: rules.0: 'fix' is a required property"),
    ("missing rules", "description: nothing\n", "{f}:1: top level: 'rules' is a required property"),
    (
        "bad severity",
        variant(4, "    severity: fatal\n"),
        "{f}:4: rules.0.severity: 'fatal' is not one of ['critical', 'error', 'warning', 'info']",
    ),
    (
        "unknown operator",
        variant(9, "        - {fact: exit_code, op: equals, value: 1}\n"),
        f"{{f}}:9: process.demo: unknown operator 'equals' (known: {KNOWN_OPS})",
    ),
    (
        "unknown operator, block style: the line of op",
        variant(9, "        - fact: exit_code\n          op: equals\n          value: 1\n"),
        f"{{f}}:10: process.demo: unknown operator 'equals' (known: {KNOWN_OPS})",
    ),
    (
        "gt with a string",
        variant(9, "        - {fact: exit_code, op: gt, value: one}\n"),
        "{f}:9: process.demo: operator gt compares numbers; value 'one' is not one",
    ),
    (
        "gt with a boolean",
        variant(9, "        - {fact: exit_code, op: gt, value: true}\n"),
        "{f}:9: process.demo: operator gt compares numbers; value True is not one",
    ),
    (
        "gt without a value",
        variant(9, "        - {fact: exit_code, op: gt}\n"),
        "{f}:9: process.demo: operator gt needs a value",
    ),
    (
        "in without a list",
        variant(9, "        - {fact: exit_code, op: in, value: 1}\n"),
        "{f}:9: process.demo: operator in takes a list of strings, numbers or booleans",
    ),
    (
        "in with a list of mappings",
        variant(9, "        - {fact: exit_code, op: in, value: [{a: 1}]}\n"),
        "{f}:9: process.demo: operator in takes a list of strings, numbers or booleans",
    ),
    (
        "eq with a list",
        variant(9, "        - {fact: exit_code, op: eq, value: [1]}\n"),
        "{f}:9: process.demo: operator eq takes a string, number or boolean value",
    ),
    (
        "exists with a value",
        variant(9, "        - {fact: exit_code, op: exists, value: 1}\n"),
        "{f}:9: process.demo: operator exists takes no value",
    ),
    (
        "rising with a value",
        variant(
            9, "        - {fact: 'cgroup.cpu.samples[*].nr_throttled', op: rising, value: 1}\n"
        ),
        "{f}:9: process.demo: operator rising takes no value",
    ),
    (
        "bad regex",
        variant(9, "        - {fact: reason, op: matches, value: '(unclosed'}\n"),
        "{f}:9: process.demo: bad regular expression '(unclosed': missing ), unterminated"
        " subpattern at position 0",
    ),
    (
        "a regex whose captures cannot be read from its text",
        variant(9, "        - {fact: reason, op: matches, value: 'x[(?P<y>]'}\n"),
        "{f}:9: process.demo: write named groups as (?P<name>...) in 'x[(?P<y>]'",
    ),
    (
        "matches with a number",
        variant(9, "        - {fact: reason, op: matches, value: 5}\n"),
        "{f}:9: process.demo: operator matches takes a regular expression string",
    ),
    (
        "per with a non-ordering operator",
        variant(9, "        - {fact: exit_code, op: eq, value: 1, per: restart_count}\n"),
        "{f}:9: process.demo: `per` makes a ratio, which takes lt/le/gt/ge, not eq",
    ),
    (
        "min_count on an operator whose hits are not counted",
        variant(9, "        - {fact: exit_code, op: eq, value: 1, min_count: 3}\n"),
        "{f}:9: process.demo: min_count counts the hits of contains, matches, not eq",
    ),
    (
        "min_count of one (no min_count says that)",
        variant(9, "        - {fact: 'log_tail[*]', op: matches, value: x, min_count: 1}\n"),
        "{f}:9: rules.0.when.all.0.min_count: 1 is less than the minimum of 2",
    ),
    (
        "min_count not a whole number",
        variant(9, "        - {fact: 'log_tail[*]', op: matches, value: x, min_count: 2.5}\n"),
        "{f}:9: rules.0.when.all.0.min_count: 2.5 is not of type 'integer'",
    ),
    (
        "min_count as a boolean",
        variant(9, "        - {fact: 'log_tail[*]', op: matches, value: x, min_count: true}\n"),
        "{f}:9: rules.0.when.all.0.min_count: True is not of type 'integer'",
    ),
    (
        "bad fact path",
        variant(9, "        - {fact: 'exit_code[', op: eq, value: 1}\n"),
        "{f}:9: process.demo: fact path 'exit_code[': Parse error near the end of string!",
    ),
    (
        "bad per path",
        variant(9, "        - {fact: exit_code, op: gt, value: 1, per: 'a b'}\n"),
        "{f}:9: process.demo: fact path 'a b': Parse error at 1:2 near token b (ID)",
    ),
    (
        "relative path in a node rule",
        variant(5, "    scope: node\n").replace("Container {container.name} exited", "Down"),
        "{f}:9: process.demo: fact path 'exit_code': node rules use absolute paths ($.layers...)",
    ),
    (
        "template naming an unknown field",
        variant(10, "    message: Container {bogus.name} exited\n"),
        "{f}:10: process.demo: message: template field {bogus.name}: 'bogus' is not a"
        " container-scope fact root or a regex group of this rule (known: collected,"
        " container, layers, pod)",
    ),
    (
        "fix naming a container field in pod scope",
        variant(5, "    scope: pod\n")
        .replace("{container.name}", "{pod.name}")
        .replace("    fix: Fix it\n", "    fix: >-\n      Restart\n      {container.name}\n"),
        "{f}:11: process.demo: fix: template field {container.name}: 'container' is not a"
        " pod-scope fact root or a regex group of this rule (known: collected, layers, pod)",
    ),
    (
        "template with an unknown filter",
        variant(10, "    message: 'limit {container.resources.memory_limit_bytes|mb}'\n"),
        "{f}:10: process.demo: message: template field"
        " {container.resources.memory_limit_bytes|mb}: unknown filter"
        " (known: bytes, count, percent)",
    ),
    (
        "template with a stray brace",
        variant(10, "    message: 'Container {container.name'\n"),
        "{f}:10: process.demo: message: template 'Container {container.name': unbalanced or"
        " malformed braces",
    ),
    (
        "explains an unknown rule",
        variant(11, "    fix: Fix it\n    explains: [process.nope]\n"),
        "{f}:2: process.demo: explains unknown rule 'process.nope'",
    ),
    (
        "explains itself",
        variant(11, "    fix: Fix it\n    explains: [process.demo]\n"),
        "{f}:2: process.demo: explains itself",
    ),
    (
        "examples missing quiet",
        variant(15, "")
        .replace("      quiet\n", "")
        .replace("        - container: {exit_code: 0}\n", ""),
        "{f}:12: rules.0.examples: 'quiet' is a required property",
    ),
    (
        "examples missing fires",
        variant(13, "").replace("        - container: {exit_code: 1}\n", ""),
        "{f}:12: rules.0.examples: 'fires' is a required property",
    ),
    (
        "examples with no fires",
        variant(13, "      fires: []\n").replace("        - container: {exit_code: 1}\n", ""),
        "{f}:13: rules.0.examples.fires: [] should be non-empty",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_lint_problem(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "rules.yaml", text)
    assert problems(path) == [expected.replace("{f}", str(path))]


def test_id_must_start_with_its_layer(tmp_path: Path) -> None:
    path = write(tmp_path, "rules.yaml", variant(2, "  - id: cri.demo\n"))
    assert problems(path) == [f"{path}:2: cri.demo: the id must start with its layer 'process'"]


def test_id_must_start_with_its_layer_is_reported_at_the_id(tmp_path: Path) -> None:
    path = write(tmp_path, "rules.yaml", variant(2, "  - id: cri.demo\n"))
    [problem] = problems(path)
    assert problem.startswith(f"{path}:2: ")
    assert problem.endswith("cri.demo: the id must start with its layer 'process'")


def test_unknown_predicate_key_is_named(tmp_path: Path) -> None:
    text = variant(9, "        - {fact: exit_code, op: eq, value: 1, extra: 2}\n")
    path = write(tmp_path, "rules.yaml", text)
    [problem] = problems(path)
    assert problem.startswith(f"{path}:9: ")
    assert "'extra'" in problem


def two_rules(first: str, second: str, first_extra: str = "", second_extra: str = "") -> str:
    def entry(rule_id: str, extra: str) -> str:
        # 11 lines per rule (12 with an extra line)
        return (
            f"  - id: {rule_id}\n"
            "    layer: process\n"
            "    severity: error\n"
            "    scope: container\n"
            "    title: Demo\n"
            "    when: {fact: exit_code, op: eq, value: 1}\n"
            "    message: Exited\n"
            "    fix: Fix it\n"
            f"{extra}"
            "    examples:\n"
            "      fires: [{container: {exit_code: 1}}]\n"
            "      quiet: [{container: {exit_code: 0}}]\n"
        )

    return "rules:\n" + entry(first, first_extra) + entry(second, second_extra)


def test_explains_cycle(tmp_path: Path) -> None:
    text = two_rules(
        "process.a",
        "process.b",
        "    explains: [process.b]\n",
        "    explains: [process.a]\n",
    )
    path = write(tmp_path, "rules.yaml", text)
    # process.b starts on line 2 + 11 lines of process.a + 1 explains line
    assert problems(path) == [f"{path}:14: explains cycle: process.a -> process.b -> process.a"]


def test_explains_cycle_across_files_of_a_pack(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    write(pack, "a.yaml", two_rules("process.a", "process.b", "    explains: [process.c]\n"))
    c = write(pack, "c.yaml", two_rules("process.c", "process.d", "    explains: [process.a]\n"))
    assert problems(pack) == [f"{c}:2: explains cycle: process.a -> process.c -> process.a"]


def test_duplicate_ids_across_two_files_of_a_pack(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    a = write(pack, "a.yaml", two_rules("process.a", "process.b"))
    b = write(pack, "b.yaml", two_rules("process.c", "process.a"))
    ruleset, found = lint([pack])
    assert [str(p) for p in found] == [f"{b}:13: duplicate rule id 'process.a' (first at {a}:2)"]
    # the first definition is kept
    kept = ruleset.get("process.a")
    assert kept is not None
    assert kept.source.file == str(a)


def test_problems_in_several_rules_and_files_are_all_reported(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    a = write(pack, "a.yaml", variant(9, "        - {fact: exit_code, op: gt, value: x}\n"))
    b = write(pack, "b.yaml", variant(6, "\ttitle: Demo\n"))
    assert problems(pack) == [
        f"{a}:9: process.demo: operator gt compares numbers; value 'x' is not one",
        f"{b}:6: invalid YAML: found a tab character that violates indentation",
    ]


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("missing", "{p}:0: no such rule file or directory"),
        ("empty-dir", "{p}:0: no *.yaml rule files in this directory"),
    ],
)
def test_bad_pack_paths(tmp_path: Path, setup: str, expected: str) -> None:
    path = tmp_path / "pack"
    if setup == "empty-dir":
        path.mkdir()
        write(path, "notes.txt", "not a rule file")
    assert problems(path) == [expected.format(p=path)]


def test_load_rules_raises_with_the_first_problem(tmp_path: Path) -> None:
    path = write(
        tmp_path, "rules.yaml", variant(9, "        - {fact: exit_code, op: gt, value: x}\n")
    )
    with pytest.raises(RuleError) as info:
        load_rules([path], with_builtin=False)
    assert str(info.value) == (
        f"{path}:9: process.demo: operator gt compares numbers; value 'x' is not one"
    )


def test_load_rules_counts_further_problems(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    a = write(pack, "a.yaml", variant(9, "        - {fact: exit_code, op: gt, value: x}\n"))
    write(pack, "b.yaml", variant(6, "\ttitle: Demo\n"))
    write(pack, "c.yaml", variant(11, ""))
    with pytest.raises(RuleError) as info:
        load_rules([pack], with_builtin=False)
    message = str(info.value)
    assert message.startswith(f"{a}:9: process.demo: operator gt")
    assert message.endswith("(and 2 more problems; run `stackdoctor rules lint`)")


def test_load_rules_returns_the_rules(tmp_path: Path) -> None:
    path = write(tmp_path, "rules.yaml", BASE)
    ruleset = load_rules([path], with_builtin=False)
    assert [rule.id for rule in ruleset.rules] == ["process.demo"]
    assert ruleset.overridden == ()


OOM_OVERRIDE = """\
rules:
  - id: process.oom-killed
    layer: process
    severity: critical
    scope: container
    title: Local OOM rule
    when: {fact: reason, op: eq, value: OOMKilled}
    message: Container {container.name} was OOM-killed (local rule)
    fix: Ask the platform team
    examples:
      fires: [{container: {reason: OOMKilled}}]
      quiet: [{container: {reason: Error}}]
"""


def test_user_pack_overrides_builtin_rule_by_id(tmp_path: Path) -> None:
    path = write(tmp_path, "local.yaml", OOM_OVERRIDE)
    ruleset, found = lint([path], with_builtin=True)
    # other people's built-in packs are not under test here: only this file's problems count
    assert [str(p) for p in found if p.file == str(path)] == []
    assert ruleset.overridden.count("process.oom-killed") == 1
    rule = ruleset.get("process.oom-killed")
    assert rule is not None
    assert (rule.title, rule.source.file, rule.source.line) == ("Local OOM rule", str(path), 2)
    assert sum(1 for r in ruleset.rules if r.id == "process.oom-killed") == 1
    assert len(ruleset.rules) > 1  # the other built-in rules are still there


def test_without_builtin_nothing_is_overridden(tmp_path: Path) -> None:
    path = write(tmp_path, "local.yaml", OOM_OVERRIDE)
    ruleset, found = lint([path], with_builtin=False)
    assert found == []
    assert ruleset.overridden == ()
    assert [rule.id for rule in ruleset.rules] == ["process.oom-killed"]


def test_disable_and_only(tmp_path: Path) -> None:
    path = write(tmp_path, "rules.yaml", BASE)
    assert len(load_rules([path], disable=["process.demo"], with_builtin=False)) == 0
    assert len(load_rules([path], only_layers=["process"], with_builtin=False)) == 1
    assert len(load_rules([path], only_layers=["cri"], with_builtin=False)) == 0


def test_disable_of_an_unknown_id_raises(tmp_path: Path) -> None:
    path = write(tmp_path, "rules.yaml", BASE)
    with pytest.raises(RuleError) as info:
        load_rules([path], disable=["process.nope"], with_builtin=False)
    assert str(info.value) == (
        "--disable process.nope: no rule has that id (see `stackdoctor rules list`)"
    )


def test_only_of_an_unknown_layer_raises(tmp_path: Path) -> None:
    path = write(tmp_path, "rules.yaml", BASE)
    with pytest.raises(RuleError) as info:
        load_rules([path], only_layers=["process", "database"], with_builtin=False)
    assert str(info.value) == (
        "--only database: not a layer"
        " (apiserver, kubelet, cri, containerd, shim, runc, process, node)"
    )
