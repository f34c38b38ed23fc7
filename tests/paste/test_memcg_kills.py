"""The kernel's memory-cgroup OOM kills in a pasted kernel log count in the container the
record ties them to (its cgroup path, or an oom_score_adj only the kubelet gives a container's
processes, with the paste about one pod), as its memory.events would count them; a kill the
record ties to no container (a host service, an old kernel's bare record) stays the node's.
Texts: the real-world corpus's cases (by name) and the lab's recorded kernel log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from doctor.paste.oomkills import MemcgKill, memcg_kills
from tests.paste.corpus import evidence
from tests.paste.pastes import scenario
from tests.paste.reading import read_paste


def facts(tmp_path: Path, text: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    loaded = read_paste(tmp_path, text)
    document: dict[str, Any] = loaded.document.data
    return document, tuple(loaded.unplaced)


def kernel_messages(name: str) -> list[str]:
    return [line["message"] for line in scenario(name)["layers"]["node"]["kernel_log"]]


def test_a_kill_of_a_containers_process_counts_in_that_container(tmp_path: Path) -> None:
    # dmesg alone (kernel 5.4): "Killed process 63214 (uwsgi) ... oom_score_adj:986", a
    # burstable container's process
    document, unplaced = facts(tmp_path, evidence("process.oom-killed/reportportal-k8s-203"))
    (pod,) = document["pods"]
    (container,) = pod["containers"]
    assert (pod["namespace"], pod["name"], container["name"]) == ("default", "unknown", "unknown")
    assert container["cgroup"]["memory"]["oom_kill_events"] == 1
    assert "state" not in container  # how it ended is not said
    assert any("memory-cgroup OOM kill with no pod named" in note for note in unplaced)


def test_a_kill_no_record_ties_to_a_container_stays_the_nodes(tmp_path: Path) -> None:
    # kubernetes/kubernetes#1962 (2014): the invoker's oom_score_adj=0 and no victim line
    document, _ = facts(tmp_path, evidence("process.oom-killed/k8s-1962"))
    assert document["pods"] == []
    assert document["layers"]["node"]["kernel_log"]


def test_kills_in_several_pods_are_not_guessed_into_one(tmp_path: Path) -> None:
    # the lab's kernel log: memcg kills in several pods, named by their cgroup paths
    text = "\n".join(kernel_messages("k8s-oom-kill")) + "\n"
    document, unplaced = facts(tmp_path, text)
    assert document["pods"] == []
    assert any("whose container? give --pod" in note for note in unplaced)


def test_the_summary_and_the_kill_line_are_one_kill() -> None:
    kills = memcg_kills(kernel_messages("k8s-oom-kill"))
    assert kills[-1] == MemcgKill(
        pid="19697",
        comm="tail",
        oom_score_adj=999,
        pod_uid="e26cd005-d398-435b-8fd4-739378322bce",
        container_id="b39a661101fb49216162237c341b68c91659458edb02b205a5bb60f109e816cb",
    )
    assert all(kill.a_containers for kill in kills)


def test_a_host_services_kill_is_no_containers() -> None:
    # a memcg kill with the oom_score_adj systemd leaves a service (0) and no pod in its path
    line = (
        "Memory cgroup out of memory: Killed process 14076 (sh) total-vm:26852kB,"
        " anon-rss:16124kB, file-rss:1584kB, shmem-rss:0kB, UID:0 pgtables:76kB oom_score_adj:0"
    )
    (kill,) = memcg_kills([line])
    assert not kill.a_containers
