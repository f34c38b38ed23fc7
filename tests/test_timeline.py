"""The timeline built from the facts (doctor/timeline/build.py), on real captures: the lab
cluster's scenarios (fixtures/scenarios/k8s-*.json) and its kube-apiserver's answers
(fixtures/api/): every fact that carries a time, in order, each with its layer, source and a
stable id, and the way its time was placed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from doctor.apiserver.evidence import Evidence
from doctor.apiserver.facts import kubectl_document
from doctor.cli.gathering import save_facts
from doctor.facts.document import load_facts, parse_facts
from doctor.gather.api import layer
from doctor.timeline.build import (
    DMESG,
    KMSG,
    NO_ZONE,
    timeline_for,
    with_timeline,
)
from doctor.timeline.moments import instant
from tests.conftest import REPO


def scenario(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((REPO / "fixtures/scenarios" / f"{name}.json").read_text())
    return loaded


def pod_entries(document: dict[str, Any]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = timeline_for(document, document["pods"][0])["entries"]
    return entries


def by_id(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in entries}


def test_an_oom_killed_pod_across_every_layer_in_order() -> None:
    entries = pod_entries(scenario("k8s-oom-kill"))
    moments = [instant(entry["time"]) for entry in entries]
    assert moments == sorted(moments)  # type: ignore[type-var]
    assert len(by_id(entries)) == len(entries)  # ids are unique
    ids = by_id(entries)
    for attempt in (0, 1):
        for field in ("created_at", "started_at", "finished_at"):
            assert ids[f"containers[{attempt}].{field}"]["source"] == "cri"
    assert ids["containers[1].finished_at"]["what"] == "app attempt 1 finished: exit 137, OOMKilled"
    assert ids["sandbox.created_at"]["layer"] == "cri"
    assert ids["$.collected.at"] == {
        "id": "$.collected.at",
        "time": "2026-12-06T22:15:15.659882Z",
        "layer": None,
        "source": "collection",
        "what": "facts collected (lab, took 0.162 s)",
    }
    assert {e["source"] for e in entries} == {
        "kubelet-log",
        "containerd-log",
        "cri",
        "kernel-log",
        "collection",
    }


def test_each_source_keeps_its_precision_and_says_how_its_time_was_placed() -> None:
    ids = by_id(pod_entries(scenario("k8s-oom-kill")))
    containerd = ids["containerd_log[0].time"]
    assert containerd["time"] == "2026-12-06T22:15:14.690754179Z"  # nanoseconds, as logged
    assert "note" not in containerd  # logrus writes the zone
    klog = ids["kubelet_log[0].time"]
    assert klog["time"] == "2026-12-06T22:15:14.372611Z"  # microseconds; the Z added ...
    assert klog["note"] == NO_ZONE  # ... and said
    kernel = [e for e in ids.values() if e["source"] == "kernel-log"]
    assert kernel and all(e["note"] == KMSG for e in kernel)


def test_the_kernel_lines_a_pod_gets_are_those_naming_it() -> None:
    """The oom-kill records name the container's cgroup; the node's 67 kernel lines are about
    every pod the lab ran."""
    document = scenario("k8s-oom-kill")
    kernel = [e for e in pod_entries(document) if e["source"] == "kernel-log"]
    container_ids = {c["id"] for c in document["pods"][0]["containers"]}
    assert len(kernel) == 2
    assert all(e["what"].startswith("oom-kill:") for e in kernel)
    assert all(any(cid in e["what"] for cid in container_ids) for e in kernel)
    node = timeline_for(document, None)["entries"]
    assert sum(e["source"] == "kernel-log" for e in node) == 67


def test_the_node_timeline_has_the_node_logs_and_no_pod_facts() -> None:
    node = timeline_for(scenario("k8s-containerd-stopped"), None)
    assert node["entries"]
    assert {e["source"] for e in node["entries"]} <= {
        "kubelet-log",
        "containerd-log",
        "kernel-log",
        "collection",
    }
    assert all(e["id"].startswith("$.") for e in node["entries"])


def test_events_first_and_last_seen_with_their_count() -> None:
    """The lab's kube-apiserver answer: BackOff 3 times between its first and last time."""
    answer = json.loads((REPO / "fixtures/api/oom-kill.json").read_text())
    document = layer.apply_answer(kubectl_document(Evidence()), answer)
    entries = pod_entries(document)
    events = [e for e in entries if e["source"] == "event"]
    back_off = [e for e in events if "BackOff" in e["what"]]
    first, last = sorted(back_off, key=lambda e: e["id"])
    assert first["id"].endswith(".first_seen") and last["id"].endswith(".last_seen")
    assert "(first of 3)" in first["what"] and "(x3)" in last["what"]
    assert instant(first["time"]) < instant(last["time"])  # type: ignore[operator]
    assert all(e["layer"] == "apiserver" for e in events)
    scheduled = next(e for e in events if "Scheduled" in e["what"])
    assert scheduled["time"] == "2026-12-07T01:23:52.902315Z"  # eventTime, microseconds kept


