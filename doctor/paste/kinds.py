"""What a piece of pasted text is: one small pure recogniser per kind, tried in order.

Two levels. A *line* recogniser tells the lines that carry their own kind (a journal line, a
klog line, a dmesg line...): runs of them make a log segment (segment.py). A *block* starter
tells where a multi-line block begins (describe output, a table header, a JSON document). Then
`recognise` names each segment's kind from its lines and the command that printed it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from doctor.gather.logs import daemons
from doctor.gather.logs.formats import syslog_prefix
from doctor.gather.node import KERNEL_TROUBLE
from doctor.paste import (
    cri_client,
    events,
    kubeadm,
    kubectl_errors,
    nodelines,
    proc_cgroup,
    states,
    status_message,
    units,
)


class Kind(Enum):
    """A segment's kind; the value is how the report names it."""

    DESCRIBE = "kubectl describe pod"
    DESCRIBE_NODE = "kubectl describe node"
    EVENTS = "kubectl get events"
    KUBECTL_JSON = "kubectl JSON"
    CRI_INSPECT = "crictl inspect"
    DOCKER_INSPECT = "docker inspect"
    JSON = "JSON"
    JOURNAL = "journal/syslog"
    JOURNAL_JSON = "journalctl -o json"
    KLOG = "klog"
    LOGRUS = "logrus"
    DMESG = "dmesg"
    DF = "df"
    CRICTL_PS = "crictl ps"
    CRICTL_PODS = "crictl pods"
    SYSTEMCTL_STATUS = "systemctl status"
    KUBEADM = "kubeadm output"
    KUBECTL_ERROR = "kubectl's error"
    CONTAINER_LOG = "container log"
    CONTAINER_STATE = "describe's container State block"
    START_ERROR = "container start error"
    STATUS_MESSAGE = "a container's status message"
    FRAGMENTS = "log lines without their prefix"
    EVENT_LINES = "events without their table"
    SYSCTL = "sysctl"
    TAINTS = "describe node Taints"
    PROC_CGROUP = "/proc/PID/cgroup"
    UNKNOWN = "unrecognised text"


# -- lines that carry their own kind ------------------------------------------------------------

_KLOG = re.compile(r"[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6}\s+\d+ [\w.\-/]+:\d+\]")
_LOGRUS = re.compile(r'time="[^"]*" level=\w+ |level=\w+ msg=|[A-Z]{4}\[[^\]]*\] ')
_LOGRUS_JSON = re.compile(r'\{"level":"\w+",|\{"msg":"|\{"time":"[^"]*","level":')
_JOURNAL_JSON = re.compile(r'\{.*"(?:__REALTIME_TIMESTAMP|MESSAGE|_SYSTEMD_UNIT)" ?:')
# dmesg: raw `[  123.456789] `, -T `[Mon Jan  2 10:00:00 2024] `, -H `[Jan 2 10:00] ` and its
# relative `[  +0.000123] `; optionally behind -x's `kern  :err   : ` facility and level.
DMESG = re.compile(
    r"(?P<facility>[a-z]+ *:[a-z]+ *: )?"
    r"\[(?P<stamp>\s*[+]?\d+\.\d+|\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}"
    r"|\w{3}\s+\d+ \d\d:\d\d(?::\d\d)?)\] ?"
)


def line_kind(line: str) -> Kind | None:
    """The kind of a line that says its own kind, else None."""
    if not line or line[0].isspace():
        return None
    if syslog_prefix(line) is not None:
        return Kind.JOURNAL
    if _KLOG.match(line):
        return Kind.KLOG
    if line[0] == "{":
        if _JOURNAL_JSON.match(line):
            return Kind.JOURNAL_JSON
        return Kind.LOGRUS if _LOGRUS_JSON.match(line) else None
    if _LOGRUS.match(line):
        return Kind.LOGRUS
    if DMESG.match(line):
        return Kind.DMESG
    return None


def continues_entry(line: str) -> bool:
    """A line that belongs to the log entry before it: klog's multi-line value (tab-indented,
    then ` >`), a Go panic's or Java's stack, anything indented."""
    return bool(line) and line[0] in " \t"


# -- where blocks start -------------------------------------------------------------------------

