"""What a report says it could not check, grouped the way a reader acts on it.

Most undecided rules wait on a layer that was not examined (a paste holds no kubelet, a pod on
another node): naming each such layer once, with why, then the rules that needed them, says in a
few lines what a list per rule said in a hundred. Rules undecided for another missing fact are
listed under that fact, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from doctor.model import Skip


@dataclass(frozen=True)
class NotChecked:
    # why -> the layers not examined for that reason (in order of first mention)
    layers: dict[str, list[str]] = field(default_factory=dict)
    # the rules undecided because a layer above was not examined
    need_layers: list[str] = field(default_factory=list)
    # a missing fact (or several, "; "-joined) -> the rules it left undecided
    facts: dict[str, list[str]] = field(default_factory=dict)


def not_checked(skipped: Sequence[Skip]) -> NotChecked:
    grouped = NotChecked()
    seen_layers: set[str] = set()
    for skip in skipped:
        if skip.unexamined:
            for layer, why in skip.unexamined:
                if layer not in seen_layers:
                    seen_layers.add(layer)
                    grouped.layers.setdefault(why, []).append(layer)
            if skip.rule_id not in grouped.need_layers:
                grouped.need_layers.append(skip.rule_id)
            continue
        reason = "; ".join(skip.facts_missing) or skip.reason
        ids = grouped.facts.setdefault(reason, [])
        if skip.rule_id not in ids:
            ids.append(skip.rule_id)
    return grouped
