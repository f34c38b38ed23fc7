"""A CRI client's own errors (crictl's, kubeadm's CRI check) -> the cri layer's errors and
status, as the live gatherer records a failed connection (gather/cri/gather.py).

crictl prints its failures through logrus: `FATA[0000] getting status of runtime: rpc error:
code = Unavailable desc = ...` on a terminal, `time="..." level=fatal msg="..."` otherwise
(kubeadm's preflight captures that form). They are not the runtime's log: they are what a
client saw when it asked the runtime, the same view the doctor's own CRI calls give. A fatal
one means the client could not use the runtime: the gRPC code gives the layer's status
(gather/cri/codes.py); an ERRO (crictl goes on to the next default endpoint) or an answer the
runtime gave (`pulling image failed: ... code = NotFound`) is an error met, the layer examined.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from doctor.gather.cri.codes import STATUS_FOR_CODE, code_name, status_for
from doctor.gather.cri.endpoint import SOURCE_DEFAULT, SOURCE_FLAG, normalize
from doctor.layers import LayerStatus

# logrus's terminal form (`FATA[0000] msg`, seconds since start: a command-line tool's) and its
# text form (`time="..." level=fatal msg="..."`)
_TTY = re.compile(r"(?P<level>[A-Z]{4})\[\d+\] (?P<msg>.*)")
_TEXT = re.compile(r'(?:time="[^"]*" )?level=(?P<level>\w+) msg="(?P<msg>(?:[^"\\]|\\.)*)"')
_LEVELS = {"FATA": "fatal", "ERRO": "error", "WARN": "warning", "INFO": "info", "DEBU": "debug"}
# what crictl (cmd/crictl/*.go) and the cri-client library it uses say before the error
CRICTL_MESSAGE = re.compile(
    r"(?:getting status of runtime|validate service connection|connect: connect endpoint"
    r"|failed to connect|[Rr]untime connect using default endpoints"
    r"|[Ii]mage connect using default endpoints|listing (?:containers|pod sandboxes|images)"
    r"|call list (?:containers|sandboxes) RPC|list (?:containers|pod sandboxes)"
    r"|get (?:container|pod sandbox) status|getting (?:container status|sandbox status of pod)"
    r"|pulling image|run pod sandbox|creating container|image status (?:request )?for"
    r"|image filesystem info request|getting the runtime version"
    r"|[A-Z]\w+(?:Request|Response): |get (?:runtime|image) connection)"
)
RPC_ERROR = re.compile(r"rpc error: code = (?P<code>\w+) desc = (?P<desc>.*)", re.DOTALL)
_ENDPOINT = re.compile(
    r"(?:endpoint \\*\"|connect endpoint ')(?P<address>[a-z]+://[^\"'\\\s]+)"
    r"|dial unix (?P<path>/[^:\s\"\\]+)"
)
# the flag each CRI client names its endpoint with (crictl's global -r, ctr's -a: containerd's
# socket, where its CRI plugin serves too; kubeadm's --cri-socket)
_ENDPOINT_FLAGS = {
    "crictl": ("-r", "--runtime-endpoint"),
    "ctr": ("-a", "--address"),
    "kubeadm": ("--cri-socket",),
}
_ERR_VALUE = re.compile(r'\berr="(?P<err>(?:[^"\\]|\\.)*)"')
# a klog header (`E0731 22:55:10.706285 3979 remote_runtime.go:925] `): its file:line is kept
_KLOG_ORIGIN = re.compile(r"[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6}\s+\d+ (?P<origin>[\w.-]+\.go:\d+)\] ")
_DEFAULT_ENDPOINTS = re.compile(r"[Rr]untime connect using default endpoints: ")
_WHAT = (
    (re.compile(r"getting status of runtime|Status from runtime service"), "Status"),
    (re.compile(r"validate service connection|getting the runtime version"), "Version"),
    (re.compile(r"list(?:ing)? containers|call list containers"), "ListContainers"),
    (re.compile(r"list(?:ing)? pod sandboxes|call list sandboxes"), "ListPodSandbox"),
    (re.compile(r"pulling image"), "PullImage"),
    (re.compile(r"run pod sandbox|create PodSandbox"), "RunPodSandbox"),
    (re.compile(r"creating container"), "CreateContainer"),
    (re.compile(r"connect endpoint|failed to connect"), "connect"),
)


@dataclass(frozen=True)
class CriFailure:
    """One error a CRI client met, in the cri layer's terms."""

    source: str  # what was asked, as the live gatherer names it (`Status unix:///...`)
    message: str | None  # the gRPC error as printed (or the client's own); None: no error,
    # only where the endpoint came from
    status: LayerStatus | None  # None: met, but the runtime was still reached or tried further
    endpoint: str | None
    endpoint_source: str | None = None
    # the klog origin (`remote_runtime.go:925`) of a client's klog line: which client code met
    # the error, hence which CRI versions it asked (the kubelet's remote client, vendored by
    # crictl, changed what it asks across releases)
    origin: str | None = None


def client_message(line: str) -> tuple[str, str] | None:
    """(level, message) of a crictl line in either logrus form, else None."""
    text = line.strip()
    match = _TTY.match(text)
    if match:
        level, message = _LEVELS.get(match.group("level"), "info"), match.group("msg")
    else:
        match = _TEXT.match(text)
        if not match:
            return None
        level = match.group("level")
        message = match.group("msg").replace('\\"', '"').replace("\\\\", "\\")
    return (level, message.strip()) if CRICTL_MESSAGE.match(message) else None


def is_crictl(line: str) -> bool:
    return client_message(line) is not None