DESCRIBE_START = re.compile(r"Name:\s+\S")
EVENTS_HEADER = re.compile(
    r"(?:NAMESPACE\s+)?LAST SEEN\s+(?:FIRST SEEN\s+COUNT\s+NAME\s+KIND\s+SUBOBJECT\s+)?TYPE\s+"
    r"REASON\s+(?:OBJECT\s+)?"
)
DF_HEADER = re.compile(
    r"Filesystem\s+(?:Type\s+)?(?:Size|Inodes|\d*[KMG]?-blocks)\s+(?:Used|IUsed)\s+"
    r"(?:Avail|Available|IFree)\s+(?:Use%|IUse%|Capacity)\s+Mounted on"
)
CRICTL_PS_HEADER = re.compile(r"CONTAINER(?: ID)?\s+IMAGE\s+CREATED\s+STATE\s+NAME\s+ATTEMPT")
CRICTL_PODS_HEADER = re.compile(r"POD ID\s+CREATED\s+STATE\s+NAME\s+NAMESPACE\s+ATTEMPT")
TABLE_HEADERS = (
    (EVENTS_HEADER, Kind.EVENTS),
    (DF_HEADER, Kind.DF),
    (CRICTL_PS_HEADER, Kind.CRICTL_PS),
    (CRICTL_PODS_HEADER, Kind.CRICTL_PODS),
)


def table_kind(line: str) -> Kind | None:
    for header, kind in TABLE_HEADERS:
        if header.match(line):
            return kind
    return None


def starts_unit_status(lines: Sequence[str], index: int) -> bool:
    """`systemctl status`'s first line: the unit, then its `Loaded:`/`Active:` fields."""
    return (
        bool(units.STATUS_START.match(lines[index]))
        and index + 1 < len(lines)
        and bool(_UNIT_FIELD.match(lines[index + 1]))
    )


_UNIT_FIELD = re.compile(r"\s+(?:Loaded|Active): ")


def starts_kubeadm(line: str) -> bool:
    return bool(kubeadm.LINE.match(line))


def starts_json(line: str) -> bool:
    return line[:1] in ("{", "[") and line_kind(line) is None


# A shell prompt and the command after it (`$ kubectl logs web`, `root@node:~# dmesg -T`,
# `[root@node ~]# journalctl -u kubelet`, fish's `user@host ~> kubectl get pods`, a root
# prompt typed without its space: `#kubeadm init`), or a bare command line of the tools users
# paste.
_COMMANDS = r"(?:kubectl|oc|k|journalctl|dmesg|crictl|ctr|docker|df|kubeadm|systemctl|sysctl|tail|cat|grep|microk8s(?:\.\w+)?|k3s)"  # noqa: E501
# user@host, then bash's `:cwd` or fish's ` cwd` (`~`, `/etc`, `~/src`)
_USER_HOST = r"[\w.-]+@[\w.-]+(?::\S*|\s+[~/]\S*)?"
PROMPT = re.compile(
    r"\s*(?:(?:\[[^\]]*\]|" + _USER_HOST + r"|(?:ba)?sh-\d[\d.]*)\s*)?[$#%>]\s*(?P<command>\S.*)"
    r"|(?P<bare>(?:sudo\s+)?" + _COMMANDS + r"\s+-?\w.*)"
)
# a prompt with no command after it (the user pressed return): only separates
EMPTY_PROMPT = re.compile(r"\s*(?:\[[^\]]*\]|" + _USER_HOST + r")\s*[$#%>]\s*")
# after a prompt, also the daemons run by hand (`# containerd --config ./x.toml`), and the
# shell's own tools users look at a node with (`# ls /var/lib/cni/networks/kubenet | wc -l`,
# `# ps aux | grep "runc init"`): their output is no kind the reader knows, but the note of it
# then names the command. Not bare, where "containerd is not running" is a sentence; a command
# may be named by its path (`/root/go/bin/crictl`)
_KNOWN_COMMAND = re.compile(r"(?:sudo\s+)?(?:/\S*/)?(?:" + _COMMANDS + r"|containerd|ls|ps)\b")


def prompt_command(line: str) -> str | None:
    """The command a prompt line ran, when it is one of the tools users paste output of."""
    match = PROMPT.fullmatch(line)
    if not match:
        return None
    command = (match.group("command") or match.group("bare") or "").strip()
    return command if _KNOWN_COMMAND.match(command) else None