def test_a_source_whose_clock_is_ahead_is_flagged() -> None:
    document = scenario("k8s-oom-kill")
    line = copy.deepcopy(document["pods"][0]["kubelet_log"][0])
    line["time"] = "2026-12-06T23:15:15.000000"  # an hour after the collection
    document["pods"][0]["kubelet_log"].append(line)
    timeline = timeline_for(document, document["pods"][0])
    assert timeline["clock_off"] == [
        {"source": "kubelet-log", "entries": 1, "ahead_seconds": 3599.34}
    ]
    assert timeline["entries"][-1]["id"] == "kubelet_log[13].time"
    assert timeline_for(scenario("k8s-oom-kill"), None)["clock_off"] == []


def test_entries_of_one_instant_keep_the_order_of_their_sources() -> None:
    document = scenario("k8s-oom-kill")
    pod = document["pods"][0]
    at = pod["containers"][0]["finished_at"]
    pod["events"] = [{"type": "Warning", "reason": "BackOff", "message": "m", "last_seen": at}]
    entries = pod_entries(document)
    same = [e["id"] for e in entries if e["time"] == at]
    assert same == ["events[0].last_seen", "containers[0].finished_at"]


def test_dmesg_local_time_is_read_as_utc_and_said() -> None:
    document = scenario("k8s-oom-kill")
    line = document["layers"]["node"]["kernel_log"][61]
    line["time"], line["raw"] = line["time"].removesuffix("Z"), line["message"]
    entry = by_id(pod_entries(document))["$.layers.node.kernel_log[61].time"]
    assert entry["note"] == DMESG


def test_a_written_document_carries_its_timeline_and_it_is_what_analysis_reads() -> None:
    document = scenario("k8s-crash-loop")
    written = json.loads(json.dumps(with_timeline(document)))
    facts = parse_facts(written, "written")  # the schema holds, timeline included
    stored = facts.data["timeline"]
    assert stored["pods"][0]["name"] == "crash-loop"
    assert timeline_for(facts.data, facts.pods()[0]) == stored["pods"][0]
    assert stored["pods"][0] == timeline_for(document, document["pods"][0])


def test_every_lab_capture_builds_a_valid_ordered_timeline() -> None:
    for path in sorted((REPO / "fixtures/scenarios").glob("k8s-*.json")):
        if path.name.endswith(".expected.json"):
            continue
        document = json.loads(path.read_text())
        facts = parse_facts(with_timeline(document), path.name)
        for timeline in [facts.data["timeline"]["node"], *facts.data["timeline"]["pods"]]:
            moments = [instant(e["time"]) for e in timeline["entries"]]
            assert None not in moments, path.name
            assert moments == sorted(moments), path.name  # type: ignore[type-var]
            assert sum(e["source"] == "collection" for e in timeline["entries"]) == 1


def test_saved_facts_carry_the_timeline(tmp_path: Path) -> None:
    """`diagnose --save` and `facts -o` write it: what a ticket's reader analyzes has it."""
    path = tmp_path / "facts.json"
    save_facts(scenario("k8s-oom-kill"), path)
    facts = load_facts(path)
    assert facts.data["timeline"]["pods"][0]["name"] == "oom-kill"
    assert facts.data["timeline"]["node"]["entries"][-1]["id"] == "$.collected.at"


def test_an_oom_kill_between_two_reads_of_the_counter_is_placed_in_that_window() -> None:
    document = scenario("k8s-oom-kill")
    container = document["pods"][0]["containers"][-1]
    memory = container.setdefault("cgroup", {}).setdefault("memory", {})
    memory["oom_kill_events"] = 1
    memory["oom_kill_samples"] = [
        {"at": "2026-12-06T22:15:15.300000Z", "oom_kill_events": 1},
        {"at": "2026-12-06T22:15:15.500000Z", "oom_kill_events": 2},
    ]
    index = len(document["pods"][0]["containers"]) - 1
    entry = by_id(pod_entries(document))[f"containers[{index}].cgroup.memory.oom_kill_samples[1]"]
    assert entry["time"] == "2026-12-06T22:15:15.500000Z"
    assert entry["what"].endswith("the cgroup's oom_kill counter rose from 1 to 2")
    assert "22:15:15.300000Z and 2026-12-06T22:15:15.500000Z" in entry["note"]


def test_a_counter_read_once_is_placed_when_it_was_read() -> None:
    document = scenario("k8s-oom-kill")
    container = document["pods"][0]["containers"][-1]
    memory = container.setdefault("cgroup", {}).setdefault("memory", {})
    memory.update(oom_kill_events=1, read_at="2026-12-06T22:15:15.400000Z")
    memory.pop("oom_kill_samples", None)
    index = len(document["pods"][0]["containers"]) - 1
    entry = by_id(pod_entries(document))[f"containers[{index}].cgroup.memory.oom_kill_events"]
    assert entry["time"] == "2026-12-06T22:15:15.400000Z"
    assert "read once" in entry["note"]
