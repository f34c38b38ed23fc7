"""Findings point at the timeline entries that are their evidence, and the reports show the
entries around the root cause (doctor/timeline/evidence.py, doctor/report/timeline_view.py):
on the lab cluster's real captures and a real pasted report."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.facts.document import load_facts
from doctor.model import Report
from doctor.report import json_report, markdown, text, timeline_view
from doctor.timeline.build import NO_ZONE
from tests.conftest import REPO
from tests.paste.reading import read_paste

RULES = load_rules()


def report_of(name: str) -> Report:
    return diagnose(load_facts(REPO / "fixtures/scenarios" / f"{name}.json"), RULES)


def test_an_oom_kill_points_at_the_attempts_it_fired_on() -> None:
    report = report_of("k8s-oom-kill")
    assert report.timeline is not None and report.timeline.subject == "default/oom-kill"
    root = report.root_cause
    assert root is not None
    assert report.evidence_entries[root.finding.key] == (
        "containers[0].finished_at",
        "containers[1].finished_at",
    )


def test_matched_log_lines_are_evidence_and_what_a_not_saw_is_not() -> None:
    """process.app-error holds because the kubelet's lines do *not* say exec format error: those
    lines are not what happened. kubelet.crash-loop matched its CrashLoopBackOff line."""
    report = report_of("k8s-crash-loop")
    entries = report.evidence_entries
    assert entries["process.app-error@default/crash-loop/app"] == ("containers[0].finished_at",)
    crash_loop = entries["kubelet.crash-loop@default/crash-loop/app"]
    assert "kubelet_log[19].time" in crash_loop
    assert report.timeline is not None
    what = {e.id: e.what for e in report.timeline.entries}
    assert "CrashLoopBackOff" in what["kubelet_log[19].time"]


def test_a_node_root_causes_line_joins_the_pods_timeline_once() -> None:
    """containerd's RunPodSandbox failure names the pod but not its uid (it has no sandbox), so
    it is only in the node's log: the pod's timeline gets it, as the root cause's evidence."""
    report = report_of("k8s-cni-ip-exhausted")
    assert report.timeline is not None
    ids = [e.id for e in report.timeline.entries]
    assert report.evidence_entries["containerd.cni-ip-exhausted@node"] == (
        "$.layers.containerd.log[21].time",
    )
    assert "$.layers.containerd.log[21].time" in ids
    # the kubelet's line is in the pod's own list: not added again from the node's
    assert not any(ident.startswith("$.layers.kubelet.log") for ident in ids)
    assert len(ids) == len(set(ids))


def test_every_finding_points_only_at_entries_of_the_report_timeline() -> None:
    for path in sorted((REPO / "fixtures/scenarios").glob("k8s-*.json")):
        if path.name.endswith(".expected.json"):
            continue
        report = diagnose(load_facts(path), RULES)
        assert report.timeline is not None
        ids = {e.id for e in report.timeline.entries}
        for key, pointed in report.evidence_entries.items():
            assert set(pointed) <= ids, (path.name, key)


def test_the_text_report_shows_the_entries_around_the_root_cause() -> None:
    out = text.render(report_of("k8s-oom-kill"))
    section = out.split("TIMELINE (", 1)[1].split("\nFINDINGS", 1)[0]
    marked = [line for line in section.splitlines() if line.startswith(timeline_view.MARK)]
    assert marked == [
        "▶ 22:15:15.082017    cri        app attempt 0 finished: exit 137, OOMKilled",
        "▶ 22:15:15.647292    cri        app attempt 1 finished: exit 137, OOMKilled",
    ]
    assert "entries not shown" in section  # not the whole log
    assert "facts collected" in section
    assert all(len(line) <= 80 for line in section.splitlines())


def test_the_markdown_report_has_the_same_as_a_table() -> None:
    out = markdown.render(report_of("k8s-oom-kill"))
    table = out.split("## Timeline", 1)[1].split("\n## ", 1)[0]
    assert "| time (UTC) | layer | source | what |" in table
    assert (
        "| `2026-12-06T22:15:15.647292Z` | cri | cri | **app attempt 1 finished: exit 137,"
        " OOMKilled** |"
    ) in table
    shown = [row for row in table.splitlines() if row.startswith("| `")]
    rows = timeline_view.rows(report_of("k8s-oom-kill"))
    assert len(shown) == sum(row.entry is not None for row in rows) < 48


def test_the_json_report_has_the_timeline_and_each_findings_entries() -> None:
    data = json.loads(json_report.render(report_of("k8s-crash-loop")))
    timeline = data["timeline"]
    assert timeline["subject"] == "default/crash-loop"
    ids = [e["id"] for e in timeline["entries"]]
    assert set(ids) >= {"containers[0].finished_at", "$.collected.at"}
    (app_error,) = [f for f in data["findings"] if f["id"] == "process.app-error"]
    assert app_error["timeline"] == ["containers[0].finished_at"]
    assert timeline["entries"][ids.index("containers[0].finished_at")] == {
        "id": "containers[0].finished_at",
        "time": "2026-12-06T22:15:39.356826Z",
        "layer": "cri",
        "source": "cri",
        "what": "app attempt 2 finished: exit 1, Error",
        "note": None,
    }


def test_a_node_check_gets_the_nodes_timeline() -> None:
    report = diagnose(
        load_facts(REPO / "fixtures/scenarios/k8s-containerd-stopped.json"), RULES, node_only=True
    )
    assert report.timeline is not None and report.timeline.subject == "node"
    assert "TIMELINE (" in text.render(report)


def test_pasted_text_gets_a_timeline_too(tmp_path: Path) -> None:
    """A real report's kubelet journal (kubernetes#57280), pasted: its klog lines are the
    timeline, microseconds kept, the year inferred and the zone assumed, and said so."""
    case = REPO / "fixtures/realworld/cases/containerd.cni-ip-exhausted/k8s-57280.yaml"
    loaded = read_paste(tmp_path, yaml.safe_load(case.read_text())["evidence"])
    report = diagnose(loaded.document, RULES)
    assert report.timeline is not None
    logged = [e for e in report.timeline.entries if e.source == "kubelet-log"]
    assert logged and all(e.note == NO_ZONE for e in logged)
    assert logged[0].time.endswith("-12-28T00:04:45.997544Z")
    root = report.root_cause
    assert root is not None and root.finding.rule_id == "containerd.cni-ip-exhausted"
    assert report.evidence_entries[root.finding.key]
