"""Options and progress display shared by the commands that gather from a live node."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from doctor.gather.context import (
    DEFAULT_SAMPLE_INTERVAL,
    DEFAULT_TIMEOUT,
    ApiOptions,
    GatherOptions,
    PodQuery,
)
from doctor.layers import Layer

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def gather_options(command: F) -> F:
    """--host-root, --runtime-endpoint, --timeout, --sample-interval, --quiet."""
    for option in reversed(
        [
            click.option(
                "--host-root",
                type=click.Path(exists=True, file_okay=False, path_type=Path),
                default=Path("/"),
                show_default=True,
                envvar="STACKDOCTOR_HOST_ROOT",
                help="Where the node's filesystem is (e.g. /host in a DaemonSet): prefixes every"
                " host path, /proc and /sys included. Default also from STACKDOCTOR_HOST_ROOT.",
            ),
            click.option(
                "--runtime-endpoint",
                metavar="URL",
                help="CRI endpoint (default: CONTAINER_RUNTIME_ENDPOINT, the kubelet's, "
                "/etc/crictl.yaml, then the usual sockets).",
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(min=0.1),
                default=DEFAULT_TIMEOUT,
                show_default=True,
                help="Deadline of every CRI call and probe, in seconds.",
            ),
            click.option(
                "--sample-interval",
                type=click.FloatRange(min=0),
                default=DEFAULT_SAMPLE_INTERVAL,
                show_default=True,
                help="Seconds between the two cgroup CPU samples (0: one sample, no throttling"
                " trend).",
            ),
            click.option("--quiet", "-q", is_flag=True, help="No progress display."),
        ]
    ):
        command = option(command)
    return command


def api_options(command: F) -> F:
    """--kubeconfig, --context (as kubectl spells them) and --no-api."""
    for option in reversed(
        [
            click.option(
                "--kubeconfig",
                metavar="FILE",
                help="The kubeconfig to read the API server with (default: KUBECONFIG, "
                "~/.kube/config, else the pod's service account).",
            ),
            click.option("--context", metavar="NAME", help="The kubeconfig context to use."),
            click.option(
                "--no-api",
                is_flag=True,
                help="Do not ask the API server: the node's layers alone.",
            ),
        ]
    ):
        command = option(command)
    return command


def make_api(kubeconfig: str | None, context: str | None, no_api: bool) -> ApiOptions | None:
    if no_api:
        if kubeconfig or context:
            raise click.UsageError("--no-api with --kubeconfig or --context: which one?")
        return None
    return ApiOptions(kubeconfig, context, dict(os.environ))


def make_options(
    host_root: Path,
    runtime_endpoint: str | None,
    timeout: float,
    sample_interval: float,
    pod: str | None = None,
    namespace: str | None = None,
    all_pods: bool = False,
    api: ApiOptions | None = None,
    pod_on_node: bool = False,
) -> GatherOptions:
    return GatherOptions(
        host_root=host_root,
        runtime_endpoint=runtime_endpoint,
        timeout=timeout,
        sample_interval=sample_interval,
        pod=PodQuery(pod, namespace) if pod else None,
        all_pods=all_pods,
        environ=dict(os.environ),
        api=api,
        pod_on_node=pod_on_node,
    )


def progress_display(quiet: bool) -> Callable[[Layer, str], None] | None:
    """One line per layer on standard error as it is examined; nothing when not a terminal."""
    if quiet or not sys.stderr.isatty():
        return None
    from rich.console import Console

    console = Console(stderr=True, highlight=False)
    marks = {"ok": "[green]✔[/green]", "start": ""}

    def show(layer: Layer, status: str) -> None:
        if status == "start":
            console.print(f"  examining {layer.value}…", end="\r")
            return
        mark = marks.get(status, "[yellow]?[/yellow]")
        console.print(f"{mark} {layer.value:<11} {status}          ")

    return show


def gather_facts(options: GatherOptions, quiet: bool) -> dict[str, Any]:
    """Collect the facts; stop with exit 2 when no layer at all could be examined."""
    document, _ = gather_facts_while(options, quiet, lambda: None)
    return document


def gather_facts_while(
    options: GatherOptions, quiet: bool, meanwhile: Callable[[], T]
) -> tuple[dict[str, Any], T]:
    """Collect the facts and run `meanwhile` (loading the rules) while the runtime is asked
    (in parallel when collect can ask it from a child process). Exit 2 when no layer at all
    could be examined."""
    from doctor.errors import GatherError
    from doctor.gather.collect import collect, examined_anything

    results: list[T] = []
    document = collect(
        options, progress_display(quiet), meanwhile=lambda: results.append(meanwhile())
    )
    if not examined_anything(document):
        reasons = "; ".join(
            f"{name}: {section['status']}" for name, section in document["layers"].items()
        )
        raise GatherError(f"could not examine any layer of this node ({reasons})")
    return document, results[0] if results else meanwhile()


def save_facts(document: dict[str, Any], path: Path) -> None:
    import json

    from doctor.report.files import write_atomically
    from doctor.timeline.build import with_timeline

    write_atomically(path, json.dumps(with_timeline(document), indent=2) + "\n")
