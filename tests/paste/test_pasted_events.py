"""Event rows pasted without their table become the events of their pod: every layout here is
a real-world corpus case's (fixtures/realworld/cases, named in each id)."""

from __future__ import annotations

from pathlib import Path

import pytest

from doctor.paste.events import event_of, frame, reason_then_message
from tests.paste.reading import read_paste


@pytest.mark.parametrize(
    ("line", "pod", "reason", "count", "message"),
    [
        pytest.param(
            '  Warning  Failed  11m (x12279 over 44h)  kubelet, ubuntuapp02  Error: secret'
            ' "smtp-account" not found',
            None, "Failed", 12279, 'Error: secret "smtp-account" not found',
            id="describe-row-cluster-monitoring-21",
        ),
        pytest.param(
            "Warning Failed 5m22s (x53 over 3h33m) kubelet Error: context deadline exceeded",
            None, "Failed", 53, "Error: context deadline exceeded",
            id="single-spaced-crio-6185",
        ),
        pytest.param(
            "SandboxChanged  4m31s (x3 over 4m50s)   kubelet            Pod sandbox changed, it"
            " will be killed and re-created.",
            None, "SandboxChanged", 3, "Pod sandbox changed, it will be killed and re-created.",
            id="no-type-column-nixpkgs-181790",
        ),
        pytest.param(
            "58s         Warning   FailedMount               pod/singlecluster-parallel-555v9-41"
            '    MountVolume.SetUp failed for volume "docker-lib" : hostPath type check failed:'
            " /var/lib/docker is not a directory",
            "singlecluster-parallel-555v9-41", "FailedMount", None,
            'MountVolume.SetUp failed for volume "docker-lib" : hostPath type check failed:'
            " /var/lib/docker is not a directory",
            id="get-events-row-kind-1002",
        ),
        pytest.param(
            "FailedSync      Error syncing pod, skipping: timeout expired waiting for volumes",
            None, "FailedSync", None,
            "Error syncing pod, skipping: timeout expired waiting for volumes",
            id="reason-first-k8s-28772",
        ),
        pytest.param(
            "2020-10-07T08:18:45Z Error: context deadline exceeded W ",
            None, "Failed", None, "Error: context deadline exceeded",
            id="console-export-containerd-4604",
        ),
        pytest.param(
            "hostPath type check failed: /lib/modules is not a directory",
            None, "FailedMount", None,
            "hostPath type check failed: /lib/modules is not a directory",
            id="message-alone-piraeus-434",
        ),
        pytest.param(
            "Message:      The node was low on resource: ephemeral-storage. Threshold quantity:"
            " 2146223340, available: 1883424Ki.",
            None, "Evicted", None,
            "The node was low on resource: ephemeral-storage. Threshold quantity: 2146223340,"
            " available: 1883424Ki.",
            id="status-message-kubeplus-1382",
        ),
    ],
)  # fmt: skip
def test_a_row_is_an_event(
    line: str, pod: str | None, reason: str, count: int | None, message: str
) -> None:
    found = event_of(line)
    assert found is not None
    assert (found.pod, found.event["reason"], found.event["count"]) == (pod, reason, count)
    assert found.event["message"] == message


@pytest.mark.parametrize(
    "line",
    [
        "Status:       Failed",  # a field of the pod, not an event
        "Failed to pull the image, see above",  # prose starting with a reason's word
        "NAME                  READY   STATUS                       RESTARTS   AGE",
    ],
)
def test_other_lines_are_not_events(line: str) -> None:
    assert event_of(line) is None


def test_describe_frame_lines_are_no_events_and_no_noise() -> None:
    assert all(frame(line) for line in ["Events:", "  Type  Reason  Age  From  Message", " ----"])


def test_reason_on_its_own_line_then_the_message() -> None:
    # a web console's copy (mbailey/valheim-k8s#27)
    lines = ["FailedMount", 'MountVolume.SetUp failed for volume "gamefiles" : hostPath type']
    found = reason_then_message(lines, 0)
    assert found is not None and found.event["reason"] == "FailedMount"
    assert found.event["message"] == lines[1]


def test_rows_go_to_the_pod_the_user_named(tmp_path: Path) -> None:
    text = (
        "$ kubectl describe pod catalog-mysql-ebs-0 -n catalog | tail -n2\n"
        "  Warning  Failed                  24s (x12 over 2m34s)  kubelet                  Error:"
        " couldn't find key name in Secret catalog/catalog-db\n"
    )
    loaded = read_paste(tmp_path, text, "catalog/catalog-mysql-ebs-0")
    (pod,) = loaded.document.pods()
    assert (pod["namespace"], pod["name"]) == ("catalog", "catalog-mysql-ebs-0")
    assert [e["reason"] for e in pod["events"]] == ["Failed"]
    assert loaded.unplaced == ()


def test_rows_without_a_pod_are_read_as_an_unknown_pod_and_said(tmp_path: Path) -> None:
    loaded = read_paste(tmp_path, "hostPath type check failed: /lib/modules is not a directory\n")
    (pod,) = loaded.document.pods()
    assert (pod["namespace"], pod["name"]) == ("default", "unknown")
    assert any("give --pod" in note for note in loaded.unplaced)
