"""`stackdoctor diagnose POD`: gather from this node, top-down, and diagnose one pod."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from doctor.cli.gathering import (
    api_options,
    gather_facts_while,
    gather_options,
    make_api,
    make_options,
    save_facts,
)
from doctor.cli.options import emit, exit_code, prepare_engine, report_options, rule_options

if TYPE_CHECKING:
    from doctor.engine.select import RuleChoice


@click.command()
@click.argument("pod")
@click.option("-n", "--namespace", help="The pod's namespace (default: any, or NAMESPACE/NAME).")
@click.option(
    "--save",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the facts document here (what `analyze` reads).",
)
@gather_options
@api_options
@rule_options
@report_options
def diagnose(
    pod: str,
    namespace: str | None,
    save: Path | None,
    host_root: Path,
    runtime_endpoint: str | None,
    timeout: float,
    sample_interval: float,
    quiet: bool,
    kubeconfig: str | None,
    context: str | None,
    no_api: bool,
    rule_choice: RuleChoice,
    output: str,
    output_file: Path | None,
    fail_on: str,
) -> None:
    """Diagnose POD: what the API server knows of it, then, when it runs on this node, every
    layer below. POD: a name, NAMESPACE/NAME, a pod uid or a sandbox id prefix."""
    api = make_api(kubeconfig, context, no_api)
    options = make_options(
        host_root, runtime_endpoint, timeout, sample_interval, pod, namespace, api=api
    )
    # A broken rule stops the run before any report; the rules load while the facts gather.
    document, (rules, render) = gather_facts_while(
        options, quiet, lambda: prepare_engine(rule_choice, output)
    )
    from doctor.diagnosis import diagnose as run_diagnosis
    from doctor.facts.document import PodRef, parse_facts

    if save:
        save_facts(document, save)
    facts = parse_facts(document, "live facts")
    target = facts.pods()[0] if facts.pods() else None
    ref = PodRef(target["namespace"], target["name"]) if target else None
    report = run_diagnosis(facts, rules, ref)
    emit(render(report), output_file)
    raise SystemExit(exit_code(report, fail_on))
