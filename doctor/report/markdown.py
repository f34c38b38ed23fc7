"""`--output markdown`: a report to paste into a ticket."""

from __future__ import annotations

import re

from doctor.model import Finding, Report
from doctor.report import timeline_view
from doctor.report.not_checked import not_checked
from doctor.report.wording import (
    layer_verdict_text,
    log_predicates,
    other_findings,
    seen_lines,
    subject_text,
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """A code span holding text that may itself hold backticks (a log line)."""
    text = text.replace("\n", " ")
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)  # CommonMark: a run of backticks longer than any inside
    return f"{fence} {text} {fence}" if longest else f"{fence}{text}{fence}"


def _evidence(finding: Finding) -> list[str]:
    return ["Evidence:", "", *(f"- {_code(seen)}" for seen in seen_lines(finding)), ""]


def _docs(finding: Finding) -> list[str]:
    if not finding.docs:
        return []
    return ["Docs: " + ", ".join(f"<{url}>" for url in finding.docs), ""]


def _finding(finding: Finding) -> list[str]:
    lines = [
        f"### `{finding.rule_id}` ({finding.severity.value}) — {_cell(subject_text(finding))}",
        "",
        f"**{finding.title}**",
        "",
        finding.message,
        "",
        f"**Fix:** {finding.fix}",
        "",
    ]
    return lines + _evidence(finding) + _docs(finding)


def render(report: Report) -> str:
    log_predicates(report)
    out = [f"# stackdoctor diagnosis: {report.target}", ""]
    out += [f"Facts: `{report.source}`, collected {report.collected.get('at', '?')}.", ""]
    if report.pasted:
        out += ["Pasted text read as: " + "; ".join(f"`{p}`" for p in report.pasted) + ".", ""]
    out += [f"Not placed: {_cell(note)}" for note in report.unplaced]
    out += [""] if report.unplaced else []
    out += ["| layer | verdict |", "| --- | --- |"]
    out += [f"| {v.layer.value} | {_cell(layer_verdict_text(v))} |" for v in report.layers]
    out.append("")
    root = report.root_cause
    out.append("## Root cause")
    out.append("")
    if root is None:
        out += ["No root cause: no finding at warning or above is connected to the target.", ""]
    else:
        out += [
            f"**`{root.finding.rule_id}`** on {subject_text(root.finding)} "
            f"({root.finding.layer.value} layer): {root.finding.message}",
            "",
            "Chain (top-layer symptom first): "
            + " → ".join(f"`{f.rule_id}` ({f.layer.value})" for f in root.chain),
            "",
            f"**Fix:** {root.finding.fix}",
            "",
            *_evidence(root.finding),
            *_docs(root.finding),
        ]
    if report.differential:
        out += ["The evidence fits several causes; what would decide it:", ""]
        out += [
            f"{n}. `{c.rule_id}` — {c.title} ({c.seen}): `{c.tell}`"
            for n, c in enumerate(report.differential, 1)
        ]
        out.append("")
    out += timeline_view.markdown(report)
    if report.pods:
        out += ["## Pods", "", "| pod | root cause |", "| --- | --- |"]
        for pod in report.pods:
            cause = f"`{pod.root_cause.rule_id}`" if pod.root_cause else "—"
            out.append(f"| {pod.namespace}/{pod.name} | {cause} |")
        out.append("")
    related, health = other_findings(report)
    if related:
        out += ["## Findings", ""]
        for finding in related:
            out += _finding(finding)
    if health:
        out += ["## Node health (not related to the target)", ""]
        for finding in health:
            out += _finding(finding)
    if report.skipped:
        grouped = not_checked(report.skipped)
        out += ["## Not checked (facts missing)", ""]
        out += [
            f"- {', '.join(layers)} not examined ({why})" for why, layers in grouped.layers.items()
        ]
        if grouped.need_layers:
            out.append(f"- needing them: {', '.join(f'`{r}`' for r in grouped.need_layers)}")
        out += [
            f"- {reason}: {', '.join(f'`{r}`' for r in ids)}"
            for reason, ids in grouped.facts.items()
        ]
        out.append("")
    if report.failures:
        out += ["## Rule errors", ""]
        out += [f"- `{e.rule_id}` on {e.subject}: {e.error}" for e in report.failures]
        out.append("")
    return "\n".join(out)
