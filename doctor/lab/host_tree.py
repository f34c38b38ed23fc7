"""The lab's host tree, what `diagnose --host-root` reads: links to this machine's /proc, /sys,
/dev/kmsg and CNI plugins, the lab at its own absolute path, and the directories a node has.
The real kubelet writes its own files into it (its root dir, /var/log/pods, its log)."""

from __future__ import annotations

from pathlib import Path

from doctor.lab.config import Layout


def build_host_tree(layout: Layout) -> None:
    host = layout.host
    for directory in ("dev", "var/lib/kubelet", "var/log/pods", "etc"):
        (host / directory).mkdir(parents=True, exist_ok=True)
    links = {
        host / "proc": Path("/proc"),
        host / "sys": Path("/sys"),
        host / "dev" / "kmsg": Path("/dev/kmsg"),
        # the CNI plugins containerd's config names (bin_dir)
        host / "usr" / "lib" / "cni": Path("/usr/lib/cni"),
        # the lab at its own absolute path, so paths containerd reports resolve in the tree
        layout.host_path(str(layout.root)): layout.root,
    }
    if Path("/etc/localtime").exists():
        # the lab's kubelet and containerd write their logs in this machine's zone: the node's
        links[host / "etc" / "localtime"] = Path("/etc/localtime")
    for link, target in links.items():
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink():
            link.symlink_to(target)
    (host / "etc" / "hostname").write_text("stackdoctor-lab\n")
    layout.kubelet_log.touch()
