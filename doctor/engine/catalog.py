"""Rule documentation generated from the YAML entry (`stackdoctor rules show ID`)."""

from __future__ import annotations

import yaml

from doctor.engine.loader import RuleSet
from doctor.engine.rule import Rule


def describe(rule: Rule, ruleset: RuleSet, markdown: bool = False) -> str:
    explained_by = [r.id for r in ruleset.rules if rule.id in r.explains]
    when = yaml.safe_dump(rule.raw_when, sort_keys=False, default_flow_style=False, width=88)
    fires = sum(1 for e in rule.examples if e.fires)
    quiet = len(rule.examples) - fires
    fields = [
        ("layer", rule.layer.value),
        ("severity", rule.severity.value),
        ("scope", rule.scope.value),
        ("defined in", str(rule.source)),
        ("explains", ", ".join(rule.explains) or "—"),
        ("explained by", ", ".join(explained_by) or "—"),
        ("examples", f"{fires} firing, {quiet} quiet"),
    ]
    if markdown:
        lines = [f"## `{rule.id}` — {rule.title}", ""]
        lines += [f"- **{name}:** {value}" for name, value in fields]
        lines += ["", "**When:**", "", "```yaml", when.rstrip(), "```", ""]
        lines += [f"**Message:** {rule.message.text}", "", f"**Fix:** {rule.fix.text}", ""]
        if rule.differential:
            lines += ["**When the evidence fits several causes:**", ""]
            lines += [f"1. `{d.cause}`: {d.tell.text}" for d in rule.differential] + [""]
        lines += [f"- <{url}>" for url in rule.docs]
        return "\n".join(lines) + "\n"
    lines = [f"{rule.id} — {rule.title}", ""]
    lines += [f"{name + ':':<14}{value}" for name, value in fields]
    lines += ["", "when:"] + ["  " + line for line in when.rstrip().splitlines()]
    lines += ["", "message:", "  " + rule.message.text, "", "fix:", "  " + rule.fix.text]
    if rule.differential:
        lines += ["", "differential (most likely first):"]
        lines += [f"  {d.cause}: {d.tell.text}" for d in rule.differential]
    if rule.docs:
        lines += ["", "docs:"] + [f"  {url}" for url in rule.docs]
    return "\n".join(lines) + "\n"
