"""`stackdoctor check`: the node-level smoke check (CI, node-problem-detector, cron)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from doctor.cli.gathering import gather_facts_while, gather_options, make_options, save_facts
from doctor.cli.options import (
    baseline_options,
    emit,
    exit_code,
    prepare_rules,
    read_baseline,
    report_options,
    rule_id_option,
    rule_options,
    since_option,
    with_baseline,
)
from doctor.errors import DoctorError

if TYPE_CHECKING:
    from doctor.engine.select import RuleChoice
    from doctor.gather.context import GatherOptions
    from doctor.model import Report


@click.command()
@click.option("--pods", "all_pods", is_flag=True, help="Also examine every pod on the node.")
@click.option(
    "--save",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the facts document here.",
)
@rule_id_option
@since_option
@click.option(
    "--npd",
    is_flag=True,
    help="Be a node-problem-detector custom plugin: one short line on stdout, exit 0 OK,"
    " 1 NonOK, 2 Unknown; no CPU sampling, 1 s probes, done within 4 s.",
)
@gather_options
@rule_options
@report_options
@baseline_options
def check(
    all_pods: bool,
    save: Path | None,
    since_seconds: float | None,
    npd: bool,
    host_root: Path,
    runtime_endpoint: str | None,
    timeout: float,
    sample_interval: float,
    quiet: bool,
    rule_choice: RuleChoice,
    output: str,
    output_file: Path | None,
    fail_on: str,
    baseline: Path | None,
    write_baseline: Path | None,
) -> None:
    """Check this node's container stack (and, with --pods, every pod on it).

    With --npd, the output is node-problem-detector's: the failing finding's key
    (rule@subject) first, within the 80 characters NPD keeps; --output-file still gets the
    report in --output's format.
    """
    if npd:
        timeout = _npd_timeout(timeout)
        options = make_options(host_root, runtime_endpoint, timeout, 0, all_pods=all_pods)
        _check_npd(options, rule_choice, fail_on, output, output_file, baseline, since_seconds)
        return
    started = time.monotonic()
    known = read_baseline(baseline)
    options = make_options(host_root, runtime_endpoint, timeout, sample_interval, all_pods=all_pods)
    report = _run(options, rule_choice, quiet, save, started, since_seconds)
    report = with_baseline(report, known, write_baseline)
    emit(_format(output, report), output_file)
    raise SystemExit(exit_code(report, fail_on))


def _run(
    options: GatherOptions,
    rule_choice: RuleChoice,
    quiet: bool,
    save: Path | None,
    started: float,
    since_seconds: float | None,
) -> Report:
    """Gather and diagnose; the rules load while the facts gather (a broken one stops us)."""
    from dataclasses import replace

    from doctor.diagnosis import diagnose
    from doctor.facts.document import parse_facts

    document, rules = gather_facts_while(options, quiet, lambda: prepare_rules(rule_choice))
    if save:
        save_facts(document, save)
    facts = parse_facts(document, "live facts")
    report = diagnose(facts, rules, node_only=True, since_seconds=since_seconds)
    return replace(report, duration_seconds=round(time.monotonic() - started, 3))


def _format(output: str, report: Report) -> str:
    from doctor.report import formatter

    return formatter(output)(report)


def _npd_timeout(timeout: float) -> float:
    """The probe deadline: the user's when given, else short enough for NPD's budget."""
    from doctor.npd import PROBE_TIMEOUT_SECONDS

    source = click.get_current_context().get_parameter_source("timeout")
    explicit = source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")
    return timeout if explicit else PROBE_TIMEOUT_SECONDS


def _check_npd(
    options: GatherOptions,
    rule_choice: RuleChoice,
    fail_on: str,
    output: str,
    output_file: Path | None,
    baseline: Path | None,
    since_seconds: float | None,
) -> None:
    """Every outcome, errors included, is one line on stdout and NPD's exit status."""
    from doctor.npd import DEADLINE_SECONDS, DeadlineExceeded, deadline, unknown, verdict

    started = time.monotonic()
    try:
        with deadline(DEADLINE_SECONDS):
            known = read_baseline(baseline)
            report = _run(options, rule_choice, True, None, started, since_seconds)
            report = with_baseline(report, known, None)
            if output_file is not None:
                emit(_format(output, report), output_file)
        result = verdict(report, fail_on)
    except DeadlineExceeded:
        result = unknown(f"check did not finish within {DEADLINE_SECONDS:g}s (a hung runtime?)")
    except DoctorError as exc:
        result = unknown(str(exc))
    click.echo(result.line, nl=False)
    raise SystemExit(result.code)
