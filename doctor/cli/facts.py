"""`stackdoctor facts [POD]`: print the facts document, for `analyze` or a ticket."""

from __future__ import annotations

import json
from pathlib import Path

import click

from doctor.cli.gathering import gather_facts, gather_options, make_options, save_facts


@click.command()
@click.argument("pod", required=False)
@click.option("-n", "--namespace", help="The pod's namespace.")
@click.option("--all-pods", is_flag=True, help="Every pod on the node.")
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the document here instead of standard output.",
)
@gather_options
def facts(
    pod: str | None,
    namespace: str | None,
    all_pods: bool,
    output_file: Path | None,
    host_root: Path,
    runtime_endpoint: str | None,
    timeout: float,
    sample_interval: float,
    quiet: bool,
) -> None:
    """Gather and print the facts document of this node (and POD, or every pod)."""
    options = make_options(
        host_root, runtime_endpoint, timeout, sample_interval, pod, namespace, all_pods
    )
    document = gather_facts(options, quiet)
    if output_file:
        save_facts(document, output_file)
    else:
        click.echo(json.dumps(document, indent=2))
