"""Fragments as users paste them, trimmed of the prefixes and context the formats have: each
real paste (its fixtures/realworld case named) is read into the layer it tells about."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from doctor.bundle.source import Loaded
from tests.paste.corpus import evidence
from tests.paste.test_analyze_text import analyze, layers, paste, report_of, root


def read_as(loaded: Loaded) -> list[str]:
    """What each segment was read as (`1-5: journal/syslog`), without the file's path."""
    return [entry.split("paste.txt:", 1)[1] for entry in loaded.read]


def test_journal_lines_trimmed_to_their_identifier(tmp_path: Path) -> None:
    # ` kubelet[111106]: F0812 ...`: time and host cut, a space left before it
    loaded = analyze(paste(tmp_path, evidence("node.inotify-exhausted/kubermatic-7490")))
    assert read_as(loaded) == ["1-5: log lines without their prefix"]
    log = layers(loaded)["kubelet"]["log"]
    assert [line["severity"] for line in log][:2] == ["F", "E"]
    assert root(report_of(loaded)) == "node.inotify-exhausted"


def test_journal_lines_with_two_spaces_after_the_host(tmp_path: Path) -> None:
    loaded = analyze(paste(tmp_path, evidence("containerd.metadata-corrupt/containerd-9929")))
    assert read_as(loaded) == ["1-8: journal/syslog"]
    assert layers(loaded)["containerd"]["log"]
    assert root(report_of(loaded)) == "containerd.metadata-corrupt"


def events_of(loaded: Loaded, pod: str) -> list[dict[str, Any]]:
    namespace, name = pod.split("/")
    found = [
        p for p in loaded.document.data["pods"] if (p["namespace"], p["name"]) == (namespace, name)
    ]
    assert len(found) == 1
    events: list[dict[str, Any]] = found[0].get("events") or []
    return events


@pytest.mark.parametrize(
    ("case", "pod", "expected"),
    [
        # an Events block cut from describe: its pod named by the Scheduled event's message
        ("containerd.proxy-missing/rke2-810", None, "kubelet.sandbox-create-failed"),
        # one row, no header; a pod given
        ("containerd.cni-ip-exhausted/k3s-4682", None, "containerd.cni-ip-exhausted"),
        # a row the user's terminal wrapped mid-word (`for s` / `andbox "55db..."`)
        (
            "containerd.cni-plugin-missing/k0s-582",
            "default/busybox-sleep",
            "containerd.cni-plugin-missing",
        ),
        # a bare message, `(combined from similar events): ` before it
        ("containerd.cni-plugin-missing/kubeasz-1194", None, "containerd.cni-plugin-missing"),
        # Rancher's `REASON <tab>Pod NAME` line, the message below it
        ("containerd.cni-ip-exhausted/k3s-7078", None, "containerd.cni-ip-exhausted"),
        # a bare `Failed to pull image` message, wrapped inside a path
        ("containerd.disk-full/k3os-254", None, "containerd.disk-full"),
    ],
)
def test_events_without_their_table(
    tmp_path: Path, case: str, pod: str | None, expected: str
) -> None:
    loaded = analyze(paste(tmp_path, evidence(case)), pod=pod)
    assert all(entry.endswith("events without their table") for entry in read_as(loaded))
    assert not [note for note in loaded.unplaced if "not recognised" in note]
    assert root(report_of(loaded, pod)) == expected


def test_event_rows_name_their_pod_and_keep_their_cells(tmp_path: Path) -> None:
    loaded = analyze(paste(tmp_path, evidence("containerd.proxy-missing/rke2-810")))
    events = events_of(loaded, "test/nginx-4")
    assert events[0] == {
        "type": "Normal",
        "reason": "Scheduled",
        "message": "Successfully assigned test/nginx-4 to k8worker01.nostest.io",
        "count": None,
        "source": "default-scheduler",
        "last_seen": None,
    }
    assert events[1]["reason"] == "FailedCreatePodSandBox"


def test_a_wrapped_row_is_joined_inside_the_word(tmp_path: Path) -> None:
    loaded = analyze(paste(tmp_path, evidence("containerd.cni-plugin-missing/k0s-582")))
    (event,) = events_of(loaded, "default/unknown")
    assert 'failed to setup network for sandbox "55dbd184d99' in event["message"]
    assert event["message"].endswith('failed to find plugin "loopback" in path [/opt/cni/bin]')


