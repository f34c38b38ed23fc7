"""The cri gatherer over a fake runtime: the section, pod resolution, and the pods' facts."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from doctor.engine.examples import base_document
from doctor.facts.document import parse_facts
from doctor.gather.collect import _cri_alone, _cri_answer
from doctor.gather.context import GatherContext, GatherOptions, PodQuery
from doctor.gather.cri.gather import gather
from doctor.gather.cri.generated.runtime.v1 import api_pb2 as v1
from doctor.gather.cri.pods import PodLookupError, pods_known
from doctor.gather.cri.query import settle_deferred
from doctor.gather.logs.formats import parse_line
from doctor.layers import Layer
from tests.gather.cri_fake import FakeRuntime, serve

# containerd 1.6's Status info "config", cut to the keys read (as containerd prints them).
CONTAINERD_CONFIG = {
    "containerd": {
        "snapshotter": "overlayfs",
        "defaultRuntimeName": "runc",
        "runtimes": {
            "runc": {
                "runtimeType": "io.containerd.runc.v2",
                "options": {"BinaryName": "", "Root": "", "SystemdCgroup": True},
            }
        },
    },
    "sandboxImage": "127.0.0.1:5000/pause:3.6",
}


@pytest.fixture
def runtime() -> FakeRuntime:
    """web (two sandboxes: an old NOTREADY one and the current), web-2, dup in two namespaces."""
    fake = FakeRuntime(status_info={"config": json.dumps(CONTAINERD_CONFIG)})
    fake.sandbox("web", uid="uid-web", sid="0ld5andb0x", created=0, ready=False)
    fake.container(
        "0ld5andb0x", "app", 0, state=v1.CONTAINER_EXITED, exit_code=137, reason="OOMKilled"
    )
    fake.sandbox("web", uid="uid-web", sid="f00dcafe01", created=60)
    fake.container("f00dcafe01", "app", 1, state=v1.CONTAINER_EXITED, exit_code=1, reason="Error")
    fake.container("f00dcafe01", "app", 2)
    fake.container("f00dcafe01", "sidecar", 0, image="127.0.0.1:5000/library/missing:1")
    fake.sandbox("web-2", uid="uid-web-2", sid="beef000002", created=10)
    fake.sandbox("dup", namespace="team-a", uid="uid-a", sid="d0000000aa")
    fake.sandbox("dup", namespace="team-b", uid="uid-b", sid="d0000000bb")
    return fake


@pytest.fixture
def socket_path(runtime: FakeRuntime) -> Iterator[Path]:
    with serve(runtime) as path:
        yield path


def run(
    path: Path, query: str | None = None, namespace: str | None = None, all_pods: bool = False
) -> GatherContext:
    ctx = GatherContext.create(
        GatherOptions(
            runtime_endpoint=f"unix://{path}",
            pod=PodQuery(query, namespace) if query else None,
            all_pods=all_pods,
        )
    )
    ctx.sections[Layer.CRI] = gather(ctx)
    return ctx


def cri(ctx: GatherContext) -> dict[str, Any]:
    return ctx.sections[Layer.CRI]


def validate(ctx: GatherContext) -> None:
    document = base_document()
    document["layers"]["cri"] = copy.deepcopy(cri(ctx))
    document["pods"] = copy.deepcopy(ctx.pods)
    parse_facts(document, "test")


def test_the_section_without_pods(socket_path: Path, runtime: FakeRuntime) -> None:
    ctx = run(socket_path)
    section = cri(ctx)
    assert section["status"] == "ok" and section["errors"] == []
    assert section["api_version"] == "v1"
    assert (section["runtime_name"], section["runtime_version"]) == ("fake", "1.2.3")
    assert section["conditions"] == [
        {"type": "RuntimeReady", "status": True, "reason": None, "message": None},
        {
            "type": "NetworkReady",
            "status": False,
            "reason": "NetworkPluginNotReady",
            "message": "Network plugin returns error: cni plugin not initialized",
        },
    ]
    assert section["cgroup_driver"] == "systemd"
    assert section["image_fs"] == [
        {
            "mountpoint": "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs",
            "used_bytes": 1 << 30,
            "inodes_used": 1000,
        }
    ]
    assert ctx.pods == []
    assert sorted(ctx.handoff.cri.sandbox_ids) == sorted(s["id"] for s in runtime.sandboxes)
    assert not any(call.startswith("ContainerStatus") for call in runtime.calls)
    validate(ctx)


def test_a_pod_made_again_under_its_name_is_not_its_predecessor(
    socket_path: Path, runtime: FakeRuntime
) -> None:
    """The cluster lab: readiness-probe deleted and applied again; the deleted pod's sandbox and
    its killed container (137) were still there, and were diagnosed as the new pod's."""
    runtime.sandbox("web", uid="uid-web-deleted", sid="de1e7ed000", created=-60, ready=False)
    runtime.container("de1e7ed000", "app", 0, state=v1.CONTAINER_EXITED, exit_code=137)
    [pod] = run(socket_path, "default/web").pods
    assert pod["uid"] == "uid-web"
    assert [c["id"] for c in pod["containers"] if c["id"].startswith("de1e7ed000")] == []
    assert len(pod["containers"]) == 4


