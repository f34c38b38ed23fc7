"""The terminal report (rich): the layer stack, the root cause with its chain, the findings.

The only module that imports rich. Colour follows the terminal: none when output is not a tty
or NO_COLOR is set; lines are wrapped to fit 80 columns when not writing to a terminal.
"""

from __future__ import annotations

import io
import itertools
import os
import sys

from rich._wrap import divide_line
from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from doctor.layers import Severity
from doctor.model import Finding, PodSummary, Report
from doctor.report import timeline_view
from doctor.report.not_checked import not_checked
from doctor.report.wording import (
    layer_verdict_text,
    log_predicates,
    other_findings,
    seen_lines,
    subject_text,
)
from doctor.report.wrap import ONE_CELL, divide_one_cell

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}
VERDICT_STYLE = {"ok": "green", "finding": "bold red", "not-examined": "yellow"}
VERDICT_MARK = {"ok": "✔", "finding": "✖", "not-examined": "?"}
WIDTH_WHEN_PIPED = 80


# Beyond this many rules waiting on layers not examined (a paste holds no kubelet), the report
# counts them: naming 75 rules helps no one reading a 2-line paste's diagnosis.
LISTED_RULES_MAX = 12


def _console(buffer: io.StringIO) -> Console:
    tty = sys.stdout.isatty()
    width = None if tty else WIDTH_WHEN_PIPED
    color = tty and "NO_COLOR" not in os.environ
    return Console(
        file=buffer,
        width=width or min(Console().width, 120),
        force_terminal=color,
        no_color=not color,
        highlight=False,
        emoji=False,
    )


def _layers(report: Report) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1))
    table.add_column("mark", width=1)
    table.add_column("layer", width=10)
    table.add_column("verdict", overflow="fold")
    for verdict in report.layers:
        style = VERDICT_STYLE[verdict.verdict]
        worst = _worst_in_layer(report, verdict.finding_keys)
        if worst is not None:
            style = SEVERITY_STYLE[worst]
        table.add_row(
            Text(VERDICT_MARK[verdict.verdict], style=style),
            Text(verdict.layer.value, style="bold"),
            Text(layer_verdict_text(verdict), style=style),
        )
    return table


def _worst_in_layer(report: Report, keys: tuple[str, ...]) -> Severity | None:
    wanted = set(keys)  # a layer of a large node holds thousands of keys
    severities = [f.severity for f in report.findings if f.key in wanted]
    return max(severities, key=lambda s: s.rank, default=None)


def _finding_block(finding: Finding) -> Group:
    head = Text()
    head.append(f"[{finding.severity.value}] ", style=SEVERITY_STYLE[finding.severity])
    head.append(finding.rule_id, style="bold")
    head.append(f"  {subject_text(finding)}")
    body: list[Text | Padding] = [head, Padding(Text(finding.message), (0, 0, 0, 2))]

    for seen in seen_lines(finding):
        body.append(Padding(Text(f"• {seen}", style="dim"), (0, 0, 0, 2)))
    fix = Text("fix: ", style="bold green")
    fix.append(finding.fix)
    body.append(Padding(fix, (0, 0, 0, 2)))
    return Group(*body)


def _plain_block(finding: Finding, width: int) -> str | None:
    """What `_finding_block` and `_print_docs` print on a console without styles, made without
    rich's layout machinery (~10x faster: a node's report can hold thousands of findings).

    Lines break where rich breaks them (its own `divide_line`); None for text rich would alter
    first (tabs, newlines, control characters), which then goes through rich.
    """
    head = f"[{finding.severity.value}] {finding.rule_id}  {subject_text(finding)}"
    indented = [
        finding.message,
        *(f"• {seen}" for seen in seen_lines(finding)),
        f"fix: {finding.fix}",
    ]
    docs = [f"  docs: {url}" for url in finding.docs]
    if not all(text.isprintable() for text in (head, *indented, *docs)):
        return None
    lines = _wrapped(head, width, "")
    for text in indented:
        lines += _wrapped(text, width - 2, "  ")
    return "\n".join([*lines, *docs]) + "\n"


def _wrapped(text: str, width: int, indent: str) -> list[str]:
    one_cell = ONE_CELL.issuperset(text)
    offsets = divide_one_cell(text, width) if one_cell else divide_line(text, width)
    breaks = [0, *offsets, len(text)]
    return [indent + text[start:end].rstrip() for start, end in itertools.pairwise(breaks)]


def _print_docs(console: Console, finding: Finding) -> None:
    for url in finding.docs:
        # Never wrap or crop a URL: a broken one cannot be clicked or pasted.
        console.print(Text(f"  docs: {url}", style="dim"), soft_wrap=True)


def _pods(report: Report) -> Table:
    table = Table(title="PODS", title_justify="left", box=None, pad_edge=False, padding=(0, 1))
    table.add_column("pod", overflow="fold")
    table.add_column("verdict", overflow="fold")
    for pod in report.pods:
        verdict, style = _pod_verdict(pod)
        table.add_row(f"{pod.namespace}/{pod.name}", Text(verdict, style))
    return table


def _pod_verdict(pod: PodSummary) -> tuple[str, str]:
    cause = pod.root_cause
    if cause is None:
        return "ok" if not pod.findings else f"{pod.findings} minor findings", "green"
    return f"{cause.rule_id} ({cause.severity.value})", SEVERITY_STYLE[cause.severity]


