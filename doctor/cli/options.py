"""Options shared by every command that evaluates rules, and the exit-code policy."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from doctor.errors import EXIT_FINDINGS, EXIT_OK
from doctor.layers import LAYER_NAMES, SEVERITY_ORDER, Severity
from doctor.report import FORMATTERS

if TYPE_CHECKING:
    from doctor.engine.loader import RuleSet
    from doctor.engine.select import RuleChoice
    from doctor.model import Report
    from doctor.report import Formatter


F = TypeVar("F", bound=Callable[..., Any])

FAIL_ON = (*(s.value for s in SEVERITY_ORDER), "never")


def rule_options(command: F) -> F:
    """--rules, --disable, --only (and --rule, when the command has `rule_id_option`): which
    rules run, handed to the command as one `rule_choice: RuleChoice`."""

    @functools.wraps(command)
    def with_rule_choice(
        *args: Any,
        rule_dirs: tuple[Path, ...],
        disable: tuple[str, ...],
        only_layers: tuple[str, ...],
        **kwargs: Any,
    ) -> Any:
        from doctor.engine.select import RuleChoice

        try:
            choice = RuleChoice(rule_dirs, disable, only_layers, kwargs.pop("rule_ids", ()))
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        return command(*args, rule_choice=choice, **kwargs)

    wrapped = cast(F, with_rule_choice)
    wrapped = click.option(
        "--only",
        "only_layers",
        multiple=True,
        type=click.Choice(LAYER_NAMES),
        help="Evaluate only the rules of this layer (repeatable).",
    )(wrapped)
    wrapped = click.option(
        "--disable",
        multiple=True,
        metavar="ID",
        help="Do not evaluate the rule with this id (repeatable).",
    )(wrapped)
    wrapped = click.option(
        "--rules",
        "rule_dirs",
        multiple=True,
        type=click.Path(path_type=Path),
        metavar="DIR",
        help="Add a rule pack (a directory or file of YAML rules); its rules replace built-in"
        " rules with the same id (repeatable).",
    )(wrapped)
    return wrapped


def rule_id_option(command: F) -> F:
    """--rule: only these rules and their causes (goes with `rule_options`)."""
    return click.option(
        "--rule",
        "rule_ids",
        multiple=True,
        metavar="ID",
        help="Evaluate only this rule and the rules that can explain it (repeatable).",
    )(command)


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """`90s`, `10m`, `2h`, `1d`, or a bare number of seconds."""
    value, unit = (text[:-1], text[-1]) if text[-1:] in _DURATION_UNITS else (text, "s")
    try:
        seconds = float(value) * _DURATION_UNITS[unit]
    except ValueError:
        raise click.BadParameter(f"{text!r}: a duration is like 90s, 10m, 2h or 1d") from None
    if not seconds > 0:
        raise click.BadParameter(f"{text!r}: a duration is more than 0")
    return seconds


def since_option(command: F) -> F:
    """--since: the node's log lines older than this are not evidence."""
    return click.option(
        "--since",
        "since_seconds",
        metavar="DURATION",
        callback=lambda _ctx, _param, value: None if value is None else parse_duration(value),
        help="Count the node's log lines as evidence only from this long before the"
        " collection (90s, 10m, 2h, 1d): what the node has recovered from stays quiet."
        " A pod's own lines count from its current sandbox.",
    )(command)


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
        type=click.Choice(tuple(FORMATTERS)),
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


def prepare_rules(rule_choice: RuleChoice) -> RuleSet:
    """The rules, with the evaluation's modules imported: what a live command prepares while
    its facts gather (gathering.gather_facts_while)."""
    import doctor.diagnosis  # noqa: F401  (imported now, in parallel with gathering)

    return rule_choice.load()


def prepare_engine(rule_choice: RuleChoice, output: str) -> tuple[RuleSet, Formatter]:
    """The rules and the report's formatter, prepared while the facts gather."""
    from doctor.report import formatter

    return prepare_rules(rule_choice), formatter(output)