# -- a segment's kind ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """What recognising a segment may look at: its lines, the line kind its run was made of,
    the block it started as, and the command that printed it (from a prompt before it)."""

    lines: tuple[str, ...]
    run: Kind | None
    command: str | None


# Bare messages whose writer is known without a prefix (a user trimmed it): the kubelet's
# structured klog text (`"Error syncing pod, skipping" err=...`) and its start-up failure
# (server.go's `failed to run Kubelet: ...`, printed alone before 1.21), its pre-1.20
# `Error syncing pod UID ("name_ns(uid)")`, containerd's CRI-plugin
# messages, and the kernel lines node.KERNEL_TROUBLE keeps.
BARE_KUBELET = re.compile(
    r'"[A-Z][^"]*"(?: [\w.]+=| *$)|[Ff]ailed to run [Kk]ubelet: |Error syncing pod [0-9a-f-]{36} \('
)
BARE_RUNTIME = re.compile(
    r"(?:RunPodSandbox|StopPodSandbox|RemovePodSandbox|CreateContainer|StartContainer"
    r"|StopContainer|RemoveContainer|PullImage) .*(?:failed|error)"
    # containerd's own wrapping of a task's failure (the CRI plugin's container start)
    r"|failed to (?:create containerd task|start shim): "
    # the error containerd exits with, on its stderr (cmd/containerd: "containerd: %s")
    r"|containerd: (?:mkdir|open|failed|listen|load) "
    # ctr's, on its stderr (cmd/ctr: "ctr: %s"): the client's view of containerd's error;
    # containerd's log is the closest layer that says it
    r"|ctr: \S"
    # an unpack's failure (containerd rootfs/apply.go: "apply failure, attempting cleanup", with
    # error="failed to extract layer ...": "Apply failure" in the oldest releases), its logrus
    # line cut before the message's end quote
    r"|[Aa]pply failure, attempting cleanup\b"
    # containerd's registry resolver's error alone, the part of a failed pull a user copies
    # from crictl's or ctr's output (remotes/docker/resolver.go: "failed to do request: %w"
    # around Go's "Head \"URL\": ..."); the registry API's /v2/ path tells it from the many
    # other programs that print "failed to do request"
    r'|failed to do request: (?:Head|Get|Post) "?https?://[^/\s"]+/v2/'
    # libcni's error for one plugin of a network list (containernetworking/cni libcni/api.go:
    # "plugin %s failed (add): %w", pluginDescription's `type="loopback"` and ` name="..."`),
    # the part of the runtime's RunPodSandbox failure (containerd's "failed to setup network
    # for sandbox") a user copies; the runtime's log is where a sandbox's network setup fails
    # (dockershim, the kubelet's own before 1.24, called it too: its users paste kubelet lines)
    r'|plugin type="[\w.-]+" (?:name="[^"]*" )?failed \((?:add|delete|check)\): '
)
# The docker CLI printing the daemon's answer (moby's client: "Error response from daemon: %s")
# when the daemon could not write its own state under /var/lib/docker: dockerd's own error, as
# its log says it (the runtime's), wherever the caller (minikube, kind) quoted it. The daemon's
# other answers (a container's start, an image's pull) stay the start errors and events they are.
DAEMON_STATE_ERROR = re.compile(
    r"Error response from daemon: [^\n]*?\b(?:mkdir|open|create|write|rename|remove) "
    r"/var/lib/docker/\S*: (?:read-only file system|no space left on device)"
)
# The container's own output when its process could not be executed (runc init prints these
# on the container's stderr, so `kubectl logs` shows them; rules/runc.yaml cites the sources).
CONTAINER_OUTPUT = re.compile(
    r"exec \S+: (?:exec format error|no such file or directory|permission denied)"
    r"|standard_init_linux\.go:\d+: exec user process caused"
    # a shell entrypoint's failed exec (dash, bash: rules/runc.yaml, runc.exec-format)
    r"|\S+: (?:\d+: |line \d+: )(?:exec: )?/\S+: (?:cannot execute binary file: )?"
    r"Exec format error$"
    # an application that cannot get an inotify instance (rules/node.yaml,
    # node.inotify-exhausted, cites where each was printed): Go's fsnotify, .NET
    r"|failed to create fsnotify watcher: "
    r"|Unhandled exception\. System\.IO\.IOException: The configured user limit \(\d+\)"
)


# The runtime's answer to starting one container, as the CLI that asked prints it or a user
# trims it: containerd's CRI wrappers (what it stores as the container's message), docker's
# "Error response from daemon" forms, and runc's own, whose wording moved across versions
# (rules/runc.yaml cites each): container_linux.go:N: starting container process caused (runc
# <= 1.0), runc create failed: unable to start container process (>= 1.1).
START_FAILURE = re.compile(
    r"failed to create containerd task|failed to create shim task|OCI runtime (?:create|start)"
    r" failed|[Oo]ci runtime error|Cannot start container [0-9a-f]+:|container_linux\.go:\d+:"
    r" starting container process caused|runc create failed|unable to start container process"
    r"|error during container init"
)
# An exec into a running container failing is no start error: the container runs on.
EXEC_ERROR = re.compile(r"OCI runtime exec failed|\bexec failed: |failed to exec in container")
# What the runtime printed alone, trimmed of any daemon's prefix: an exec that runc refused
# (`rpc error: code = 2 desc = oci runtime error: exec failed: ...`, docker 1.13-17.03) and
# runc's own stderr when its binary cannot run at all (`runc: symbol lookup error: ...`).
BARE_RUNC = re.compile(
    r"(?:rpc error: code = \w+ desc = )?(?:[Oo][Cc][Ii] runtime (?:error: )?exec failed|runc: )"
)


# runc's failed write to a container's own cgroup file, as containerd returns it (`: unknown`,
# its error code), pasted alone: the tail of "OCI runtime create failed: ... failed to write
# \"100000\": write /sys/fs/cgroup/.../cri-containerd-ID.scope/cpu.cfs_period_us: invalid
# argument: unknown" (opencontainers/runc#3084). The cgroup is a container's: a systemd scope
# or the container id under kubepods.
CGROUP_WRITE_FAILURE = re.compile(
    r"write /sys/fs/cgroup/\S*kubepods\S*?(?:\.scope|/[0-9a-f]{64})/[\w.]+: [a-z ]+: unknown"
)


def start_error(line: str) -> bool:
    """A line holding the runtime's error for starting one container."""
    if CGROUP_WRITE_FAILURE.fullmatch(line.strip()):
        return True
    return bool(START_FAILURE.search(line)) and not EXEC_ERROR.search(line)


