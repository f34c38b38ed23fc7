"""How right stackdoctor is on real failure reports: the corpus in fixtures/realworld/cases.

Each case is the evidence a user pasted into a public thread, verbatim, with the root cause its
maintainers (or the reporter's confirmed fix) established and the rule id that names it. Each
case's evidence goes through `stackdoctor analyze --text` (with `--pod` when the paste is about
one named pod) and is scored:

    right     the root cause named is the expected rule (or one equally right)
    found     the expected rule fired, but another was named root cause
    wrong     another root cause was named, the expected rule did not fire
    no rule   nothing at or above warning (the expected rule does not exist yet, or missed)

and the negatives (expected `none`: healthy or unrelated pastes) are `quiet` or a `false alarm`
(any finding at or above warning). The floor in fixtures/realworld/floor.json is what the test
suite holds the score to (tests/test_realworld.py).

A case with a `batch` (the day it was collected) belongs to a held-out batch: reports collected
after the rules, without running stackdoctor on them, to measure how the rules do on text they
were not written from. Each batch is scored apart; its first score is kept in floor.json
(`held_out`), and its own floor rises as rules land, like the corpus's.

    python -m bench realworld [--json] [--misses] [--jobs N]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "realworld"
CASES = CORPUS / "cases"
FLOOR = CORPUS / "floor.json"
NEGATIVE = "none"
SEVERE = ("warning", "error", "critical")
REQUIRED = ("source", "title", "versions", "cause", "expected", "evidence", "kinds")

Report = dict[str, Any]
Diagnose = Callable[["Case"], Report]


@dataclass(frozen=True)
class Case:
    path: Path
    source: str
    expected: str
    also_acceptable: tuple[str, ...]
    new_rule: bool
    pod: str
    kinds: tuple[str, ...]
    evidence: str
    batch: str = ""  # "" for the corpus the rules were written from; else a held-out batch

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.stem}"

    @property
    def negative(self) -> bool:
        return self.expected == NEGATIVE

    @property
    def right_answers(self) -> frozenset[str]:
        return frozenset((self.expected, *self.also_acceptable))


class CaseError(ValueError):
    """A case file that is not a well-formed case (names the file and what is wrong)."""


def load_case(path: Path) -> Case:
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise CaseError(f"{path}: not YAML: {exc}") from None
    if not isinstance(data, dict):
        raise CaseError(f"{path}: not a mapping")
    missing = [key for key in REQUIRED if not data.get(key)]
    if missing:
        raise CaseError(f"{path}: missing {', '.join(missing)}")
    if data["expected"] != path.parent.name:
        raise CaseError(f"{path}: expected {data['expected']} but filed under {path.parent.name}")
    return Case(
        path=path,
        source=str(data["source"]),
        expected=str(data["expected"]),
        also_acceptable=tuple(data.get("also_acceptable") or ()),
        new_rule=bool(data.get("new_rule")),
        pod=str(data.get("pod") or ""),
        kinds=tuple(data["kinds"]),
        evidence=str(data["evidence"]),
        batch=str(data.get("batch") or ""),
    )


def load_cases(root: Path = CASES) -> list[Case]:
    return [load_case(path) for path in sorted(root.glob("*/*.yaml"))]


def outcome(case: Case, report: Report) -> str:
    severe = [f["id"] for f in report.get("findings", []) if f.get("severity") in SEVERE]
    cause = (report.get("root_cause") or {}).get("id")
    if case.negative:
        return "false alarm" if severe or cause else "quiet"
    if cause in case.right_answers:
        return "right"
    if case.right_answers & set(severe):
        return "found"
    if cause or severe:
        return "wrong"
    return "no rule"


def analyze_text(case: Case) -> Report:
    """`stackdoctor analyze --text -` on the case's evidence, as a user would run it."""
    command = [sys.executable, "-m", "doctor", "analyze", "--text", "-", "--output", "json"]
    if case.pod:
        command += ["--pod", case.pod]
    done = subprocess.run(
        command, input=case.evidence, capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode not in (0, 1):
        return {"error": done.stderr.strip() or f"exit {done.returncode}", "findings": []}
    report: Report = json.loads(done.stdout)
    return report


@dataclass
class Score:
    outcomes: dict[str, str] = field(default_factory=dict)  # case name -> outcome
    named: dict[str, str | None] = field(default_factory=dict)  # case name -> root cause named
    errors: dict[str, str] = field(default_factory=dict)

    def counts(self, cases: Iterable[Case], negative: bool) -> Counter[str]:
        return Counter(self.outcomes[c.name] for c in cases if c.negative == negative)

    def right_ratio(self, cases: Sequence[Case]) -> float:
        positives = [c for c in cases if not c.negative]
        right = sum(1 for c in positives if self.outcomes[c.name] == "right")
        return right / len(positives) if positives else 0.0


def score(cases: Sequence[Case], diagnose: Diagnose = analyze_text, jobs: int = 0) -> Score:
    result = Score()
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        for case, report in zip(cases, pool.map(diagnose, cases), strict=True):
            if "error" in report:
                result.errors[case.name] = str(report["error"])
            result.outcomes[case.name] = outcome(case, report)
            result.named[case.name] = (report.get("root_cause") or {}).get("id")
    return result


def floor() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(FLOOR.read_text())
    return loaded


def batches(cases: Sequence[Case]) -> dict[str, list[Case]]:
    """The cases by set: "" (the corpus the rules were written from), then each held-out batch."""
    found: dict[str, list[Case]] = {"": []}
    for case in cases:
        found.setdefault(case.batch, []).append(case)
    return found


def below_floor(cases: Sequence[Case], result: Score) -> list[str]:
    """What falls short of floor.json: one line per set (empty: every floor holds)."""
    wanted = floor()
    short = []
    for batch, members in batches(cases).items():
        limits = wanted if not batch else wanted.get("held_out", {}).get(batch)
        if limits is None:
            short.append(f"held-out batch {batch}: no floor in {FLOOR.name} (record its score)")
            continue
        ratio = result.right_ratio(members)
        alarms = result.counts(members, negative=True)["false alarm"]
        name = f"held-out batch {batch}" if batch else "corpus"
        if ratio < limits["right_ratio"]:
            short.append(f"{name}: right {ratio:.1%} < floor {limits['right_ratio']:.1%}")
        if alarms > limits["false_alarms"]:
            short.append(f"{name}: {alarms} false alarms > {limits['false_alarms']}")
    return short


def summary(cases: Sequence[Case], result: Score, misses: bool = False) -> str:
    sets = batches(cases)
    lines = _set_summary("real-world corpus", sets.pop(""), result)
    held_out = floor().get("held_out", {})
    for batch, members in sets.items():
        first = held_out.get(batch, {}).get("first_right_ratio")
        since = f", {first:.0%} when first scored" if first is not None else ""
        lines += ["", *_set_summary(f"held-out batch {batch}{since}", members, result)]
    if result.errors:
        lines.append(f"  errors            {len(result.errors):>4}")
    if misses:
        lines.append("")
        for case in cases:
            got = result.outcomes[case.name]
            if got not in ("right", "quiet"):
                named = result.named[case.name] or "-"
                error = f"  error: {result.errors[case.name]}" if case.name in result.errors else ""
                batch = f" [{case.batch}]" if case.batch else ""
                lines.append(f"  {got:<11} {case.name:<60} named {named}{batch}{error}")
    return "\n".join(lines)


def _set_summary(title: str, cases: Sequence[Case], result: Score) -> list[str]:
    positives = [c for c in cases if not c.negative]
    counts = result.counts(cases, negative=False)
    negatives = result.counts(cases, negative=True)
    return [
        f"{title}: {len(positives)} failure reports, "
        f"{len(cases) - len(positives)} healthy or unrelated pastes",
        f"  right root cause  {counts['right']:>4}  ({result.right_ratio(cases):.0%})",
        f"  found anywhere    {counts['right'] + counts['found']:>4}",
        f"  wrong root cause  {counts['wrong']:>4}",
        f"  no rule           {counts['no rule']:>4}"
        f"  ({sum(1 for c in positives if c.new_rule)} await a rule not written yet)",
        f"  false alarms      {negatives['false alarm']:>4}  of {sum(negatives.values())}",
    ]


def as_json(cases: Sequence[Case], result: Score) -> dict[str, Any]:
    sets = batches(cases)
    return {
        "right_ratio": round(result.right_ratio(sets.pop("")), 4),
        "held_out": {batch: round(result.right_ratio(m), 4) for batch, m in sets.items()},
        "positives": dict(result.counts(cases, negative=False)),
        "negatives": dict(result.counts(cases, negative=True)),
        "cases": {
            c.name: {"outcome": result.outcomes[c.name], "named": result.named[c.name]}
            for c in cases
        },
    }


def main(argv: Sequence[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench realworld")
    parser.add_argument("--json", action="store_true", help="the scores as JSON")
    parser.add_argument("--misses", action="store_true", help="list every case not right")
    parser.add_argument("--jobs", type=int, default=0, help="cases at once (default: cores)")
    args = parser.parse_args(argv)
    cases = load_cases()
    result = score(cases, jobs=args.jobs)
    print(
        json.dumps(as_json(cases, result), indent=2)
        if args.json
        else summary(cases, result, args.misses)
    )
    short = below_floor(cases, result)
    for line in short:
        print(f"below the floor: {line}", file=sys.stderr)
    return 1 if short else 0
