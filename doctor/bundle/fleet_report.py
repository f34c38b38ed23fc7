"""The fleet summary: root causes across bundles, counts per rule and per layer (text, JSON,
HTML)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from doctor.bundle.fleet import Outcome
from doctor.layers import LAYER_NAMES


def summarise(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    bundles: list[dict[str, Any]] = []
    causes: dict[str, dict[str, Any]] = {}
    rules: Counter[str] = Counter()
    layers: Counter[str] = Counter()
    for outcome in outcomes:
        report = outcome.report
        entry: dict[str, Any] = {"bundle": outcome.bundle, "error": outcome.error}
        if report is not None:
            root = report.root_cause.finding if report.root_cause else None
            worst = report.worst()
            entry.update(
                target=str(report.target),
                root_cause=None
                if root is None
                else {
                    "rule_id": root.rule_id,
                    "layer": root.layer.value,
                    "severity": root.severity.value,
                    "subject": str(root.subject),
                    "message": root.message,
                },
                worst_severity=worst.value if worst else None,
                findings=[f.rule_id for f in report.findings],
            )
            rules.update(f.rule_id for f in report.findings)
            layers.update(f.layer.value for f in report.findings)
            if root is not None:
                cause = causes.setdefault(
                    root.rule_id, {"layer": root.layer.value, "title": root.title, "bundles": []}
                )
                cause["bundles"].append(outcome.bundle)
        bundles.append(entry)
    ordered = sorted(causes.items(), key=lambda item: (-len(item[1]["bundles"]), item[0]))
    return {
        "bundles": bundles,
        "counts": {
            "bundles": len(outcomes),
            "with_root_cause": sum(len(c["bundles"]) for c in causes.values()),
            "unreadable": sum(1 for o in outcomes if o.error),
        },
        "root_causes": dict(ordered),
        "findings_per_rule": dict(sorted(rules.items(), key=lambda i: (-i[1], i[0]))),
        "findings_per_layer": {name: layers[name] for name in LAYER_NAMES if layers[name]},
    }


def render_json(outcomes: Sequence[Outcome]) -> str:
    return json.dumps(summarise(outcomes), indent=2) + "\n"


def render_text(outcomes: Sequence[Outcome]) -> str:
    summary = summarise(outcomes)
    counts = summary["counts"]
    lines = [
        f"Fleet: {counts['bundles']} bundles, {counts['with_root_cause']} with a root cause,"
        f" {counts['unreadable']} unreadable",
        "",
        "Root causes:",
    ]
    for rule_id, cause in summary["root_causes"].items():
        lines.append(
            f"  {len(cause['bundles']):>4}  {rule_id} ({cause['layer']}): {cause['title']}"
        )
        lines.extend(f"          {bundle}" for bundle in cause["bundles"])
    if not summary["root_causes"]:
        lines.append("  none")
    without = [b["bundle"] for b in summary["bundles"] if not b["error"] and not b["root_cause"]]
    if without:
        lines += ["", "No root cause:", *(f"  {bundle}" for bundle in without)]
    lines += ["", "Findings per layer:"]
    lines += [f"  {n:>4}  {layer}" for layer, n in summary["findings_per_layer"].items()] or [
        "  none"
    ]
    lines += ["", "Findings per rule:"]
    lines += [f"  {n:>4}  {rule}" for rule, n in summary["findings_per_rule"].items()] or ["  none"]
    unreadable = [b for b in summary["bundles"] if b["error"]]
    if unreadable:
        lines += ["", "Unreadable:", *(f"  {b['error']}" for b in unreadable)]
    return "\n".join(lines) + "\n"


def render_html(outcomes: Sequence[Outcome]) -> str:
    from doctor.report.html import render_fleet  # only when asked: a page's worth of code

    return render_fleet(summarise(outcomes))


# `analyze --output` for a fleet: the summary has these formats only.
FLEET_FORMATTERS: dict[str, Callable[[Sequence[Outcome]], str]] = {
    "text": render_text,
    "json": render_json,
    "html": render_html,
}