def test_lines_an_editor_wrapped_at_a_space_are_joined_with_one(tmp_path: Path) -> None:
    loaded = analyze(paste(tmp_path, evidence("containerd.image-rate-limited/kata-10109")))
    (event,) = events_of(loaded, "default/unknown")
    assert "code = Unknown desc = failed to pull" in event["message"]
    assert event["message"].endswith("https://www.docker.com/increase-rate-limit")
    assert any("no pod named" in note for note in loaded.unplaced)


def test_an_event_another_program_logged_is_its_pods(tmp_path: Path) -> None:
    """kubeshark's zerolog line: the event's logfmt fields, its quoted note unescaped."""
    loaded = analyze(paste(tmp_path, evidence("containerd.image-rate-limited/kubeshark-1291")))
    assert read_as(loaded) == ["1: events without their table"]
    (event,) = events_of(loaded, "default/kubeshark-hub")
    assert event["reason"] == "Failed"
    assert event["message"].startswith(
        'Failed to pull image "docker.io/kubeshark/hub:latest": rpc error: code = Unknown desc ='
    )
    assert root(report_of(loaded)) == "containerd.image-rate-limited"


@pytest.mark.parametrize(
    "line",
    [
        # an event about another kind of object
        'ERR > Watching events. kind=ReplicaSet name=web-5d note="Created pod: web-5d-x"'
        " reason=SuccessfulCreate",
        # a reason no kubelet event has
        'INF > kind=Pod name=web note="hello" reason=Greeting',
    ],
)
def test_logged_fields_that_are_no_pod_event(tmp_path: Path, line: str) -> None:
    loaded = analyze(paste(tmp_path, line + "\n"))
    assert not loaded.document.data["pods"]


def test_a_bare_message_gets_the_kubelets_reason(tmp_path: Path) -> None:
    loaded = analyze(paste(tmp_path, evidence("containerd.image-not-found/k3os-446")))
    assert events_of(loaded, "default/unknown")[0]["reason"] == "Failed"


def test_a_prose_line_after_a_short_one_is_not_joined(tmp_path: Path) -> None:
    text = "Error: ErrImagePull\nthen I restarted the node\n"
    loaded = analyze(paste(tmp_path, text))
    assert events_of(loaded, "default/unknown")[0]["message"] == "Error: ErrImagePull"
    assert any(note.endswith(":2: not recognised") for note in loaded.unplaced)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # describe node's Events block without Name: the newest `status is now:` per condition
        (
            "node.disk-pressure/minikube-6820",
            {"PIDPressure": "False", "Ready": "True", "DiskPressure": "True"},
        ),
        (
            "node.kernel-oom/k3s-838",
            {
                "Ready": "True",
                "DiskPressure": "False",
                "PIDPressure": "False",
                "MemoryPressure": "False",
            },
        ),
    ],
)
def test_node_events_give_the_node_conditions(
    tmp_path: Path, case: str, expected: dict[str, str]
) -> None:
    loaded = analyze(paste(tmp_path, evidence(case)))
    conditions = layers(loaded)["apiserver"]["node_conditions"]
    assert {c["type"]: c["status"] for c in conditions} == expected
    assert not [p for p in loaded.document.data["pods"] if p.get("events")]


