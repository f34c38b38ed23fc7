"""Which daemon wrote a journal or syslog line: its syslog identifier (or systemd unit) -> the
log that line belongs in.

Where to look, kept apart from what to check (kube-bench's cfg/config.yaml lists each
distribution's paths the same way): a distribution that renames or bundles the daemons is a row
here, not a code branch. Read by the live gatherers (`sources`: which journal units and syslog
identifiers to read) and by `analyze --text` (which log a pasted line lands in).

Where one process is several components (k3s runs the kubelet in-process; microk8s's kubelite
is the kubelet, apiserver, scheduler... in one), the line's own format tells them apart: the
Kubernetes components log klog (`I0102 15:04:05.000000 ...`), while the k3s/rke2 supervisor,
containerd, CRI-O and dockerd log logrus (`time="..." level=info msg="..."`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType


class Writer(Enum):
    """The log a line belongs in (the facts layer holding it)."""

    KUBELET = "kubelet"  # $.layers.kubelet.log
    RUNTIME = "containerd"  # $.layers.containerd.log: the container runtime daemon's log
    KERNEL = "kernel"  # $.layers.node.kernel_log
    # the node's other agents (kube-proxy, flanneld): neither the kubelet nor the runtime, but
    # their failures to get a node resource (file descriptors) are the node's
    AGENTS = "agents"  # $.layers.node.agent_log


class LineFormat(Enum):
    KLOG = "klog"
    LOGRUS = "logrus"
    OTHER = "other"


# What a bundling daemon's lines are, by their format; OTHER for a line of neither.
Split = Mapping[LineFormat, Writer | None]
_KLOG_IS_KUBELET: Split = MappingProxyType(
    # The k3s/rke2 supervisor's own lines (logrus) are about the node agent that runs the
    # kubelet ("Waiting for containerd startup", "Failed to retrieve agent config"): kept with
    # the kubelet's, where a rule about the agent reads.
    {LineFormat.KLOG: Writer.KUBELET, LineFormat.LOGRUS: Writer.KUBELET, LineFormat.OTHER: None}
)

# syslog identifier (journald's SYSLOG_IDENTIFIER, the `ident[pid]:` of a syslog line) -> the
# log its lines belong in, or how to split a bundling daemon's lines by format.
IDENTIFIERS: Mapping[str, Writer | Split] = MappingProxyType(
    {
        # kubeadm and distribution packages: kubelet.service runs /usr/bin/kubelet
        "kubelet": Writer.KUBELET,
        # containerd's own containerd.service (ExecStart=/usr/local/bin/containerd)
        "containerd": Writer.RUNTIME,
        # the kernel's ring buffer, as journald and rsyslog (kern.log) tag it
        "kernel": Writer.KERNEL,
        # the kernel's audit records (SELinux AVC denials) as journald's audit transport tags
        # them (`audit[20404]: AVC avc:  denied { read } for ...`, systemd >= 219)
        "audit": Writer.KERNEL,
        # CRI-O: contrib/systemd/crio.service runs /usr/local/bin/crio (identifier `crio`)
        "crio": Writer.RUNTIME,
        # dockershim-era nodes: moby's contrib/init/systemd/docker.service runs /usr/bin/dockerd
        "dockerd": Writer.RUNTIME,
        # k3s: install.sh writes k3s.service (server) or k3s-agent.service, both
        # ExecStart=${BIN_DIR}/k3s: the identifier is `k3s`; the kubelet runs in-process, its
        # embedded containerd logs to /var/lib/rancher/k3s/agent/containerd/containerd.log.
        "k3s": _KLOG_IS_KUBELET,
        # rke2: rke2-server.service / rke2-agent.service run /usr/local/bin/rke2; the kubelet and
        # containerd are child processes logging to files under /var/lib/rancher/rke2/agent/
        "rke2": _KLOG_IS_KUBELET,
        # microk8s (snap/snapcraft.yaml apps daemon-kubelite, daemon-containerd): snapd names
        # the units snap.microk8s.daemon-*.service and tags their lines microk8s.daemon-*
        "microk8s.daemon-kubelite": _KLOG_IS_KUBELET,
        "microk8s.daemon-kubelet": Writer.KUBELET,  # before kubelite (microk8s <= 1.20)
        "microk8s.daemon-containerd": Writer.RUNTIME,
        # Container Linux (CoreOS): kubelet.service runs /usr/lib/coreos/kubelet-wrapper, which
        # runs the kubelet in rkt; the journal tags its lines kubelet-wrapper
        "kubelet-wrapper": Writer.KUBELET,
        # OpenShift 3.x: the node service runs the kubelet in-process (klog lines)
        "atomic-openshift-node": _KLOG_IS_KUBELET,
        "origin-node": _KLOG_IS_KUBELET,
        # the node's other agents, where they run as host services rather than pods: kube-proxy
        # as kube-proxy.service (Container Linux and from-scratch installs: kubernetes#5461's
        # `kube-proxy[769]: E0313 ... proxier.go:102] Accept failed: ...`), flannel's flanneld,
        # and microk8s's before kubelite bundled the proxy (microk8s <= 1.20)
        "kube-proxy": Writer.AGENTS,
        "flanneld": Writer.AGENTS,
        "microk8s.daemon-proxy": Writer.AGENTS,
        "microk8s.daemon-flanneld": Writer.AGENTS,
        # minikube's localkube (<= v0.25): every component in one process; its lines that are
        # not klog are the kubelet's start-up errors ("kubelet: Exit with error: ...")
        "localkube": MappingProxyType(
            {
                LineFormat.KLOG: Writer.KUBELET,
                LineFormat.LOGRUS: None,
                LineFormat.OTHER: Writer.KUBELET,
            }
        ),
    }
)

# systemd unit -> the identifier of the program it runs (for `journalctl -u` and for systemd's
# own lines about a unit: `systemd[1]: kubelet.service: Main process exited, ...`).
UNITS: Mapping[str, str] = MappingProxyType(
    {
        "kubelet.service": "kubelet",
        "containerd.service": "containerd",
        "crio.service": "crio",
        "docker.service": "dockerd",
        "k3s.service": "k3s",
        "k3s-agent.service": "k3s",
        "rke2-server.service": "rke2",
        "rke2-agent.service": "rke2",
        "snap.microk8s.daemon-kubelite.service": "microk8s.daemon-kubelite",
        "snap.microk8s.daemon-kubelet.service": "microk8s.daemon-kubelet",
        "snap.microk8s.daemon-containerd.service": "microk8s.daemon-containerd",
        "atomic-openshift-node.service": "atomic-openshift-node",
        "origin-node.service": "origin-node",
        "kube-proxy.service": "kube-proxy",
        "flanneld.service": "flanneld",
        "snap.microk8s.daemon-proxy.service": "microk8s.daemon-proxy",
        "snap.microk8s.daemon-flanneld.service": "microk8s.daemon-flanneld",
    }
)

# Dedicated log files of daemons that do not log to the journal (rke2's kubelet and
# containerd, k3s's embedded containerd), besides the kubeadm-era /var/log/<name>.log.
FILES: Mapping[Writer, tuple[str, ...]] = MappingProxyType(
    {
        Writer.KUBELET: ("/var/log/kubelet.log", "/var/lib/rancher/rke2/agent/logs/kubelet.log"),
        Writer.RUNTIME: (
            "/var/log/containerd.log",
            "/var/lib/rancher/k3s/agent/containerd/containerd.log",
            "/var/lib/rancher/rke2/agent/containerd/containerd.log",
        ),
        # kube-proxy as GCE's static pod (and GKE's, old EKS's) runs it: cluster/gce/manifests/
        # kube-proxy.manifest's `kube-proxy ... 1>>/var/log/kube-proxy.log 2>&1`, on the host
        Writer.AGENTS: ("/var/log/kube-proxy.log",),
    }
)

# klog header, and logrus text (`time="..." level=...` or `level=... msg=...`) or JSON.
_KLOG = re.compile(r"[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6}\s+\d+ \S+:\d+\]")
_LOGRUS = re.compile(r'time="[^"]*" level=\w+|level=\w+ msg=|\{"level":"\w+","msg":')
# systemd's own lines name the unit first: "kubelet.service: Main process exited, ..." (before
# systemd 236: "Unit kubelet.service entered failed state.")
_UNIT_LINE = re.compile(r"(?:Unit )?(?P<unit>[\w@.:-]+\.service)[: ]")


def line_format(body: str) -> LineFormat:
    """The format of a line's text after any syslog prefix."""
    if _KLOG.match(body):
        return LineFormat.KLOG
    if _LOGRUS.match(body):
        return LineFormat.LOGRUS
    return LineFormat.OTHER


