"""`stackdoctor analyze FACTS`: diagnose from a facts document, offline."""

from __future__ import annotations

from pathlib import Path

import click

from doctor.cli.options import emit, exit_code, report_options, rule_options


@click.command()
@click.argument("facts", type=click.Path(path_type=Path))
@click.option(
    "--pod",
    metavar="NAMESPACE/NAME",
    help="Diagnose this pod (default: the only pod, or the node).",
)
@rule_options
@report_options
def analyze(
    facts: Path,
    pod: str | None,
    rule_dirs: tuple[Path, ...],
    disable: tuple[str, ...],
    only_layers: tuple[str, ...],
    output: str,
    output_file: Path | None,
    fail_on: str,
) -> None:
    """Diagnose the node or pod described by a facts JSON document."""
    from doctor.diagnosis import diagnose
    from doctor.engine.loader import load_rules
    from doctor.facts.document import PodRef, load_facts
    from doctor.report import formatter

    rules = load_rules(rule_dirs, disable, only_layers)
    document = load_facts(facts)
    report = diagnose(document, rules, PodRef.parse(pod) if pod else None)
    emit(formatter(output)(report), output_file)
    raise SystemExit(exit_code(report, fail_on))
