"""kubeadm's output (init, join, reset, preflight) -> the facts its checks tell.

`[ERROR CRI]: container runtime is not running: output: ...` (kubeadm ran crictl, whose output
follows up to `, error: exit status 1`) and the newer `[ERROR CRI]: could not connect to the
container runtime: ...` are the CRI client's view: the cri layer's errors and status
(cri_client.py). `[kubelet-check] The HTTP call equal to 'curl -sSL http://localhost:10248/healthz'
failed with error: ...` is the kubelet's healthz; the ImagePull check's `docker pull` answered by
dockerd is the runtime's error, as its log says it. A FileContent check on IP forwarding or the
bridge's netfilter hooks tells the node's forwarding facts; the Swap check is the kubelet's own
start check, run ahead of it. The other checks have no fact to hold them: each is reported as not
placed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from doctor.paste.cri_client import CriFailure, crictl_failure, failure, klog_failure

# a line of kubeadm's own: a phase's `[tag] `, a check's `[ERROR Name]: `, its error trailer
# (its phases' tags, from cmd/kubeadm over the versions: app/cmd/phases and the older
# app/master, app/phases)
_TAGS = (
    "preflight|init|join|reset|upgrade|certs|certificates|kubeconfig|kubelet-start|kubelet-check"
    "|kubelet-finalize|kubelet|control-plane|controlplane|etcd|wait-control-plane|apiclient"
    "|api-check|upload-config|upload-certs|uploadconfig|mark-control-plane|markmaster"
    "|bootstrap-token|bootstraptoken|addons|kubeadm|discovery|patches|dryrun|cleanup-node"
    "|tlsbootstrap|token|config|self-hosted|endpoint|check-etcd|download-certs"
)
LINE = re.compile(
    r"\s*(?:\[(?:ERROR|WARNING) [^\]]+\]:? |\[(?:" + _TAGS + r")\] |error execution phase \S"
    r"|To see the stack trace of this error execute with"
    r"|Your Kubernetes control-plane has initialized"
    r"|Unfortunately, an error has occurred:|This error is likely caused by:)"
)
_CHECK = re.compile(r"\s*\[(?P<level>ERROR|WARNING) (?P<name>[^\]]+)\]:? (?P<text>.*)")
# a failed check that ran a command: its output follows, up to `, error: exit status N`
_OUTPUT = re.compile(r"\boutput: ")
OUTPUT_END = re.compile(r"\s*, error: |.*, error: exit status \d+\s*$")
_EXIT = re.compile(r"\s*, error: exit status \d+")
# FileContentCheck (cmd/kubeadm/app/preflight/checks.go, kubeadm 1.7 to today): "%s does not
# exist" when the file cannot be opened, "%s contents are not set to %s" when it differs
_FILE_CONTENT = re.compile(
    r"(?P<path>/proc/sys/net/\S+) (?:(?P<missing>does not exist)|contents are not set to 1)"
)
# The Swap check's error (checks.go SwapCheck, from kubeadm 1.8 while the kubelet did not
# support swap): the refusal the kubelet itself makes at start with failSwapOn
# (kubelet.swap-enabled). The warnings of the kubeadms that allow swap ("swap is supported for
# cgroup v2 only ...", "swap is enabled; production deployments should ...") are no refusal.
_SWAP_REFUSED = re.compile(r"running with swap on is not supported")
# The ImagePull check on a docker node runs `docker pull` (kubeadm <= 1.23, dockershim): its
# output is the daemon's answer (moby's client: "Error response from daemon: %s"), up to
# kubeadm's `, error: exit status 1`
_DAEMON_ANSWER = re.compile(
    r"output: (?P<answer>Error response from daemon: [^\n]*?)"
    r"(?:, error: exit status \d+)?\s*(?:\n|$)"
)
_HEALTHZ = re.compile(
    r"\s*\[kubelet-check\] The HTTP call equal to '[^']*/healthz' failed with error: "
    r"(?P<error>.*?)\.?\s*$"
)


@dataclass
class Found:
    cri: list[CriFailure] = field(default_factory=list)
    healthz: str | None = None
    # node.forwarding's fields the FileContent checks tell
    forwarding: dict[str, int | bool | None] = field(default_factory=dict)
    # the Swap check's line: the kubelet's start check, kubeadm running it first
    kubelet_lines: list[str] = field(default_factory=list)
    # dockerd's answers to the ImagePull check's `docker pull`: the runtime's errors
    runtime_lines: list[str] = field(default_factory=list)
    # the checks no fact holds: (index of its line, "ERROR Swap: ...")
    checks: list[tuple[int, str]] = field(default_factory=list)


def block_end(lines: Sequence[str], start: int) -> int:
    """Where kubeadm's output starting at `start` ends: its own lines, indented ones, and the
    output of a check's command (crictl's, whatever its form) up to its `, error: ...`."""
    end = start
    in_output = False
    while end < len(lines):
        line = lines[end]
        if in_output:
            if _CHECK.match(line):
                in_output = False  # the output was cut: the next check starts
            else:
                in_output = not OUTPUT_END.match(line)
                end += 1
                continue
        if not line.strip() or not (LINE.match(line) or line[0] in " \t" or end == start):
            break
        check = _CHECK.match(line)
        in_output = bool(check and _OUTPUT.search(line) and not OUTPUT_END.match(line))
        end += 1
    return end


def read(lines: Sequence[str]) -> Found:
    found = Found()
    for index, (level, name), text in _checks(lines):
        if name == "CRI" and level == "ERROR":
            checked = _cri_check(text)
            found.cri.append(checked)
            if checked.origin is None:
                # crictl 1.24/1.25 logs the call's error through klog before its own fatal
                # line: kept too, for the origin that says which CRI versions it asked
                output = _OUTPUT.split(text, maxsplit=1)[-1]
                found.cri += [f for f in map(klog_failure, output.split("\n")) if f]
            continue
        if name == "ImagePull" or name == "CRI":
            found.cri += [f for f in map(crictl_failure, text.split("\n")) if f and f.message]
        daemon = _DAEMON_ANSWER.search(text) if name == "ImagePull" else None
        if daemon is not None:
            found.runtime_lines.append(daemon["answer"])
            continue
        first = text.split("\n", 1)[0].strip()
        if name.startswith("FileContent-") and _forwarding(first, found.forwarding):
            continue
        if name == "Swap" and _SWAP_REFUSED.match(first):
            found.kubelet_lines.append(lines[index].strip())
            continue
        found.checks.append((index, f"{level} {name}: {first}"))
    for line in lines:
        healthz = _HEALTHZ.match(line)
        if healthz:
            found.healthz = healthz.group("error")  # the last one: the newest try
    return found


def _forwarding(text: str, forwarding: dict[str, int | bool | None]) -> bool:
    """The forwarding facts a FileContent check's error tells (node.forwarding); False for a
    file no fact holds (bridge-nf-call-ip6tables' value, IPv6 forwarding)."""
    match = _FILE_CONTENT.match(text)
    if match is None:
        return False
    path, missing = match["path"], match["missing"] is not None
    if path == "/proc/sys/net/ipv4/ip_forward" and not missing:
        forwarding["ip_forward"] = 0
    elif path.startswith("/proc/sys/net/bridge/") and missing:
        # the directory is br_netfilter's: the module is not loaded
        forwarding |= {"bridge_netfilter": False, "bridge_nf_call_iptables": None}
    elif path == "/proc/sys/net/bridge/bridge-nf-call-iptables":
        forwarding |= {"bridge_netfilter": True, "bridge_nf_call_iptables": 0}
    else:
        return False
    return True


def _checks(lines: Sequence[str]) -> list[tuple[int, tuple[str, str], str]]:
    """Each check's line index, (level, name), and its text with the output after it."""
    checks: list[tuple[int, tuple[str, str], list[str]]] = []
    inside = False
    for index, line in enumerate(lines):
        match = _CHECK.match(line)
        if match:
            checks.append((index, (match.group("level"), match.group("name")), [match["text"]]))
            inside = True
        elif inside and not LINE.match(line):
            checks[-1][2].append(line)
        else:
            inside = False
    return [(index, key, "\n".join(text)) for index, key, text in checks]


def _cri_check(text: str) -> CriFailure:
    """kubeadm's CRI check failed: the runtime could not be used. crictl's fatal line in its
    output, when there is one, says how; else kubeadm's own message does."""
    output = _OUTPUT.split(text, maxsplit=1)[-1]
    for line in reversed(output.split("\n")):
        found = crictl_failure(line)
        if found is not None and found.message is not None and found.status is not None:
            return found
    output = _EXIT.split(output, maxsplit=1)[0]
    return failure(output.strip(), gave_up=True, client="kubeadm CRI check", checked=True)
