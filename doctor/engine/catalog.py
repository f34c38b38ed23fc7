"""Rule documentation generated from the YAML entry (`stackdoctor rules show ID`)."""

from __future__ import annotations

import yaml

from doctor.engine.loader import RuleSet
from doctor.engine.rule import Rule

NODE_BRANCH = (
    "The same failure with no pod to pin it to (an image pulled by hand with ctr or crictl), read"
    " from the node's facts: its finding's subject is the node, and it explains nothing."
)


def describe(rule: Rule, ruleset: RuleSet, markdown: bool = False) -> str:
    explained_by = [r.id for r in ruleset.rules if rule.id in r.explains]
    fires = sum(1 for b in rule.branches() for e in b.examples if e.fires)
    quiet = sum(len(b.examples) for b in rule.branches()) - fires
    fields = [
        ("layer", rule.layer.value),
        ("severity", rule.severity.value),
        ("scope", rule.scope.value + (" (and node)" if rule.node else "")),
        ("defined in", str(rule.source)),
        ("explains", ", ".join(rule.explains) or "—"),
        ("explained by", ", ".join(explained_by) or "—"),
        ("examples", f"{fires} firing, {quiet} quiet"),
    ]
    if markdown:
        lines = [f"## `{rule.id}` — {rule.title}", ""]
        lines += [f"- **{name}:** {value}" for name, value in fields]
        lines += ["", *_markdown_branch(rule)]
        if rule.node:
            severity = f" (severity {rule.node.severity.value})"
            lines += [f"**At node level{severity}:** {NODE_BRANCH}", ""]
            lines += _markdown_branch(rule.node)
        lines += [f"- <{url}>" for url in rule.docs]
        return "\n".join(lines) + "\n"
    lines = [f"{rule.id} — {rule.title}", ""]
    lines += [f"{name + ':':<14}{value}" for name, value in fields]
    lines += _text_branch(rule, "")
    if rule.node:
        lines += ["", f"at node level (severity {rule.node.severity.value}):", "  " + NODE_BRANCH]
        lines += _text_branch(rule.node, "node ")
    if rule.docs:
        lines += ["", "docs:"] + [f"  {url}" for url in rule.docs]
    return "\n".join(lines) + "\n"


def _when(rule: Rule) -> str:
    return yaml.safe_dump(rule.raw_when, sort_keys=False, default_flow_style=False, width=88)


def _markdown_branch(rule: Rule) -> list[str]:
    lines = ["**When:**", "", "```yaml", _when(rule).rstrip(), "```", ""]
    lines += [f"**Message:** {rule.message.text}", "", f"**Fix:** {rule.fix.text}", ""]
    if rule.differential:
        lines += ["**When the evidence fits several causes:**", ""]
        lines += [f"1. `{d.cause}`: {d.tell.text}" for d in rule.differential] + [""]
    return lines


def _text_branch(rule: Rule, prefix: str) -> list[str]:
    lines = ["", f"{prefix}when:"] + ["  " + line for line in _when(rule).rstrip().splitlines()]
    lines += ["", f"{prefix}message:", "  " + rule.message.text]
    lines += ["", f"{prefix}fix:", "  " + rule.fix.text]
    if rule.differential:
        lines += ["", f"{prefix}differential (most likely first):"]
        lines += [f"  {d.cause}: {d.tell.text}" for d in rule.differential]
    return lines
