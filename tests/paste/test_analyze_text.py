"""`analyze --text`: real pastes -> the facts each part becomes, and the root cause.

Every paste is real text (tests/paste/pastes.py names where each piece comes from); mixed
pastes, trimmed fragments, unknown and empty text, CRLF and colour, a bundle with a paste, and
hostile input.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from doctor.bundle.limits import ReadLimits
from doctor.bundle.source import Loaded, load_inputs
from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.errors import FactsError
from doctor.facts.document import PodRef
from doctor.model import Report
from tests.conftest import stackdoctor
from tests.paste.pastes import (
    CALICO_EVENTS,
    DESCRIBE_NODE,
    DF_H,
    K3S_SUPERVISOR,
    KUBECTL,
    MESSAGES_NO_PID,
    kubectl,
    raw_lines,
    scenario,
)

RULES = load_rules()
KUBELET = raw_lines("cni-not-ready", "kubelet")  # journalctl -u kubelet
CONTAINERD = raw_lines("cni-not-ready", "containerd")
KERN_LOG = raw_lines("kernel-oom-global", "node", "kernel_log")
DMESG = [line[line.index("[") :] for line in KERN_LOG]
DESCRIBE = kubectl("oom-describe.txt")


def paste(tmp_path: Path, text: str, name: str = "paste.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def analyze(*texts: Path, bundle: Path | None = None, pod: str | None = None) -> Loaded:
    return load_inputs(bundle, (), texts, PodRef.parse(pod) if pod else None)


def report_of(loaded: Loaded, pod: str | None = None) -> Report:
    return diagnose(loaded.document, RULES, PodRef.parse(pod) if pod else None)


def root(report: Report) -> str | None:
    return report.root_cause.finding.rule_id if report.root_cause else None


def layers(loaded: Loaded) -> dict[str, Any]:
    result: dict[str, Any] = loaded.document.data["layers"]
    return result


@pytest.mark.parametrize(
    "order",
    [("describe", "journal", "dmesg"), ("dmesg", "journal", "describe")],
    ids=["describe-first", "dmesg-first"],
)
def test_mixed_paste_fills_each_layer(tmp_path: Path, order: tuple[str, ...]) -> None:
    parts = {
        "describe": DESCRIBE,
        "journal": "\n".join(KUBELET + CONTAINERD),
        "dmesg": "\n".join(DMESG),
    }
    loaded = analyze(paste(tmp_path, "\n".join(parts[name] for name in order) + "\n"))
    kinds = [entry.split(": ", 1)[1] for entry in loaded.read]
    assert sorted(kinds) == ["dmesg", "journal/syslog", "kubectl describe pod"]
    assert loaded.unplaced == ()
    found = layers(loaded)
    assert found["apiserver"]["status"] == "ok"
    assert found["kubelet"]["status"] == "ok" and found["kubelet"]["log"]
    assert found["containerd"]["status"] == "ok" and found["containerd"]["log"]
    kernel = found["node"]["kernel_log"]
    assert any("Killed process 23411 (java)" in line["message"] for line in kernel)
    assert all(not line["message"].startswith("[") for line in kernel)
    assert found["cri"]["status"] == "absent"  # nothing pasted for it
    report = report_of(loaded)
    assert root(report) == "process.oom-killed"
    assert "node.kernel-oom" in {f.rule_id for f in report.findings}


def test_a_bundle_and_a_pasted_container_log(tmp_path: Path) -> None:
    # the lab's exec-format failure without the container's output: an application error...
    document = scenario("k8s-exec-format")
    stripped = json.loads(json.dumps(document))
    for pod in stripped["pods"]:
        for container in pod["containers"]:
            container.pop("log_tail", None)
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(stripped))
    assert root(report_of(load_inputs(facts))) != "runc.exec-format"
    # ...and with what `kubectl logs` printed (the lab's real output), the real cause
    (pod,) = document["pods"]
    output = next(c["log_tail"] for c in pod["containers"] if c["name"] == "app")
    command = f"$ kubectl logs -n {pod['namespace']} {pod['name']} -c app\n"
    loaded = analyze(paste(tmp_path, command + "\n".join(output) + "\n"), bundle=facts)
    assert root(report_of(loaded)) == "runc.exec-format"
    attempts = [c for c in loaded.document.pods()[0]["containers"] if c["name"] == "app"]
    newest = max(attempts, key=lambda c: c["attempt"])
    assert newest["log_tail"] == output and newest["attempt"] == 1
    # without -c, the pod's two containers (an init container and app) leave it undecided
    unsure = analyze(paste(tmp_path, "\n".join(output) + "\n", "bare.txt"), bundle=facts)
    assert any("has containers" in note for note in unsure.unplaced)


def test_a_container_log_without_a_pod_is_kept_and_said(tmp_path: Path) -> None:
    loaded = analyze(paste(tmp_path, "exec /app/server: exec format error\n"))
    (pod,) = loaded.document.pods()
    assert (pod["namespace"], pod["name"]) == ("default", "unknown")
    assert pod["containers"][0]["log_tail"] == ["exec /app/server: exec format error"]
    assert layers(loaded)["process"]["status"] == "ok"
    assert any("no pod named" in note for note in loaded.unplaced)


def test_pod_option_names_whose_log_it_is(tmp_path: Path) -> None:
    loaded = analyze(paste(tmp_path, "exec /app/server: exec format error\n"), pod="shop/checkout")
    (pod,) = loaded.document.pods()
    assert (pod["namespace"], pod["name"]) == ("shop", "checkout")
    assert not loaded.unplaced


def test_trimmed_kubelet_message_lands_in_the_kubelet_log(tmp_path: Path) -> None:
    # the kubelet's text without its journal and klog prefixes, as users trim it
    messages = [line["message"] for line in scenario("k8s-exec-format")["layers"]["kubelet"]["log"]]
    trimmed = next(m for m in messages if m.startswith('"StartContainer from runtime service'))
    loaded = analyze(paste(tmp_path, trimmed + "\n"))
    assert [line["message"] for line in layers(loaded)["kubelet"]["log"]] == [trimmed]
    assert loaded.unplaced == ()


def test_events_table_and_syslog_line(tmp_path: Path) -> None:
    loaded = analyze(paste(tmp_path, CALICO_EVENTS + "\n" + MESSAGES_NO_PID + "\n"))
    (pod,) = loaded.document.pods()
    assert (pod["namespace"], pod["name"]) == ("default", "calico-node-4fpgp")
    assert pod["events"] == [
        {
            "type": "Warning",
            "reason": "Unhealthy",
            "message": "Readiness probe failed:",
            "count": None,
            "source": None,
            "last_seen": None,
        }
    ]
    assert layers(loaded)["kubelet"]["status"] == "ok"


def test_describe_node_gives_the_node_conditions(tmp_path: Path) -> None:
    loaded = analyze(paste(tmp_path, "$ kubectl describe node dgx\n" + DESCRIBE_NODE))
    assert loaded.read == (f"{tmp_path}/paste.txt:2-72: kubectl describe node",)
    assert loaded.document.host == "dgx"
    ready = layers(loaded)["apiserver"]["node_conditions"][-1]
    assert ready["type"] == "Ready" and ready["status"] == "False"
    assert ready["reason"] == "KubeletNotReady"
    assert ready["message"].endswith("Network plugin returns error: cni plugin not initialized")
    # the runtime's NetworkReady message in the condition says why: no CNI config loaded
    assert root(report_of(loaded)) == "containerd.cni-config-missing"


def test_df_fills_the_node_disks(tmp_path: Path) -> None:
    loaded = analyze(paste(tmp_path, DF_H))
    disks = layers(loaded)["node"]["disks"]
    assert [(d["path"], d["mount"], d["used_ratio"]) for d in disks] == [
        ("/var/lib/containerd", "/", 0.09),
        ("/var/lib/kubelet", "/", 0.09),
        ("/var/log", "/", 0.09),
    ]


def test_k3s_lines_are_not_lost(tmp_path: Path) -> None:
    loaded = analyze(paste(tmp_path, K3S_SUPERVISOR + "\n"))
    assert loaded.unplaced == ()  # read as the node agent's (daemons.py), not "other programs"
    assert layers(loaded)["kubelet"]["status"] == "ok"


def test_other_programs_lines_are_reported(tmp_path: Path) -> None:
    # sudo's line in a kubelet journal excerpt (kubernetes/kubernetes#... clearlinux
    # cloud-native-setup#127: `journalctl` around `kubeadm reset`)
    line = (
        "Jul 31 01:48:48 clr-7758e4011ab24fbfa1263b0fd3f57997 sudo[815]:     root : TTY=pts/0 ;"
        " PWD=/usr/share/clr-k8s-examples ; USER=root ; COMMAND=/usr/bin/kubeadm reset -f"
    )
    loaded = analyze(paste(tmp_path, line + "\n"))
    assert loaded.unplaced == ("lines of programs no layer reads: sudo (1)",)


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("hello world\nthis is not a log\n", "/paste.txt:1-2: unrecognised text ('hello world')"),
        ("", "/paste.txt: no text"),
    ],
    ids=["unknown", "empty"],
)
def test_unplaced_text_is_said(tmp_path: Path, text: str, note: str) -> None:
    loaded = analyze(paste(tmp_path, text))
    assert any(note in n for n in loaded.unplaced), loaded.unplaced
    report = report_of(loaded)
    assert report.root_cause is None


def test_crlf_and_colour_read_the_same(tmp_path: Path) -> None:
    plain_text = DESCRIBE + "\n".join(KUBELET) + "\n"
    coloured = plain_text.replace("\n", "\r\n").replace("Warning", "\x1b[33mWarning\x1b[0m")
    a = analyze(paste(tmp_path, plain_text, "a.txt"))
    b = analyze(paste(tmp_path, coloured, "b.txt"))
    assert a.document.data["pods"] == b.document.data["pods"]
    assert layers(a)["kubelet"]["log"] == layers(b)["kubelet"]["log"]


def test_text_with_describe_option(tmp_path: Path) -> None:
    loaded = load_inputs(None, [KUBECTL / "oom-describe.txt"], [paste(tmp_path, "\n".join(DMESG))])
    assert root(report_of(loaded)) == "process.oom-killed"
    assert layers(loaded)["node"]["kernel_log"]


# -- hostile input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"kubelet\x00\x01\x02", "binary data"),
        (gzip.compress(b"x"), "an archive, not text"),
    ],
    ids=["nul-bytes", "gzip"],
)
def test_binary_is_refused(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "paste.bin"
    path.write_bytes(data)
    with pytest.raises(FactsError, match=message):
        analyze(path)


def test_too_large_is_refused(tmp_path: Path) -> None:
    path = paste(tmp_path, "\n".join(KUBELET) * 10)
    with pytest.raises(FactsError, match="larger than 1000 bytes"):
        load_inputs(None, (), [path], None, ReadLimits(max_text_bytes=1000))


def test_a_very_long_line_is_cut_and_said(tmp_path: Path) -> None:
    path = paste(tmp_path, KUBELET[0] + "\n" + "x" * 5000 + "\n")
    loaded = load_inputs(None, (), [path], None, ReadLimits(max_line_chars=4096))
    assert any("line 2 cut" in note for note in loaded.unplaced)


# -- the command line ---------------------------------------------------------------------------


def test_cli_reads_standard_input_and_reports_in_json() -> None:
    text = DESCRIBE + "\nhello world\n"
    result = stackdoctor("analyze", "--text", "-", "--output", "json", stdin=text)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["root_cause"]["id"] == "process.oom-killed"
    assert report["pasted"] == ["<stdin>:1-57: kubectl describe pod"]
    assert report["unplaced"] == ["<stdin>:59: unrecognised text ('hello world'): not recognised"]


def test_cli_text_report_names_what_it_could_not_place(tmp_path: Path) -> None:
    result = stackdoctor("analyze", "--text", str(paste(tmp_path, "hello world\n")))
    assert result.returncode == 0, result.stderr
    assert "not placed:" in result.stdout and "hello world" in result.stdout


def test_cli_binary_text_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"\x00\x00")
    result = stackdoctor("analyze", "--text", str(path))
    assert result.returncode == 2
    assert "binary data" in result.stderr and "Traceback" not in result.stderr


def test_with_pod_the_lines_naming_no_pod_are_its_own_and_others_are_not(tmp_path: Path) -> None:
    """--pod says whose the paste is: a pasted line naming no pod is evidence about it; one
    naming another pod is not (docs/diagnosis.md, evidence and its subject)."""
    lines = raw_lines("k8s-crash-loop", "kubelet")
    no_pod = next(line for line in lines if "RuntimeConfig from runtime service failed" in line)
    other = next(line for line in lines if 'pod="default/liveness-probe"' in line)
    own = next(line for line in lines if "crash-loop_default(" in line)
    loaded = analyze(
        paste(tmp_path, "\n".join([no_pod, other, own]) + "\n"), pod="default/crash-loop"
    )
    (pod,) = loaded.document.pods()
    assert (pod["namespace"], pod["name"]) == ("default", "crash-loop")
    credited = [line["raw"] for line in pod["kubelet_log"]]
    assert no_pod in credited and own in credited
    assert other not in credited
