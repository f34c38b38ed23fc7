"""cgroup v1 and v2: finding a container's cgroup and reading it into the facts `cgroup` object.

The synthetic trees copy the kernel's file formats (v1 as on this machine's /sys/fs/cgroup, v2 as
Documentation/admin-guide/cgroup-v2.rst describes them).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from doctor.engine.examples import base_document
from doctor.facts.document import parse_facts
from doctor.gather.cgroups import (
    CgroupDirs,
    add_cpu_sample,
    cgroup_version,
    dirs_from_cgroups_path,
    dirs_from_proc,
    dirs_from_runc,
    frozen,
    parse_proc_cgroup,
    read_cgroup,
    systemd_cgroup_path,
)
from doctor.gather.host import Host
from tests.gather.hosttree import write

CID = "9b4e2a9d7c1f3e5a8b6d4c2e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a"
POD_UID = "6f1b6c1e-0d3c-4a52-9a55-0e2d3c1b7a10"
V1_PATH = f"/kubepods/burstable/pod{POD_UID}/{CID}"
V2_PATH = (
    "/kubepods.slice/kubepods-burstable.slice/"
    f"kubepods-burstable-pod{POD_UID.replace('-', '_')}.slice/cri-containerd-{CID}.scope"
)

V1_PROC_CGROUP = f"""12:hugetlb:{V1_PATH}
11:pids:{V1_PATH}
10:memory:{V1_PATH}
9:freezer:{V1_PATH}
4:cpu,cpuacct:{V1_PATH}
1:name=systemd:{V1_PATH}
0::/
"""

V1_FILES = {
    "cpu,cpuacct/{p}/cpu.stat": (
        "nr_periods 120\nnr_throttled 30\nthrottled_time 4500000000\nnr_bursts 0\nburst_time 0\n"
    ),
    "memory/{p}/memory.usage_in_bytes": "275673088\n",
    "memory/{p}/memory.limit_in_bytes": "268435456\n",
    "memory/{p}/memory.max_usage_in_bytes": "268435456\n",
    "memory/{p}/memory.failcnt": "17\n",
    "memory/{p}/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
    "pids/{p}/pids.current": "12\n",
    "pids/{p}/pids.max": "max\n",
    "pids/{p}/pids.events": "max 0\n",
    "freezer/{p}/freezer.state": "THAWED\n",
}

V2_FILES = {
    "cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
    "{p}/cpu.stat": (
        "usage_usec 2137158\nuser_usec 1392434\nsystem_usec 744724\nnr_periods 120\n"
        "nr_throttled 30\nthrottled_usec 4500000\nnr_bursts 0\nburst_usec 0\n"
    ),
    "{p}/memory.current": "132120576\n",
    "{p}/memory.max": "134217728\n",
    "{p}/memory.peak": "134213632\n",
    "{p}/memory.events": "low 0\nhigh 0\nmax 41\noom 3\noom_kill 2\noom_group_kill 0\n",
    "{p}/pids.current": "7\n",
    "{p}/pids.max": "100\n",
    "{p}/pids.events": "max 5\n",
    "{p}/cgroup.freeze": "0\n",
}


def v1_tree(root: Path, pid: int = 4242) -> Host:
    for name, text in V1_FILES.items():
        write(root, "/sys/fs/cgroup/" + name.format(p=V1_PATH.strip("/")), text)
    os.symlink("cpu,cpuacct", root / "sys/fs/cgroup/cpu")  # as on real v1 nodes
    os.symlink("cpu,cpuacct", root / "sys/fs/cgroup/cpuacct")
    write(root, f"/proc/{pid}/cgroup", V1_PROC_CGROUP)
    return Host(root)


def v2_tree(root: Path, pid: int = 4242) -> Host:
    for name, text in V2_FILES.items():
        write(root, "/sys/fs/cgroup/" + name.format(p=V2_PATH.strip("/")), text)
    write(root, f"/proc/{pid}/cgroup", f"0::{V2_PATH}\n")
    return Host(root)


def validate(cgroup: dict[str, Any]) -> None:
    document = base_document()
    container = {"name": "app", "attempt": 0, "cgroup": cgroup}
    document["pods"] = [{"name": "web", "namespace": "default", "containers": [container]}]
    parse_facts(document, "test")


def test_version(tmp_path: Path) -> None:
    assert cgroup_version(Host(tmp_path)) is None
    assert cgroup_version(v1_tree(tmp_path / "v1")) == 1
    assert cgroup_version(v2_tree(tmp_path / "v2")) == 2


def test_proc_cgroup_lines() -> None:
    paths = parse_proc_cgroup(V1_PROC_CGROUP)
    assert paths["cpu"] == paths["cpuacct"] == paths["memory"] == V1_PATH
    assert paths["name=systemd"] == V1_PATH
    assert paths[""] == "/"


def test_v1_read(tmp_path: Path) -> None:
    host = v1_tree(tmp_path)
    dirs = dirs_from_proc(host, 4242, 1)
    assert dirs.path == V1_PATH
    assert dirs.dir("cpu") == f"/sys/fs/cgroup/cpu{V1_PATH}"
    read = read_cgroup(host, dirs)
    assert read.errors == []
    facts = read.facts
    assert facts["path"] == V1_PATH
    sample = facts["cpu"]["samples"][0]
    assert (sample["nr_periods"], sample["nr_throttled"]) == (120, 30)
    assert sample["throttled_time_ns"] == 4_500_000_000
    assert facts["memory"].pop("read_at").endswith("Z")
    assert facts["memory"] == {
        "usage_bytes": 275673088,
        "limit_bytes": 268435456,
        "max_usage_bytes": 268435456,
        "oom_events": None,
        "oom_kill_events": 2,
        "limit_hits": 17,
        "under_oom": False,
        "oom_kill_disable": False,
    }
    assert facts["pids"] == {"current": 12, "max": None, "max_events": 0}
    validate(facts)


def test_v1_unlimited_memory_is_null(tmp_path: Path) -> None:
    host = v1_tree(tmp_path)
    # The value this machine's root memory cgroup shows: PAGE_COUNTER_MAX pages.
    write(
        tmp_path, f"/sys/fs/cgroup/memory{V1_PATH}/memory.limit_in_bytes", "9223372036854771712\n"
    )
    facts = read_cgroup(host, dirs_from_proc(host, 4242, 1)).facts
    assert facts["memory"]["limit_bytes"] is None


def test_v1_old_kernel_without_oom_kill(tmp_path: Path) -> None:
    host = v1_tree(tmp_path)
    write(
        tmp_path,
        f"/sys/fs/cgroup/memory{V1_PATH}/memory.oom_control",
        "oom_kill_disable 0\nunder_oom 1\n",
    )
    facts = read_cgroup(host, dirs_from_proc(host, 4242, 1)).facts
    assert facts["memory"]["oom_kill_events"] is None
    assert facts["memory"]["under_oom"] is True


def test_v2_read(tmp_path: Path) -> None:
    host = v2_tree(tmp_path)
    dirs = dirs_from_proc(host, 4242, 2)
    assert dirs.path == V2_PATH
    read = read_cgroup(host, dirs)
    assert read.errors == []
    facts = read.facts
    sample = facts["cpu"]["samples"][0]
    assert sample["throttled_time_ns"] == 4_500_000_000  # throttled_usec * 1000
    assert facts["memory"].pop("read_at").endswith("Z")
    assert facts["memory"] == {
        "usage_bytes": 132120576,
        "limit_bytes": 134217728,
        "max_usage_bytes": 134213632,
        "oom_events": 3,
        "oom_kill_events": 2,
        "limit_hits": 41,
    }
    assert facts["pids"] == {"current": 7, "max": 100, "max_events": 5}
    validate(facts)


def test_v2_max_means_unlimited_and_peak_is_optional(tmp_path: Path) -> None:
    host = v2_tree(tmp_path)
    directory = f"/sys/fs/cgroup{V2_PATH}"
    write(tmp_path, f"{directory}/memory.max", "max\n")
    write(tmp_path, f"{directory}/pids.max", "max\n")
    (tmp_path / directory.lstrip("/") / "memory.peak").unlink()  # kernels before 5.19
    read = read_cgroup(host, dirs_from_proc(host, 4242, 2))
    assert read.errors == []
    assert read.facts["memory"]["limit_bytes"] is None
    assert read.facts["memory"]["max_usage_bytes"] is None
    assert read.facts["pids"]["max"] is None


def test_v2_without_cpu_controller_has_no_samples(tmp_path: Path) -> None:
    host = v2_tree(tmp_path)
    write(
        tmp_path,
        f"/sys/fs/cgroup{V2_PATH}/cpu.stat",
        "usage_usec 2137158\nuser_usec 1392434\nsystem_usec 744724\n",
    )
    facts = read_cgroup(host, dirs_from_proc(host, 4242, 2)).facts
    assert facts["cpu"] is None
    validate(facts)


def test_missing_files_are_errors(tmp_path: Path) -> None:
    host = v2_tree(tmp_path)
    (tmp_path / f"sys/fs/cgroup{V2_PATH}/memory.current").unlink()
    read = read_cgroup(host, dirs_from_proc(host, 4242, 2))
    assert [path for path, _ in read.errors] == [f"/sys/fs/cgroup{V2_PATH}/memory.current"]
    assert read.facts["memory"]["usage_bytes"] is None


def test_second_sample_shows_the_rise(tmp_path: Path) -> None:
    host = v2_tree(tmp_path)
    dirs = dirs_from_proc(host, 4242, 2)
    read = read_cgroup(host, dirs)
    write(
        tmp_path,
        f"/sys/fs/cgroup{V2_PATH}/cpu.stat",
        V2_FILES["{p}/cpu.stat"].replace("nr_throttled 30", "nr_throttled 38"),
    )
    add_cpu_sample(host, dirs, read)
    first, second = read.facts["cpu"]["samples"]
    assert second["nr_throttled"] - first["nr_throttled"] == 8
    assert second["at"] >= first["at"]
    validate(read.facts)


def test_the_oom_kill_counter_is_read_again_with_the_second_sample(tmp_path: Path) -> None:
    host = v2_tree(tmp_path)
    dirs = dirs_from_proc(host, 4242, 2)
    read = read_cgroup(host, dirs)
    assert read.facts["memory"]["read_at"].endswith("Z")
    write(
        tmp_path,
        f"/sys/fs/cgroup{V2_PATH}/memory.events",
        V2_FILES["{p}/memory.events"].replace("oom_kill 2", "oom_kill 3"),
    )
    add_cpu_sample(host, dirs, read)
    first, second = read.facts["memory"]["oom_kill_samples"]
    assert (first["oom_kill_events"], second["oom_kill_events"]) == (2, 3)
    assert second["at"] >= first["at"]
    assert read.facts["memory"]["oom_kill_events"] == 2  # the first read's, as rules know it
    validate(read.facts)


@pytest.mark.parametrize(
    ("cgroups_path", "expected"),
    [
        (
            f"kubepods-burstable-pod{POD_UID.replace('-', '_')}.slice:cri-containerd:{CID}",
            V2_PATH,
        ),
        ("kubepods.slice:cri-containerd:abc", "/kubepods.slice/cri-containerd-abc.scope"),
        ("system.slice:docker:abc", "/system.slice/docker-abc.scope"),
    ],
)
def test_systemd_cgroups_path(cgroups_path: str, expected: str) -> None:
    assert systemd_cgroup_path(cgroups_path) == expected


def test_spec_cgroups_path_forms() -> None:
    systemd = dirs_from_cgroups_path("kubepods.slice:cri-containerd:abc", 2)
    assert systemd.dirs == {"": "/sys/fs/cgroup/kubepods.slice/cri-containerd-abc.scope"}
    cgroupfs = dirs_from_cgroups_path(V1_PATH, 1)
    assert cgroupfs.dir("memory") == f"/sys/fs/cgroup/memory{V1_PATH}"
    assert cgroupfs.path == V1_PATH


def test_runc_cgroup_paths(tmp_path: Path) -> None:
    v1 = dirs_from_runc(
        {
            "cpu": f"/sys/fs/cgroup/cpu,cpuacct{V1_PATH}",
            "memory": f"/sys/fs/cgroup/memory{V1_PATH}",
            "freezer": f"/sys/fs/cgroup/freezer{V1_PATH}",
            "name=systemd": f"/sys/fs/cgroup/systemd{V1_PATH}",
        },
        1,
    )
    assert v1 is not None and v1.path == V1_PATH
    assert v1.dir("cpu") == f"/sys/fs/cgroup/cpu,cpuacct{V1_PATH}"
    v2 = dirs_from_runc({"": f"/sys/fs/cgroup{V2_PATH}"}, 2)
    assert v2 == CgroupDirs(2, V2_PATH, {"": f"/sys/fs/cgroup{V2_PATH}"})
    assert dirs_from_runc({}, 2) is None


def test_frozen(tmp_path: Path) -> None:
    host = v1_tree(tmp_path / "v1")
    dirs = dirs_from_proc(host, 4242, 1)
    assert frozen(host, dirs) is False
    write(tmp_path / "v1", f"/sys/fs/cgroup/freezer{V1_PATH}/freezer.state", "FROZEN\n")
    assert frozen(host, dirs) is True
    host2 = v2_tree(tmp_path / "v2")
    dirs2 = dirs_from_proc(host2, 4242, 2)
    assert frozen(host2, dirs2) is False
    write(tmp_path / "v2", f"/sys/fs/cgroup{V2_PATH}/cgroup.freeze", "1\n")
    assert frozen(host2, dirs2) is True


@pytest.mark.skipif(not Path("/sys/fs/cgroup/memory").is_dir(), reason="needs cgroup v1 here")
def test_this_machine_v1_root_cgroup_reads() -> None:
    """The real kernel files parse: this process's own memory cgroup."""
    host = Host()
    dirs = dirs_from_proc(host, os.getpid(), 1)
    read = read_cgroup(host, dirs)
    assert read.facts["memory"]["usage_bytes"] is not None
    validate(read.facts)
