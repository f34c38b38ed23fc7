"""A paste is split into segments and each named by its kind: a table of real pastes -> the
kinds recognised, in order."""

from __future__ import annotations

import pytest

from doctor.paste.kinds import RECOGNISERS, Kind, prompt_command, recognise
from doctor.paste.place import PLACERS, place_texts
from doctor.paste.segment import plain, split
from doctor.paste.text import PastedText
from tests.paste.corpus import evidence
from tests.paste.pastes import (
    CALICO_EVENTS,
    DF_H,
    K3S_SUPERVISOR,
    MESSAGES_NO_PID,
    kubectl,
    raw_lines,
    scenario,
)

KUBELET = raw_lines("cgroup-driver-mismatch-systemd", "kubelet")
CONTAINERD = raw_lines("cgroup-driver-mismatch-systemd", "containerd")
KERN_LOG = raw_lines("kernel-oom-global", "node", "kernel_log")
# what `dmesg` prints of those lines: the ring buffer's own `[seconds] text`
DMESG = [line[line.index("[") :] for line in KERN_LOG]
BARE_KLOG = raw_lines("k8s-exec-format", "kubelet")  # klog without a syslog prefix
DESCRIBE = kubectl("oom-describe.txt")
# kube-proxy's own output (klog, like the kubelet's) as `kubectl logs` shows it
KUBE_PROXY_OUTPUT = scenario("cgroup-driver-mismatch-systemd")["pods"][0]["containers"][0][
    "log_tail"
]


def kinds_of(text: str) -> list[Kind]:
    return [recognise(s.shape()) for s in split(plain(text), "paste")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(DESCRIBE, [Kind.DESCRIBE], id="describe"),
        pytest.param("\n".join(KUBELET), [Kind.JOURNAL], id="journalctl-u-kubelet"),
        pytest.param("\n".join(BARE_KLOG[:20]), [Kind.KLOG], id="kubelet.log"),
        pytest.param("\n".join(DMESG), [Kind.DMESG], id="dmesg"),
        pytest.param("\n".join(KERN_LOG), [Kind.JOURNAL], id="kern.log"),
        pytest.param(CALICO_EVENTS, [Kind.EVENTS], id="get-events"),
        pytest.param(DF_H, [Kind.DF], id="df-h"),
        pytest.param(kubectl("oom-pod.json"), [Kind.JSON], id="pod-json"),
        pytest.param(
            DESCRIBE + "\n" + "\n".join(KUBELET + CONTAINERD) + "\n" + "\n".join(DMESG),
            [Kind.DESCRIBE, Kind.JOURNAL, Kind.DMESG],
            id="describe+journal+dmesg",
        ),
        pytest.param(
            "\n".join(DMESG) + "\n" + DESCRIBE + "\n".join(KUBELET),
            [Kind.DMESG, Kind.DESCRIBE, Kind.JOURNAL],
            id="dmesg+describe+journal, no blank lines",
        ),
        pytest.param(
            "$ kubectl logs exec-format\nexec /app/server: exec format error\n",
            [Kind.CONTAINER_LOG],
            id="kubectl-logs",
        ),
        pytest.param(
            "exec /app/server: exec format error\n", [Kind.CONTAINER_LOG], id="bare-exec-error"
        ),
        pytest.param(
            "$ kubectl logs -n kube-system kube-proxy-8xk2l\n" + "\n".join(KUBE_PROXY_OUTPUT),
            [Kind.CONTAINER_LOG],
            id="kubectl-logs-of-a-klog-writing-container",
        ),
        # kubernetes/node-problem-detector#827: a dash entrypoint's failed exec
        pytest.param(
            "/bin/sh: 1: exec: /node-problem-detector: Exec format error\n",
            [Kind.CONTAINER_LOG],
            id="shell-exec-error",
        ),
        # IBM/CodeEngine#140: the container's status message pasted alone, from its first words
        pytest.param(
            "failed to create containerd task: failed to create shim task: OCI runtime create"
            ' failed: runc create failed: unable to start container process: exec: "server.js":'
            " executable file not found in $PATH: unknown\n",
            [Kind.START_ERROR],
            id="bare-start-error",
        ),
        pytest.param(K3S_SUPERVISOR + "\n" + MESSAGES_NO_PID, [Kind.JOURNAL], id="k3s+syslog"),
        pytest.param("```\n" + "\n".join(KUBELET) + "\n```\n", [Kind.JOURNAL], id="markdown-fence"),
        pytest.param("hello world\nthis is not a log\n", [Kind.UNKNOWN], id="unknown"),
        pytest.param("", [], id="empty"),
        pytest.param("\n\n  \n", [], id="blank"),
    ],
)
def test_kinds_recognised(text: str, expected: list[Kind]) -> None:
    assert kinds_of(text) == expected


