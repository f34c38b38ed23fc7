"""Options shared by every command that evaluates rules, and the exit-code policy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from doctor.errors import EXIT_FINDINGS, EXIT_OK
from doctor.layers import LAYER_NAMES, SEVERITY_ORDER, Severity

if TYPE_CHECKING:
    from doctor.engine.loader import RuleSet
    from doctor.model import Report


F = TypeVar("F", bound=Callable[..., Any])

OUTPUTS = ("text", "json", "junit", "markdown", "prometheus")
FAIL_ON = (*(s.value for s in SEVERITY_ORDER), "never")


def rule_options(command: F) -> F:
    """--rules, --disable, --only: which rules run."""
    command = click.option(
        "--only",
        "only_layers",
        multiple=True,
        type=click.Choice(LAYER_NAMES),
        help="Evaluate only the rules of this layer (repeatable).",
    )(command)
    command = click.option(
        "--disable",
        multiple=True,
        metavar="ID",
        help="Do not evaluate the rule with this id (repeatable).",
    )(command)
    command = click.option(
        "--rules",
        "rule_dirs",
        multiple=True,
        type=click.Path(path_type=Path),
        metavar="DIR",
        help="Add a rule pack (a directory or file of YAML rules); its rules replace built-in"
        " rules with the same id (repeatable).",
    )(command)
    return command


def report_options(command: F) -> F:
    """--output, --output-file, --fail-on: how results leave the process."""
    command = click.option(
        "--fail-on",
        type=click.Choice(FAIL_ON),
        default="error",
        show_default=True,
        help="Exit 1 when a finding has this severity or worse ('never': always exit 0).",
    )(command)
    command = click.option(
        "--output-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the report here instead of standard output.",
    )(command)
    command = click.option(
        "--output",
        "-o",
        type=click.Choice(OUTPUTS),
        default="text",
        show_default=True,
        help="Report format.",
    )(command)
    return command


def baseline_options(command: F) -> F:
    """--baseline, --write-baseline: findings already known do not fail the run."""
    command = click.option(
        "--write-baseline",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE",
        help="Also write every finding's key here, as a baseline for --baseline.",
    )(command)
    command = click.option(
        "--baseline",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE",
        help="Findings whose key (rule@subject) is in this baseline (or --output json report)"
        " are still reported but never count for --fail-on.",
    )(command)
    return command


def read_baseline(baseline: Path | None) -> frozenset[str] | None:
    """The baseline's keys, read before any work so that a bad file stops us early."""
    from doctor.baseline import load_baseline

    return load_baseline(baseline) if baseline else None


def with_baseline(
    report: Report, known: frozenset[str] | None, write_baseline: Path | None
) -> Report:
    """Mark the report's known findings; write a new baseline of all of them when asked."""
    from doctor.baseline import apply_baseline, baseline_text

    if write_baseline is not None:
        from doctor.report.files import write_atomically

        write_atomically(write_baseline, baseline_text(report))
    return apply_baseline(report, known) if known is not None else report


def exit_code(report: Report, fail_on: str) -> int:
    """1 when a finding at or above `fail_on` is not in the baseline, else 0."""
    if fail_on == "never":
        return EXIT_OK
    threshold = Severity(fail_on).rank
    failing = any(
        f.severity.rank >= threshold and not report.is_baselined(f) for f in report.findings
    )
    return EXIT_FINDINGS if failing else EXIT_OK


def emit(text: str, output_file: Path | None) -> None:
    """Write a report to stdout or, atomically, to a file."""
    if output_file is None:
        click.echo(text, nl=False)
        return
    from doctor.report.files import write_atomically

    write_atomically(output_file, text)


def prepare_engine(
    rule_dirs: tuple[Path, ...],
    disable: tuple[str, ...],
    only_layers: tuple[str, ...],
    output: str,
) -> tuple[RuleSet, Callable[[Report], str]]:
    """The rules and the report's formatter, with the evaluation's modules imported: what a
    live command prepares while its facts gather (gathering.gather_facts_while)."""
    import doctor.diagnosis  # noqa: F401  (imported now, in parallel with gathering)
    from doctor.engine.loader import load_rules
    from doctor.report import formatter

    return load_rules(rule_dirs, disable, only_layers), formatter(output)
