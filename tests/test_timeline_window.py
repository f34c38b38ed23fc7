"""Evidence bound to time (doctor/timeline/window.py): log lines and events older than the
trouble diagnosed are not evidence, and the report says what was left out. On the lab's real
capture of an exhausted IP range (the allocator's failure at 22:19:14, collected 22:19:23),
"fixed" the way the node recovers: a new sandbox created after the failure."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import click
import pytest

from doctor.cli.options import parse_duration
from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.facts.document import parse_facts
from doctor.gather.collect import _utc_offset
from doctor.gather.host import Host
from doctor.report import json_report, text
from doctor.timeline.build import IN_NODE_ZONE, timeline_for
from doctor.timeline.moments import MICROS, instant
from doctor.timeline.window import ANY_ZONE, _Cutoff
from tests.conftest import REPO

RULES = load_rules()
CAPTURE = REPO / "fixtures/scenarios/k8s-cni-ip-exhausted.json"
EXHAUSTED = "containerd.cni-ip-exhausted@node"


def capture() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CAPTURE.read_text())
    return loaded


def recovered() -> dict[str, Any]:
    """The addresses freed: the kubelet's next try made a sandbox, 6 s after the failure.
    The node's zone is known, as the live gatherer records it (the kubelet's klog lines name
    none)."""
    document = capture()
    document["collected"]["utc_offset_seconds"] = 0
    document["pods"][0]["sandbox"] = {
        "id": "5e" * 32,
        "state": "SANDBOX_READY",
        "created_at": "2026-12-06T22:19:20.000000Z",
    }
    return document


def keys(document: dict[str, Any], **options: Any) -> set[str]:
    return {f.key for f in diagnose(parse_facts(document, "t"), RULES, **options).findings}


def test_the_fault_as_captured_fires() -> None:
    assert EXHAUSTED in keys(capture())


def test_after_recovery_the_old_lines_are_not_evidence_and_the_report_says_so() -> None:
    document = recovered()
    report = diagnose(parse_facts(document, "t"), RULES)
    assert EXHAUSTED not in {f.key for f in report.findings}
    assert "kubelet.sandbox-create-failed@default/cni-ip-exhausted" not in {
        f.key for f in report.findings
    }
    assert any(
        note.startswith("node logs: ") and "node containerd lines" in note
        for note in report.too_old
    )
    assert "2026-12-06T22:19:20.000000Z" in report.too_old[0]
    out = text.render(report)
    assert "LEFT OUT AS TOO OLD (not evidence)" in out
    assert json.loads(json_report.render(report))["too_old"] == list(report.too_old)
    # the timeline is still all that happened: the failure is in it
    assert report.timeline is not None
    assert any("Failed to create sandbox" in e.what for e in report.timeline.entries)


def test_a_pod_without_a_sandbox_keeps_all_its_evidence() -> None:
    report = diagnose(parse_facts(capture(), "t"), RULES)
    assert report.too_old == ()


def test_a_node_check_counts_the_logs_since() -> None:
    document = capture()
    document["collected"]["utc_offset_seconds"] = 0
    assert EXHAUSTED in keys(document, node_only=True)
    assert EXHAUSTED in keys(document, node_only=True, since_seconds=60)
    assert EXHAUSTED not in keys(document, node_only=True, since_seconds=5)


def test_a_zoneless_line_is_left_out_only_when_old_in_any_zone_unless_the_zone_is_known() -> None:
    """The kubelet's klog lines name no zone: without the node's offset, 9 s old could be hours
    either way, so they stay; with it (the live gatherer records it), they are placed."""
    document = capture()
    facts = parse_facts(document, "t")
    unknown = diagnose(facts, RULES, node_only=True, since_seconds=5).too_old
    assert not any("node kubelet lines" in note for note in unknown)
    document["collected"]["utc_offset_seconds"] = 0
    known = diagnose(parse_facts(document, "t"), RULES, node_only=True, since_seconds=5).too_old
    assert any("node kubelet lines" in note for note in known)


def test_the_nodes_zone_places_klog_lines_in_the_timeline() -> None:
    document = capture()
    document["collected"]["utc_offset_seconds"] = 3600  # the kubelet wrote UTC+01:00
    entries = timeline_for(document, document["pods"][0])["entries"]
    klog = next(e for e in entries if e["id"] == "kubelet_log[8].time")
    assert klog["time"] == "2026-12-06T22:19:14.103637+01:00"
    assert klog["note"] == IN_NODE_ZONE
    # an hour earlier than read as UTC: now before the containerd line it answered
    ids = [e["id"] for e in entries]
    assert ids.index("kubelet_log[8].time") < ids.index("$.collected.at")
    assert entries[-1]["id"] == "$.collected.at"


@pytest.mark.parametrize(("zone", "offset"), [("Asia/Kolkata", 19800), ("UTC", 0), (None, None)])
def test_the_nodes_zone_is_read_from_its_etc_localtime(
    tmp_path: Path, zone: str | None, offset: int | None
) -> None:
    if zone is not None:
        (tmp_path / "etc").mkdir()
        source = Path("/usr/share/zoneinfo") / zone
        if not source.exists():
            pytest.skip(f"no tzdata for {zone} here")
        (tmp_path / "etc/localtime").write_bytes(source.read_bytes())
    ctx: Any = SimpleNamespace(host=Host(tmp_path))
    assert _utc_offset(ctx) == offset


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86400), ("45", 45)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "ten", "5w", "0", "-3m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(click.BadParameter):
        parse_duration(text)


@pytest.mark.parametrize("offset", [None, 0, 19800, -18000])
def test_the_seconds_shortcut_decides_as_parsing_does(offset: int | None) -> None:
    """Every time in the lab's captures, against windows opening on, between and around them."""
    times = sorted(
        {
            line["time"]
            for path in (REPO / "fixtures/scenarios").glob("k8s-*.json")
            if not path.name.endswith(".expected.json")
            for line in _lines(json.loads(path.read_text()))
            if isinstance(line.get("time"), str)
        }
    )
    assert len(times) > 500
    for at in times[:: len(times) // 40]:
        for shift in (-ANY_ZONE - MICROS, -MICROS, -1, 0, 1, 500_000, MICROS, ANY_ZONE):
            start = instant(at) + shift  # type: ignore[operator]
            cutoff = _Cutoff(start, offset)
            assert [cutoff.older(t) for t in times] == [cutoff._exact(t) for t in times]


def _lines(document: dict[str, Any]) -> list[dict[str, Any]]:
    layers = document["layers"]
    found = [*(layers["kubelet"].get("log") or []), *(layers["containerd"].get("log") or [])]
    found += layers["node"].get("kernel_log") or []
    for pod in document["pods"]:
        found += [*(pod.get("kubelet_log") or []), *(pod.get("containerd_log") or [])]
    return found


def test_an_old_line_is_not_evidence_even_when_a_new_one_says_the_same() -> None:
    """The allocator failed 9 s before the check and again 1.6 s before it: with --since 5s
    the finding points at the later line only."""
    document = capture()
    document["collected"]["utc_offset_seconds"] = 0
    lines = document["layers"]["containerd"]["log"]
    lines.append(dict(lines[21], time="2026-12-06T22:19:22.000000000Z"))
    facts = parse_facts(document, "t")
    report = diagnose(facts, RULES, node_only=True, since_seconds=5)
    assert report.evidence_entries[EXHAUSTED] == ("$.layers.containerd.log[22].time",)
    everything = diagnose(facts, RULES, node_only=True).evidence_entries[EXHAUSTED]
    assert everything == ("$.layers.containerd.log[21].time", "$.layers.containerd.log[22].time")
