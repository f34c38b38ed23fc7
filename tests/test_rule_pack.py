"""The pre-parsed built-in pack (rules/rules.json): current, equal to the YAML, and never able
to change a result, only to skip the parsing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from doctor.engine import loader
from doctor.engine.loader import build_pack, builtin_rules_dir, lint, load_rules
from doctor.engine.packed import PACK_NAME, read_pack
from doctor.errors import RuleError

RULES = builtin_rules_dir()
# Every rule entry of the built-in YAML, counted in its text (no parser): what any load returns.
BUILTIN = sum(path.read_text().count("\n  - id: ") for path in loader.rule_files(RULES))


def test_the_committed_pack_is_current() -> None:
    committed = (RULES / PACK_NAME).read_text()
    assert committed == build_pack(RULES), "rules/rules.json is stale: run scripts/gen-rule-pack"


def test_the_pack_covers_every_builtin_file() -> None:
    assert sorted(read_pack(RULES)) == sorted(p.name for p in loader.rule_files(RULES))


def test_rules_from_the_pack_equal_rules_from_the_yaml() -> None:
    packed, packed_problems = lint([], with_builtin=True)  # the built-in dir: from the pack
    parsed, parsed_problems = lint([RULES])  # a path given: always parsed
    assert packed_problems == parsed_problems == []
    assert len(packed) == len(parsed) == BUILTIN
    for from_pack, from_yaml in zip(packed.rules, parsed.rules, strict=True):
        assert from_pack == from_yaml, from_yaml.id


@pytest.fixture
def rules_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the built-in packs, pack included, loaded as the built-in ones."""
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    monkeypatch.setattr(loader, "builtin_rules_dir", lambda: copy)
    return copy


def test_an_edited_rule_file_is_parsed_again(rules_copy: Path) -> None:
    path = rules_copy / "process.yaml"
    text = path.read_text()
    title = "title: Container killed by the OOM killer at its memory limit"
    assert title in text
    path.write_text(text.replace(title, "title: Edited"))
    rule = load_rules().get("process.oom-killed")
    assert rule is not None and rule.title == "Edited"


def test_an_edited_rule_file_reports_its_problems_with_lines(rules_copy: Path) -> None:
    path = rules_copy / "process.yaml"
    lines = path.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if "op: " in line)
    lines[index] = lines[index].replace("op: ", "op: bogus_", 1)
    path.write_text("".join(lines))
    with pytest.raises(RuleError, match=rf"process\.yaml:{index + 1}: .*unknown operator"):
        load_rules()


def test_a_pack_from_other_code_falls_back_to_the_yaml(rules_copy: Path) -> None:
    pack = json.loads((rules_copy / PACK_NAME).read_text())
    document = pack["files"]["process.yaml"]["document"]
    for rule in document["rules"]:
        rule["title"] = "from the pack"
    del document["rules"][0]["when"]  # what older code could have written
    (rules_copy / PACK_NAME).write_text(json.dumps(pack))
    titles = {rule.title for rule in load_rules().rules if rule.layer.value == "process"}
    assert "from the pack" not in titles


@pytest.mark.parametrize("content", ["not json", '{"format": 99, "files": {}}', "[]"])
def test_an_unusable_pack_is_ignored(rules_copy: Path, content: str) -> None:
    (rules_copy / PACK_NAME).write_text(content)
    assert len(load_rules()) == BUILTIN


def test_a_missing_pack_is_ignored(rules_copy: Path) -> None:
    (rules_copy / PACK_NAME).unlink()
    assert len(load_rules()) == BUILTIN


def test_only_valid_files_are_packed(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("rules: [")
    with pytest.raises(RuleError, match=r"cannot pack .*broken\.yaml:2: invalid YAML"):
        build_pack(tmp_path)


def test_loading_the_builtin_rules_parses_no_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_yaml(text: str) -> None:
        raise AssertionError("parsed YAML although the pack is current")

    monkeypatch.setattr(loader, "load_yaml", no_yaml)
    assert len(load_rules()) == BUILTIN


def test_regexes_from_the_pack_compile_only_for_a_value_that_may_match() -> None:
    """The pack knows each regex's required texts: a value holding none of them is answered
    without compiling (most of a diagnosis's ~110 regexes never are)."""
    rule = load_rules().get("containerd.cni-ip-exhausted")
    assert rule is not None
    regexes = [p.value for p in _predicates(rule.when) if p.op.name == "matches"]
    assert regexes and all(r._compiled is None for r in regexes)
    with_texts = [r for r in regexes if r._required]
    assert with_texts, "the pack gave these regexes no required texts"
    regex = with_texts[0]
    assert regex.search("any text") is None
    assert regex._compiled is None
    regex.search(f"a line with {regex._required[0]} in it")
    assert regex._compiled is not None


def test_the_pack_gives_every_regex_the_texts_the_parser_finds() -> None:
    from doctor.engine.regex_structure import required_texts

    regexes = [r for rule in load_rules().rules for r in loader._regexes([rule])]
    assert len(regexes) > 100
    for regex in regexes:
        assert regex._required == required_texts(regex.pattern), regex.pattern
        assert regex._searches >= regex.PREFILTER_AFTER  # nothing left to learn


def test_a_regex_without_required_texts_compiles_on_first_use() -> None:
    regexes = [
        r for rule in load_rules().rules for r in loader._regexes([rule]) if r._required is None
    ]
    assert regexes  # `(?i)` patterns and short alternatives
    regexes[0].search("any text")
    assert regexes[0]._compiled is not None


def _predicates(condition: object) -> list[Any]:
    children = getattr(condition, "children", None)
    if children is not None:
        return [p for child in children for p in _predicates(child)]
    inner = getattr(condition, "child", None)
    return _predicates(inner) if inner is not None else [condition]
