"""`cat /proc/PID/cgroup` pasted: the process's cgroup path into its container's cgroup.path (the
fact the process gatherer fills from the live file), its pod and container told by the path.

The paths are real: containerd/containerd#7276's (a systemd-form cgroupsPath runc created as a
cgroupfs directory), and the systemd and cgroupfs layouts of the rules' examples (a kernel
task_memcg, a runc error's cgroupsPath).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from doctor.paste import proc_cgroup
from tests.paste.test_analyze_text import analyze, paste, report_of, root

UID = "c040b3d9-9581-4fef-bd9b-70ab50617bf9"
ID = "2bf329138aa583f68dbe9510989ffff0118c729b5a6a19e76f5e028b0d07ec82"
# containerd/containerd#7276: kubelet cgroupDriver systemd, runc without SystemdCgroup
LITERAL = f"/kubepods-burstable-pod{UID.replace('-', '_')}.slice:cri-containerd:{ID}"
SYSTEMD = (
    "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podeded8c65_6e8e_4c6e_a889_"
    "3e427565c740.slice/cri-containerd-ec9ee26695deb4cc72bc665efff1cf3a03fdfb12f1303e02fe9252985e"
    "084a95.scope"
)
CGROUPFS = (
    "/kubepods/burstable/poda668c4166c6878f474f019afbf7729d6/64727a3e9a194101ac2491a955f0bba330e4"
    "66ddd7df5bbcd3b2bb67226c3770"
)


@pytest.mark.parametrize(
    ("lines", "path", "uid", "container_id"),
    [
        ([f"12:perf_event:{LITERAL}"], LITERAL, UID, ID),  # one line pasted, as in #7276
        (
            [f"12:perf_event:{CGROUPFS}", f"4:memory:{CGROUPFS}", "1:name=systemd:/"],
            CGROUPFS,
            "a668c4166c6878f474f019afbf7729d6",  # a static pod's: its manifest's hash
            CGROUPFS.rsplit("/", 1)[1],
        ),
        (
            [f"0::{SYSTEMD}"],  # cgroup v2's one line
            SYSTEMD,
            "eded8c65-6e8e-4c6e-a889-3e427565c740",
            "ec9ee26695deb4cc72bc665efff1cf3a03fdfb12f1303e02fe9252985e084a95",
        ),
        (["0::/system.slice/containerd.service"], "/system.slice/containerd.service", None, None),
    ],
    ids=["systemd-form-as-cgroupfs", "v1-cgroupfs", "v2-systemd", "host-process"],
)
def test_the_path_and_whose_it_is(
    lines: list[str], path: str, uid: str | None, container_id: str | None
) -> None:
    assert proc_cgroup.is_output(lines, "cat /proc/80595/cgroup")
    assert proc_cgroup.read(lines) == proc_cgroup.ProcessCgroup(path, uid, container_id)


@pytest.mark.parametrize(
    ("lines", "command", "expected"),
    [
        ([f"0::{SYSTEMD}"], None, True),  # pasted without its prompt
        ([f"0::{SYSTEMD}"], "sudo cat /proc/self/cgroup", True),
        ([f"0::{SYSTEMD}"], "cat /etc/hosts", False),  # another file's lines
        ([f"0::{SYSTEMD}", "Killed"], None, False),
    ],
)
def test_only_that_files_output(lines: list[str], command: str | None, expected: bool) -> None:
    assert proc_cgroup.is_output(lines, command) is expected


def test_a_pasted_cgroup_is_its_containers(tmp_path: Path) -> None:
    loaded = analyze(paste(tmp_path, f"$ cat /proc/80595/cgroup \n12:perf_event:{LITERAL}\n"))
    (pod,) = loaded.document.pods()
    assert pod["uid"] == UID
    (container,) = pod["containers"]
    assert (container["id"], container["cgroup"]["path"]) == (ID, LITERAL)
    assert root(report_of(loaded)) == "kubelet.cgroup-driver-mismatch"


@pytest.mark.parametrize("path", [SYSTEMD, CGROUPFS], ids=["systemd", "cgroupfs"])
def test_a_drivers_own_layout_is_no_mismatch(tmp_path: Path, path: str) -> None:
    loaded = analyze(paste(tmp_path, f"$ cat /proc/4242/cgroup\n0::{path}\n"))
    assert loaded.document.pods()[0]["containers"][0]["cgroup"]["path"] == path
    assert "kubelet.cgroup-driver-mismatch" not in {f.rule_id for f in report_of(loaded).findings}


def test_a_host_processs_cgroup_is_no_containers(tmp_path: Path) -> None:
    loaded = analyze(
        paste(tmp_path, "$ cat /proc/812/cgroup\n0::/system.slice/containerd.service\n")
    )
    assert loaded.document.pods() == []
    assert any("a host process's cgroup" in note for note in loaded.unplaced)
    assert report_of(loaded).root_cause is None