def test_no_cgroup_driver_unless_the_runtime_says(runtime: FakeRuntime) -> None:
    runtime.status_info = {"config": json.dumps({"containerd": {"runtimes": {"runc": {}}}})}
    with serve(runtime) as path:
        assert cri(run(path))["cgroup_driver"] is None


def test_a_pod_with_two_sandboxes(socket_path: Path, runtime: FakeRuntime) -> None:
    ctx = run(socket_path, "default/web")
    validate(ctx)
    [pod] = ctx.pods
    assert (pod["name"], pod["namespace"], pod["uid"]) == ("web", "default", "uid-web")
    assert pod["sandbox"] == {
        "id": "f00dcafe01",
        "state": "SANDBOX_READY",
        "created_at": "2026-01-01T00:01:00Z",
        "ip": "10.88.0.7",
        "runtime_handler": None,
    }
    summary = [
        (c["name"], c["attempt"], c["state"], c["exit_code"], c["reason"], c["restart_count"])
        for c in pod["containers"]
    ]
    assert summary == [
        ("app", 0, "CONTAINER_EXITED", 137, "OOMKilled", 2),
        ("app", 1, "CONTAINER_EXITED", 1, "Error", 2),
        ("app", 2, "CONTAINER_RUNNING", None, None, 2),
        ("sidecar", 0, "CONTAINER_RUNNING", None, None, 0),
    ]
    oom = pod["containers"][0]
    assert oom["started_at"] == "2026-01-01T00:00:01Z"
    assert oom["finished_at"] == "2026-01-01T00:00:31Z"
    assert oom["run_seconds"] == 30.0
    assert oom["pid"] is None and "stats" not in oom
    running = pod["containers"][2]
    assert running["pid"] == 1234
    assert running["command"] == ["/bin/sleep", "3600"]
    assert running["resources"] == {
        "cpu_period": 100000,
        "cpu_quota": 20000,
        "cpu_shares": 2,
        "memory_limit_bytes": 134217728,
        "pids_limit": 4096,
        "oom_score_adj": 1000,
    }
    assert running["log_path"] == "/var/log/pods/x/app/2.log"
    assert running["stats"]["memory_working_set_bytes"] == 4096
    assert running["image"]["present"] is True
    assert pod["containers"][3]["image"]["present"] is False
    # Only this pod's sandboxes and containers were asked about; the old sandbox's status not.
    asked = [c for c in runtime.calls if c.startswith(("ListContainers", "PodSandboxStatus"))]
    assert sorted(asked) == [
        "ListContainers 0ld5andb0x",
        "ListContainers f00dcafe01",
        "PodSandboxStatus f00dcafe01",
    ]
    pod_images = [c for c in runtime.calls if c.startswith("ImageStatus") and "pause" not in c]
    assert len(pod_images) == 2  # once per image
    # and once for the sandbox image the runtime's config names
    image, present = ctx.handoff.cri.sandbox_image
    assert image == "127.0.0.1:5000/pause:3.6" and isinstance(present, bool)
    assert ctx.handoff.cri.runc_root == "/run/x/runc"
    assert ctx.handoff.cri.cgroups_paths["f00dcafe01-app-2"].endswith("/f00dcafe01-app-2")
    # each attempt's own sandbox, the old one's too (for its shim)
    assert ctx.handoff.cri.container_sandboxes["0ld5andb0x-app-0"] == "0ld5andb0x"
    assert ctx.handoff.cri.container_sandboxes["f00dcafe01-app-2"] == "f00dcafe01"


