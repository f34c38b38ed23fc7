"""`stackdoctor collect`: one command on the node, one file to send."""

from __future__ import annotations

from pathlib import Path

import click

from doctor.cli.gathering import (
    api_options,
    gather_options,
    make_api,
    make_options,
    progress_display,
)


@click.command()
@click.argument("pods", nargs=-1)
@click.option("-n", "--namespace", help="Namespace of the PODs given by name.")
@click.option("--all-pods", is_flag=True, help="Every pod on the node.")
@click.option(
    "-o",
    "--output",
    "output_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The bundle to write (default: stackdoctor-HOST-TIME.tar.gz here).",
)
@click.option("--max-size", default="50MB", show_default=True, help="Bound of the bundle.")
@click.option("--redact", "redact", multiple=True, metavar="REGEX", help="Also redact matches.")
@click.option(
    "--redact-file",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of regexes to redact, one per line.",
)
@click.option(
    "--no-redact",
    is_flag=True,
    help="Write secrets as they are. Never use this for a bundle that leaves your hands.",
)
@gather_options
@api_options
def collect(
    pods: tuple[str, ...],
    namespace: str | None,
    all_pods: bool,
    output_path: Path | None,
    max_size: str,
    redact: tuple[str, ...],
    redact_file: tuple[Path, ...],
    no_redact: bool,
    host_root: Path,
    runtime_endpoint: str | None,
    timeout: float,
    sample_interval: float,
    quiet: bool,
    kubeconfig: str | None,
    context: str | None,
    no_api: bool,
) -> None:
    """Write a support bundle: the facts of this node (and POD, with the API server's objects
    about it), the raw files behind them and a manifest, redacted, for `stackdoctor analyze`
    anywhere else."""
    from doctor.bundle.collect import collect_bundle
    from doctor.bundle.limits import parse_size
    from doctor.errors import DoctorError
    from doctor.redact import RedactionPolicy, load_patterns

    if len(pods) > 1 and not all_pods:
        raise DoctorError("collect takes one POD (or --all-pods); the facts of one pod are one run")
    limit = parse_size(max_size)
    policy = RedactionPolicy(
        enabled=not no_redact, user_patterns=load_patterns(redact, redact_file)
    )
    if no_redact:
        click.echo(
            "stackdoctor: WARNING: --no-redact: environment values, tokens, passwords and keys"
            " are written to the bundle as they are",
            err=True,
        )
    options = make_options(
        host_root, runtime_endpoint, timeout, sample_interval,
        pods[0] if pods else None, namespace, all_pods,
        api=make_api(kubeconfig, context, no_api),
    )  # fmt: skip
    written = collect_bundle(options, output_path, limit, policy, progress_display(quiet))
    click.echo(
        f"{written.path}: {written.files} files, {written.size} bytes,"
        f" {written.redacted} values redacted",
        err=True,
    )
