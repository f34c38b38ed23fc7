"""The CRI client and gatherer against a real containerd (started privately by the fixture)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from doctor.engine.examples import base_document
from doctor.facts.document import parse_facts
from doctor.gather.context import GatherContext, GatherOptions, PodQuery
from doctor.gather.cri.client import CriClient
from doctor.gather.cri.gather import gather
from doctor.gather.cri.pods import PodLookupError
from doctor.layers import Layer
from tests.live.conftest import Cluster
from tests.live.containerd import IMAGE, Containerd


def run(runtime: Containerd, query: str | None = None, **options: Any) -> GatherContext:
    pod = PodQuery(query, options.pop("namespace", None)) if query else None
    ctx = GatherContext.create(
        GatherOptions(runtime_endpoint=runtime.address, pod=pod, timeout=10, **options)
    )
    ctx.sections[Layer.CRI] = gather(ctx)
    return ctx


def section(ctx: GatherContext) -> dict[str, Any]:
    return ctx.sections[Layer.CRI]


def validate(ctx: GatherContext) -> None:
    document = base_document()
    document["layers"]["cri"] = copy.deepcopy(section(ctx))
    document["pods"] = copy.deepcopy(ctx.pods)
    parse_facts(document, "live")


def test_version_status_and_image_fs(containerd: Containerd) -> None:
    with CriClient(containerd.address, containerd.socket, 5) as client:
        version = client.negotiate()
        assert client.api_version == "v1"
        assert version.runtime_name == "containerd"
        status = client.status()
    conditions = {c.type: c.status for c in status.status.conditions}
    assert conditions == {"RuntimeReady": True, "NetworkReady": True}
    ctx = run(containerd)
    cri = section(ctx)
    assert cri["status"] == "ok", cri["errors"]
    assert cri["endpoint"] == containerd.address
    assert cri["endpoint_source"] == "flag"
    assert cri["api_version"] == "v1"
    assert cri["runtime_name"] == "containerd"
    assert cri["runtime_version"].startswith("1.")
    assert cri["cgroup_driver"] == "cgroupfs"  # the fixture sets SystemdCgroup = false
    assert [fs["mountpoint"] for fs in cri["image_fs"]] == [
        str(containerd.workdir / "root/io.containerd.snapshotter.v1.overlayfs")
    ]
    assert ctx.handoff.cri.runc_root == str(containerd.runc_root)
    assert ctx.pods == []
    validate(ctx)


def test_a_pod_with_running_exited_and_restarted_containers(cluster: Cluster) -> None:
    ctx = run(cluster.runtime, "default/web")
    assert section(ctx)["status"] == "ok", section(ctx)["errors"]
    validate(ctx)
    [pod] = ctx.pods
    assert (pod["namespace"], pod["name"], pod["uid"]) == ("default", "web", cluster.web.uid)
    assert pod["sandbox"]["id"] == cluster.web.sandbox_id
    assert pod["sandbox"]["state"] == "SANDBOX_READY"
    by_attempt = {(c["name"], c["attempt"]): c for c in pod["containers"]}
    assert sorted(by_attempt) == [("app", 0), ("crash", 0), ("crash", 1)]
    app = by_attempt["app", 0]
    assert app["id"] == cluster.app_id
    assert app["state"] == "CONTAINER_RUNNING"
    assert app["restart_count"] == 0
    assert app["exit_code"] is None and app["finished_at"] is None
    assert isinstance(app["pid"], int) and Path(f"/proc/{app['pid']}").exists()
    assert app["command"] == ["/bin/sleep", "3600"]
    assert app["resources"]["cpu_period"] == 100000
    assert app["resources"]["cpu_quota"] == 50000
    assert app["resources"]["cpu_shares"] == 512
    assert app["image"]["ref"] == IMAGE and app["image"]["id"].startswith("sha256:")
    assert app["image"]["present"] is True
    assert app["log_path"].endswith("/app/0.log")
    assert app["started_at"].endswith("Z") and app["run_seconds"] >= 0
    assert app["stats"]["cpu_usage_core_nanoseconds"] is not None
    for attempt, container_id in enumerate(cluster.crash_ids):
        crash = by_attempt["crash", attempt]
        assert crash["id"] == container_id
        assert crash["state"] == "CONTAINER_EXITED"
        assert crash["exit_code"] == 1
        assert crash["reason"] == "Error"
        assert crash["restart_count"] == 1
        assert crash["pid"] is None
        # Not ordered: containerd stamps started_at after the task started, and `exit 1` can
        # finish first.
        assert crash["started_at"] and crash["finished_at"]
        assert crash["run_seconds"] is not None and 0 <= crash["run_seconds"] < 10
        assert "stats" not in crash
        assert Path(crash["log_path"]).read_text().rstrip().endswith("stdout F boom")
    assert ctx.handoff.cri.cgroups_paths[cluster.app_id].startswith(
        cluster.runtime.cgroup_parent + "/"
    )
    assert cluster.web.sandbox_id in ctx.handoff.cri.sandbox_ids


@pytest.mark.parametrize(
    "query",
    ["web", "default/web", "uid", "sandbox-prefix"],
)
def test_the_pod_is_found_by_name_uid_or_sandbox_prefix(cluster: Cluster, query: str) -> None:
    text = {"uid": cluster.web.uid, "sandbox-prefix": cluster.web.sandbox_id[:10]}.get(query, query)
    ctx = run(cluster.runtime, text)
    assert [(p["namespace"], p["name"]) for p in ctx.pods] == [("default", "web")]


def test_names_match_exactly_not_as_substrings(cluster: Cluster) -> None:
    """crictl's --name is a substring match; `web` must not also find `web-2`."""
    assert [p["name"] for p in run(cluster.runtime, "web").pods] == ["web"]
    assert [p["name"] for p in run(cluster.runtime, "web-2").pods] == ["web-2"]
    with pytest.raises(PodLookupError) as caught:
        run(cluster.runtime, "we")
    assert "pod we not found" in str(caught.value)
    assert "default/web, default/web-2" in str(caught.value)