def test_trimmed_messages_are_fragments() -> None:
    # the kubelet's and containerd's own text, as a user trims it from the journal
    kubelet_message = scenario_message("k8s-exec-format", "kubelet")
    assert kinds_of(kubelet_message) == [Kind.FRAGMENTS]


def scenario_message(name: str, layer: str) -> str:
    lines = scenario(name)["layers"][layer]["log"]
    return str(next(line["message"] for line in lines if line["message"].startswith('"')))


def test_crlf_and_ansi_colour_do_not_change_the_kinds() -> None:
    coloured = "\r\n".join(f"\x1b[0;1;31m{line}\x1b[0m" for line in KUBELET) + "\r\n"
    assert kinds_of(coloured) == [Kind.JOURNAL]
    (segment,) = split(plain(coloured), "paste")
    assert list(segment.lines) == KUBELET


def test_a_segment_knows_its_lines_and_command() -> None:
    text = "$ journalctl -u kubelet\n" + "\n".join(KUBELET) + "\n\n" + DF_H
    journal, df = split(plain(text), "paste.txt")
    assert journal.command == "journalctl -u kubelet" and journal.first == 2
    assert journal.where == f"paste.txt:2-{1 + len(KUBELET)}"
    assert df.command == "df -h" and df.lines[0].startswith("Filesystem")


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("$ kubectl logs web -c app", "kubectl logs web -c app"),
        ("root@node:~# dmesg -T", "dmesg -T"),
        ("[root@node ~]# journalctl -u kubelet --no-pager", "journalctl -u kubelet --no-pager"),
        ("kubectl describe pod web", "kubectl describe pod web"),
        ("# this is a comment", None),
        ("$ 5", None),
        # fish's prompt (runc.exec-format/minikube-17803)
        ("pavels@arch-experiments ~> kubectl logs web", "kubectl logs web"),
        ("me@host ~/src> crictl ps -a", "crictl ps -a"),
        ("#kubeadm init", "kubeadm init"),  # a root prompt typed without its space
        # a daemon run by hand after a prompt (containerd.config-invalid/containerd-10905) ...
        ("# containerd --config ./disable_cri.toml ", "containerd --config ./disable_cri.toml"),
        ("containerd is not running", None),  # ... but not bare: that is a sentence
        # a client named by its path (cri.api-unsupported/critools-259)
        (
            "# /root/go/bin/crictl --runtime-endpoint=/var/run/crio/crio.sock info",
            "/root/go/bin/crictl --runtime-endpoint=/var/run/crio/crio.sock info",
        ),
        # the shell's own tools, after a prompt (containerd.cni-ip-exhausted/k8s-34278,
        # runc.known-regression/containerd-5280) ...
        (
            "# ls /var/lib/cni/networks/kubenet/ | wc -l",
            "ls /var/lib/cni/networks/kubenet/ | wc -l",
        ),
        ('[root@node-14 ~]# ps aux |grep "runc init" |head', 'ps aux |grep "runc init" |head'),
        ("# lsblk", None),  # ... by their own names only
    ],
)
def test_prompt_lines(line: str, command: str | None) -> None:
    assert prompt_command(line) == command


def test_fish_prompts_name_the_commands_of_their_output() -> None:
    segments = split(plain(evidence("runc.exec-format/minikube-17803")), "paste")
    assert [(s.command, recognise(s.shape())) for s in segments] == [
        ("kubectl get pods", Kind.UNKNOWN),
        ("kubectl logs hello-7bf57d9696-c82lm", Kind.CONTAINER_LOG),
    ]


def test_the_output_no_fact_holds_is_noted_with_its_command() -> None:
    text = evidence("runc.known-regression/containerd-5280")
    pasted = place_texts([PastedText("paste.txt", text, ())])
    (note,) = pasted.unplaced
    assert note.startswith("paste.txt:2-11: unrecognised text ('root         985")
    assert note.endswith(': the output of `ps aux |grep "runc init" |head`: no fact holds it')


def test_a_container_log_ends_where_the_hosts_journal_starts() -> None:
    # runc.selinux-denied/coreos-1757: audit's AVC lines right after `docker logs`' output are
    # the host's journal, not the container's output
    segments = split(plain(evidence("runc.selinux-denied/coreos-1757")), "paste")
    assert [(s.first, s.command, recognise(s.shape())) for s in segments] == [
        (2, "docker logs 142dc41cd711", Kind.CONTAINER_LOG),
        (4, None, Kind.JOURNAL),
    ]


def test_every_kind_recognised_has_a_placer() -> None:
    assert {kind for kind, _ in RECOGNISERS} | {Kind.UNKNOWN} <= PLACERS.keys()


def test_a_json_document_that_does_not_parse_is_free_text_once() -> None:
    # hostile: many opening lines and one closing line must not be searched again and again
    text = "{\n" * 20_000 + "}\n"
    segments = split(text, "paste")
    assert len(segments) == 1 and recognise(segments[0].shape()) is Kind.UNKNOWN
