"""`stackdoctor check`: the node-level smoke check (CI, node-problem-detector, cron)."""

from __future__ import annotations

from pathlib import Path

import click

from doctor.cli.gathering import gather_facts, gather_options, make_options, save_facts
from doctor.cli.options import emit, exit_code, report_options, rule_options


@click.command()
@click.option("--pods", "all_pods", is_flag=True, help="Also examine every pod on the node.")
@click.option(
    "--save",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the facts document here.",
)
@gather_options
@rule_options
@report_options
def check(
    all_pods: bool,
    save: Path | None,
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
) -> None:
    """Check this node's container stack (and, with --pods, every pod on it)."""
    from doctor.diagnosis import diagnose
    from doctor.engine.loader import load_rules
    from doctor.facts.document import parse_facts
    from doctor.report import formatter

    rules = load_rules(rule_dirs, disable, only_layers)
    options = make_options(host_root, runtime_endpoint, timeout, sample_interval, all_pods=all_pods)
    document = gather_facts(options, quiet)
    if save:
        save_facts(document, save)
    report = diagnose(parse_facts(document, "live facts"), rules, node_only=True)
    emit(formatter(output)(report), output_file)
    raise SystemExit(exit_code(report, fail_on))
