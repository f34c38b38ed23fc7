"""NOT CHECKED groups the undecided rules: each layer not examined named once with why, the
rules that waited on them counted (listed when few), other missing facts with their rules."""

from __future__ import annotations

from pathlib import Path

from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.model import Skip
from doctor.report.not_checked import not_checked
from doctor.report.text import LISTED_RULES_MAX, render
from tests.paste.reading import read_paste

ABSENT = "absent: no node data: not in the pasted text (nor kubectl output)"


def skip(rule: str, *layers: str, facts: tuple[str, ...] = ()) -> Skip:
    unexamined = tuple((layer, ABSENT) for layer in layers)
    reason = "; ".join([*(f"{layer} layer not examined ({ABSENT})" for layer in layers), *facts])
    return Skip(rule, reason, 1, unexamined, facts)


def test_each_layer_once_then_the_rules_that_waited_on_them() -> None:
    grouped = not_checked(
        [
            skip("kubelet.not-running", "kubelet"),
            skip("cri.unreachable", "kubelet", "cri"),
            skip("kubelet.not-running", "kubelet"),  # another subject, same rule
            skip("process.cpu-throttled", facts=("cgroup.cpu.samples[*]: needs two samples",)),
            skip("kubelet.cgroup-driver-mismatch", "kubelet", facts=("cgroup.path: missing",)),
        ]
    )
    assert grouped.layers == {ABSENT: ["kubelet", "cri"]}
    assert grouped.need_layers == [
        "kubelet.not-running",
        "cri.unreachable",
        "kubelet.cgroup-driver-mismatch",  # waits on the kubelet first: its fact follows
    ]
    assert grouped.facts == {"cgroup.cpu.samples[*]: needs two samples": ["process.cpu-throttled"]}


def test_a_report_of_a_short_paste_says_it_in_a_few_lines(tmp_path: Path) -> None:
    # kubernetes/node-problem-detector#827: two lines, no node facts at all
    loaded = read_paste(tmp_path, "/bin/sh: 1: exec: /node-problem-detector: Exec format error\n")
    report = diagnose(loaded.document, load_rules(), None)
    text = render(report)
    section = text[text.index("NOT CHECKED") :]
    assert section.count("not examined") == 1  # all the layers in one line, the reason once
    waiting = len(not_checked(report.skipped).need_layers)
    assert waiting > LISTED_RULES_MAX
    assert f"{waiting} rules need them (`-o json` lists them)" in section
    assert len(section.splitlines()) <= 8