@pytest.mark.parametrize(
    ("query", "namespace"),
    [
        ("web", None),
        ("default/web", None),
        ("web", "default"),
        ("uid-web", None),
        ("f00d", None),
        ("0ld5", None),  # an old sandbox's id finds the whole pod
    ],
)
def test_resolution(socket_path: Path, query: str, namespace: str | None) -> None:
    [pod] = run(socket_path, query, namespace).pods
    assert (pod["namespace"], pod["name"]) == ("default", "web")
    assert pod["sandbox"]["id"] == "f00dcafe01"
    assert len(pod["containers"]) == 4


def test_names_are_exact_labels_not_substrings(socket_path: Path) -> None:
    assert [p["name"] for p in run(socket_path, "web").pods] == ["web"]
    assert [p["name"] for p in run(socket_path, "web-2").pods] == ["web-2"]


def test_an_ambiguous_name_lists_the_candidates(socket_path: Path) -> None:
    with pytest.raises(PodLookupError) as caught:
        run(socket_path, "dup")
    assert str(caught.value) == (
        f"pod dup is ambiguous on this node (CRI unix://{socket_path}): it matches "
        "team-a/dup, team-b/dup; give NAMESPACE/NAME or a longer id"
    )
    assert [p["namespace"] for p in run(socket_path, "dup", "team-a").pods] == ["team-a"]


def test_an_ambiguous_sandbox_prefix(socket_path: Path) -> None:
    with pytest.raises(PodLookupError, match=r"matches team-a/dup, team-b/dup"):
        run(socket_path, "d0000000")


def test_an_unknown_pod_names_similar_ones(socket_path: Path) -> None:
    with pytest.raises(PodLookupError) as caught:
        run(socket_path, "wbe")
    message = str(caught.value)
    assert message.startswith("pod wbe not found on this node")
    assert "similar pods: default/web" in message
    with pytest.raises(PodLookupError, match=r"pod kube-system/web not found"):
        run(socket_path, "web", "kube-system")
    with pytest.raises(PodLookupError, match=r"4 pods are known"):
        run(socket_path, "zzzzzzzz")


@pytest.mark.parametrize(
    ("count", "said"), [(0, "0 pods are known"), (1, "1 pod is known"), (7, "7 pods are known")]
)
def test_the_known_pods_are_counted_in_words(count: int, said: str) -> None:
    assert pods_known(count) == said


def test_all_pods(socket_path: Path) -> None:
    ctx = run(socket_path, all_pods=True)
    validate(ctx)
    assert [f"{p['namespace']}/{p['name']}" for p in ctx.pods] == [
        "default/web",
        "default/web-2",
        "team-a/dup",
        "team-b/dup",
    ]


def test_a_v1alpha2_runtime_gives_the_same_facts(runtime: FakeRuntime) -> None:
    with serve(runtime, ("v1alpha2",)) as path:
        ctx = run(path, "default/web")
    assert cri(ctx)["api_version"] == "v1alpha2"
    [pod] = ctx.pods
    assert [c["state"] for c in pod["containers"]][:2] == ["CONTAINER_EXITED"] * 2
    validate(ctx)