def test_node_events_are_the_nodes_events(tmp_path: Path) -> None:
    """describe node's Events block: each event the node's, its SystemOOM the kernel's OOM."""
    loaded = analyze(paste(tmp_path, evidence("node.kernel-oom/k3s-838")))
    node_events = layers(loaded)["apiserver"]["node_events"]
    assert [e["reason"] for e in node_events] == [
        "NodeNotReady",
        "NodeHasNoDiskPressure",
        "NodeHasSufficientPID",
        "NodeReady",
        "NodeHasSufficientMemory",
        "SystemOOM",
    ]
    assert node_events[-1] == {
        "reason": "SystemOOM",
        "message": "System OOM encountered",
        "count": 4,
        "source": "kubelet",
        "last_seen": None,
        "type": "Warning",
    }
    assert root(report_of(loaded)) == "node.kernel-oom"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        # containerd's own exit error, wrapped by the user's editor
        (
            "containerd.config-invalid/containerd-7174",
            "containerd: failed to load TOML: /etc/containerd/config.toml: (27, 47): was"
            " expecting token [[, but got table array key cannot contain ']' instead",
        ),
        # ctr's: the client's view of containerd's error
        (
            "containerd.image-tls/microk8s-382",
            'ctr: failed to resolve reference "10.141.241.175:32000/mynginx:registry": failed to'
            " do request: Head https://10.141.241.175:32000/v2/mynginx/manifests/registry: http:"
            " server gave HTTP response to HTTPS client",
        ),
        # containerd's unpack failure, its logrus line cut before its message's end
        (
            "containerd.disk-full/containerd-4249",
            'apply failure, attempting cleanup\\" error=\\"failed to extract layer'
            " sha256:$SOME_SHA: write /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs"
            "/snapshots/116/fs/miniconda/lib/python3.7/site-packages/chardet/big5freq.py: no space"
            " left on device: unknown",
        ),
        # dockerd's answer about its own state, as minikube quoted it (from the daemon's words
        # on; the line after it, `: exit status 1`, joined as wrapped)
        (
            "node.read-only-filesystem/minikube-6825",
            "Error response from daemon: create cloud-code-minikube: error while creating volume"
            " path '/var/lib/docker/volumes/[my-profile]/_data': mkdir"
            " /var/lib/docker/volumes/[my-profile]: read-only file system : exit status 1",
        ),
        # containerd's registry resolver's error alone, cut from crictl's output
        (
            "containerd.image-tls/containerd-3804",
            "failed to do request: Head https://registry.xxx.xxxx/v2/core/portal-backend/manifests/1:"
            " x509: certificate signed by unknown authority",
        ),
        # libcni's error for the loopback plugin, cut from containerd's RunPodSandbox failure
        (
            "containerd.cni-plugin-incompatible/containerd-6876",
            'plugin type="loopback" failed (add): incompatible CNI versions; config is "1.0.0",'
            ' plugin supports ["0.1.0" "0.2.0" "0.3.0" "0.3.1" "0.4.0"',
        ),
    ],
)
def test_containerd_and_ctr_stderr_reach_containerds_log(
    tmp_path: Path, case: str, message: str
) -> None:
    loaded = analyze(paste(tmp_path, evidence(case)))
    assert [line["message"] for line in layers(loaded)["containerd"]["log"]] == [message]
    # a pull no pod made: the image rule's node branch names it
    if "image-tls" in case:
        assert root(report_of(loaded)) == "containerd.image-tls"
    if "cni-plugin" in case:
        assert root(report_of(loaded)) == "containerd.cni-plugin-incompatible"


def test_another_programs_failed_request_is_not_containerds(tmp_path: Path) -> None:
    """Many programs print "failed to do request"; only a registry API request (/v2/) is
    containerd's resolver."""
    line = 'failed to do request: Get "https://metadata.internal/latest/token": x509: bad'
    loaded = analyze(paste(tmp_path, line + "\n"))
    assert "containerd" not in {k for k, v in layers(loaded).items() if v.get("log")}


def test_sysctl_output_gives_the_limits_and_a_json_log_line_is_container_output(
    tmp_path: Path,
) -> None:
    loaded = analyze(paste(tmp_path, evidence("node.inotify-exhausted/minikube-18831")))
    assert layers(loaded)["node"]["limits"] == {
        "inotify_max_user_instances": 128,
        "inotify_max_user_watches": 8192,
    }
    (pod,) = loaded.document.data["pods"]
    assert pod["containers"][0]["log_tail"][0].startswith('{"component":"virt-handler"')
    assert "node.inotify-exhausted" in {f.rule_id for f in report_of(loaded).findings}


def test_sysctl_conf_is_what_is_configured_not_in_effect(tmp_path: Path) -> None:
    loaded = analyze(paste(tmp_path, evidence("node.inotify-exhausted/eks-ami-1065")))
    # `cat /etc/sysctl.conf` says 8192 instances; `sysctl fs.inotify`, in effect, 128
    assert layers(loaded)["node"]["limits"] == {"inotify_max_user_instances": 128}


def test_a_headless_df_row_and_a_taints_line(tmp_path: Path) -> None:
    loaded = analyze(paste(tmp_path, evidence("node.disk-pressure/microk8s-3143")))
    assert read_as(loaded) == ["3: df", "8: describe node Taints"]
    disks = layers(loaded)["node"]["disks"]
    assert {d["path"]: d["used_ratio"] for d in disks} == dict.fromkeys(
        ("/var/lib/containerd", "/var/lib/kubelet", "/var/log"), 1.0
    )
    conditions = layers(loaded)["apiserver"]["node_conditions"]
    assert conditions == [
        {"type": "DiskPressure", "status": "True", "reason": None, "message": None}
    ]
    assert root(report_of(loaded)) == "node.disk-pressure"
