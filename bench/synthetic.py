"""Synthetic facts documents of any size, shaped like what the live gatherers produce."""

from __future__ import annotations

import uuid
from typing import Any

from doctor.engine.examples import base_document

KUBELET_LINES = [
    '"SyncLoop (PLEG): event for pod" pod="default/web-{i}"'
    " event={{ID:{uid} Type:ContainerStarted}}",
    '"Probe failed" probeType="Readiness" pod="default/web-{i}" podUID="{uid}" containerName="app"'
    ' probeResult="failure" output="HTTP probe failed with statuscode: 503"',
]


def _container(pod_index: int, name: str, attempt: int, kind: int) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name,
        "id": f"{pod_index:032x}{attempt:032x}",
        "attempt": attempt,
        "restart_count": attempt,
        "image": {"ref": "registry.local/app:1.0", "id": "sha256:" + "a" * 64},
        "resources": {"cpu_period": 100000, "cpu_quota": 50000, "memory_limit_bytes": 268435456},
        "log_tail": [f"line {n} of container output" for n in range(20)],
    }
    if kind == 0:  # running, a little throttled
        base.update(
            state="CONTAINER_RUNNING",
            pid=1000 + pod_index,
            cgroup={
                "cpu": {
                    "samples": [
                        {
                            "at": 0.0,
                            "nr_periods": 1000,
                            "nr_throttled": 10,
                            "throttled_time_ns": 10**6,
                        },
                        {
                            "at": 1.0,
                            "nr_periods": 1010,
                            "nr_throttled": 11,
                            "throttled_time_ns": 2 * 10**6,
                        },
                    ]
                },
                "memory": {
                    "usage_bytes": 50_000_000,
                    "limit_bytes": 268435456,
                    "oom_kill_events": 0,
                },
                "pids": {"current": 12, "max": 4096, "max_events": 0},
            },
            shim={"pid": 900 + pod_index, "alive": True},
        )
    elif kind == 1:  # OOM-killed
        base.update(state="CONTAINER_EXITED", exit_code=137, reason="OOMKilled", run_seconds=42.0)
    else:  # application error
        base.update(state="CONTAINER_EXITED", exit_code=1, reason="Error", run_seconds=3.0)
    return base


def synthetic_document(pods: int, containers_per_pod: int = 3) -> dict[str, Any]:
    document = base_document()
    document["collected"]["source"] = "synthetic"
    document["layers"]["kubelet"].update(
        running=True,
        cgroup_driver="systemd",
        runtime_endpoint="unix:///run/containerd/containerd.sock",
        log=[],
    )
    document["layers"]["containerd"].update(running=True, log=[], config={"systemd_cgroup": True})
    document["layers"]["cri"].update(
        api_version="v1",
        conditions=[
            {"type": "RuntimeReady", "status": True, "reason": "", "message": ""},
            {"type": "NetworkReady", "status": True, "reason": "", "message": ""},
        ],
    )
    document["layers"]["shim"].update(shims=[])
    document["layers"]["node"].update(
        disks=[{"path": "/var/lib/containerd", "used_ratio": 0.4, "inodes_used_ratio": 0.1}],
        memory={"total_bytes": 24 * 2**30, "available_bytes": 20 * 2**30, "available_ratio": 0.83},
        kernel_log=[],
    )
    out: list[dict[str, Any]] = []
    for i in range(pods):
        uid = str(uuid.UUID(int=i))
        containers = [_container(i, f"c{c}", 0, (i + c) % 3) for c in range(containers_per_pod)]
        out.append(
            {
                "name": f"web-{i}",
                "namespace": "default",
                "uid": uid,
                "sandbox": {"id": f"{i:064x}", "state": "SANDBOX_READY", "ip": "10.88.0.2"},
                "containers": containers,
                "events": [],
                "kubelet_log": [
                    {"message": line.format(i=i, uid=uid), "severity": "I"}
                    for line in KUBELET_LINES
                ],
                "containerd_log": [],
            }
        )
    document["pods"] = out
    return document
