"""The kinds stackdoctor reads, as lightkube generic resources: objects that decode to plain
dicts.

lightkube's typed resources decode each answer into its models, which msgspec learns on first
use (~35 ms of a one-pod diagnosis, 166 model classes for a Pod) only for the answer to be
turned back into JSON (it crosses a pipe and goes into bundles). A generic resource has the same
URLs and verbs; only the decoding differs.
"""

from __future__ import annotations

from typing import Any

# lightkube's "all namespaces": a list across the cluster (None is the context's namespace)
ALL_NAMESPACES = "*"

# (apiVersion, kind) -> (plural, namespaced): every kind a diagnosis reads, owners included
KINDS: dict[tuple[str, str], tuple[str, bool]] = {
    ("v1", "Pod"): ("pods", True),
    ("v1", "Event"): ("events", True),
    ("v1", "Node"): ("nodes", False),
    ("v1", "ReplicationController"): ("replicationcontrollers", True),
    ("apps/v1", "ReplicaSet"): ("replicasets", True),
    ("apps/v1", "Deployment"): ("deployments", True),
    ("apps/v1", "StatefulSet"): ("statefulsets", True),
    ("apps/v1", "DaemonSet"): ("daemonsets", True),
    ("batch/v1", "Job"): ("jobs", True),
    ("batch/v1", "CronJob"): ("cronjobs", True),
}


def resource(api_version: str, kind: str) -> type[Any]:
    """The generic resource class of a kind in KINDS (made once per process: lightkube's
    registry refuses a second class for the same kind)."""
    from lightkube.core.resource_registry import resource_registry
    from lightkube.generic_resource import create_global_resource, create_namespaced_resource

    made: type[Any] | None = resource_registry.get(api_version, kind)
    if made is not None:
        return made
    plural, namespaced = KINDS[(api_version, kind)]
    group, _, version = api_version.rpartition("/")
    create = create_namespaced_resource if namespaced else create_global_resource
    created: type[Any] = create(group, version, kind, plural)
    return created
