"""`stackdoctor lab up | down | status | run SCENARIO | list`: a real node stack to break.

The lab is a private containerd on this machine (root, Debian's containerd, runc and
busybox-static), driven through the CRI the way the kubelet drives it; its host tree is what
`diagnose --host-root` reads. See doctor/lab.
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
@click.option(
    "--cluster",
    is_flag=True,
    help="Run a real Kubernetes (etcd, kube-apiserver, controller manager, scheduler, kubelet;"
    " built by scripts/build-kube) instead of the kubelet stand-in; waits for the node to be"
    " Ready and writes LAB_DIR/kubeconfig.",
)
def up(lab_dir: Path, cluster: bool) -> None:
    """Start the lab: containerd, the local busybox image, and the kubelet stand-in or (with
    --cluster) a real single-node Kubernetes."""
    instance = _lab(lab_dir)
    instance.up(cluster=cluster)
    click.echo(f"lab up in {lab_dir}")
    if cluster:
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
    """The scenarios and the root cause each one must be diagnosed with."""
    from doctor.lab.kube.scenarios import SCENARIOS as CLUSTER_SCENARIOS
    from doctor.lab.scenarios import SCENARIOS

    click.echo("on a cluster lab (lab up --cluster): a manifest applied with kubectl, a node fault")
    for cluster_scenario in CLUSTER_SCENARIOS:
        cause = cluster_scenario.root_cause or "(none: healthy)"
        click.echo(f"  {cluster_scenario.name:<22} {cause:<33} {cluster_scenario.description}")
    click.echo("on a CRI lab (lab up): made through the CRI beside a kubelet stand-in")
    for scenario in SCENARIOS:
        cause = scenario.root_cause or "(none: healthy)"
        click.echo(f"  {scenario.name:<22} {cause:<33} {scenario.description}")


@lab.command()
@click.argument("scenario")
@lab_dir_option
def run(scenario: str, lab_dir: Path) -> None:
    """Make SCENARIO's pod in the lab (starting a CRI lab when none runs)."""
    instance = _lab(lab_dir)
    if instance.state.cluster:
        _run_on_cluster(instance, scenario)
        return
    from doctor.lab import scenarios
    from doctor.lab.errors import LabError

    chosen = scenarios.get(scenario)
    if scenario in instance.state.scenarios:
        raise LabError(f"scenario {scenario} already ran in this lab; `lab down` then `lab up`")
    instance.up()
    record = scenarios.run(instance, chosen)
    click.echo(
        f"{record['pod']} is ready to diagnose (expected root cause: "
        f"{record['root_cause'] or 'none'}):\n"
        f"  stackdoctor diagnose {record['pod']} --host-root {instance.layout.host}"
        f" --runtime-endpoint {instance.layout.address}"
        f" --sample-interval {chosen.sample_interval}"
    )


def _run_on_cluster(instance: Lab, name: str) -> None:
    from doctor.lab.kube import scenarios

    chosen = scenarios.get(name)
    scenarios.run(instance, chosen)
    what = chosen.pod_ref if chosen.has_pod else "the node"
    click.echo(
        f"{what} is ready to diagnose (expected root cause: {chosen.root_cause or 'none'}):\n"
        f"  {chosen.command(instance)}"
    )
    if chosen.fault is not None:
        click.echo("the node stays broken until `stackdoctor lab down`")
