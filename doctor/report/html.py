"""`--output html`: one self-contained page to look at and to attach to a ticket.

Everything is inline (styles; no script, font or image at all) so that it opens offline, and the
page's Content-Security-Policy forbids loading or running anything: every text that came from
the facts (log lines, messages, names: a bundle is hostile input) is escaped as well, the policy
is the second wall. It says what the text report says, in the same words (wording.py), from the
Report alone: what was redacted in the facts is redacted here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import urlsplit

from doctor.layers import LAYER_NAMES, Severity
from doctor.model import Finding, LayerVerdict, PodSummary, Report
from doctor.report import timeline_view
from doctor.report.not_checked import not_checked
from doctor.report.wording import (
    layer_verdict_text,
    log_predicates,
    other_findings,
    seen_lines,
    subject_text,
)

# Nothing may be fetched or run: styles are the page's own, links are followed by a click only.
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:60rem;
 padding:1rem 1.5rem;color:#1b1f24;background:#fff}
h1{font-size:1.35rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.6rem 0 .5rem;
 border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
.meta{color:#57606a;font-size:.9rem;margin:.1rem 0}
code,.seen li,.check{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
 font-size:.85rem;overflow-wrap:anywhere}
ol.layers{list-style:none;padding:0;margin:0;border:1px solid #d0d7de;border-radius:6px}
ol.layers li{display:flex;gap:1rem;padding:.35rem .75rem;border-top:1px solid #d0d7de}
ol.layers li:first-child{border-top:0}
.layer-name{font-weight:600;min-width:7rem}
.mark{width:1rem;text-align:center}
.v-ok .mark,.v-ok .verdict{color:#1a7f37}
.v-not-examined .mark,.v-not-examined .verdict{color:#9a6700}
.v-finding{background:#fff5f5}.v-finding .mark,.v-finding .verdict{color:#cf222e;font-weight:600}
.root{border:2px solid #cf222e;border-radius:6px;padding:.6rem 1rem;background:#fff8f8}
.none{color:#1a7f37}
.sev{display:inline-block;border-radius:4px;padding:0 .4rem;font-size:.8rem;font-weight:700;
 text-transform:uppercase;color:#fff;background:#57606a}
.sev.sev-critical{background:#82071e}.sev.sev-error{background:#cf222e}
.sev.sev-warning{background:#9a6700}.sev.sev-info{background:#0969da}
.worst-warning{background:#fff8e5}.v-finding.worst-warning .verdict{color:#9a6700}
.worst-info{background:#f3f8ff}.v-finding.worst-info .verdict{color:#0969da}
.finding.worst-critical,.finding.worst-error{border-left:4px solid #cf222e}
.finding.worst-warning{border-left:4px solid #9a6700}
.finding.worst-info{border-left:4px solid #0969da}
.rule{font-weight:600}.subject{color:#57606a}
ol.chain{list-style:none;display:flex;flex-wrap:wrap;gap:.3rem;padding:0;margin:.4rem 0}
ol.chain li+li::before{content:"\\2192  ";color:#57606a}
ol.chain li.cause{font-weight:700}
ul.seen{margin:.3rem 0;padding-left:1.2rem;color:#3a4048}
.fix{margin:.4rem 0}.fix b{color:#1a7f37}
.finding{border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1rem;margin:.6rem 0}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.2rem .6rem;text-align:left}
.dim{color:#57606a;font-size:.9rem}
.lanes{overflow-x:auto}
table.swimlanes td,table.swimlanes th{font-size:.8rem;vertical-align:top;min-width:7rem;
max-width:14rem;overflow-wrap:anywhere}
table.swimlanes th.lane{background:#f6f8fa}table.swimlanes .gap{background:#eaeef2}
table.swimlanes td.ev{background:#ffebe9;border:2px solid #cf222e;font-weight:600}
table.swimlanes .src{color:#57606a;font-size:.75rem}
@media print{.finding,.root{break-inside:avoid}}
"""

