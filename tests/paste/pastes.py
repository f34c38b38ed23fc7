"""Real text, as users paste it, for the paste tests: never invented.

Lines come from this repository's recorded failures (fixtures/scenarios/*.json hold the kubelet,
containerd and kernel lines captured on real nodes and in the lab), its kubectl captures
(tests/bundle/kubectl/), and public threads (the source named beside each).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from tests.conftest import REPO

SCENARIOS = REPO / "fixtures" / "scenarios"
KUBECTL = REPO / "tests" / "bundle" / "kubectl"


@cache
def scenario(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCENARIOS / f"{name}.json").read_text())
    return data


def raw_lines(name: str, layer: str, key: str = "log") -> list[str]:
    """The raw lines a scenario recorded in one layer's log, oldest first."""
    return [line["raw"] for line in scenario(name)["layers"][layer][key]]


def kubectl(name: str) -> str:
    return (KUBECTL / name).read_text()


# A k3s node's journal: the k3s supervisor's own logrus line (kingsd041/k3s-tutorial,
# 03-安装-要求及选项/README.md: a worker joining with a duplicate host name).
K3S_SUPERVISOR = (
    'Apr 13 07:37:37 k3s2 k3s[1763]: time="2021-04-13T15:37:37.444123090+08:00" level=error'
    ' msg="Failed to retrieve agent config: Node password rejected, duplicate hostname or'
    " contents of '/etc/rancher/node/password' may not match server node-passwd entry, try"
    ' enabling a unique node name with the --with-node-id flag"'
)

# `kubectl get events` and the kubelet's line in /var/log/messages (syslog without a pid),
# from a public write-up on calico-node's readiness probe ("[解决] Warning pod/calico-node-<hash>
# Readiness probe failed", 2022-03-21).
CALICO_EVENTS = """\
$ kubectl -n calico-system get events
LAST SEEN   TYPE      REASON      OBJECT                  MESSAGE
6m1s        Warning   Unhealthy   pod/calico-node-4fpgp   Readiness probe failed:
"""
MESSAGES_NO_PID = (
    "Mar 20 13:20:37 pcosmo-hda-ceno-06 kubelet: E0320 13:20:37.754807   20121"
    ' kubelet_volumes.go:154] orphaned pod "47e20a85-99ba-4c77-9cac-36d1aa56b6d3" found, but'
    " volume paths are still present on disk : There were a total of 2 errors similar to this."
    " Turn up verbosity to see them."
)

# `df -h` in a GitHub Codespace (a public Linux course, chapter 13 "df").
DF_H = """\
$ df -h
Filesystem      Size  Used Avail Use% Mounted on
overlay          32G  2.5G   28G   9% /
tmpfs            64M     0   64M   0% /dev
shm              64M     0   64M   0% /dev/shm
/dev/root        29G   23G  5.9G  80% /vscode
/dev/loop4       32G  2.5G   28G   9% /workspaces
/dev/sda1        44G  1.6G   41G   4% /tmp
"""

# `kubectl describe node dgx` of a worker without a CNI (ganindu7/deepnotes, the TAO/DGX
# Kubernetes set-up notes), kept whole in tests/paste/describe-node-dgx.txt.
DESCRIBE_NODE = (Path(__file__).parent / "describe-node-dgx.txt").read_text()
