"""`--output html`: one self-contained page saying what the text report says; hostile text from
the facts stays text; what was redacted in a bundle stays redacted; the fleet summary renders."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from doctor.bundle.writer import write_bundle
from doctor.cli.main import cli
from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.facts.document import PodRef, parse_facts
from doctor.layers import LAYER_NAMES
from doctor.model import Report
from doctor.redact import RedactionPolicy
from doctor.report import formatter
from tests.conftest import REPO
from tests.html_page import Page

RULES = load_rules()
SCENARIOS = REPO / "fixtures" / "scenarios"
HOSTILE = '</title><script>alert(1)</script><img src=x onerror="alert(2)">'
# The tags the page is made of: a hostile string that became markup would add another.
PAGE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "p", "main",
    "section", "ol", "ul", "li", "span", "b", "div", "article", "a", "br", "code", "table",
    "tr", "th", "td", "footer",
}  # fmt: skip


def scenario(name: str, pod: PodRef | None = None) -> Report:
    document = json.loads((SCENARIOS / f"{name}.json").read_text())
    return diagnose(parse_facts(document, f"{name}.json"), RULES, pod)


def test_the_page_says_the_layers_the_root_cause_and_the_findings() -> None:
    report = scenario("k8s-crash-loop", PodRef("default", "crash-loop"))
    page = Page(formatter("html")(report))
    layers = [a["data-layer"] for tag, a in page.tags if tag == "li" and "data-layer" in a]
    assert layers == list(LAYER_NAMES)
    assert "Application exited with an error code" in page.words  # the root cause's title
    assert "kubelet.crash-loop (kubelet) process.app-error (process)" in page.words  # chain
    assert "kubelet log, 2026-12-06T22:15:40.378539:" in page.words  # evidence as seen
    assert "(?P<" not in page.words  # patterns are the JSON's
    ids = {a.get("id") for _, a in page.tags}
    assert {"layers", "root-cause", "findings", "not-checked"} <= ids


def test_the_differential_is_on_the_page() -> None:
    # the liveness probe's kill (exit 137) once its logs and events are gone: several causes fit
    document = json.loads((SCENARIOS / "k8s-liveness-probe.json").read_text())
    document["layers"]["kubelet"]["log"] = []
    for pod in document["pods"]:
        pod.update(kubelet_log=[], containerd_log=[], events=[])
        for container in pod["containers"]:
            container.pop("log_tail", None)
    report = diagnose(parse_facts(document, "liveness"), RULES)
    assert report.differential
    page = Page(formatter("html")(report))
    assert "what would decide it" in page.words
    for candidate in report.differential:
        assert f"{candidate.rule_id} — {candidate.title}" in page.words
        assert " ".join(candidate.tell.split()) in page.words


def test_the_page_loads_and_runs_nothing() -> None:
    text = formatter("html")(scenario("k8s-oom-kill"))
    page = Page(text)
    assert {tag for tag, _ in page.tags} <= PAGE_TAGS
    assert not [a for _, a in page.tags if "src" in a or "srcset" in a]
    assert "url(" not in text and "@import" not in text
    policy = next(
        a["content"] for t, a in page.tags if a.get("http-equiv") == "Content-Security-Policy"
    )
    assert policy is not None and "default-src 'none'" in policy


def hostile_document() -> dict[str, Any]:
    document = json.loads((SCENARIOS / "k8s-crash-loop.json").read_text())
    pod = document["pods"][0]
    pod["name"] = f"web{HOSTILE}"
    pod["namespace"] = "ns&<b>"
    container = pod["containers"][0]
    container["name"] = f"app{HOSTILE}"
    container["log_tail"] = [f"error: {HOSTILE}"]
    for line in pod["kubelet_log"]:
        line["message"] = line["message"].replace("CrashLoopBackOff", f"CrashLoopBackOff {HOSTILE}")
    return document


def test_hostile_facts_stay_text() -> None:
    report = diagnose(parse_facts(hostile_document(), f"facts{HOSTILE}.json"), RULES)
    root = report.root_cause
    assert root is not None
    docs = ("javascript:alert(3)", 'https://x.test/"onmouseover="alert(4)')
    bad = dataclasses.replace(root.finding, docs=docs)
    report = dataclasses.replace(report, root_cause=dataclasses.replace(root, finding=bad))
    text = formatter("html")(report)
    page = Page(text)
    assert {tag for tag, _ in page.tags} <= PAGE_TAGS
    assert not [a for _, a in page.tags if any(name.startswith("on") for name in a)]
    hrefs = [a["href"] for tag, a in page.tags if tag == "a"]
    assert hrefs and all(h and h.startswith("https://") for h in hrefs)
    assert "javascript:alert(3)" in page.words  # said, not linked
    # every hostile string reads back as the text it was
    assert page.words.count("<script>alert(1)</script>") >= 3
    assert "ns&<b>" in page.words


def test_the_fleet_summary_renders(tmp_path: Path) -> None:
    for name in ("k8s-oom-kill", "k8s-crash-loop"):
        document = json.loads((SCENARIOS / f"{name}.json").read_text())
        write_bundle(document, {}, tmp_path / f"{name}<b>&.tar.gz")
    result = CliRunner().invoke(cli, ["analyze", str(tmp_path), "--output", "html"])
    page = Page(result.output)
    assert {tag for tag, _ in page.tags} <= PAGE_TAGS
    assert "fleet summary" in page.words and "process.oom-killed" in page.words
    assert "k8s-crash-loop<b>&.tar.gz" in page.words


TOKEN = "tok-5a5b5c5d5e5f"


def test_what_the_bundle_redacted_stays_redacted(tmp_path: Path) -> None:
    document = json.loads((SCENARIOS / "k8s-crash-loop.json").read_text())
    planted = copy.deepcopy(document)
    for line in planted["pods"][0]["kubelet_log"]:
        line["message"] = line["message"].replace('skipping"', f'skipping" token={TOKEN}')
    bundle = tmp_path / "b.tar.gz"
    write_bundle(planted, {}, bundle, redaction=RedactionPolicy())
    outputs = {
        output: CliRunner().invoke(cli, ["analyze", str(bundle), "--output", output]).output
        for output in ("text", "html")
    }
    assert "token=<redacted:" in Page(outputs["html"]).words  # the line is evidence
    assert all(TOKEN not in text for text in outputs.values())


def test_the_timeline_is_drawn_as_swimlanes_with_the_root_causes_entries_highlighted() -> None:
    report = scenario("k8s-oom-kill", PodRef("default", "oom-kill"))
    page = Page(formatter("html")(report))
    lanes = [attrs["data-lane"] for tag, attrs in page.tags if "data-lane" in attrs]
    assert lanes == [*LAYER_NAMES, "(all)"]  # one lane per layer, top-down, and collection's
    assert report.root_cause is not None and report.timeline is not None
    evidence = set(report.evidence_entries[report.root_cause.finding.key])
    highlighted = {
        attrs["data-entry"]
        for tag, attrs in page.tags
        if tag == "td" and attrs.get("class") == "ev"
    }
    assert highlighted and highlighted <= evidence | {
        entry
        for finding in report.root_cause.chain
        for entry in report.evidence_entries.get(finding.key, ())
    }
    assert "app attempt 1 finished: exit 137, OOMKilled" in page.words


def test_no_timeline_no_lanes() -> None:
    report = scenario("k8s-oom-kill", PodRef("default", "oom-kill"))
    report = dataclasses.replace(report, timeline=None)
    assert 'id="timeline"' not in formatter("html")(report)
