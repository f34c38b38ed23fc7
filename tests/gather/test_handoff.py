"""The hand-offs between layer gatherers: the CRI's part crosses from a child process as JSON
without loss, and a read done ahead is handed to its layer once, with what it recorded."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from doctor.gather.child import Child
from doctor.gather.context import GatherContext, GatherOptions, LayerRecorder
from doctor.gather.handoff import CriHandoff, Prefetch
from doctor.layers import Layer, LayerStatus

# Every field set, none to its default (the first test keeps it so): a field added to
# CriHandoff but not to this example, or not to `from_json`, fails.
EVERY_FIELD = CriHandoff(
    sandbox_ids=["f00dcafe01", "0ld5andb0x"],
    cgroups_paths={"c0ffee": "kubepods-besteffort-pod1.slice:cri-containerd:c0ffee"},
    container_sandboxes={"c0ffee": "f00dcafe01"},
    runc_root="/run/containerd/runc/k8s.io",
    sandbox_image=("registry.k8s.io/pause:3.9", False),
    verbose={"container-c0ffee": {"pid": 4242, "runtimeSpec": {"linux": {"cgroupsPath": "x"}}}},
    pod_not_found="pod default/ghost not found on this node",
)


def test_the_example_sets_every_field() -> None:
    default = CriHandoff()
    unset = [
        f.name
        for f in fields(CriHandoff)
        if getattr(EVERY_FIELD, f.name) == getattr(default, f.name)
    ]
    assert unset == []


def test_the_json_round_trip_is_lossless_for_every_field() -> None:
    back = CriHandoff.from_json(json.loads(json.dumps(EVERY_FIELD.to_json())))
    for f in fields(CriHandoff):
        sent, received = getattr(EVERY_FIELD, f.name), getattr(back, f.name)
        assert (type(received), received) == (type(sent), sent), f.name  # a tuple stays a tuple


def test_the_defaults_round_trip_too() -> None:
    assert CriHandoff.from_json(json.loads(json.dumps(CriHandoff().to_json()))) == CriHandoff()


def test_it_crosses_from_a_child_process_whole() -> None:
    assert CriHandoff.from_json(Child(EVERY_FIELD.to_json).result()) == EVERY_FIELD


def test_a_missing_field_is_an_error_not_a_default() -> None:
    data = EVERY_FIELD.to_json()
    del data["runc_root"]
    with pytest.raises(KeyError, match="runc_root"):
        CriHandoff.from_json(data)


def context(tmp_path: Path) -> GatherContext:
    return GatherContext.create(GatherOptions(host_root=tmp_path))


def test_a_prefetched_read_is_handed_over_once_with_what_it_recorded(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    slot: Prefetch[list[str] | None] = Prefetch()

    def early(recorder: LayerRecorder) -> list[str] | None:
        recorder.fail(LayerStatus.PERMISSION_DENIED, "/dev/kmsg", "Operation not permitted")
        return None

    def now(recorder: LayerRecorder) -> list[str] | None:
        return ["read now"]

    ctx.prefetch(slot, Layer.NODE, early)
    recorder = LayerRecorder(Layer.NODE)
    assert ctx.prefetched(slot, recorder, now) is None  # the early read's, None included
    assert recorder.status is LayerStatus.PERMISSION_DENIED
    assert recorder.errors == [{"source": "/dev/kmsg", "message": "Operation not permitted"}]
    again = LayerRecorder(Layer.NODE)
    assert ctx.prefetched(slot, again, now) == ["read now"]
    assert (again.status, again.errors) == (LayerStatus.OK, [])


def test_without_a_prefetch_the_layer_reads_now(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    recorder = LayerRecorder(Layer.NODE)
    assert ctx.prefetched(ctx.handoff.kernel_log_ahead, recorder, lambda r: [{"message": "x"}]) == [
        {"message": "x"}
    ]


def test_the_context_prefetches_into_its_own_record(tmp_path: Path) -> None:
    from doctor.gather import node

    ctx = context(tmp_path)
    node.prefetch(ctx)
    assert ctx.handoff.kernel_log_ahead.done is not None
    node.gather(ctx)
    assert ctx.handoff.kernel_log_ahead.done is None  # taken
