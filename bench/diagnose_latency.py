"""`stackdoctor diagnose` of one pod on the lab cluster's node with 50 running pods, against a
minimal script making the same CRI calls over the same socket (both as fresh processes)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.timing import interleaved_medians, run_timed

PODS = 50

# The bare calls diagnose needs for one pod: what a hand-written script would do.
BARE = """
import sys, grpc
from doctor.gather.cri.generated.runtime.v1 import api_pb2 as m, api_pb2_grpc as g
channel = grpc.insecure_channel(sys.argv[1])
rt, im = g.RuntimeServiceStub(channel), g.ImageServiceStub(channel)
rt.Version(m.VersionRequest(), timeout=5)
rt.Status(m.StatusRequest(verbose=True), timeout=5)
labels = {"io.kubernetes.pod.name": sys.argv[3], "io.kubernetes.pod.namespace": sys.argv[2]}
rt.ListPodSandbox(m.ListPodSandboxRequest(), timeout=5)
boxes = rt.ListPodSandbox(m.ListPodSandboxRequest(
    filter=m.PodSandboxFilter(label_selector=labels)), timeout=5).items
for box in boxes:
    rt.PodSandboxStatus(m.PodSandboxStatusRequest(pod_sandbox_id=box.id, verbose=True), timeout=5)
    listed = rt.ListContainers(m.ListContainersRequest(
        filter=m.ContainerFilter(pod_sandbox_id=box.id)), timeout=5).containers
    for c in listed:
        s = rt.ContainerStatus(m.ContainerStatusRequest(container_id=c.id, verbose=True), timeout=5)
        rt.ContainerStats(m.ContainerStatsRequest(container_id=c.id), timeout=5)
        im.ImageStatus(m.ImageStatusRequest(image=s.status.image), timeout=5)
im.ImageFsInfo(m.ImageFsInfoRequest(), timeout=5)
"""


def web_pods() -> dict[str, Any]:
    """PODS sleeping pods under a 32Mi limit, as one List for kubectl apply."""
    pods = [
        {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"web-{index}", "namespace": "default"},
            "spec": {
                "terminationGracePeriodSeconds": 1,
                "containers": [{
                    "name": "app", "image": "localhost/stackdoctor-lab/busybox:1",
                    "imagePullPolicy": "Never", "command": ["sleep", "2147483647"],
                    "resources": {"limits": {"memory": "32Mi"}},
                }],
            },
        }
        for index in range(PODS)
    ]  # fmt: skip
    return {"apiVersion": "v1", "kind": "List", "items": pods}


def diagnose_latency(repeat: int) -> list[dict[str, Any]]:
    from doctor.lab.kube.scenarios import ready, wait_pod
    from doctor.lab.runtime import Lab, unavailable_reason

    reason = unavailable_reason()
    if reason:
        return [{"skipped": reason}]
    with tempfile.TemporaryDirectory(prefix="sd-bench-", dir="/tmp") as raw:
        lab = Lab(Path(raw) / "lab")
        try:
            lab.up()
            lab.cluster.kubectl("apply", "-f", "-", stdin=json.dumps(web_pods()), timeout=120)
            for index in range(PODS):
                wait_pod(lab, f"web-{index}", ready, timeout=300)
            node = ["--host-root", str(lab.layout.host), "--runtime-endpoint", lab.layout.address]
            ours = [sys.executable, "-m", "doctor", "diagnose", "default/web-25", *node,
                    "--sample-interval", "0", "-q", "-o", "json"]  # fmt: skip
            bare = [sys.executable, "-c", BARE, lab.layout.address, "default", "web-25"]
            check = [sys.executable, "-m", "doctor", "check", *node, "--sample-interval", "0", "-q"]
            bundle = Path(raw) / "node.tar.gz"
            collect = [sys.executable, "-m", "doctor", "collect", "--all-pods", *node,
                       "--sample-interval", "0", "-q", "-o", str(bundle)]  # fmt: skip
            commands = {
                f"bare CRI calls for 1 pod ({PODS} running)": bare,
                "stackdoctor diagnose (interval 0)": ours,
                "stackdoctor check (interval 0)": check,
            }
            timed = {name: t.wall_s for name, t in interleaved_medians(commands, repeat).items()}
            baseline = timed[next(iter(commands))]
            collect_name = f"stackdoctor collect --all-pods (interval 0, {PODS} pods)"
            timed[collect_name] = run_timed(collect).wall_s

            rows = [
                {"command": name, "median_s": round(took, 3), "ratio": round(took / baseline, 2)}
                for name, took in timed.items()
            ]
            rows[-1]["bundle_kib"] = round(bundle.stat().st_size / 1024)
            return rows

        finally:
            lab.down()
