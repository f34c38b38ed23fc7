"""What one layer's gatherer hands the next: private to a collection, never in the facts.

Each field of `Handoff` says who writes it and who reads it. The CRI layer's part is a record
of its own, `CriHandoff`: collect.py may gather that layer in a child process (child.py), which
sends it back whole, as JSON, for the parent to put in its own record.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

if TYPE_CHECKING:  # the logs package imports context.py, which imports this module
    from collections.abc import Mapping

    from doctor.gather.context import LayerRecorder
    from doctor.gather.logs.formats import LogLine
    from doctor.gather.logs.sources import RawLog

T = TypeVar("T")

# A log's parsed tail for `assign_pod_lines`: all of it (a RawLog) when a pod was asked
# for, else only its node-level lines; None when it could not be read.
LogLines: TypeAlias = "RawLog | list[LogLine] | None"


@dataclass
class Prefetch(Generic[T]):
    """One read a layer's `prefetch` did ahead of its turn (collect.py), with the recorder it
    reported to; `GatherContext.prefetched` takes it, once."""

    done: tuple[T, LayerRecorder] | None = None


@dataclass
class CriHandoff:
    """What the CRI layer (cri/gather.py) leaves for the others. All JSON, `to_json` and
    `from_json` lossless: it is the child process's answer (collect.py)."""

    # every sandbox id the runtime listed, any state (None: it could not be asked) -> shim.py
    sandbox_ids: list[str] | None = None
    # {container id: the runtime spec's linux.cgroupsPath}, pods of interest -> process.py
    cgroups_paths: dict[str, str] = field(default_factory=dict)
    # {container id: the id of the sandbox it ran in}, pods of interest -> shim.py
    container_sandboxes: dict[str, str] = field(default_factory=dict)
    # runc's state root as the runtime's options name it -> runc.py (after containerd's)
    runc_root: str | None = None
    # (the sandbox image the runtime's config names, whether it has it) -> containerd.py
    sandbox_image: tuple[str, bool] | None = None
    # the runtime's verbose answers for the pods, by name -> collect.py's raw artifacts
    verbose: dict[str, dict[str, Any]] = field(default_factory=dict)
    # a not-found left when Handoff.cri_defer_not_found -> query.settle_deferred, which clears it
    pod_not_found: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Every field by name; a tuple becomes a JSON array (`from_json` makes it one again)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CriHandoff:
        image = data["sandbox_image"]
        return cls(
            sandbox_ids=data["sandbox_ids"],
            cgroups_paths=data["cgroups_paths"],
            container_sandboxes=data["container_sandboxes"],
            runc_root=data["runc_root"],
            sandbox_image=None if image is None else (image[0], image[1]),
            verbose=data["verbose"],
            pod_not_found=data["pod_not_found"],
        )


@dataclass
class Handoff:
    """The hand-offs of one collection (GatherContext.handoff), each `writer -> readers`."""

    # kubelet.note_runtime_endpoint -> cri/endpoint.discover: the endpoint the kubelet uses
    kubelet_runtime_endpoint: str | None = None
    # kubelet.note_runtime_endpoint -> no gatherer: where that endpoint was found (flag, config)
    kubelet_runtime_endpoint_source: str | None = None
    # kubelet.gather -> collect._assign_logs, cri/query.known_from_kubelet_log
    kubelet_log_lines: LogLines = None
    # containerd.gather -> collect._assign_logs
    containerd_log_lines: LogLines = None
    # containerd.gather -> runc.gather: config.toml's runc `Root`, which wins over the CRI's
    containerd_runc_root: str | None = None
    # runc.gather -> process.gather: {container id: state.json's cgroup_paths}
    runc_cgroup_paths: dict[str, dict[str, str]] = field(default_factory=dict)
    # collect._cri_alone -> cri/gather.examine: leave a not-found pod for the parent to settle
    cri_defer_not_found: bool = False
    # collect -> cri/query.known_from_kubelet_log: the API server may know the pod the node does
    # not (Pending, on another node): record the not-found here instead of raising it
    unknown_pod_for_api: bool = False
    unknown_pod: str | None = None
    # cri/gather.py -> shim, runc, process, containerd, collect, query (see CriHandoff)
    cri: CriHandoff = field(default_factory=CriHandoff)
    # containerd.prefetch -> containerd.gather: logs.selection.read_node_log of its log, read ahead
    containerd_log_ahead: Prefetch[tuple[RawLog | None, list[LogLine] | None]] = field(
        default_factory=Prefetch
    )
    # node.prefetch -> node.gather: node.read_kernel_log, read ahead
    kernel_log_ahead: Prefetch[list[dict[str, Any]] | None] = field(default_factory=Prefetch)
    # node.prefetch -> node.gather: logs.selection.read_node_log of the node agents' log
    agent_log_ahead: Prefetch[tuple[RawLog | None, list[LogLine] | None]] = field(
        default_factory=Prefetch
    )
