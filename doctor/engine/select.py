"""`--rule ID`: narrow a rule set to some rules and every rule that can explain them."""

from __future__ import annotations

from collections.abc import Iterable

from doctor.engine.loader import RuleSet
from doctor.errors import RuleError


def with_causes(ruleset: RuleSet, rule_ids: Iterable[str]) -> RuleSet:
    """The rules named, plus the rules whose `explains` reach them (transitively).

    The causes are kept so that a symptom's root cause can still be named: `--rule
    kubelet.not-running` also evaluates `kubelet.config-file-invalid`, which explains it.
    """
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