# A process's own words when it hits a per-process limit (rules/process.yaml cites each): the
# C library's EMFILE and EAGAIN as applications print them. Capitalised as glibc's strerror has
# it: Go daemons on the host print "too many open files" in lower case, and "... in system"
# (ENFILE) is the node's limit, not the process's.
PROCESS_LIMIT_OUTPUT = re.compile(
    r"Too many open files(?! in system)"
    r"|max file descriptors \[\d+\] for [Ee]lasticsearch process is too low"
    r"|pthread_create(?:\(\))? failed:? \(?(?:11: )?Resource temporarily unavailable"
    r"|fork: (?:retry: )?Resource temporarily unavailable"
)


# A klog line cut before its `file.go:123] ` (the date and pid trimmed): the kubelet's.
BARE_KLOG_SOURCE = re.compile(r"[\w.-]+\.go:\d+\] ")
# Texts only the kubelet prints, wherever a user's trimming left them in the line ("error:
# failed to run Kubelet: ...", "- Others: kubelet: F0731 ... server.go:199] failed to load
# Kubelet config file ...", a describe-node condition's "Failed to start ContainerManager ...").
# Each is the start of a message in the kubelet's own source (cmd/kubelet/app/server.go,
# pkg/kubelet/kubelet.go, pkg/kubelet/certificate/): the rules in rules/kubelet.yaml cite them.
KUBELET_PHRASES = re.compile(
    r"failed to run Kubelet: |[Ff]ailed to load [Kk]ubelet config file"
    r"|Failed to start ContainerManager|Failed to start OOM watcher"
    r"|PLEG is not healthy: pleg was last seen active"
    r"|(?i:part of the existing bootstrap client certificate)"
    r"|The currently active client certificate has expired"
    r'|"command failed" err="failed to (?:run Kubelet|validate kubelet flags|load kubelet config)'
    # k3s's agent, whose supervisor lines are the kubelet's log (gather/logs/daemons.py): the
    # agent's config it could not get from the server or set up (k3s-io/k3s#3266, v1.20;
    # kingsd041/k3s-tutorial's journal, a duplicate node password)
    r"|Failed to retrieve agent config: "
)
# A journal line cut before its identifier (`containerd[21688]: time="..." ...`): the
# identifier then says whose, as in a whole journal line (gather/logs/daemons.py).
SHORT_JOURNAL = re.compile(r"(?P<ident>[\w.-]+)\[\d+\]: (?P<body>.*)")


