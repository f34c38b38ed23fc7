"""What crictl and docker print of pods and containers, into the CRI's facts: a table of real
pastes -> the pods, sandboxes and container attempts they give."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from doctor.facts.document import PodRef
from tests.paste.corpus import evidence
from tests.paste.reading import read_paste


def facts(tmp_path: Path, text: str, pod: PodRef | None = None) -> tuple[Any, ...]:
    loaded = read_paste(tmp_path, text, pod)
    return loaded.document.data, loaded.read, loaded.unplaced


def test_crictl_ps_and_pods_tables_give_each_pod_its_containers(tmp_path: Path) -> None:
    data, read, unplaced = facts(tmp_path, evidence("none/cri-tools-369-crictl-ps"))
    assert [r.split(": ", 1)[1] for r in read] == ["crictl ps", "crictl pods"]
    assert unplaced == ()
    pods = {p["name"]: p for p in data["pods"]}
    assert pods["kube-proxy-bqnhm"]["namespace"] == "kube-system"
    assert pods["kube-proxy-bqnhm"]["sandbox"] == {"id": "ab863e4ae6f33", "state": "SANDBOX_READY"}
    assert pods["kube-proxy-bqnhm"]["containers"] == [
        {
            "name": "kube-proxy",
            "attempt": 6,
            "id": "f60944900ceb3",
            "state": "CONTAINER_RUNNING",
            "image": {"ref": "32609f1b11ae7", "id": None},
            "restart_count": 6,
        }
    ]
    assert [c["name"] for c in pods["virtlet-wcb8r"]["containers"]] == ["vms", "virtlet", "libvirt"]
    assert data["layers"]["cri"]["status"] == "ok"


def test_crictl_ps_alone_needs_a_pod(tmp_path: Path) -> None:
    table = evidence("none/cri-tools-369-crictl-ps").split("[root@cloud-test2:~]$\n")[0]
    _, _, unplaced = facts(tmp_path, table)
    assert any("no pod named: give --pod" in note for note in unplaced)
    data, _, unplaced = facts(tmp_path, table, PodRef("kube-system", "virtlet-wcb8r"))
    assert len(data["pods"][0]["containers"]) == 4
    assert unplaced == ()


# `crictl inspect` of an exited container, containerd/cri#479 (2017): the status as printed
# (its mounts cut by the user); the info in the shape containerd's verbose ContainerStatus has
CRICTL_INSPECT = {
    "status": {
        "id": "98ad5842a62844f62d4468c52dbfcc081a08ba25c95c842a967de7058f60dd24",
        "metadata": {"attempt": 0, "name": "nginx"},
        "state": "CONTAINER_EXITED",
        "createdAt": "2017-11-30T21:57:26.038813532Z",
        "startedAt": "2017-11-30T21:57:26.235406355Z",
        "finishedAt": "2017-12-01T20:08:56.523559866Z",
        "exitCode": 255,
        "image": {"image": "gcr.io/google-containers/nginx-slim-amd64:0.20"},
        "imageRef": "gcr.io/google-containers/nginx-slim-amd64@sha256:6654db6d4028756062edac466454ee5c9cf9b20ef79e35a81e3c840031eb1e2b",  # noqa: E501
        "reason": "Unknown",
        "message": "",
        "labels": {
            "io.kubernetes.container.name": "nginx",
            "io.kubernetes.pod.name": "nginx",
            "io.kubernetes.pod.namespace": "e2e-tests-kubectl-2jdtb",
            "io.kubernetes.pod.uid": "6ffc887b-d619-11e7-8e8b-42010af00002",
        },
        "annotations": {"io.kubernetes.container.restartCount": "0"},
    },
    "info": {
        "sandboxID": "0f8c455422a0546eb425a4fa305d5b7a0072109dff38fb94213a468ec27e680e",
        "pid": 0,
        "runtimeSpec": {
            "process": {"args": ["nginx", "-g", "daemon off;"], "oomScoreAdj": 1000},
            "linux": {"resources": {"memory": {"limit": 104857600}, "cpu": {"shares": 2}}},
        },
    },
}


def test_crictl_inspect_gives_the_attempt_as_the_cri_says_it(tmp_path: Path) -> None:
    text = "$ crictl inspect 98ad5842a6284\n" + json.dumps(CRICTL_INSPECT, indent=2) + "\n"
    data, read, _ = facts(tmp_path, text)
    assert read[0].endswith("crictl inspect")
    (pod,) = data["pods"]
    assert (pod["namespace"], pod["name"], pod["uid"]) == (
        "e2e-tests-kubectl-2jdtb",
        "nginx",
        "6ffc887b-d619-11e7-8e8b-42010af00002",
    )
    (container,) = pod["containers"]
    assert container["state"] == "CONTAINER_EXITED"
    assert (container["exit_code"], container["reason"]) == (255, "Unknown")
    assert container["finished_at"] == "2017-12-01T20:08:56.523559866Z"
    assert container["command"] == ["nginx", "-g", "daemon off;"]
    assert container["resources"]["memory_limit_bytes"] == 104857600
    assert container["resources"]["oom_score_adj"] == 1000
    assert "pid" not in container  # 0: exited, no process


# `crictl inspectp`, containerd/cri#452 (2017): createdAt as nanoseconds, as crictl then printed
CRICTL_INSPECTP = """\
{
  "status": {
    "id": "0f8c455422a0546eb425a4fa305d5b7a0072109dff38fb94213a468ec27e680e",
    "metadata": {
      "name": "nginx-sandbox",
      "uid": "hdishd83djaidwnduwk28bcsb",
      "namespace": "default",
      "attempt": 1
    },
    "state": "SANDBOX_READY",
    "createdAt": "1512524016760395386",
    "network": {
      "ip": "10.88.6.32"
    }
  },
  "info": {
    "pid": 9475
  }
}
"""


def test_crictl_inspectp_gives_the_sandbox(tmp_path: Path) -> None:
    data, _, _ = facts(tmp_path, CRICTL_INSPECTP)
    (pod,) = data["pods"]
    assert pod["sandbox"] == {
        "id": "0f8c455422a0546eb425a4fa305d5b7a0072109dff38fb94213a468ec27e680e",
        "state": "SANDBOX_READY",
        "created_at": "2017-12-06T01:33:36.760395Z",
        "ip": "10.88.6.32",
    }


# `docker inspect` of a dockershim container: State as kubernetes/kubernetes#19825 shows it (an
# exit 137 with OOMKilled false, Docker 1.10); Name and labels as docker/for-linux#670 shows a
# dockershim container's (k8s_<container>_<pod>_<namespace>_<uid>_<attempt>)
DOCKER_INSPECT = [
    {
        "Id": "29d72966e0beb17d9b0b9fbcbfc734e2df2eb5428690115f9b24430357de08e5",
        "Name": "/k8s_notebook_jupyter-x_jhub-prod_efa75591-6e89-11e9-bf85-001a4a16016d_0",
        "State": {
            "Status": "exited",
            "Running": False,
            "Paused": False,
            "Restarting": False,
            "OOMKilled": False,
            "Dead": False,
            "Pid": 0,
            "ExitCode": 137,
            "Error": "",
            "StartedAt": "2016-07-19T05:15:33.150413532Z",
            "FinishedAt": "2016-07-19T05:16:32.658433718Z",
        },
        "Config": {
            "Labels": {
                "io.kubernetes.container.name": "notebook",
                "io.kubernetes.docker.type": "container",
                "io.kubernetes.pod.name": "jupyter-x",
                "io.kubernetes.pod.namespace": "jhub-prod",
                "io.kubernetes.pod.uid": "efa75591-6e89-11e9-bf85-001a4a16016d",
            }
        },
    }
]


def test_docker_inspect_gives_what_dockershim_told_the_kubelet(tmp_path: Path) -> None:
    data, read, _ = facts(tmp_path, json.dumps(DOCKER_INSPECT, indent=4))
    assert read[0].endswith("docker inspect")
    (pod,) = data["pods"]
    assert (pod["namespace"], pod["name"]) == ("jhub-prod", "jupyter-x")
    (container,) = pod["containers"]
    assert container["state"] == "CONTAINER_EXITED"
    assert (container["exit_code"], container["reason"]) == (137, "Error")
    assert container["started_at"] == "2016-07-19T05:15:33.150413532Z"


def test_docker_inspect_of_a_container_no_pod_owns_is_said(tmp_path: Path) -> None:
    plain = [{**DOCKER_INSPECT[0], "Name": "/web", "Config": {"Labels": {}}}]
    data, _, unplaced = facts(tmp_path, json.dumps(plain))
    assert data["pods"] == []
    assert any("a container no pod owns" in note for note in unplaced)
