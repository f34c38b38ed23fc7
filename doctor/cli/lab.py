"""`stackdoctor lab up | down | status | run SCENARIO | list`: a real cluster to break.

The lab is a real single-node Kubernetes on this machine (root; etcd, kube-apiserver,
controller manager, scheduler and kubelet built by scripts/build-kube) over a private
containerd (Debian's containerd, runc and busybox-static); its host tree is what `diagnose
--host-root` reads. See doctor/lab.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from doctor.lab.config import DEFAULT_LAB_DIR, check_lab_dir

if TYPE_CHECKING:
    from doctor.lab.runtime import Lab


def _lab(lab_dir: Path) -> Lab:
    from doctor.lab.errors import LabError
    from doctor.lab.runtime import Lab

    reason = check_lab_dir(lab_dir)
    if reason:
        raise LabError(reason)
    return Lab(lab_dir)


lab_dir_option = click.option(
    "--lab-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_LAB_DIR,
    show_default=True,
    help="Where the lab keeps containerd's state, its host tree and lab.json.",
)


@click.group()
def lab() -> None:
    """A private containerd lab on this machine that reproduces real node failures."""


@lab.command()
@lab_dir_option
def up(lab_dir: Path) -> None:
    """Start the lab: containerd, the local busybox image and a real single-node Kubernetes;
    waits for the node to be Ready and writes LAB_DIR/kubeconfig."""
    instance = _lab(lab_dir)
    instance.up()
    click.echo(f"lab up in {lab_dir}")
    kubectl = Path(instance.cluster.state.bin_dir) / "kubectl"
    click.echo(f"kubectl: {kubectl} --kubeconfig {instance.cluster.files.admin_kubeconfig}")
    click.echo(
        f"diagnose with: stackdoctor diagnose NAMESPACE/POD --host-root {instance.layout.host}"
        f" --runtime-endpoint {instance.layout.address}"
    )


@lab.command()
@lab_dir_option
def down(lab_dir: Path) -> None:
    """Remove every pod and process, unmount, remove the cgroups and the lab dir."""
    instance = _lab(lab_dir)
    instance.down()
    click.echo(f"lab down: {lab_dir} removed")


@lab.command()
@lab_dir_option
def status(lab_dir: Path) -> None:
    """What runs in the lab (JSON)."""
    instance = _lab(lab_dir)
    click.echo(json.dumps(instance.status(), indent=2))


@lab.command("list")
def list_scenarios() -> None:
    """The scenarios (a manifest applied with kubectl, a node fault) and the root cause each
    one must be diagnosed with."""
    from doctor.lab.kube.scenarios import SCENARIOS

    for scenario in SCENARIOS:
        cause = scenario.root_cause or "(none: healthy)"
        click.echo(f"  {scenario.name:<26} {cause:<37} {scenario.description}")


@lab.command()
@click.argument("scenario")
@lab_dir_option
def run(scenario: str, lab_dir: Path) -> None:
    """Make SCENARIO in the lab (starting the lab when it is not up)."""
    from doctor.lab.kube import scenarios

    instance = _lab(lab_dir)
    chosen = scenarios.get(scenario)
    instance.up()
    scenarios.run(instance, chosen)
    what = chosen.pod_ref if chosen.has_pod else "the node"
    click.echo(
        f"{what} is ready to diagnose (expected root cause: {chosen.root_cause or 'none'}):\n"
        f"  {chosen.command(instance)}"
    )
    if chosen.fault is not None:
        click.echo("the node stays broken until `stackdoctor lab down`")
