"""`stackdoctor facts [POD]`: print the facts document, for `analyze` or a ticket."""

from __future__ import annotations

import json
from pathlib import Path

import click

from doctor.cli.gathering import (
    api_options,
    gather_facts,
    gather_options,
    make_api,
    make_options,
    save_facts,
)


@click.command()
@click.argument("pod", required=False)
@click.option("-n", "--namespace", help="The pod's namespace.")
@click.option("--all-pods", is_flag=True, help="Every pod on the node.")
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the document here instead of standard output.",
)
@click.option(
    "--pod-on-node",
    is_flag=True,
    hidden=True,
    help="The API server binds POD to this node: keep it without a sandbox (kubectl stackdoctor).",
)
@gather_options
@api_options
def facts(
    pod: str | None,
    namespace: str | None,
    all_pods: bool,
    output_file: Path | None,
    pod_on_node: bool,
    host_root: Path,
    runtime_endpoint: str | None,
    timeout: float,
    sample_interval: float,
    quiet: bool,
    kubeconfig: str | None,
    context: str | None,
    no_api: bool,
) -> None:
    """Gather and print the facts document of this node (and POD, with what the API server
    knows of it, or every pod)."""
    if pod_on_node and not pod:
        raise click.UsageError("--pod-on-node needs POD")
    options = make_options(
        host_root,
        runtime_endpoint,
        timeout,
        sample_interval,
        pod,
        namespace,
        all_pods,
        api=make_api(kubeconfig, context, no_api),
        pod_on_node=pod_on_node,
    )
    document = gather_facts(options, quiet)
    if output_file:
        save_facts(document, output_file)
    else:
        from doctor.timeline.build import with_timeline

        click.echo(json.dumps(with_timeline(document), indent=2))
