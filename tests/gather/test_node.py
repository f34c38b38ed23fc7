"""The node gatherer: disks, memory, the kernel log from /dev/kmsg, and the shared limits."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from doctor.engine.examples import base_document
from doctor.facts.document import parse_facts
from doctor.gather import node
from doctor.gather.context import GatherContext, GatherOptions, LayerRecorder
from doctor.gather.host import Host
from doctor.layers import Layer
from tests.gather.hosttree import write

BTIME = 1714550000  # /proc/stat btime: 2024-05-01T07:53:20Z
# /dev/kmsg records (`prio,seq,usec,flags;message`, dictionary lines start with a space). The
# messages are kernel lines quoted in public reports (see /tmp/research/strings.md, part F).
KMSG = [
    "6,1,0,-;Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)",
    "6,2,5000000,-;eth0: renamed from veth3c1a2b4",
    "4,3,7063200000,-;uwsgi invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, "
    "oom_score_adj=986",
    "6,4,7063230000,-;memory: usage 1048576kB, limit 1048576kB, failcnt 189",
    "6,5,7063240000,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),"
    "cpuset=cri-containerd-ec9ee266.scope,mems_allowed=0-1,oom_memcg=/kubepods.slice/"
    "kubepods-burstable.slice/kubepods-burstable-podeded8c65_6e8e.slice,task_memcg=/kubepods.slice/"
    "kubepods-burstable.slice/kubepods-burstable-podeded8c65_6e8e.slice/cri-containerd-ec9ee266.scope,"
    "task=pt_main_thread,pid=461754,uid=0",
    "3,6,7063247407,-;Memory cgroup out of memory: Killed process 63214 (uwsgi) "
    "total-vm:3149468kB, anon-rss:164992kB, file-rss:52176kB, shmem-rss:92kB, UID:0 "
    "pgtables:1372kB oom_score_adj:986",
    "6,7,7063263325,-;oom_reaper: reaped process 63214 (uwsgi), now anon-rss:0kB, "
    "file-rss:0kB, shmem-rss:92kB",
    "6,8,7100000000,-;cgroup: fork rejected by pids controller in /kubepods.slice/"
    "kubepods-pode8d39171.slice/cri-containerd-27f1.scope",
    "3,9,7200000000,-;INFO: task jbd2/sda1-8:312 blocked for more than 120 seconds.",
    "6,10,7300000000,-;a.out[40342]: segfault at 0 ip 00000000004005b1 sp 00007ffc5b1be400 "
    "error 4 in a.out[400000+1000]",
    "3,11,7400000000,-;I/O error, dev sda, sector 2048 op 0x1:(WRITE) flags 0x800 phys_seg 1 "
    "prio class 0",
    " SUBSYSTEM=block",
    " DEVICE=b8:0",
    "6,12,7500000000,-;IPv6: ADDRCONF(NETDEV_CHANGE): cali1234: link becomes ready",
]
MEMINFO = """MemTotal:       16318076 kB
MemFree:          503216 kB
MemAvailable:    1631808 kB
Buffers:          201340 kB
Cached:          2740092 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
"""
PSI = """some avg10=12.50 avg60=4.01 avg300=1.20 total=123456789
full avg10=3.10 avg60=1.00 avg300=0.30 total=23456789
"""
MOUNTINFO = """22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
30 22 0:25 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
45 22 252:17 / /var/lib/containerd rw,relatime shared:30 - xfs /dev/vdb1 rw
46 22 252:33 / /var/log\\040old rw,relatime shared:31 - ext4 /dev/vdc1 rw
"""


@pytest.fixture
def host_tree(tmp_path: Path) -> Path:
    write(tmp_path, "/dev/kmsg", "".join(line + "\n" for line in KMSG))
    write(tmp_path, "/proc/stat", f"cpu  1 2 3 4\nintr 0\nctxt 1\nbtime {BTIME}\nprocesses 9\n")
    write(tmp_path, "/proc/meminfo", MEMINFO)
    write(tmp_path, "/proc/pressure/memory", PSI)
    write(tmp_path, "/proc/1/mountinfo", MOUNTINFO)
    write(tmp_path, "/proc/sys/fs/file-nr", "412\t0\t2466183\n")
    write(tmp_path, "/proc/sys/fs/file-max", "2466183\n")
    write(tmp_path, "/proc/sys/fs/inotify/max_user_watches", "8192\n")
    write(tmp_path, "/proc/sys/fs/inotify/max_user_instances", "128\n")
    write(tmp_path, "/proc/sys/net/ipv4/ip_forward", "1\n")
    write(tmp_path, "/proc/sys/net/bridge/bridge-nf-call-iptables", "1\n")
    host_netns(tmp_path, os.readlink("/proc/self/ns/net"))  # the reader is in the host's
    (tmp_path / "var/lib/containerd").mkdir(parents=True)
    (tmp_path / "var/log").mkdir(parents=True)
    return tmp_path


def host_netns(root: Path, link: str) -> None:
    """The tree's /proc/1/ns/net: the host init's network namespace, as readlink shows it."""
    (root / "proc/1/ns").mkdir(parents=True, exist_ok=True)
    (root / "proc/1/ns/net").unlink(missing_ok=True)
    (root / "proc/1/ns/net").symlink_to(link)


def run(root: Path, sections: dict[Layer, dict[str, Any]] | None = None) -> dict[str, Any]:
    ctx = GatherContext(GatherOptions(host_root=root), Host(root))
    ctx.sections.update(sections or {})
    section = node.gather(ctx)
    document = base_document()
    document["layers"]["node"] = section
    parse_facts(document, "test")
    return section


def test_section(host_tree: Path) -> None:
    before = os.statvfs(host_tree)
    section = run(host_tree)
    after = os.statvfs(host_tree)
    disks = {disk["path"]: disk for disk in section["disks"]}
    assert list(disks) == ["/var/lib/containerd", "/var/lib/kubelet", "/var/log"]
    assert disks["/var/lib/containerd"]["mount"] == "/var/lib/containerd"
    assert disks["/var/lib/kubelet"]["mount"] == "/"  # absent: its parent /var/lib was measured
    assert section["status"] == "ok", section["errors"]
    # The disk is shared with other writers: its free space is measured between two reads.
    free = sorted(stat.f_bavail * stat.f_frsize for stat in (before, after))
    assert free[0] - (64 << 20) <= disks["/var/log"]["available_bytes"] <= free[1] + (64 << 20)
    assert 0 <= disks["/var/log"]["used_ratio"] <= 1
    assert section["memory"] == {
        "total_bytes": 16318076 * 1024,
        "available_bytes": 1631808 * 1024,
        "available_ratio": 0.1,
        "psi_some_avg10": 12.5,
    }
    assert section["limits"] == {
        "file_handles_used": 412,
        "file_handles_max": 2466183,
        "file_handles_used_ratio": 0.0002,
        "inotify_max_user_watches": 8192,
        "inotify_max_user_instances": 128,
    }


def test_forwarding(host_tree: Path) -> None:
    assert run(host_tree)["forwarding"] == {
        "ip_forward": 1,
        "bridge_netfilter": True,
        "bridge_nf_call_iptables": 1,
    }


def test_forwarding_without_br_netfilter(host_tree: Path) -> None:
    # kubernetes/kubernetes#67431: a CRI-O node where nothing loaded br_netfilter or set
    # ip_forward (dockerd used to do both as a side effect)
    (host_tree / "proc/sys/net/bridge/bridge-nf-call-iptables").unlink()
    write(host_tree, "/proc/sys/net/ipv4/ip_forward", "0\n")
    section = run(host_tree)
    assert section["forwarding"] == {
        "ip_forward": 0,
        "bridge_netfilter": False,
        "bridge_nf_call_iptables": None,
    }
    assert section["errors"] == []  # a missing bridge directory is an answer, not a failure


def test_forwarding_not_read_from_another_netns(host_tree: Path) -> None:
    # a DaemonSet pod without hostNetwork: /proc/sys/net would show the pod's own settings
    host_netns(host_tree, "net:[1]")
    section = run(host_tree)
    assert section["forwarding"] is None
    assert [e["source"] for e in section["errors"]] == ["/proc/sys/net"]


def test_kernel_log_keeps_the_trouble(host_tree: Path) -> None:
    lines = run(host_tree)["kernel_log"]
    messages = [line["message"] for line in lines]
    assert len(messages) == 9
    assert messages[0].startswith("uwsgi invoked oom-killer")
    assert not any("renamed from" in m or "ADDRCONF" in m or "Linux version" in m for m in messages)
    kill = lines[3]
    assert kill["message"].startswith("Memory cgroup out of memory: Killed process 63214")
    assert kill["severity"] == "err"
    assert kill["time"] == "2024-05-01T09:51:03.247407Z"  # btime + 7063.247407 s
    assert kill["raw"].startswith("3,6,7063247407,-;")
    assert lines[-1]["message"].startswith("I/O error, dev sda")


def test_kernel_log_newest_200(host_tree: Path) -> None:
    records = [
        f"3,{i},{i * 1000},-;Memory cgroup out of memory: Killed process {i} (stress) "
        "total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB"
        for i in range(250)
    ]
    write(host_tree, "/dev/kmsg", "".join(r + "\n" for r in records))
    lines = run(host_tree)["kernel_log"]
    assert len(lines) == 200
    assert "Killed process 50 " in lines[0]["message"]
    assert "Killed process 249 " in lines[-1]["message"]


def test_kernel_log_read_is_bounded(host_tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(node, "KMSG_READ_SIZE", 64)
    monkeypatch.setattr(node, "KMSG_MAX_RECORDS", 3)
    section = run(host_tree)
    assert section["errors"] == [
        {"source": "/dev/kmsg", "message": "stopped after 3 reads (192 bytes)"}
    ]


def test_unreadable_kmsg_is_not_known(host_tree: Path) -> None:
    (host_tree / "dev/kmsg").unlink()
    section = run(host_tree)
    assert "kernel_log" not in section  # could not look: not "no lines"
    assert section["errors"][0]["source"] == "/dev/kmsg"
    assert section["status"] == "ok"


def test_containerd_root_from_its_config(host_tree: Path) -> None:
    (host_tree / "data/containerd").mkdir(parents=True)
    containerd = {"status": "ok", "config": {"root": "/data/containerd"}}
    section = run(host_tree, {Layer.CONTAINERD: containerd})
    assert section["disks"][0]["path"] == "/data/containerd"


def test_no_psi_and_no_proc(tmp_path: Path) -> None:
    (tmp_path / "var/log").mkdir(parents=True)
    section = run(tmp_path)
    assert section["memory"] is None
    assert section["disks"][2]["mount"] is None
    sources = [error["source"] for error in section["errors"]]
    assert "/proc/meminfo" in sources and "/dev/kmsg" in sources


def test_parse_kmsg_line() -> None:
    record = node.parse_kmsg("30,812,9876543,-;systemd[1]: Started kubelet.service.", None)
    assert record == {
        "time": None,
        "severity": "info",  # facility 3 (daemon), level 6
        "source": None,
        "message": "systemd[1]: Started kubelet.service.",
        "raw": "30,812,9876543,-;systemd[1]: Started kubelet.service.",
    }
    assert node.parse_kmsg(" SUBSYSTEM=block", None) is None


def test_mount_unescapes(host_tree: Path) -> None:
    assert node.mount_point(Host(host_tree), "/var/log old/pods") == "/var/log old"


@pytest.mark.skipif(not os.access("/dev/kmsg", os.R_OK), reason="needs a readable /dev/kmsg")
def test_real_kmsg_does_not_block() -> None:
    recorder = LayerRecorder(Layer.NODE)
    lines = node.read_kernel_log(Host(), recorder)
    assert lines is not None and recorder.errors == []
    document = base_document()
    document["layers"]["node"] = {"status": "ok", "kernel_log": lines}
    parse_facts(document, "test")


def test_real_node() -> None:
    section = run(Path("/"))
    assert section["memory"]["total_bytes"] > 0


@pytest.mark.parametrize(
    ("message", "kept"),
    [
        # a container process denied (coreos/bugs#1757: svirt_lxc_net_t, container_t's old name)
        (
            'avc:  denied  { read } for  pid=20404 comm="nslookup" name="etc-hosts"'
            " scontext=system_u:system_r:svirt_lxc_net_t:s0:c15,c665"
            " tcontext=system_u:object_r:svirt_lxc_file_t:s0:c354,c771 tclass=file",
            True,
        ),
        # the runtime denied (moby/moby#42677: runc's bpf prog_run under container_runtime_t)
        (
            "audit: type=1400 audit(1626443051.128:412): avc:  denied  { prog_run } for  pid=2345"
            ' comm="runc" scontext=system_u:system_r:container_runtime_t:s0'
            " tcontext=system_u:system_r:init_t:s0 tclass=bpf permissive=0",
            True,
        ),
        # a host daemon's denial is not the container stack's
        (
            'avc:  denied  { write } for  pid=812 comm="sshd" name="log"'
            " scontext=system_u:system_r:sshd_t:s0-s0:c0.c1023"
            " tcontext=system_u:object_r:var_log_t:s0 tclass=dir permissive=0",
            False,
        ),
    ],
    ids=["container-process", "runtime", "host-daemon"],
)
def test_kernel_log_keeps_selinux_denials_of_the_container_stack(message: str, kept: bool) -> None:
    assert (node.KERNEL_TROUBLE.search(message) is not None) is kept


def test_the_node_agents_log_keeps_their_node_level_lines(host_tree: Path) -> None:
    """kube-proxy as GCE's static pod writes /var/log/kube-proxy.log on the host
    (cluster/gce/manifests/kube-proxy.manifest); its info lines are not kept."""
    accept = (
        "E0313 20:57:58.484688     769 proxier.go:102] Accept failed: accept tcp [::]:59559:"
        " too many open files"
    )
    info = "I0313 20:57:50.000000     769 proxier.go:301] Setting endpoints for default/web"
    write(host_tree, "/var/log/kube-proxy.log", f"{info}\n{accept}\n")
    section = run(host_tree)
    assert [line["message"] for line in section["agent_log"]] == [
        "Accept failed: accept tcp [::]:59559: too many open files"
    ]


def test_no_node_agent_as_a_host_service_leaves_its_log_unknown(host_tree: Path) -> None:
    section = run(host_tree)
    assert "agent_log" not in section
    assert not any("kube-proxy" in error["source"] for error in section["errors"])
