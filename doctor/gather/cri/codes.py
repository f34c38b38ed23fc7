"""What a failed CRI call means for the cri layer, from its gRPC code: one table for the live
client (client.py) and for the gRPC errors people paste (paste/cri_client.py). Free of grpc."""

from __future__ import annotations

from collections.abc import Mapping

from doctor.layers import LayerStatus

STATUS_FOR_CODE: Mapping[str, LayerStatus] = {
    "UNAVAILABLE": LayerStatus.UNREACHABLE,
    "DEADLINE_EXCEEDED": LayerStatus.TIMEOUT,
    "UNIMPLEMENTED": LayerStatus.UNSUPPORTED,
    "PERMISSION_DENIED": LayerStatus.PERMISSION_DENIED,
}

# grpc-go before 1.x printed the number (`rpc error: code = 14 desc = ...`)
CODE_NAMES: Mapping[int, str] = {
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    7: "PERMISSION_DENIED",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
}


def status_for(code_name: str, details: str | None) -> LayerStatus:
    """The layer status a call failing with `code_name` (UPPER_SNAKE) leaves the cri layer in."""
    status = STATUS_FOR_CODE.get(code_name, LayerStatus.ERROR)
    # connect(2) on a socket we may not open: grpc reports it as UNAVAILABLE.
    if status is LayerStatus.UNREACHABLE and "permission denied" in (details or "").lower():
        status = LayerStatus.PERMISSION_DENIED
    return status


def code_name(printed: str) -> str:
    """UPPER_SNAKE from the code as Go prints it: `Unavailable`, `DeadlineExceeded`, `14`."""
    if printed.isdigit():
        return CODE_NAMES.get(int(printed), "UNKNOWN")
    snake = "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(printed))
    return snake.upper()