_MARK = {"ok": "✔", "finding": "✖", "not-examined": "?"}
ALL_LAYERS = "(all)"  # the lane of what spans every layer: the moment of collection


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _page(title: str, body: Iterable[str]) -> str:
    return (
        "\n".join(
            [
                "<!DOCTYPE html>",
                '<html lang="en">',
                "<head>",
                '<meta charset="utf-8">',
                f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">',
                '<meta name="viewport" content="width=device-width, initial-scale=1">',
                '<meta name="referrer" content="no-referrer">',
                f"<title>{_e(title)}</title>",
                f"<style>{_STYLE}</style>",
                "</head>",
                "<body>",
                *body,
                "</body>",
                "</html>",
            ]
        )
        + "\n"
    )


def _sev(severity: Severity) -> str:
    return f'<span class="sev sev-{severity.value}">{_e(severity.value)}</span>'


def _link(url: str) -> str:
    """A docs URL as a link when it is a web address; anything else stays text."""
    if urlsplit(url).scheme not in ("http", "https"):
        return f"<code>{_e(url)}</code>"
    return f'<a href="{_e(url)}" rel="noreferrer noopener">{_e(url)}</a>'


def _body(finding: Finding) -> list[str]:
    """A finding's message, what was seen, its fix and docs."""
    out = [f'<p class="message">{_e(finding.message)}</p>']
    seen = seen_lines(finding)
    if seen:
        out += ['<ul class="seen">', *(f"<li>{_e(line)}</li>" for line in seen), "</ul>"]
    out.append(f'<p class="fix"><b>fix:</b> {_e(finding.fix)}</p>')
    if finding.docs:
        out.append('<p class="dim">docs: ' + ", ".join(_link(u) for u in finding.docs) + "</p>")
    return out


def _head(finding: Finding) -> str:
    return (
        f'{_sev(finding.severity)} <span class="rule">{_e(finding.rule_id)}</span> '
        f'<span class="subject">{_e(subject_text(finding))}</span>'
    )


def _layers(report: Report) -> list[str]:
    worst: dict[str, Severity] = {}
    for finding in report.findings:
        have = worst.get(finding.layer.value)
        if have is None or finding.severity.rank > have.rank:
            worst[finding.layer.value] = finding.severity
    out = ['<section id="layers">', "<h2>Layers, top-down</h2>", '<ol class="layers">']
    out += [_layer(v, worst.get(v.layer.value)) for v in report.layers]
    return [*out, "</ol>", "</section>"]


def _layer(verdict: LayerVerdict, worst: Severity | None) -> str:
    severity = f" worst-{worst.value}" if worst is not None and verdict.verdict == "finding" else ""
    return (
        f'<li class="layer v-{verdict.verdict}{severity}" data-layer="{_e(verdict.layer.value)}">'
        f'<span class="mark">{_MARK[verdict.verdict]}</span>'
        f'<span class="layer-name">{_e(verdict.layer.value)}</span>'
        f'<span class="verdict">{_e(layer_verdict_text(verdict))}</span></li>'
    )


def _root_cause(report: Report) -> list[str]:
    out = ['<section id="root-cause">', "<h2>Root cause</h2>"]
    root = report.root_cause
    if root is None:
        text = "No root cause: nothing at warning or above is connected to the target."
        return [*out, f'<p class="none">{_e(text)}</p>', "</section>"]
    finding = root.finding
    out += [
        '<div class="root">',
        f"<p>{_head(finding)} in the {_e(finding.layer.value)} layer</p>",
        f"<p><b>{_e(finding.title)}</b></p>",
    ]
    if len(root.chain) > 1:
        out.append('<p class="dim">chain, from the top-layer symptom down to the cause:</p>')
        out.append('<ol class="chain">')
        for link in root.chain:
            cause = ' class="cause"' if link.key == finding.key else ""
            out.append(f"<li{cause}>{_e(link.rule_id)} ({_e(link.layer.value)})</li>")
        out.append("</ol>")
    out += [*_body(finding), "</div>", *_differential(report), "</section>"]
    return out