def bare_writer(line: str) -> str | None:
    """`kubelet`, `runtime`, `kernel` or `agents` for a recognisable line trimmed of its
    prefix."""
    found = bare_entry(line)
    return None if found is None else found[0]


def bare_entry(line: str) -> tuple[str, str] | None:
    """(writer, the text to read as its log line) of a line trimmed of its prefix."""
    text = line.strip()
    short = SHORT_JOURNAL.fullmatch(text)
    if short:
        known = daemons.writer(short["ident"], short["body"])
        return None if known is None else (_WRITER_NAMES[known], short["body"])
    if BARE_KUBELET.match(text) or BARE_KLOG_SOURCE.match(text) or KUBELET_PHRASES.search(text):
        return "kubelet", text
    if BARE_RUNTIME.match(text) or BARE_RUNC.match(text):
        return "runtime", text
    daemon = DAEMON_STATE_ERROR.search(text)
    if daemon:
        return "runtime", text[daemon.start() :]
    if KERNEL_TROUBLE.search(text):
        return "kernel", text
    return None


_WRITER_NAMES = {
    daemons.Writer.KUBELET: "kubelet",
    daemons.Writer.RUNTIME: "runtime",
    daemons.Writer.KERNEL: "kernel",
    daemons.Writer.AGENTS: "agents",
}


def is_logs_command(command: str | None) -> bool:
    return bool(command) and bool(re.search(r"\b(?:logs|crictl logs|docker logs)\b", command or ""))


# An application ending on an error, in words none of the node stack's daemons print (they
# are Go programs logging through klog or logrus): Go's standard log with a level tag, as
# CoreDNS writes it (plugin/pkg/log: "[FATAL] plugin/loop: ... loop detected", kubernetes/
# kubeadm#1162); a Java exception's cause (JiRaska/open-bank-oss#3215); dash, the /bin/sh of
# Debian-based images, refusing the script it was given ("/bin/sh: 1: /bin/fortuneloop.sh:
# Permission denied", luksa/kubernetes-in-action#15).
APPLICATION_FAILURE = re.compile(
    r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[FATAL\] "
    r"|Caused by: [\w.$]+(?:Exception|Error)\b"
    # (not dash's "not found": a host shell missing a tool says that as often)
    r"|(?:/bin/)?sh: \d+: \S+: Permission denied$"
)


def _container_log(shape: Shape) -> bool:
    """What `kubectl logs` printed (whatever its format: kube-proxy's own output is klog), or
    free text holding the container's own exec failure, a limit its process hit, or an
    application's failure no daemon of the node prints."""
    if is_logs_command(shape.command) and shape.run is not Kind.JSON:
        return True
    return shape.run is None and any(
        CONTAINER_OUTPUT.match(line)
        or PROCESS_LIMIT_OUTPUT.search(line)
        or APPLICATION_FAILURE.match(line.strip())
        for line in shape.lines
    )


def _start_error(shape: Shape) -> bool:
    """Free text holding the runtime's refusal to start a container (`docker run` printed it,
    or the user pasted the message alone)."""
    return shape.run is None and any(start_error(line) for line in shape.lines)


def _bare_start_error(shape: Shape) -> bool:
    """The runtime's refusal to start a container pasted alone, from its first words (`failed
    to create containerd task: ...`, `OCI runtime create failed: ...`): the container's status
    message or event as describe shows it. A daemon's log holds the same words only after its
    own (`StartContainer for \"ID\" failed" error="failed to create containerd task: ...`)."""
    texts = [line.strip() for line in shape.lines if line.strip()]
    return (
        shape.run is None
        and bool(texts)
        and all(START_FAILURE.match(text) and start_error(text) for text in texts)
    )


def _status_message(shape: Shape) -> bool:
    """Free text holding a container's status message the kubelet's state can be told from
    (status_message.py)."""
    return shape.run is None and any(map(status_message.pull_failure, shape.lines))


