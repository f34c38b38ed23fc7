"""What every layer gatherer receives (options, the host, what earlier layers found) and the
recorder through which it reports its section: facts, status and the errors it met."""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from doctor.gather.handoff import Handoff, Prefetch
from doctor.gather.host import Host
from doctor.layers import Layer, LayerStatus

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_TIMEOUT = 5.0
DEFAULT_SAMPLE_INTERVAL = 1.0
DEFAULT_LOG_BYTES = 16 << 20  # the tail of the kubelet / containerd log that is read


@dataclass(frozen=True)
class PodQuery:
    """What the user asked for: a name, NAMESPACE/NAME, a pod uid or a sandbox id prefix."""

    text: str
    namespace: str | None = None


@dataclass(frozen=True)
class ApiOptions:
    """Where to find the API server: kubectl's --kubeconfig and --context (None: as kubectl
    would, from KUBECONFIG, ~/.kube/config or the pod's service account)."""

    kubeconfig: str | None = None
    context: str | None = None
    environ: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GatherOptions:
    host_root: Path = Path("/")
    runtime_endpoint: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    sample_interval: float = DEFAULT_SAMPLE_INTERVAL
    log_bytes: int = DEFAULT_LOG_BYTES
    pod: PodQuery | None = None  # one pod, or
    all_pods: bool = False  # every pod on the node, or neither: node-level only
    environ: Mapping[str, str] = field(default_factory=dict)
    api: ApiOptions | None = None  # None: the node alone (--no-api)
    # the caller knows from the API server that the pod is bound to this node (kubectl
    # stackdoctor's node agent): without a sandbox it is still the pod of interest
    pod_on_node: bool = False


@dataclass
class GatherContext:
    """Shared by the layer gatherers of one collection, in top-down order.

    `sections` holds what earlier layers found (the containerd gatherer reads the CRI
    endpoint); `pods` are the pods of interest, in facts form, which later layers enrich;
    `handoff` is what a gatherer leaves for another beyond the facts (the CRI gatherer reads
    the kubelet's endpoint; the process gatherer reads the runc state).
    """

    options: GatherOptions
    host: Host
    sections: dict[Layer, dict[str, Any]] = field(default_factory=dict)
    pods: list[dict[str, Any]] = field(default_factory=list)
    handoff: Handoff = field(default_factory=Handoff)

    @classmethod
    def create(cls, options: GatherOptions) -> GatherContext:
        return cls(options, Host(options.host_root))

    def prefetch(self, slot: Prefetch[T], layer: Layer, read: Callable[[LayerRecorder], T]) -> None:
        """Run `read` now, ahead of its layer (while the CRI answers in a child process: see
        collect.py), for `prefetched` to hand over with what it recorded."""
        recorder = LayerRecorder(layer)
        slot.done = (read(recorder), recorder)

    def prefetched(
        self, slot: Prefetch[T], recorder: LayerRecorder, read: Callable[[LayerRecorder], T]
    ) -> T:
        """`read(recorder)`; or what `prefetch` read, its errors and status recorded as if
        read now."""
        early, slot.done = slot.done, None
        if early is None:
            return read(recorder)
        result, seen = early
        for item in seen.errors:
            recorder.errors.append(item)
        if recorder.status is LayerStatus.OK:
            recorder.status = seen.status
        return result

    def pod_terms(self) -> dict[str, list[str]]:
        """For log filtering: per pod key (`ns/name`), the strings that identify it in a log."""
        terms: dict[str, list[str]] = {}
        for pod in self.pods:
            key = f"{pod['namespace']}/{pod['name']}"
            # Delimited forms only: a bare "default/web-7" would also match "default/web-70".
            # klog: pod="ns/name" (escaped inside err="..."); kubelet messages: name_ns(uid).
            found = [f'"{key}"', f'\\"{key}\\"', f"{pod['name']}_{pod['namespace']}("]

            if pod.get("uid"):
                found.append(pod["uid"])
            sandbox = pod.get("sandbox") or {}
            if sandbox.get("id"):
                found.append(sandbox["id"])
            found += [c["id"] for c in pod.get("containers", []) if c.get("id")]
            terms[key] = found
        return terms


class LayerRecorder:
    """Builds one layer's section. Status starts `ok`; the first failure that prevented
    examining the layer sets it; every error met is kept with its source."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self.status = LayerStatus.OK
        self.errors: list[dict[str, str]] = []
        self.facts: dict[str, Any] = {}

    def error(self, source: str, message: str) -> None:
        """Something could not be read; the layer may still have been examined."""
        log.debug("%s: %s: %s", self.layer.value, source, message)
        self.errors.append({"source": source, "message": message})

    def fail(self, status: LayerStatus, source: str, message: str) -> None:
        """The layer could not be examined; the first such status wins."""
        self.error(source, message)
        if self.status is LayerStatus.OK:
            self.status = status

    @contextmanager
    def reading(self, source: str, fatal: bool = False) -> Iterator[None]:
        """Record an OSError met while reading `source` instead of raising it.

        With `fatal`, the error also sets the layer's status (permission-denied for EACCES and
        EPERM, absent for a missing file, error otherwise).
        """
        try:
            yield
        except OSError as exc:
            message = f"{exc.strerror or exc}" if exc.strerror else str(exc)
            if fatal:
                self.fail(status_for_os_error(exc), source, message)
            else:
                self.error(source, message)

    def section(self) -> dict[str, Any]:
        return {"status": self.status.value, "errors": self.errors, **self.facts}


def status_for_os_error(exc: OSError) -> LayerStatus:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return LayerStatus.PERMISSION_DENIED
    if exc.errno == errno.ENOENT:
        return LayerStatus.ABSENT
    return LayerStatus.ERROR