def _differential(report: Report) -> list[str]:
    if not report.differential:
        return []
    out = [
        '<div id="differential">',
        "<p><b>The evidence fits several causes; what would decide it:</b></p>",
        "<ol>",
    ]
    for candidate in report.differential:
        out.append(
            f'<li><span class="rule">{_e(candidate.rule_id)}</span> — {_e(candidate.title)}'
            f' <span class="dim">({_e(candidate.seen)})</span><br>'
            f'check: <span class="check">{_e(candidate.tell)}</span></li>'
        )
    return [*out, "</ol>", "</div>"]


def _timeline(report: Report) -> list[str]:
    """The entries around the root cause (timeline_view.rows: the same window as the text
    report) as swimlanes: one lane per layer, top-down, time running left to right, one column
    per entry; the root cause's (and its chain's) evidence highlighted, the entries not shown
    counted in a column of their own."""
    shown = timeline_view.rows(report)
    if not shown:
        return []
    heads = ['<tr><th class="lane">layer</th>']
    for row in shown:
        if row.entry is None:
            heads.append(f'<th class="gap">… {row.skipped}</th>')
        else:
            heads.append(f'<th class="when">{_e(_clock(row.entry.time))}</th>')
    heads.append("</tr>")
    lanes: list[str] = []
    for name in (*LAYER_NAMES, ALL_LAYERS):
        cells = [f'<tr data-lane="{_e(name)}"><th class="lane">{_e(name)}</th>']
        for row in shown:
            entry = row.entry
            if entry is None:
                cells.append('<td class="gap"></td>')
            elif (entry.layer.value if entry.layer is not None else ALL_LAYERS) != name:
                cells.append("<td></td>")
            else:
                mark = ' class="ev"' if row.evidence else ""
                cells.append(
                    f'<td{mark} data-entry="{_e(entry.id)}"><span class="src">'
                    f"{_e(entry.source)}</span> {_e(entry.what)}</td>"
                )
        cells.append("</tr>")
        lanes.append("".join(cells))
    notes = [f'<p class="dim">{_e(note)}</p>' for note in timeline_view.notes(report, shown)]
    day = next(row.entry.time for row in shown if row.entry is not None).partition("T")[0]
    return [
        '<section id="timeline">',
        f'<h2>Timeline <span class="dim">({_e(day)}, UTC; highlighted: the root cause\'s'
        " evidence)</span></h2>",
        '<div class="lanes"><table class="swimlanes">',
        "".join(heads),
        *lanes,
        "</table></div>",
        *notes,
        "</section>",
    ]


def _clock(time: str) -> str:
    """HH:MM:SS(.fraction) of an RFC 3339 time."""
    return time.partition("T")[2].rstrip("Z")[:15] or time


def _pods(pods: Sequence[PodSummary]) -> list[str]:
    if not pods:
        return []
    out = [
        '<section id="pods">',
        "<h2>Pods</h2>",
        "<table>",
        "<tr><th>pod</th><th>verdict</th></tr>",
    ]
    for pod in pods:
        cause = pod.root_cause
        verdict = (
            f"{_sev(cause.severity)} {_e(cause.rule_id)}"
            if cause is not None
            else _e("ok" if not pod.findings else f"{pod.findings} minor findings")
        )
        out.append(f"<tr><td>{_e(pod.namespace)}/{_e(pod.name)}</td><td>{verdict}</td></tr>")
    return [*out, "</table>", "</section>"]


def _findings(section: str, title: str, findings: Sequence[Finding]) -> list[str]:
    if not findings:
        return []
    out = [f'<section id="{section}">', f"<h2>{_e(title)}</h2>"]
    for finding in findings:
        out += [
            f'<article class="finding worst-{finding.severity.value}">',
            f"<p>{_head(finding)}</p>",
            *_body(finding),
            "</article>",
        ]
    return [*out, "</section>"]


