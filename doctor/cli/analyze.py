"""`stackdoctor analyze`: diagnose offline from facts, bundles or kubectl output."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from doctor.cli.options import (
    baseline_options,
    emit,
    exit_code,
    read_baseline,
    report_options,
    rule_options,
    with_baseline,
)
from doctor.errors import EXIT_CANNOT_RUN

if TYPE_CHECKING:
    from doctor.engine.select import RuleChoice


@click.command()
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path), metavar="[BUNDLE]...")
@click.option(
    "--pod",
    metavar="NAMESPACE/NAME",
    help="Diagnose this pod (default: the only pod, or the node).",
)
@click.option(
    "--pod-json",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="`kubectl get pod -o json` output (a Pod or a List; repeatable).",
)
@click.option(
    "--events-json",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="`kubectl get events -o json` output (repeatable).",
)
@click.option(
    "--node-json",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="`kubectl get node NAME -o json` output: the node's conditions (repeatable).",
)
@click.option(
    "--describe",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="`kubectl describe pod` output saved as text (repeatable).",
)
@click.option(
    "--text",
    "texts",
    multiple=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    metavar="FILE",
    help="Pasted text (`-`: standard input): describe output, events, journal, dmesg, container"
    " logs, df... in any mix; each part read into its layer (repeatable).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="Bundles analyzed at once when there are several (default: one per core).",
)
@rule_options
@report_options
@baseline_options
def analyze(
    inputs: tuple[Path, ...],
    pod: str | None,
    pod_json: tuple[Path, ...],
    events_json: tuple[Path, ...],
    node_json: tuple[Path, ...],
    describe: tuple[Path, ...],
    texts: tuple[Path, ...],
    jobs: int | None,
    rule_choice: RuleChoice,
    output: str,
    output_file: Path | None,
    fail_on: str,
    baseline: Path | None,
    write_baseline: Path | None,
) -> None:
    """Diagnose offline. BUNDLE is a facts JSON file (`-`: standard input), a support bundle
    (.tar.gz, or the directory it unpacks to), or a directory of bundles.

    Several bundles, or a directory of them, give a fleet summary: the root causes across
    bundles, the bundles per root cause, and counts per rule and layer.

    kubectl output fills the apiserver layer (a bundle's apiserver/ directory is read too); with
    no BUNDLE, it is all there is: `analyze --pod-json pod.json --events-json events.json`.
    `--text` reads whatever was pasted (describe, events, journalctl, dmesg, kubectl logs, df, in
    any mix) into the layers each part belongs to; what it cannot place is reported.
    `--node-json` gives the node's conditions (NotReady and why), also to a node's facts.
    Bundles are untrusted input: anything hostile is refused with exit 2.
    """
    from doctor.bundle.fleet import expand

    kubectl = (*pod_json, *events_json, *node_json, *describe)
    if not inputs and not kubectl and not texts:
        raise click.UsageError(
            "give a BUNDLE, pasted text with --text, or kubectl output with --pod-json /"
            " --events-json / --node-json"
        )
    if sum(str(p) == "-" for p in (*inputs, *texts)) > 1:
        raise click.UsageError("standard input (`-`) can be read once")
    rules = rule_choice.load()  # broken rules stop us before any work
    known = read_baseline(baseline)
    bundles, fleet = expand(inputs)
    if fleet:
        if baseline or write_baseline:
            raise click.UsageError("--baseline/--write-baseline go with one bundle only")
        if kubectl or texts:
            raise click.UsageError(
                "--pod-json/--events-json/--node-json/--describe/--text go with one bundle only"
            )
        _fleet(bundles, pod, rule_choice, jobs, output, output_file, fail_on)
        return
    import dataclasses

    from doctor.bundle.source import load_inputs
    from doctor.diagnosis import diagnose
    from doctor.facts.document import PodRef
    from doctor.report import formatter

    target = PodRef.parse(pod) if pod else None
    loaded = load_inputs(bundles[0] if bundles else None, kubectl, texts, target)
    report = diagnose(loaded.document, rules, target)
    report = dataclasses.replace(report, pasted=loaded.read, unplaced=loaded.unplaced)
    report = with_baseline(report, known, write_baseline)
    emit(formatter(output)(report), output_file)
    raise SystemExit(exit_code(report, fail_on))


def _fleet(
    bundles: Sequence[Path],
    pod: str | None,
    rule_choice: RuleChoice,
    jobs: int | None,
    output: str,
    output_file: Path | None,
    fail_on: str,
) -> None:
    from doctor.bundle.fleet import analyze_all
    from doctor.bundle.fleet_report import FLEET_FORMATTERS

    render = FLEET_FORMATTERS.get(output)
    if render is None:
        raise click.UsageError(f"a fleet summary is {' or '.join(FLEET_FORMATTERS)} output")
    outcomes = analyze_all(bundles, rule_choice, pod, jobs)
    emit(render(outcomes), output_file)
    if any(outcome.error for outcome in outcomes):
        raise SystemExit(EXIT_CANNOT_RUN)
    codes = [exit_code(o.report, fail_on) for o in outcomes if o.report is not None]
    raise SystemExit(max(codes, default=0))
