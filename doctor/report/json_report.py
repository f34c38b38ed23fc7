"""`--output json`: the stable machine-readable report (schema in docs/report.md)."""

from __future__ import annotations

import json
from typing import Any

from doctor import __version__
from doctor.model import Finding, Report, Timeline

REPORT_VERSION = 1


def as_dict(report: Report) -> dict[str, Any]:
    root = report.root_cause
    by_severity: dict[str, int] = {}
    for finding in report.findings:
        by_severity[finding.severity.value] = by_severity.get(finding.severity.value, 0) + 1
    worst = report.worst()
    return {
        "report_version": REPORT_VERSION,
        "stackdoctor": __version__,
        "target": {
            "host": report.target.host,
            "namespace": report.target.namespace,
            "pod": report.target.pod,
        },
        "source": report.source,
        "collected": report.collected,
        "differential": [
            {"id": c.rule_id, "title": c.title, "seen": c.seen, "check": c.tell}
            for c in report.differential
        ],
        "pasted": list(report.pasted),
        "unplaced": list(report.unplaced),
        "layers": [
            {
                "name": verdict.layer.value,
                "status": verdict.status.value,
                "verdict": verdict.verdict,
                "reason": verdict.reason,
                "findings": list(verdict.finding_keys),
            }
            for verdict in report.layers
        ],
        "root_cause": None
        if root is None
        else {
            "id": root.finding.rule_id,
            "key": root.finding.key,
            "layer": root.finding.layer.value,
            "severity": root.finding.severity.value,
            "subject": str(root.finding.subject),
            "chain": [f.rule_id for f in root.chain],
            "chain_keys": [f.key for f in root.chain],
        },
        "findings": [_finding(f, report) for f in report.findings],
        "timeline": _timeline(report.timeline),
        "too_old": list(report.too_old),
        "pods": [
            {
                "namespace": pod.namespace,
                "name": pod.name,
                "root_cause": pod.root_cause.rule_id if pod.root_cause else None,
                "root_cause_key": pod.root_cause.key if pod.root_cause else None,
                "findings": pod.findings,
            }
            for pod in report.pods
        ],
        "skipped": [
            {"id": s.rule_id, "reason": s.reason, "subjects": s.subjects} for s in report.skipped
        ],
        "errors": [
            {"id": e.rule_id, "subject": e.subject, "error": e.error} for e in report.failures
        ],
        "summary": {
            "rules_evaluated": report.rules_evaluated,
            "findings": len(report.findings),
            "by_severity": by_severity,
            "worst": worst.value if worst else None,
            "baselined": len(report.baselined),
        },
    }


def _finding(finding: Finding, report: Report) -> dict[str, Any]:
    return {
        "key": finding.key,
        "id": finding.rule_id,
        "layer": finding.layer.value,
        "severity": finding.severity.value,
        "subject": str(finding.subject),
        "subject_kind": finding.subject.kind.value,
        "attempts": list(finding.attempts),
        "title": finding.title,
        "message": finding.message,
        "fix": finding.fix,
        "docs": list(finding.docs),
        "evidence": [
            {
                "path": e.path,
                "op": e.op,
                "expected": e.expected,
                "value": e.value,
                "at": e.at,
                "negated": e.negated,
            }
            for e in finding.evidence
        ],
        "explained_by": list(report.explained.get(finding.key, ())),
        "timeline": list(report.evidence_entries.get(finding.key, ())),
        "node_health": finding.key in report.node_health,
        "baselined": report.is_baselined(finding),
    }


def _timeline(timeline: Timeline | None) -> dict[str, Any] | None:
    if timeline is None:
        return None
    return {
        "subject": timeline.subject,
        "entries": [
            {
                "id": e.id,
                "time": e.time,
                "layer": e.layer.value if e.layer is not None else None,
                "source": e.source,
                "what": e.what,
                "note": e.note,
            }
            for e in timeline.entries
        ],
        "clock_off": list(timeline.clock_off),
    }


def render(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2, sort_keys=False, default=str) + "\n"