def _not_checked(report: Report) -> list[str]:
    out: list[str] = []
    if report.failures:
        out += ['<section id="rule-errors">', "<h2>Rule errors (bugs: please report)</h2>", "<ul>"]
        out += [
            f"<li>{_e(f.rule_id)} on {_e(f.subject)}: <code>{_e(f.error)}</code></li>"
            for f in report.failures
        ]
        out += ["</ul>", "</section>"]
    if report.skipped:
        grouped = not_checked(report.skipped)
        out += ['<section id="not-checked">', "<h2>Not checked (facts missing)</h2>", "<ul>"]
        out += [
            f"<li>{_e(', '.join(layers))} not examined ({_e(why)})</li>"
            for why, layers in grouped.layers.items()
        ]
        if grouped.need_layers:
            ids = ", ".join(grouped.need_layers)
            out.append(f'<li>needing them: <span class="dim">{_e(ids)}</span></li>')
        out += [
            f'<li>{_e(reason)}: <span class="dim">{_e(", ".join(ids))}</span></li>'
            for reason, ids in grouped.facts.items()
        ]
        out += ["</ul>", "</section>"]
    return out


def render(report: Report) -> str:
    log_predicates(report)
    related, health = other_findings(report)
    skipped = len({s.rule_id for s in report.skipped})
    header = [
        "<header>",
        f"<h1>stackdoctor — {_e(report.target)}</h1>",
        f'<p class="meta">facts: {_e(report.source)} (collected'
        f" {_e(report.collected.get('at', '?'))})</p>",
    ]
    if report.pasted:
        header.append(f'<p class="meta">pasted text read as: {_e("; ".join(report.pasted))}</p>')
    header += [f'<p class="meta">not placed: {_e(note)}</p>' for note in report.unplaced]
    body = [
        *header,
        "</header>",
        "<main>",
        *_layers(report),
        *_root_cause(report),
        *_timeline(report),
        *_pods(report.pods),
        *_findings("findings", "Findings", related),
        *_findings("node-health", "Node health (not related to the target)", health),
        *_not_checked(report),
        "</main>",
        f'<footer class="dim"><p>{report.rules_evaluated} rules evaluated,'
        f" {len(report.findings)} findings, {skipped} rules not checked</p></footer>",
    ]
    return _page(f"stackdoctor — {report.target}", body)


def render_fleet(summary: Mapping[str, Any]) -> str:
    """The fleet summary (doctor/bundle/fleet_report.summarise) as a page."""
    counts = summary["counts"]
    body = [
        "<header>",
        "<h1>stackdoctor — fleet summary</h1>",
        f'<p class="meta">{_e(counts["bundles"])} bundles, {_e(counts["with_root_cause"])} with a'
        f" root cause, {_e(counts['unreadable'])} unreadable</p>",
        "</header>",
        "<main>",
        '<section id="root-causes">',
        "<h2>Root causes</h2>",
    ]
    causes = summary["root_causes"]
    if not causes:
        body.append("<p>none</p>")
    for rule_id, cause in causes.items():
        bundles = "".join(f"<li><code>{_e(b)}</code></li>" for b in cause["bundles"])
        body += [
            '<article class="finding">',
            f'<p><b>{len(cause["bundles"])}</b> <span class="rule">{_e(rule_id)}</span>'
            f" ({_e(cause['layer'])}): {_e(cause['title'])}</p>",
            f'<ul class="seen">{bundles}</ul>',
            "</article>",
        ]
    body.append("</section>")
    without = [b["bundle"] for b in summary["bundles"] if not b["error"] and not b["root_cause"]]
    if without:
        body += ['<section id="no-root-cause">', "<h2>No root cause</h2>", "<ul>"]
        body += [f"<li><code>{_e(b)}</code></li>" for b in without]
        body += ["</ul>", "</section>"]
    for section, title, table in (
        ("per-layer", "Findings per layer", summary["findings_per_layer"]),
        ("per-rule", "Findings per rule", summary["findings_per_rule"]),
    ):
        body += [f'<section id="{section}">', f"<h2>{title}</h2>", "<table>"]
        body += [f"<tr><td>{_e(n)}</td><td>{_e(name)}</td></tr>" for name, n in table.items()]
        body += ["</table>", "</section>"]
    unreadable = [b["error"] for b in summary["bundles"] if b["error"]]
    if unreadable:
        body += ['<section id="unreadable">', "<h2>Unreadable</h2>", "<ul>"]
        body += [f"<li><code>{_e(error)}</code></li>" for error in unreadable]
        body += ["</ul>", "</section>"]
    body.append("</main>")
    return _page("stackdoctor — fleet summary", body)
