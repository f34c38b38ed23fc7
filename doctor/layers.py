"""The fixed, ordered vocabulary of layers, top of the stack first."""

from __future__ import annotations

from enum import StrEnum


class Layer(StrEnum):
    APISERVER = "apiserver"
    KUBELET = "kubelet"
    CRI = "cri"
    CONTAINERD = "containerd"
    SHIM = "shim"
    RUNC = "runc"
    PROCESS = "process"
    NODE = "node"

    @property
    def depth(self) -> int:
        """0 for the apiserver, growing downwards; the node's resources are deepest."""
        return LAYER_ORDER.index(self)


LAYER_ORDER: tuple[Layer, ...] = tuple(Layer)
LAYER_NAMES: tuple[str, ...] = tuple(layer.value for layer in LAYER_ORDER)


class LayerStatus(StrEnum):
    """Whether a layer could be examined; only `ok` means its facts are trustworthy."""

    OK = "ok"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    UNSUPPORTED = "unsupported"
    PERMISSION_DENIED = "permission-denied"
    ABSENT = "absent"
    ERROR = "error"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return SEVERITY_ORDER.index(self)


SEVERITY_ORDER: tuple[Severity, ...] = (
    Severity.INFO,
    Severity.WARNING,
    Severity.ERROR,
    Severity.CRITICAL,
)


class Scope(StrEnum):
    NODE = "node"
    POD = "pod"
    CONTAINER = "container"