def writer(ident: str, body: str) -> Writer | None:
    """The log a line of program `ident` with text `body` belongs in; None when it belongs to
    none stackdoctor reads (another program, or a bundling daemon's line of another part)."""
    known = IDENTIFIERS.get(ident)
    if known is None and ident in ("systemd", "init"):
        unit = _UNIT_LINE.match(body)
        program = UNITS.get(unit.group("unit")) if unit else None
        # systemd's line about a unit tells whether the daemon runs: it goes with the daemon's
        known = IDENTIFIERS.get(program) if program else None
        if isinstance(known, Mapping):
            return Writer.KUBELET if known[LineFormat.KLOG] is Writer.KUBELET else None
        return known
    if isinstance(known, Mapping):
        return known[line_format(body)]
    return known


def identifiers_of(wanted: Writer) -> tuple[str, ...]:
    """The syslog identifiers whose lines may belong in `wanted`'s log."""
    return tuple(
        ident
        for ident, known in IDENTIFIERS.items()
        if known is wanted or (isinstance(known, Mapping) and wanted in known.values())
    )


def units_of(wanted: Writer) -> tuple[str, ...]:
    """The systemd units (without `.service`) whose journal may hold `wanted`'s lines."""
    idents = set(identifiers_of(wanted))
    return tuple(unit.removesuffix(".service") for unit, i in UNITS.items() if i in idents)
