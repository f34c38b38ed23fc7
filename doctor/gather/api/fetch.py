"""Ask the API server about one pod: the whole exchange as one JSON answer, never an exception.

`ask` runs in a child process while the node is walked (collect.py), or in-process; either way
its answer is {"status": "ok", ...the objects (objects.py)} or {"status": "absent" | "error",
"reason": one line}: absent when there is no API access to use, error when the server did not
give the answer (unreachable, timeout, forbidden, unauthorized).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from doctor.gather.context import ApiOptions

if TYPE_CHECKING:
    from doctor.gather.api.kubeconfig import ApiTarget

log = logging.getLogger(__name__)


def ask(api: ApiOptions, name: str, namespace: str | None, budget: float) -> dict[str, Any]:
    from doctor.gather.api.kubeconfig import NoApiAccess, find_target

    try:
        target = find_target(api.kubeconfig, api.context, api.environ)
    except NoApiAccess as exc:
        return {"status": "absent", "reason": str(exc)}
    return ask_target(target, name, namespace, budget)


def ask_target(
    target: ApiTarget, name: str, namespace: str | None, budget: float
) -> dict[str, Any]:
    """`ask`, the server and credentials already found."""
    from doctor.gather.api.client import ApiFailure, ReadOnlyApi
    from doctor.gather.api.objects import read_pod_objects

    where = {
        "server": target.server,
        "context": target.config.context_name,
        "config": target.source,
        "namespace": namespace,
    }
    try:
        client = ReadOnlyApi(target, budget)
    except Exception as exc:  # a CA or client certificate lightkube cannot load
        log.debug("API client for %s", target.source, exc_info=True)
        return {**where, "status": "error", "reason": f"{target.source}: {exc}"}
    try:
        answer = read_pod_objects(client, name, namespace)
    except ApiFailure as failure:
        return {**where, "status": "error", "kind": failure.kind, "reason": str(failure)}
    finally:
        client.close()
    return {**where, "status": "ok", **answer}