@pytest.mark.parametrize(
    ("query", "namespace", "placeholder"),
    [
        ("default/web", None, [{"name": "web", "namespace": "default", "containers": []}]),
        ("web", "prod", [{"name": "web", "namespace": "prod", "containers": []}]),
        ("web", None, []),  # might be a uid or an id prefix: nothing to match logs with
    ],
)
def test_an_unreachable_runtime_leaves_a_placeholder_pod(
    tmp_path: Path, query: str, namespace: str | None, placeholder: list[dict[str, Any]]
) -> None:
    ctx = run(tmp_path / "absent.sock", query, namespace)
    section = cri(ctx)
    assert section["status"] == "unreachable"
    assert section["errors"][0]["message"].startswith("rpc error: code = Unavailable desc = ")
    assert ctx.pods == placeholder
    assert ctx.handoff.cri.sandbox_ids is None
    validate(ctx)


def test_no_endpoint_at_all(tmp_path: Path) -> None:
    ctx = GatherContext.create(GatherOptions(host_root=tmp_path))
    section = gather(ctx)
    assert section["status"] == "unreachable"
    assert section["endpoint"] is None
    assert "no default socket exists" in section["errors"][0]["message"]


KUBELET_LINE = (
    'E1129 10:00:00.000001    7321 pod_workers.go:1301] "Error syncing pod, skipping"'
    ' err="failed to \\"CreatePodSandbox\\"" pod="default/ghost"'
)


def from_child(socket_path: Path, query: str) -> tuple[GatherContext, GatherContext]:
    """(child, parent): the cri layer as collect.py's child process gathers it, before the
    kubelet's log, and the parent's context once it took in the child's answer, as JSON."""
    options = GatherOptions(runtime_endpoint=f"unix://{socket_path}", pod=PodQuery(query))
    child = GatherContext.create(options)  # the forked copy: the parent never sees it
    answer = json.loads(json.dumps(_cri_alone(child)))
    parent = GatherContext.create(options)
    parent.sections[Layer.CRI] = _cri_answer(parent, answer)
    return child, parent


def deferred(socket_path: Path, query: str) -> GatherContext:
    return from_child(socket_path, query)[1]


def test_the_parent_takes_the_childs_cri_handoff_whole(socket_path: Path) -> None:
    child, parent = from_child(socket_path, "default/web")
    assert parent.handoff.cri == child.handoff.cri
    assert parent.pods == child.pods and [p["name"] for p in parent.pods] == ["web"]
    handoff = parent.handoff.cri
    assert handoff.sandbox_image == ("127.0.0.1:5000/pause:3.6", True)
    assert handoff.runc_root == "/run/x/runc" and handoff.cgroups_paths and handoff.verbose
    assert handoff.sandbox_ids and handoff.pod_not_found is None
    assert parent.handoff.cri_defer_not_found is False  # the child's own setting


def test_a_deferred_unknown_pod_is_settled_from_the_kubelet_log(socket_path: Path) -> None:
    ctx = deferred(socket_path, "default/ghost")
    assert ctx.pods == [] and str(ctx.handoff.cri.pod_not_found).startswith("pod default/ghost not")
    ctx.handoff.kubelet_log_lines = [parse_line(KUBELET_LINE, datetime(2026, 11, 29))]
    settle_deferred(ctx, cri(ctx))
    assert [(p["namespace"], p["name"]) for p in ctx.pods] == [("default", "ghost")]
    assert cri(ctx)["errors"][-1]["message"].endswith("its sandbox never started")
    assert ctx.handoff.cri.pod_not_found is None


def test_a_deferred_unknown_pod_the_kubelet_never_logged_is_an_error(socket_path: Path) -> None:
    ctx = deferred(socket_path, "default/ghost")
    ctx.handoff.kubelet_log_lines = []
    with pytest.raises(PodLookupError, match=r"^pod default/ghost not found on this node"):
        settle_deferred(ctx, cri(ctx))


def test_settling_without_a_deferred_pod_changes_nothing(socket_path: Path) -> None:
    ctx = run(socket_path, "web")
    before = copy.deepcopy((ctx.pods, cri(ctx)))
    settle_deferred(ctx, cri(ctx))
    assert (ctx.pods, cri(ctx)) == before