def test_a_name_in_two_namespaces_is_ambiguous(cluster: Cluster) -> None:
    with pytest.raises(PodLookupError) as caught:
        run(cluster.runtime, "dup")
    message = str(caught.value)
    assert "ambiguous" in message and "team-a/dup, team-b/dup" in message
    assert "\n" not in message
    [pod] = run(cluster.runtime, "dup", namespace="team-b").pods
    assert pod["namespace"] == "team-b"


def test_a_pod_with_two_sandboxes_keeps_the_newest_and_every_container(
    cluster: Cluster,
) -> None:
    ctx = run(cluster.runtime, "batch/multi")
    validate(ctx)
    [pod] = ctx.pods
    assert pod["sandbox"]["id"] == cluster.multi.sandbox_id
    assert pod["sandbox"]["state"] == "SANDBOX_READY"
    jobs = [(c["attempt"], c["state"], c.get("exit_code")) for c in pod["containers"]]
    assert jobs == [(0, "CONTAINER_EXITED", 3), (1, "CONTAINER_RUNNING", None)]
    assert {c["restart_count"] for c in pod["containers"]} == {1}
    # The old sandbox's id also finds the pod.
    old = run(cluster.runtime, cluster.multi_old.sandbox_id[:12])
    assert [p["sandbox"]["id"] for p in old.pods] == [cluster.multi.sandbox_id]


def test_all_pods(cluster: Cluster) -> None:
    ctx = run(cluster.runtime, all_pods=True)
    validate(ctx)
    keys = {f"{p['namespace']}/{p['name']}" for p in ctx.pods}
    assert {"default/web", "default/web-2", "team-a/dup", "team-b/dup", "batch/multi"} <= keys


def test_a_missing_socket_is_unreachable_with_the_grpc_text(containerd: Containerd) -> None:
    missing = containerd.workdir / "nothing-here.sock"
    ctx = GatherContext.create(
        GatherOptions(runtime_endpoint=f"unix://{missing}", pod=PodQuery("default/web"))
    )
    cri = gather(ctx)
    assert cri["status"] == "unreachable"
    [error] = cri["errors"]
    assert error["message"].startswith("rpc error: code = Unavailable desc = ")
    assert str(missing) in error["message"]
    assert ctx.pods == [{"name": "web", "namespace": "default", "containers": []}]
