"""Evidence bound to time, on the real cluster: a fault, diagnosed (the rule fires); the fault
fixed, diagnosed again (quiet) while its old lines are still in the logs; and `check --since`
on the node, whose logs still hold them.

The fault is cni-ip-exhausted (host-local on a /30, one address, held by another pod): the
finding reads containerd's and the kubelet's logs, which remember the failures after the node
has recovered — the false alarm issue #15 names.
"""

from __future__ import annotations

import json
import time

from doctor.lab.kube import scenarios
from doctor.lab.runtime import Lab
from tests.lab.diagnose import diagnose, root_cause, stackdoctor

LINE = "no IP addresses available in range set"
RULE = "containerd.cni-ip-exhausted"


def test_a_fixed_fault_is_quiet_though_its_lines_remain(cluster: Lab) -> None:
    scenario = scenarios.get("cni-ip-exhausted")
    assert scenario.restore is not None
    restored = False
    try:
        scenarios.run(cluster, scenario)
        broken = diagnose(cluster, scenario.pod_ref)
        assert root_cause(broken.report) == (RULE, "containerd")

        scenario.restore(cluster)  # the holder gone, a /24 again
        restored = True
        scenarios.wait_pod(cluster, scenario.name, scenarios.ready, timeout=120)
        # the failures of before the fix are still in containerd's log
        assert LINE in cluster.layout.containerd_log.read_text(errors="replace")

        fixed = diagnose(cluster, scenario.pod_ref)
        assert RULE not in {f["id"] for f in fixed.report["findings"]}, fixed.report["findings"]
        assert root_cause(fixed.report) == (None, None)
        assert any(LINE in note or "left out" in note for note in fixed.report["too_old"]), (
            fixed.report["too_old"]
        )

        # the node: its logs hold the old failures; only those of the last minute count
        time.sleep(2)
        code, out, err, _ = stackdoctor(cluster, "check", "--since", "1s", "--output", "json")
        assert code in (0, 1), err
        assert RULE not in {f["id"] for f in json.loads(out)["findings"]}
    finally:
        try:
            if not restored:
                scenario.restore(cluster)
        finally:
            scenarios.remove(cluster, scenario)
