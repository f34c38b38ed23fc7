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
    read_baseline,
    report_options,
    rule_options,
    with_baseline,
)
from doctor.errors import DoctorError

if TYPE_CHECKING:
    from doctor.engine.loader import RuleSet
    from doctor.gather.context import GatherOptions
    from doctor.model import Report


@click.command()
@click.option("--pods", "all_pods", is_flag=True, help="Also examine every pod on the node.")
@click.option(
    "--save",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the facts document here.",
)
@click.option(
    "--rule",
    "rule_ids",
    multiple=True,
    metavar="ID",
    help="Evaluate only this rule and the rules that can explain it (repeatable).",
)
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
    rule_ids: tuple[str, ...],
    npd: bool,
    host_root: Path,
    runtime_endpoint: str | None,
    timeout: float,
    sample_interval: float,
    quiet: bool,
    rule_dirs: tuple[Path, ...],
    disable: tuple[str, ...],
    only_layers: tuple[str, ...],
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
    if rule_ids and only_layers:
        raise click.UsageError("--rule and --only select rules in two ways: give one of them")
    if npd:
        timeout = _npd_timeout(timeout)
        options = make_options(host_root, runtime_endpoint, timeout, 0, all_pods=all_pods)
        _check_npd(
            options,
            (rule_dirs, disable, only_layers, rule_ids),
            fail_on,
            output,
            output_file,
            baseline,
        )
        return
    started = time.monotonic()
    known = read_baseline(baseline)
    options = make_options(host_root, runtime_endpoint, timeout, sample_interval, all_pods=all_pods)
    report = _run(options, (rule_dirs, disable, only_layers, rule_ids), quiet, save, started)
    report = with_baseline(report, known, write_baseline)
    emit(_format(output, report), output_file)
    raise SystemExit(exit_code(report, fail_on))


RuleArgs = tuple[tuple[Path, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def _rules(
    rule_dirs: tuple[Path, ...],
    disable: tuple[str, ...],
    only_layers: tuple[str, ...],
    rule_ids: tuple[str, ...],
) -> RuleSet:
    import doctor.diagnosis  # noqa: F401  (imported now, while the facts gather)
    from doctor.engine.loader import load_rules
    from doctor.engine.select import with_causes

    rules = load_rules(rule_dirs, disable, only_layers)
    return with_causes(rules, rule_ids) if rule_ids else rules


def _run(
    options: GatherOptions, rule_args: RuleArgs, quiet: bool, save: Path | None, started: float
) -> Report:
    """Gather and diagnose; the rules load while the facts gather (a broken one stops us)."""
    from dataclasses import replace

    from doctor.diagnosis import diagnose
    from doctor.facts.document import parse_facts

    document, rules = gather_facts_while(options, quiet, lambda: _rules(*rule_args))
    if save:
        save_facts(document, save)
    report = diagnose(parse_facts(document, "live facts"), rules, node_only=True)
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
    rule_args: RuleArgs,
    fail_on: str,
    output: str,
    output_file: Path | None,
    baseline: Path | None,
) -> None:
    """Every outcome, errors included, is one line on stdout and NPD's exit status."""
    from doctor.npd import DEADLINE_SECONDS, DeadlineExceeded, deadline, unknown, verdict

    started = time.monotonic()
    try:
        with deadline(DEADLINE_SECONDS):
            known = read_baseline(baseline)
            report = with_baseline(_run(options, rule_args, True, None, started), known, None)
            if output_file is not None:
                emit(_format(output, report), output_file)
        result = verdict(report, fail_on)
    except DeadlineExceeded:
        result = unknown(f"check did not finish within {DEADLINE_SECONDS:g}s (a hung runtime?)")
    except DoctorError as exc:
        result = unknown(str(exc))
    click.echo(result.line, nl=False)
    raise SystemExit(result.code)