def _plain_pods(report: Report, width: int) -> str | None:
    """The PODS table as `_pods` prints it on a console without styles when it fits the width
    (no column is folded), without rich's measuring of every cell; else None."""
    rows = [("pod", "verdict")]
    rows += [(f"{pod.namespace}/{pod.name}", _pod_verdict(pod)[0]) for pod in report.pods]
    if not all(c.isascii() and c.isprintable() and "[" not in c for row in rows for c in row):
        return None  # a string cell is read as rich markup; text rich would alter goes through it
    name_width = max(len(name) for name, _ in rows)
    if name_width + 2 + max(len(verdict) for _, verdict in rows) > width:
        return None
    return "\n".join(["PODS", *(f"{n.ljust(name_width)}  {v}" for n, v in rows)]) + "\n"


def _root_cause(report: Report) -> Group:
    """The root cause, said once: its evidence and docs are here, not again under FINDINGS."""
    root = report.root_cause
    title = Text("ROOT CAUSE", style="bold underline")
    if root is None:
        return Group(
            title, Text("No root cause: nothing at warning or above is connected to the target.")
        )
    finding = root.finding
    line = Text()
    line.append(f"[{finding.severity.value}] ", style=SEVERITY_STYLE[finding.severity])
    line.append(f"{finding.rule_id}", style="bold")
    line.append(f" in the {finding.layer.value} layer, on {subject_text(finding)}")
    parts: list[Text | Padding] = [title, line, Padding(Text(finding.message), (0, 0, 0, 2))]
    parts += [Padding(Text(f"• {seen}", style="dim"), (0, 0, 0, 2)) for seen in seen_lines(finding)]
    if len(root.chain) > 1:
        chain = Text("chain: ", style="bold")
        chain.append(" → ".join(f"{f.rule_id} ({f.layer.value})" for f in root.chain))
        parts.append(Padding(chain, (0, 0, 0, 2)))
    fix = Text("fix: ", style="bold green")
    fix.append(finding.fix)
    parts.append(Padding(fix, (0, 0, 0, 2)))
    return Group(*parts)


def _differential(report: Report) -> Group:
    """The causes the evidence also fits, most likely first, and what decides each."""
    lines: list[Text | Padding] = [
        Text("the evidence fits several causes; what would decide it:", style="bold")
    ]
    for number, candidate in enumerate(report.differential, 1):
        head = Text(f"{number}. {candidate.rule_id}", style="bold")
        head.append(f" — {candidate.title} ({candidate.seen})")
        lines.append(head)
        lines.append(Padding(Text(f"check: {candidate.tell}"), (0, 0, 0, 3)))
    return Group(*lines)


def render(report: Report) -> str:
    log_predicates(report)
    buffer = io.StringIO()
    console = _console(buffer)
    header = Text(f"stackdoctor — {report.target}", style="bold")
    console.print(header)
    console.print(
        Text(f"facts: {report.source} (collected {report.collected.get('at', '?')})", style="dim")
    )
    if report.pasted or report.unplaced:
        read = "; ".join(report.pasted) or "nothing"
        console.print(Text(f"pasted text read as: {read}", style="dim"))
        for note in report.unplaced:
            console.print(Text(f"not placed: {note}", style="yellow"))
    console.print()
    console.print(_layers(report))
    console.print()
    console.print(_root_cause(report))
    if report.root_cause is not None:
        _print_docs(console, report.root_cause.finding)
    if report.differential:
        console.print(Padding(_differential(report), (1, 0, 0, 2)))
    buffer.write(timeline_view.text(report, console.width))
    if report.pods:
        console.print()
        plain = _plain_pods(report, console.width) if console.color_system is None else None
        if plain is not None:
            buffer.write(plain)
        else:
            console.print(_pods(report))
    related, health = other_findings(report)
    for title, findings in (
        ("FINDINGS", related),
        ("NODE HEALTH (not related to the target)", health),
    ):
        if findings:
            console.print()
            console.print(Text(title, style="bold underline"))
            for finding in findings:
                plain = (
                    _plain_block(finding, console.width) if console.color_system is None else None
                )
                if plain is not None:
                    buffer.write(plain)
                else:
                    console.print(_finding_block(finding))
                    _print_docs(console, finding)
    if report.failures:
        console.print()
        console.print(Text("RULE ERRORS (bugs: please report)", style="bold red"))
        for failure in report.failures:
            console.print(Text(f"{failure.rule_id} on {failure.subject}: {failure.error}"))
    if report.skipped:
        # Could not look is not the same as found nothing: say which checks did not run.
        console.print()
        console.print(Text("NOT CHECKED (facts missing)", style="bold underline"))
        grouped = not_checked(report.skipped)
        for why, layers in grouped.layers.items():
            noun = "layer" if len(layers) == 1 else "layers"
            console.print(Text(f"{', '.join(layers)} {noun} not examined ({why})", style="yellow"))
        if grouped.need_layers:
            need = len(grouped.need_layers)
            them = "it" if sum(map(len, grouped.layers.values())) == 1 else "them"
            listed = (
                ": " + ", ".join(grouped.need_layers)
                if need <= LISTED_RULES_MAX
                else " (`-o json` lists them)"
            )
            text = f"{_count(need, 'rule')} need{'s' if need == 1 else ''} {them}{listed}"
            console.print(Padding(Text(text, style="dim"), (0, 0, 0, 2)))
        for reason, rule_ids in grouped.facts.items():
            console.print(Text(f"{reason}:", style="yellow"))
            console.print(Padding(Text(", ".join(rule_ids), style="dim"), (0, 0, 0, 2)))

    console.print()
    skipped = len({s.rule_id for s in report.skipped})
    summary = (
        f"{_count(report.rules_evaluated, 'rule')} evaluated, "
        f"{_count(len(report.findings), 'finding')}, "
        f"{_count(skipped, 'rule')} not checked"
    )
    console.print(Text(summary, style="dim"))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
