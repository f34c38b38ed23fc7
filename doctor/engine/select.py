"""Which rules run: the built-in packs and `--rules` packs, less `--disable`, narrowed to the
`--only` layers or to the `--rule` ids and every rule that can explain them. Every command
that evaluates rules builds a RuleChoice from its options and loads the rules from it.

Light to import (the loader comes in only when the rules load), so that a command can make its
choice before gathering starts and load the rules while the facts gather.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from doctor.errors import RuleError

if TYPE_CHECKING:
    from doctor.engine.loader import RuleSet


@dataclass(frozen=True)
class RuleChoice:
    """The rules a command was told to run; hashable and picklable, so that a fleet's worker
    processes load the same rules from it."""

    packs: tuple[Path, ...] = ()
    disable: tuple[str, ...] = ()
    only_layers: tuple[str, ...] = ()
    rule_ids: tuple[str, ...] = ()
    builtin: bool = True  # False: the packs alone (`rules test` of a user pack)

    def __post_init__(self) -> None:
        # A rule named outside the --only layers would lose its causes in other layers.
        if self.rule_ids and self.only_layers:
            raise ValueError("--rule and --only select rules in two ways: give one of them")

    def load(self) -> RuleSet:
        """The chosen rules; RuleError for a broken pack or an unknown id or layer."""
        from doctor.engine.loader import load_rules

        rules = load_rules(self.packs, self.disable, self.only_layers, self.builtin)
        return with_causes(rules, self.rule_ids) if self.rule_ids else rules


def with_causes(ruleset: RuleSet, rule_ids: Iterable[str]) -> RuleSet:
    """The rules named, plus the rules whose `explains` reach them (transitively).

    The causes are kept so that a symptom's root cause can still be named: `--rule
    kubelet.not-running` also evaluates `kubelet.config-file-invalid`, which explains it.
    """
    from doctor.engine.loader import RuleSet

    wanted = list(dict.fromkeys(rule_ids))
    for rule_id in wanted:
        if ruleset.get(rule_id) is None:
            raise RuleError(f"--rule {rule_id}: no rule has that id (see `stackdoctor rules list`)")
    explainers: dict[str, list[str]] = {}
    for rule in ruleset.rules:
        for target in rule.explains:
            explainers.setdefault(target, []).append(rule.id)
    kept = set(wanted)
    pending = list(wanted)
    while pending:
        for cause in explainers.get(pending.pop(), []):
            if cause not in kept:
                kept.add(cause)
                pending.append(cause)
    return RuleSet(tuple(r for r in ruleset.rules if r.id in kept), ruleset.overridden)
