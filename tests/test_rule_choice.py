"""RuleChoice: which rules run for each combination of --rules, --disable, --only and --rule, and
the command line handing every command the same choice."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from click.testing import CliRunner

from doctor.cli.main import cli
from doctor.engine.select import RuleChoice
from doctor.errors import RuleError


def rule(rule_id: str, explains: tuple[str, ...] = ()) -> str:
    return (
        f"  - id: {rule_id}\n"
        f"    layer: {rule_id.split('.', 1)[0]}\n"
        "    severity: error\n"
        "    scope: node\n"
        f"    title: {rule_id}\n"
        "    when: {fact: $.collected.host, op: exists}\n"
        "    message: m\n"
        "    fix: f\n"
        f"    explains: [{', '.join(explains)}]\n"
        "    examples: {fires: [{}], quiet: [{}]}\n"
    )


# node.disk-full -> kubelet.bad-config -> kubelet.down: a chain of causes across two layers.
PACK = "rules:\n" + "".join(
    [
        rule("kubelet.down"),
        rule("kubelet.bad-config", explains=("kubelet.down",)),
        rule("cri.slow"),
        rule("process.oom"),
        rule("node.disk-full", explains=("kubelet.bad-config",)),
    ]
)
ALL = ("kubelet.down", "kubelet.bad-config", "cri.slow", "process.oom", "node.disk-full")


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    path = tmp_path / "pack.yaml"
    path.write_text(PACK, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("disable", "only_layers", "rule_ids", "chosen"),
    [
        ((), (), (), ALL),
        (("process.oom",), (), (), tuple(r for r in ALL if r != "process.oom")),
        ((), ("kubelet",), (), ("kubelet.down", "kubelet.bad-config")),
        ((), ("node", "cri"), (), ("cri.slow", "node.disk-full")),
        (("kubelet.down",), ("kubelet",), (), ("kubelet.bad-config",)),
        # --rule keeps every rule that can explain the one named, transitively ...
        ((), (), ("kubelet.down",), ("kubelet.down", "kubelet.bad-config", "node.disk-full")),
        ((), (), ("kubelet.bad-config",), ("kubelet.bad-config", "node.disk-full")),
        ((), (), ("node.disk-full",), ("node.disk-full",)),
        ((), (), ("process.oom", "cri.slow", "process.oom"), ("cri.slow", "process.oom")),
        # ... except through a disabled rule: the chain is cut there.
        (("node.disk-full",), (), ("kubelet.down",), ("kubelet.down", "kubelet.bad-config")),
        (("kubelet.bad-config",), (), ("kubelet.down",), ("kubelet.down",)),
    ],
)
def test_chosen_rules(
    pack: Path,
    disable: tuple[str, ...],
    only_layers: tuple[str, ...],
    rule_ids: tuple[str, ...],
    chosen: tuple[str, ...],
) -> None:
    choice = RuleChoice((pack,), disable, only_layers, rule_ids, builtin=False)
    assert tuple(r.id for r in choice.load().rules) == chosen


@pytest.mark.parametrize(
    ("option", "names", "error"),
    [
        ("rule_ids", ("kubelet.nope",), "--rule kubelet.nope: no rule has that id"),
        ("disable", ("kubelet.nope",), "--disable kubelet.nope: no rule has that id"),
        ("only_layers", ("database",), "--only database: not a layer (apiserver, kubelet, cri,"),
    ],
)
def test_unknown_names_are_rule_errors(
    pack: Path, option: str, names: tuple[str, ...], error: str
) -> None:
    choice = RuleChoice((pack,), builtin=False, **{option: names})
    with pytest.raises(RuleError) as info:
        choice.load()
    assert str(info.value).startswith(error)


def test_rule_and_only_cannot_be_combined() -> None:
    with pytest.raises(ValueError, match="--rule and --only select rules in two ways"):
        RuleChoice(only_layers=("kubelet",), rule_ids=("kubelet.down",))


def test_builtin_packs_come_first_and_a_pack_replaces_their_rule(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text("rules:\n" + rule("process.oom-killed"), encoding="utf-8")
    rules = RuleChoice((path,)).load()
    assert len(rules) > 1 and rules.overridden == ("process.oom-killed",)
    replaced = rules.get("process.oom-killed")
    assert replaced is not None and replaced.source.file == str(path)


def test_a_choice_travels_to_a_worker_process(pack: Path) -> None:
    choice = RuleChoice((pack,), ("cri.slow",), builtin=False)
    copy = pickle.loads(pickle.dumps(choice))
    assert copy == choice and hash(copy) == hash(choice)  # fleet.py caches rules per choice


# The options every rule-evaluating command shares reach the command as one RuleChoice.
@pytest.mark.parametrize(
    ("args", "chosen"),
    [
        ([], ALL),
        (
            ["--only", "kubelet", "--only", "cri"],
            ("kubelet.down", "kubelet.bad-config", "cri.slow"),
        ),
        (
            ["--disable", "node.disk-full", "--disable", "cri.slow"],
            ("kubelet.down", "kubelet.bad-config", "process.oom"),
        ),
    ],
)
def test_rules_list_takes_the_choice(pack: Path, args: list[str], chosen: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, ["rules", "list", "--rules", str(pack), "-o", "json", *args])
    assert result.exit_code == 0, result.output
    ids = [row["id"] for row in json.loads(result.output)]
    assert tuple(i for i in ids if i in ALL) == chosen  # the built-in rules are there too


def test_check_refuses_rule_with_only_as_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["check", "--rule", "kubelet.down", "--only", "kubelet"])
    assert result.exit_code == 2
    assert "Error: --rule and --only select rules in two ways: give one of them" in result.output