def fragment_kind(line: str, command: str | None) -> Kind | None:
    """The kind of a line that is read alone, out of the output it came from: a log line
    trimmed of its prefix, an event without its table, a sysctl value, a Taints line."""
    if bare_writer(line) or cri_client.client_fragment(line):
        return Kind.FRAGMENTS
    if events.event_line(line):
        return Kind.EVENT_LINES
    if nodelines.sysctl_limit(line, command) is not None:
        return Kind.SYSCTL
    if nodelines.taint_conditions(line) is not None:
        return Kind.TAINTS
    return None


def _fragments(shape: Shape) -> bool:
    # a describe Events section's title, header or rule alone says nothing
    return shape.run is None and any(
        fragment_kind(line, shape.command) and not events.frame(line) for line in shape.lines
    )


_DF_ROW = re.compile(r"\S+(?:\s+\S+)?\s+\d\S*\s+\d\S*\s+\d\S*\s+\d+%\s+/\S*")


def _headless_df(shape: Shape) -> bool:
    """df's rows without its header (the user cut it): the command before them says they are."""
    return (
        shape.run is None
        and bool(re.match(r"(?:sudo\s+)?df\b", shape.command or ""))
        and all(_DF_ROW.fullmatch(line.strip()) for line in shape.lines)
    )


def _proc_cgroup(shape: Shape) -> bool:
    return shape.run is None and proc_cgroup.is_output(shape.lines, shape.command)


def _run_is(kind: Kind) -> Callable[[Shape], bool]:
    return lambda shape: shape.run is kind


def _kubectl_error(shape: Shape) -> bool:
    """What kubectl printed when it failed (`Error from server (BadRequest): container "x" in
    pod "y" is waiting to start: ...`, `OCI runtime exec failed: ...`): not a container's
    output, even after a `kubectl logs` prompt."""
    if shape.run is not None:
        return False

    def kubectls(line: str) -> bool:
        # a daemon's own fatal line can start the same way ("error: failed to run Kubelet:
        # ...", the kubelet's stderr): it is that daemon's log, not kubectl's error; and the
        # kubelet's event messages start `Error: ` too (`Error: ErrImagePull`)
        return (
            kubectl_errors.is_error(line)
            and bare_entry(line) is None
            and events.event_of(line) is None
        )

    if kubectls(shape.lines[0]):
        return True
    return not is_logs_command(shape.command) and any(map(kubectls, shape.lines))


RECOGNISERS: tuple[tuple[Kind, Callable[[Shape], bool]], ...] = (
    (Kind.KUBECTL_ERROR, _kubectl_error),
    (Kind.CONTAINER_LOG, _container_log),
    (Kind.CONTAINER_STATE, lambda shape: shape.run is None and states.is_fragment(shape.lines)),
    (Kind.DESCRIBE, _run_is(Kind.DESCRIBE)),
    (Kind.EVENTS, _run_is(Kind.EVENTS)),
    (Kind.JSON, _run_is(Kind.JSON)),  # told apart further by content (facts.py)
    (Kind.JOURNAL, _run_is(Kind.JOURNAL)),
    (Kind.JOURNAL_JSON, _run_is(Kind.JOURNAL_JSON)),
    (Kind.KLOG, _run_is(Kind.KLOG)),
    (Kind.LOGRUS, _run_is(Kind.LOGRUS)),
    (Kind.DMESG, _run_is(Kind.DMESG)),
    (Kind.DF, _run_is(Kind.DF)),
    (Kind.DF, _headless_df),
    (Kind.CRICTL_PS, _run_is(Kind.CRICTL_PS)),
    (Kind.CRICTL_PODS, _run_is(Kind.CRICTL_PODS)),
    (Kind.SYSTEMCTL_STATUS, _run_is(Kind.SYSTEMCTL_STATUS)),
    (Kind.KUBEADM, _run_is(Kind.KUBEADM)),
    (Kind.PROC_CGROUP, _proc_cgroup),
    (Kind.START_ERROR, _bare_start_error),
    (Kind.FRAGMENTS, _fragments),  # a daemon's trimmed line wrapping a start error is its log's
    (Kind.START_ERROR, _start_error),
    (Kind.STATUS_MESSAGE, _status_message),
)


def recognise(shape: Shape) -> Kind:
    """The first kind whose recogniser accepts the segment; UNKNOWN when none does."""
    for kind, accepts in RECOGNISERS:
        if accepts(shape):
            return kind
    return Kind.UNKNOWN
