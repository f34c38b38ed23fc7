"""`stackdoctor diagnose` of one pod on the lab cluster's node with 50 running pods, against a
minimal script making the same CRI calls over the same socket (both as fresh processes); and
with the API server asked too, against that script also making the same API requests: with
lightkube, the client library stackdoctor uses, as the CRI script uses the same gRPC stubs
(issue #14's bound is 1.5x of that), and with the standard library alone (http.client, the
kubeconfig's token and CA), which no client library can come near (docs/performance.md)."""

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


# The API requests diagnose makes for a pod without owners: the pod (by name in every
# namespace), its events, its node, the node's events — with nothing but the standard library
# and PyYAML.
BARE_API = """
import http.client, json, ssl, sys, urllib.parse, yaml
config = yaml.safe_load(open(sys.argv[4]))
cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
server = urllib.parse.urlsplit(cluster["server"])
context = ssl.create_default_context(cafile=cluster["certificate-authority"])
api = http.client.HTTPSConnection(server.hostname, server.port, context=context, timeout=5)
headers = {"Authorization": "Bearer " + user["token"], "Accept": "application/json"}
def get(path, **query):
    query = "?" + urllib.parse.urlencode(query) if query else ""
    api.request("GET", path + query, headers=headers)
    return json.loads(api.getresponse().read())
pod = get("/api/v1/pods", fieldSelector="metadata.name=" + sys.argv[3])["items"][0]
get("/api/v1/namespaces/%s/events" % sys.argv[2], limit=200, fieldSelector=
    "involvedObject.kind=Pod,involvedObject.name=%s,involvedObject.uid=%s"
    % (sys.argv[3], pod["metadata"]["uid"]))
get("/api/v1/nodes/" + pod["spec"]["nodeName"])
get("/api/v1/events", limit=200, fieldSelector=
    "involvedObject.kind=Node,involvedObject.name=" + pod["spec"]["nodeName"])
"""

# The same requests with lightkube as its documentation shows it, except for one economy
# stackdoctor makes too: generic resources, whose answers decode to plain dicts.
BARE_LIGHTKUBE = """
from lightkube import ALL_NS, Client, KubeConfig
from lightkube.generic_resource import create_global_resource, create_namespaced_resource
Pod = create_namespaced_resource("", "v1", "Pod", "pods")
Event = create_namespaced_resource("", "v1", "Event", "events")
Node = create_global_resource("", "v1", "Node", "nodes")
client = Client(KubeConfig.from_file(sys.argv[4]), timeout=5, trust_env=False)
pod = next(iter(client.list(Pod, namespace=ALL_NS, fields={"metadata.name": sys.argv[3]})))
list(client.list(Event, namespace=sys.argv[2], chunk_size=200, fields={
    "involvedObject.kind": "Pod", "involvedObject.name": sys.argv[3],
    "involvedObject.uid": pod["metadata"]["uid"]}))
node = pod["spec"]["nodeName"]
client.get(Node, node)
list(client.list(Event, namespace=ALL_NS, chunk_size=200, fields={
    "involvedObject.kind": "Node", "involvedObject.name": node}))
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
            kubeconfig = str(lab.cluster.files.admin_kubeconfig)
            bare = [sys.executable, "-c", BARE, lab.layout.address, "default", "web-25"]
            bare_api = [sys.executable, "-c", BARE + BARE_API, lab.layout.address, "default",
                        "web-25", kubeconfig]  # fmt: skip
            bare_lightkube = [sys.executable, "-c", BARE + BARE_LIGHTKUBE, lab.layout.address,
                              "default", "web-25", kubeconfig]  # fmt: skip
            check = [sys.executable, "-m", "doctor", "check", *node, "--sample-interval", "0", "-q"]
            bundle = Path(raw) / "node.tar.gz"
            collect = [sys.executable, "-m", "doctor", "collect", "--all-pods", *node,
                       "--sample-interval", "0", "-q", "-o", str(bundle)]  # fmt: skip
            commands = {
                f"bare CRI calls for 1 pod ({PODS} running)": bare,
                "stackdoctor diagnose --no-api (interval 0)": [*ours, "--no-api"],
                "stackdoctor check (interval 0)": check,
                "bare CRI calls + the same API requests (http.client)": bare_api,
                "bare CRI calls + the same API requests (lightkube)": bare_lightkube,
                "stackdoctor diagnose with the API (interval 0)": [
                    *ours,
                    "--kubeconfig",
                    kubeconfig,
                ],
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
            with_api, stdlib, library = rows[5], rows[3], rows[4]
            with_api["ratio_to_bare_cri_and_lightkube"] = round(
                with_api["median_s"] / library["median_s"], 2
            )
            with_api["ratio_to_bare_cri_and_http_client"] = round(
                with_api["median_s"] / stdlib["median_s"], 2
            )
            return rows

        finally:
            lab.down()