def crictl_failure(line: str) -> CriFailure | None:
    """What a crictl line tells of the runtime: its failure, or the default endpoints it
    tried; None for its debug lines (a request, an answer)."""
    found = client_message(line)
    if found is None:
        return None
    level, message = found
    if _DEFAULT_ENDPOINTS.match(message):
        # which of the listed endpoints answered is not said: only where it came from
        return CriFailure("crictl", None, None, None, endpoint_source=SOURCE_DEFAULT)
    if level not in ("fatal", "error"):
        return None
    return failure(message, gave_up=level == "fatal", client="crictl")


# grpc-go's error for a unix socket it could not dial, as a CRI client (crictl, the kubelet)
# prints it, trimmed to its transport part: `transport: dial unix /var/run/dockershim.sock:
# connect: no such file or directory` (grpc-go before 1.30), `transport: Error while dialing
# dial unix ...` (later), inside `connection error: desc = "..."`
_DIAL = re.compile(
    r'(?:connection error: desc = \\?"?)?transport: (?:Error while dialing:? )?'
    r"dial unix (?P<path>/[^:\s\"\\]+\.sock): connect: (?P<errno>[a-z ]+)\\?\"?"
)


def dial_failure(line: str) -> CriFailure | None:
    """A CRI client that could not connect to a runtime's socket, from gRPC's transport error
    pasted alone: the live gatherer's failed connection (`unreachable`), None for other text."""
    match = _DIAL.fullmatch(line.strip())
    if match is None:
        return None
    endpoint = normalize(match.group("path"))
    return CriFailure(f"connect {endpoint}", line.strip(), LayerStatus.UNREACHABLE, endpoint)


# critest's (cri-tools' CRI validation suite) failed RunPodSandbox, in its ginkgo failure
# report: pkg/framework/util.go, RunPodSandbox's `ExpectNoError(err, "failed to create
# PodSandbox: %v", err)` (cri-tools 1.x; pkg/validate's own helpers say "Failed to create
# PodSandbox: %v"), the runtime's gRPC answer after it
_CRITEST_SANDBOX = re.compile(r"[Ff]ailed to create PodSandbox: rpc error: code = \w+ desc = ")


def critest_failure(line: str) -> CriFailure | None:
    """The runtime's answer a critest call got, from its failure report's line; None for other
    text. The runtime answered: an error met, the layer examined."""
    text = line.strip()
    if _CRITEST_SANDBOX.match(text) is None:
        return None
    return failure(text, gave_up=False, client="critest")


def klog_failure(line: str) -> CriFailure | None:
    """A CRI client's klog error line (`E0731 ... remote_runtime.go:925] "Status from runtime
    service failed" err="rpc error: ..."`, crictl >= 1.24 through the kubelet's remote client)
    as an error met, with its origin; None for other text."""
    text = line.strip()
    if _KLOG_ORIGIN.match(text) is None or _ERR_VALUE.search(text) is None:
        return None
    return failure(text, gave_up=False, client="crictl")


def client_fragment(line: str) -> CriFailure | None:
    """A CRI client's error pasted alone: a failed connection or a critest call's answer."""
    return dial_failure(line) or critest_failure(line)


def command_endpoint(command: str) -> CriFailure | None:
    """The endpoint a CRI client's command line names (`crictl -r unix:///run/x.sock info`,
    `kubeadm init --cri-socket=/run/crio/crio.sock`), as the live gatherer records the endpoint
    it used and why (`endpoint_source: flag`); None when it names none."""
    try:
        words = shlex.split(command)
    except ValueError:  # an unbalanced quote: the words are still the words
        words = command.split()
    while words and words[0] == "sudo":
        words = words[1:]
    client = words[0].rsplit("/", 1)[-1] if words else ""
    flags = _ENDPOINT_FLAGS.get(client, ())
    for index, word in enumerate(words[1:], start=1):
        name, equals, value = word.partition("=")
        if name not in flags:
            continue
        if not equals:
            value = words[index + 1] if index + 1 < len(words) else ""
        if value and not value.startswith("-"):
            return CriFailure(client, None, None, normalize(value), endpoint_source=SOURCE_FLAG)
    return None


def failure(message: str, gave_up: bool, client: str, checked: bool = False) -> CriFailure:
    """A client's error message in the cri layer's terms: the gRPC error (and the status its
    code means when the client gave up: a connection-level code; any code for a `checked`
    runtime, one kubeadm's check found not running), the endpoint it names, the call it was."""
    endpoint = _endpoint(message)
    what = next((name for pattern, name in _WHAT if pattern.search(message)), client)
    klog = _KLOG_ORIGIN.match(message.strip())
    origin = klog.group("origin") if klog else None
    quoted = _ERR_VALUE.search(message)
    if quoted:  # klog's `err="..."`: the error is the quoted value
        message = quoted.group("err").replace('\\"', '"')
    source = f"{what} {endpoint}" if endpoint else what
    rpc = RPC_ERROR.search(message)
    if rpc is None:
        # no gRPC answer at all: the connection itself failed (crictl's `connect endpoint
        # '...': context deadline exceeded`, `failed to connect: ...`)
        status = LayerStatus.UNREACHABLE if gave_up and what == "connect" else None
        if checked:
            status = status or LayerStatus.ERROR
        return CriFailure(source, message, status, endpoint, origin=origin)
    code = code_name(rpc.group("code"))
    status = None
    if checked or (gave_up and code in STATUS_FOR_CODE):
        status = status_for(code, rpc.group("desc"))
    return CriFailure(source, message[rpc.start() :].strip(), status, endpoint, origin=origin)


def _endpoint(message: str) -> str | None:
    match = _ENDPOINT.search(message)
    if not match:
        return None
    return match.group("address") or normalize(match.group("path"))
