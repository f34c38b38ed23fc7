"""Node-level trouble as users paste it: each real line (from the fixtures/realworld case named)
lands in the log a node rule reads, and the root cause is the node's."""

from __future__ import annotations

from pathlib import Path

import pytest

from doctor.layers import Scope
from tests.paste.test_analyze_text import analyze, layers, paste, report_of, root


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # node.kernel-bug/k8s-16601: the hung-task report cut above its first line
        (
            '[156240.161202] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this'
            " message.\n[156240.212606] Call Trace:\n",
            "node.kernel-bug",
        ),
        # node.kernel-bug/eks-ami-454
        (
            "[  288.053638] watchdog: BUG: soft lockup - CPU#5 stuck for 23s! [kworker/u16:2:62]\n",
            "node.kernel-bug",
        ),
    ],
)
def test_kernel_lines_reach_the_kernel_log(tmp_path: Path, text: str, expected: str) -> None:
    loaded = analyze(paste(tmp_path, text))
    assert layers(loaded)["node"]["kernel_log"]
    assert root(report_of(loaded)) == expected


def test_one_transient_unregister_netdevice_is_no_finding(tmp_path: Path) -> None:
    """node.kernel-bug weighs it: one wait the node got over is not a hang (none/npd-47)."""
    text = (
        "[Wed Nov 16 08:03:33 2016] unregister_netdevice: waiting for lo to become free."
        " Usage count = 1\n[Wed Nov 16 08:14:35 2016] vethafecb94: renamed from eth0\n"
    )
    assert root(report_of(analyze(paste(tmp_path, text)))) is None


def test_containerds_own_errors_trimmed_reach_its_log(tmp_path: Path) -> None:
    # node.file-handles-exhausted/containerd-cri-448, node.read-only-filesystem/containerd-11075
    shim = (
        "failed to create containerd task: failed to start shim: open /dev/null: too many open"
        " files: unknown"
    )
    loaded = analyze(paste(tmp_path, shim + "\ncontainerd: mkdir /run: read-only file system\n"))
    messages = [line["message"] for line in layers(loaded)["containerd"]["log"]]
    assert messages == [shim, "containerd: mkdir /run: read-only file system"]
    found = {finding.rule_id for finding in report_of(loaded).findings}
    assert {"node.file-handles-exhausted", "node.read-only-filesystem"} <= found


@pytest.mark.parametrize(
    "text",
    [
        # node.inotify-exhausted/containerd-10309
        "failed to create fsnotify watcher: too many open files\n",
        # node.inotify-exhausted/otaru-3169
        "Unhandled exception. System.IO.IOException: The configured user limit (128)\n"
        "on the number of inotify instances has been reached, or the per-process\n",
    ],
)
def test_an_applications_inotify_failure_is_container_output(tmp_path: Path, text: str) -> None:
    loaded = analyze(paste(tmp_path, text))
    (pod,) = loaded.document.pods()
    assert pod["containers"][0]["log_tail"] == text.splitlines()
    assert root(report_of(loaded)) == "node.inotify-exhausted"


def test_a_containers_read_only_root_is_not_the_nodes(tmp_path: Path) -> None:
    """An application writing into its own readOnlyRootFilesystem is not a node finding."""
    text = "$ kubectl logs web\nopen /var/cache/nginx/client_temp: read-only file system\n"
    report = report_of(analyze(paste(tmp_path, text)))
    assert "node.read-only-filesystem" not in {f.rule_id for f in report.findings}


# node.file-handles-exhausted/k8s-5461: kube-proxy v0.8.1 as CoreOS's kube-proxy.service
KUBE_PROXY_ACCEPT = (
    "Mar 13 20:57:58 ip-172-16-2-106.ec2.internal kube-proxy[769]: E0313 20:57:58.484688     769"
    " proxier.go:102] Accept failed: accept tcp [::]:59559: too many open files\n"
)


@pytest.mark.parametrize(
    "text",
    [KUBE_PROXY_ACCEPT, KUBE_PROXY_ACCEPT.split("internal ", 1)[1]],
    ids=["journal", "cut-before-its-identifier"],
)
def test_a_node_agents_lines_reach_its_log_and_are_the_nodes(tmp_path: Path, text: str) -> None:
    loaded = analyze(paste(tmp_path, text))
    assert loaded.unplaced == ()
    node = layers(loaded)["node"]
    assert [line["message"] for line in node["agent_log"]] == [
        "Accept failed: accept tcp [::]:59559: too many open files"
    ]
    assert "log" not in layers(loaded)["kubelet"]  # klog, but not the kubelet's
    report = report_of(loaded)
    assert root(report) == "node.file-handles-exhausted"
    assert report.root_cause is not None
    assert report.root_cause.finding.subject.kind is Scope.NODE  # the line names no pod


def test_a_node_agents_inotify_failure_is_not_its_file_handles(tmp_path: Path) -> None:
    """kube-proxy's config watcher (node.inotify-exhausted/k8s-104303), as its service logs it:
    "too many open files" from inotify_init1, not from a descriptor limit."""
    text = (
        "Aug 11 13:31:01 node-1 kube-proxy[1]: F0811 13:31:01.771818       1 server.go:488]"
        " failed complete: too many open files\n"
    )
    report = report_of(analyze(paste(tmp_path, text)))
    assert root(report) == "node.inotify-exhausted"
    assert "node.file-handles-exhausted" not in {f.rule_id for f in report.findings}
