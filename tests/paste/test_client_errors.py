"""What CRI clients and kubectl print when they fail -> the layer it tells about: kubeadm's
checks, crictl's own errors, kubectl's errors. Real pastes: the corpus's cases (by name) and
public threads (by URL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.facts.document import PodRef
from doctor.paste.cri_client import command_endpoint
from tests.paste.corpus import evidence
from tests.paste.reading import read_paste


def facts(tmp_path: Path, text: str, pod: PodRef | None = None) -> tuple[Any, ...]:
    loaded = read_paste(tmp_path, text, pod)
    strip = f"{tmp_path}/"
    unplaced = tuple(note.removeprefix(strip) for note in loaded.unplaced)
    return loaded.document.data, loaded.read, unplaced


def kinds(read: tuple[str, ...]) -> list[str]:
    return [r.split(": ", 1)[1] for r in read]


# -- kubeadm ------------------------------------------------------------------------------------

# https://github.com/containerd/containerd/issues/8032 (kubeadm 1.26, containerd 1.5)
KUBEADM_CRI_V1 = """\
[init] Using Kubernetes version: v1.26.1
[preflight] Running pre-flight checks
        [WARNING Service-Kubelet]: kubelet service is not enabled, please run 'systemctl enable kubelet.service'
error execution phase preflight: [preflight] Some fatal errors occurred:
        [ERROR CRI]: container runtime is not running: output: time="2023-01-31T15:11:36+08:00" level=fatal msg="validate service connection: CRI v1 runtime API is not implemented for endpoint \\"unix:///var/run/containerd/containerd.sock\\": rpc error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService"
, error: exit status 1
        [ERROR FileContent--proc-sys-net-bridge-bridge-nf-call-iptables]: /proc/sys/net/bridge/bridge-nf-call-iptables does not exist
        [ERROR FileContent--proc-sys-net-ipv4-ip_forward]: /proc/sys/net/ipv4/ip_forward contents are not set to 1
[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`
To see the stack trace of this error execute with --v=5 or higher
"""  # noqa: E501


def test_kubeadm_cri_check_is_the_cri_layers_failure_and_other_checks_are_noted(
    tmp_path: Path,
) -> None:
    """The CRI check is the cri layer's, the FileContent checks the node's forwarding; the
    Service-Kubelet warning has no fact."""
    data, read, unplaced = facts(tmp_path, KUBEADM_CRI_V1)
    assert kinds(read) == ["kubeadm output"]
    cri = data["layers"]["cri"]
    assert cri["status"] == "unsupported"
    assert cri["endpoint"] == "unix:///var/run/containerd/containerd.sock"
    assert cri["errors"] == [
        {
            "source": "Version unix:///var/run/containerd/containerd.sock",
            "message": "rpc error: code = Unimplemented desc = unknown service"
            " runtime.v1.RuntimeService",
        }
    ]
    assert unplaced == (
        "paste.txt:3: kubeadm's check WARNING Service-Kubelet: kubelet service is not enabled,"
        " please run 'systemctl enable kubelet.service': no fact holds it",
    )
    assert data["layers"]["node"]["forwarding"] == {
        "ip_forward": 0,
        "bridge_netfilter": False,
        "bridge_nf_call_iptables": None,
    }


@pytest.mark.parametrize(
    ("check", "forwarding"),
    [
        # cmd/kubeadm/app/preflight/checks.go FileContentCheck: "%s contents are not set to %s"
        (
            "[ERROR FileContent--proc-sys-net-bridge-bridge-nf-call-iptables]:"
            " /proc/sys/net/bridge/bridge-nf-call-iptables contents are not set to 1",
            {"bridge_netfilter": True, "bridge_nf_call_iptables": 0},
        ),
        # ignored with --ignore-preflight-errors: a warning, the same fact
        (
            "[WARNING FileContent--proc-sys-net-ipv4-ip_forward]:"
            " /proc/sys/net/ipv4/ip_forward contents are not set to 1",
            {"ip_forward": 0},
        ),
        # "%s does not exist": the directory is br_netfilter's
        (
            "[ERROR FileContent--proc-sys-net-bridge-bridge-nf-call-ip6tables]:"
            " /proc/sys/net/bridge/bridge-nf-call-ip6tables does not exist",
            {"bridge_netfilter": False, "bridge_nf_call_iptables": None},
        ),
    ],
)
def test_kubeadm_file_content_checks_are_the_nodes_forwarding(
    tmp_path: Path, check: str, forwarding: dict[str, Any]
) -> None:
    text = f"[preflight] Running pre-flight checks\n\t{check}\n"
    data, read, unplaced = facts(tmp_path, text)
    assert kinds(read) == ["kubeadm output"]
    assert data["layers"]["node"]["forwarding"] == forwarding
    assert unplaced == ()


def test_kubeadm_file_content_check_no_fact_holds_is_noted(tmp_path: Path) -> None:
    """bridge-nf-call-ip6tables' value has no field: noted, never read as iptables'."""
    check = (
        "[ERROR FileContent--proc-sys-net-bridge-bridge-nf-call-ip6tables]:"
        " /proc/sys/net/bridge/bridge-nf-call-ip6tables contents are not set to 1"
    )
    data, _, unplaced = facts(tmp_path, f"\t{check}\n")
    assert data["layers"]["node"]["status"] == "absent"
    assert len(unplaced) == 1 and "no fact holds it" in unplaced[0]


def test_kubeadm_swap_check_is_the_kubelets_refusal(tmp_path: Path) -> None:
    """kubeadm's Swap error is the check the kubelet makes at start (failSwapOn): its log's."""
    data, _, unplaced = facts(tmp_path, evidence("kubelet.swap-enabled/website-18945"))
    messages = [line["message"] for line in data["layers"]["kubelet"]["log"]]
    assert any("running with swap on is not supported. Please disable swap" in m for m in messages)
    assert not any("Swap" in note for note in unplaced)
    assert data["layers"]["node"]["status"] == "absent"


def test_kubeadm_later_swap_warning_is_no_refusal(tmp_path: Path) -> None:
    """kubeadm >= 1.28 warns when swap is on: the kubelet may run with it."""
    text = (
        "\t[WARNING Swap]: swap is supported for cgroup v2 only; the NodeSwap feature gate of"
        " the kubelet is beta but disabled by default\n"
    )
    data, _, unplaced = facts(tmp_path, text)
    assert data["layers"]["kubelet"]["status"] == "absent"
    assert len(unplaced) == 1


V1ALPHA2_UNKNOWN = (
    "rpc error: code = Unimplemented desc = unknown service runtime.v1alpha2.RuntimeService"
)


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        # crictl's klog line inside the output (kubeadm 1.24)
        (
            "containerd.cri-plugin-disabled/k8s-111591",
            "unsupported",
            V1ALPHA2_UNKNOWN,
        ),
        # crictl's klog and logrus lines, the output closed on its own line
        (
            "containerd.cri-plugin-disabled/website-35982",
            "unsupported",
            V1ALPHA2_UNKNOWN,
        ),
        (
            "cri.api-unsupported/crio-6554",
            "unsupported",
            V1ALPHA2_UNKNOWN,
        ),
        (
            "containerd.cri-plugin-disabled/containerd-4581",
            "unsupported",
            V1ALPHA2_UNKNOWN,
        ),
    ],
)
def test_kubeadm_cri_check_variants(tmp_path: Path, case: str, status: str, message: str) -> None:
    data, read, _ = facts(tmp_path, evidence(case))
    assert "kubeadm output" in kinds(read)
    cri = data["layers"]["cri"]
    assert cri["status"] == status
    # (crictl 1.24/1.25's klog line, when there is one, is kept beside its fatal one)
    assert {e["message"] for e in cri["errors"]} == {message}
    assert data["layers"]["containerd"]["status"] == "absent"  # crictl's lines are not its log


# https://github.com/kubernetes/kubeadm/issues/1885 (kubeadm 1.16: crictl's usage text, then
# its fatal line, in the check's output)
KUBEADM_CRICTL_CONNECT = """\
[preflight] Running pre-flight checks
error execution phase preflight: [preflight] Some fatal errors occurred:
        [ERROR CRI]: container runtime is not running: output: NAME:
   crictl info - Display information of the container runtime

USAGE:
   crictl info [command options] [arguments...]

OPTIONS:
   --output value, -o value  Output format, One of: json|yaml (default: "json")
   
time="2019-11-06T11:15:01+08:00" level=fatal msg="failed to connect: failed to connect: context deadline exceeded"
, error: exit status 1
[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`
"""  # noqa: E501,W293


@pytest.mark.parametrize(
    ("case", "origin"),
    [
        # crictl 1.24 under kubeadm's CRI check: klog's `remote_runtime.go:925] "Status from
        # runtime service failed" err="..."` (the kubelet's remote client, vendored)
        ("containerd.cri-plugin-disabled/k8s-111591", "remote_runtime.go:925"),
        # crictl 1.19's logrus fatal line: no klog origin
        ("cri.api-unsupported/crio-6554", None),
    ],
)
def test_kubeadm_cri_check_keeps_the_klog_origin_of_the_clients_line(
    tmp_path: Path, case: str, origin: str | None
) -> None:
    data, _, _ = facts(tmp_path, evidence(case))
    (error,) = data["layers"]["cri"]["errors"]
    assert error["source"] == "Status"
    assert error["message"].endswith("unknown service runtime.v1alpha2.RuntimeService")
    assert error.get("origin") == origin


def test_kubeadm_cri_check_keeps_crictls_klog_line_beside_its_fatal_one(tmp_path: Path) -> None:
    # kubeadm 1.24's CRI check as most pastes show it (kubernetes/website#35982): crictl's klog
    # line, then its own fatal logrus line for the same call
    loaded = read_paste(tmp_path, evidence("containerd.cri-plugin-disabled/website-35982"))
    cri = loaded.document.data["layers"]["cri"]
    assert cri["status"] == "unsupported"
    assert [e.get("origin") for e in cri["errors"]] == [None, "remote_runtime.go:925"]
    report = diagnose(loaded.document, load_rules(), None)
    assert report.root_cause is not None
    assert report.root_cause.finding.rule_id == "containerd.cri-plugin-disabled"


def test_kubeadm_cri_check_of_a_runtime_crictl_could_not_connect_to(tmp_path: Path) -> None:
    data, read, unplaced = facts(tmp_path, KUBEADM_CRICTL_CONNECT)
    assert kinds(read) == ["kubeadm output"]
    assert unplaced == ()
    cri = data["layers"]["cri"]
    assert cri["status"] == "unreachable"
    assert cri["errors"] == [
        {
            "source": "connect",
            "message": "failed to connect: failed to connect: context deadline exceeded",
        }
    ]


# https://github.com/kubernetes/kubeadm/issues/2646 (kubeadm 1.23)
KUBELET_CHECK = """\
[kubelet-check] It seems like the kubelet isn't running or healthy.
[kubelet-check] The HTTP call equal to 'curl -sSL http://localhost:10248/healthz' failed with error: Get "http://localhost:10248/healthz": dial tcp 127.0.0.1:10248: connect: connection refused.
"""  # noqa: E501


def test_kubelet_check_is_the_kubelets_healthz(tmp_path: Path) -> None:
    data, read, unplaced = facts(tmp_path, KUBELET_CHECK)
    assert kinds(read) == ["kubeadm output"]
    assert unplaced == ()
    kubelet = data["layers"]["kubelet"]
    assert kubelet["status"] == "ok"
    assert kubelet["healthz"] == (
        'Get "http://localhost:10248/healthz": dial tcp 127.0.0.1:10248: connect:'
        " connection refused"
    )
    assert "running" not in kubelet  # a refused healthz does not say whether the process runs


def test_healthy_kubeadm_output_is_read_and_gives_no_facts(tmp_path: Path) -> None:
    text = evidence("none/website-2582").split("\n", 1)[1]  # without its `#kubeadm init`
    data, read, unplaced = facts(tmp_path, text)
    assert kinds(read) == ["kubeadm output"]
    assert unplaced == ()
    assert all(layer["status"] == "absent" for layer in data["layers"].values())


@pytest.mark.parametrize(
    "text",
    [
        evidence("containerd.image-tls/minikube-3721"),
        # the output and kubeadm's trailer on one line
        "\t[ERROR ImagePull]: failed to pull image k8s.gcr.io/pause:3.1: output: Error response"
        " from daemon: Get https://k8s.gcr.io/v2/: x509: certificate signed by unknown authority,"
        " error: exit status 1\n",
    ],
)
def test_kubeadm_image_pull_by_docker_is_the_daemons_answer(tmp_path: Path, text: str) -> None:
    """The ImagePull check's `docker pull` answered by dockerd: the runtime's error, noted
    nowhere else; not the CRI layer's (kubeadm ran docker's CLI, not a CRI client)."""
    data, read, unplaced = facts(tmp_path, text)
    assert kinds(read) == ["kubeadm output"]
    messages = {line["message"] for line in data["layers"]["containerd"]["log"]}
    assert messages == {
        "Error response from daemon: Get https://k8s.gcr.io/v2/: x509: certificate signed by"
        " unknown authority"
    }
    assert data["layers"]["cri"]["status"] == "absent"
    assert unplaced == ()


def test_kubeadm_checks_no_fact_holds_are_each_noted(tmp_path: Path) -> None:
    _, _, unplaced = facts(tmp_path, evidence("kubelet.swap-enabled/website-18945"))
    assert unplaced == (
        'paste.txt:5: kubeadm\'s check WARNING IsDockerSystemdCheck: detected "cgroupfs" as the'
        ' Docker cgroup driver. The recommended driver is "systemd". Please follow the guide at'
        " https://kubernetes.io/docs/setup/cri/: no fact holds it",
    )


# -- crictl's own errors ------------------------------------------------------------------------


def test_crictl_fatal_is_the_cri_clients_failure_not_containerds_log(tmp_path: Path) -> None:
    data, _, _ = facts(tmp_path, evidence("cri.api-unsupported/critools-259"))
    cri = data["layers"]["cri"]
    assert cri["status"] == "unsupported"
    assert cri["errors"] == [
        {
            "source": "Status",
            "message": "rpc error: code = Unimplemented desc = unknown service"
            " runtime.v1alpha2.RuntimeService",
        }
    ]
    assert "log" not in data["layers"]["containerd"]


@pytest.mark.parametrize(
    ("case", "endpoint", "cause"),
    [
        # `crictl -r`: containerd's socket answered "unknown service": its CRI plugin is off
        (
            "containerd.cri-plugin-disabled/critools-578",
            "unix:///run/containerd/containerd.sock",
            "containerd.cri-plugin-disabled",
        ),
        # `--runtime-endpoint=` a bare path: CRI-O's, too old for the crictl
        (
            "cri.api-unsupported/critools-259",
            "unix:///var/run/crio/crio.sock",
            "cri.api-unsupported",
        ),
    ],
)
def test_the_endpoint_a_crictl_command_names_is_the_cri_layers(
    tmp_path: Path, case: str, endpoint: str, cause: str
) -> None:
    loaded = read_paste(tmp_path, evidence(case))
    cri = loaded.document.data["layers"]["cri"]
    assert (cri["endpoint"], cri["endpoint_source"]) == (endpoint, "flag")
    assert cri["status"] == "unsupported"
    assert loaded.unplaced == ()
    report = diagnose(loaded.document, load_rules(), None)
    assert report.root_cause is not None and report.root_cause.finding.rule_id == cause


@pytest.mark.parametrize(
    ("command", "endpoint"),
    [
        (
            "sudo crictl -r unix:///run/containerd/containerd.sock ps",
            "unix:///run/containerd/containerd.sock",
        ),
        ("crictl --runtime-endpoint /run/crio/crio.sock info", "unix:///run/crio/crio.sock"),
        (
            "kubeadm init --cri-socket=unix:///var/run/crio/crio.sock",
            "unix:///var/run/crio/crio.sock",
        ),
        (
            "kubeadm join 10.0.0.1:6443 --cri-socket /run/containerd/containerd.sock",
            "unix:///run/containerd/containerd.sock",
        ),
        (
            "ctr -a /run/k3s/containerd/containerd.sock images ls",
            "unix:///run/k3s/containerd/containerd.sock",
        ),
        ("crictl info", None),
        ("crictl -r", None),  # the value was not pasted
        ("kubectl -r x get pods", None),  # not a CRI client
        ("crictl ps -a --image-endpoint unix:///run/x.sock", None),  # the image service's
    ],
)
def test_command_endpoint(command: str, endpoint: str | None) -> None:
    named = command_endpoint(command)
    assert (named.endpoint if named else None) == endpoint
    assert named is None or (named.endpoint_source, named.message) == ("flag", None)


def test_crictl_on_default_endpoints_failing_to_dial(tmp_path: Path) -> None:
    data, _, _ = facts(tmp_path, evidence("cri.client-endpoint-wrong/critools-1089"))
    cri = data["layers"]["cri"]
    assert cri["status"] == "unreachable"
    assert cri["endpoint"] == "unix:///var/run/dockershim.sock"
    assert cri["endpoint_source"] == "default"
    assert cri["errors"][-1] == {
        "source": "ListContainers unix:///var/run/dockershim.sock",
        "message": 'rpc error: code = Unavailable desc = connection error: desc = "transport:'
        " Error while dialing dial unix /var/run/dockershim.sock: connect: no such file or"
        ' directory"',
    }


def test_grpcs_dial_error_alone_is_a_cri_client_that_could_not_connect(tmp_path: Path) -> None:
    # crictl's (or the kubelet's) gRPC transport error, trimmed to itself (grpc-go < 1.30)
    data, read, unplaced = facts(tmp_path, evidence("cri.client-endpoint-wrong/critools-153"))
    assert kinds(read) == ["log lines without their prefix"]
    assert unplaced == ()
    cri = data["layers"]["cri"]
    assert (cri["status"], cri["endpoint"]) == ("unreachable", "unix:///var/run/dockershim.sock")
    assert cri["errors"][-1]["source"] == "connect unix:///var/run/dockershim.sock"
    assert data["layers"]["containerd"]["status"] == "absent"  # a client's view, not its log


@pytest.mark.parametrize(
    "line",
    [
        # a socket that is no runtime's: not the CRI's failure
        "transport: dial unix /tmp/agent: connect: no such file or directory",
        # a sentence around it: left to the other readers
        "it said transport: dial unix /run/containerd/containerd.sock: connect: connection refused",
    ],
)
def test_other_dial_text_is_no_cri_failure(tmp_path: Path, line: str) -> None:
    data, _, _ = facts(tmp_path, line + "\n")
    assert data["layers"]["cri"]["status"] == "absent"


# https://github.com/kubernetes/kubelet/issues/46: crictl's ERRO for the first default endpoint,
# then the table it got from the next one
CRICTL_NEXT_ENDPOINT = """\
root@k8s-eu-1-master:~# crictl pods ls
WARN[0000] runtime connect using default endpoints: [unix:///var/run/dockershim.sock unix:///run/containerd/containerd.sock unix:///run/crio/crio.sock unix:///var/run/cri-dockerd.sock]. As the default settings are now deprecated, you should set the endpoint instead. 
ERRO[0000] validate service connection: validate CRI v1 runtime API for endpoint "unix:///var/run/dockershim.sock": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /var/run/dockershim.sock: connect: no such file or directory" 
POD ID              CREATED             STATE               NAME                                      NAMESPACE           ATTEMPT             RUNTIME
02f6c786b8be3       3 hours ago         Ready               kube-flannel-ds-7sf87                     kube-flannel        0                   (default)
"""  # noqa: E501,W291


def test_crictl_error_on_one_endpoint_then_an_answer_is_no_failed_connection(
    tmp_path: Path,
) -> None:
    data, _, _ = facts(tmp_path, CRICTL_NEXT_ENDPOINT)
    cri = data["layers"]["cri"]
    assert cri["status"] == "ok"
    assert cri["endpoint_source"] == "default"
    assert [e["source"] for e in cri["errors"]] == ["Version unix:///var/run/dockershim.sock"]
    assert data["pods"][0]["name"] == "kube-flannel-ds-7sf87"


def test_crictl_error_the_runtime_answered_leaves_the_layer_examined(tmp_path: Path) -> None:
    data, _, _ = facts(tmp_path, evidence("containerd.proxy-missing/critools-336"))
    cri = data["layers"]["cri"]
    assert cri["status"] == "ok"
    assert cri["errors"][0]["source"] == "PullImage"
    assert cri["errors"][0]["message"].startswith("rpc error: code = Unknown desc = failed to")


def test_critest_failed_sandbox_is_the_runtimes_answer_to_a_cri_client(tmp_path: Path) -> None:
    # critest's ginkgo report (cri-tools, containerd/containerd#3507): its RunPodSandbox failed
    data, _, _ = facts(tmp_path, evidence("containerd.cni-plugin-bug/containerd-3507"))
    cri = data["layers"]["cri"]
    assert cri["status"] == "ok"  # the runtime answered
    assert [e["source"] for e in cri["errors"]] == ["RunPodSandbox"]
    assert cri["errors"][0]["message"].startswith(
        'rpc error: code = Unknown desc = failed to setup network for sandbox "aa2ebdf7'
    )
    assert data["layers"]["containerd"]["status"] == "absent"  # a client's view, not its log


@pytest.mark.parametrize(
    ("line", "source"),
    [
        # cri-tools pkg/validate's helper (runPodSandboxOrFail): the capitalised form
        (
            "Failed to create PodSandbox: rpc error: code = Unknown desc = failed to setup"
            ' network for sandbox "5a15": plugin type="bridge" failed (add): failed to set'
            ' bridge addr: could not add IP address to "cni0": file exists',
            "RunPodSandbox",
        ),
        # the kubelet's event for the same failure names no CRI client: not a critest line
        ("Failed to create pod sandbox: rpc error: code = Unknown desc = failed", None),
    ],
)
def test_critest_sandbox_line_variants(tmp_path: Path, line: str, source: str | None) -> None:
    data, _, _ = facts(tmp_path, line + "\n")
    cri = data["layers"]["cri"]
    if source is None:
        assert cri["status"] == "absent"
    else:
        assert [e["source"] for e in cri["errors"]] == [source]


def test_another_programs_fatal_line_stays_where_it_was(tmp_path: Path) -> None:
    # k3s's own logrus lines (not crictl's) keep going to the daemons' logs
    data, _, _ = facts(tmp_path, evidence("node.cgroup-controller-missing/k3s-3439"))
    assert data["layers"]["cri"]["status"] == "absent"


# -- kubectl's errors ---------------------------------------------------------------------------


def test_exec_failure_is_the_runtime_log_of_the_pod_the_command_names(tmp_path: Path) -> None:
    data, read, unplaced = facts(tmp_path, evidence("runc.apparmor-denied/microk8s-1214"))
    assert kinds(read) == ["kubectl's error"]
    assert unplaced == ()
    (pod,) = data["pods"]
    assert (pod["namespace"], pod["name"]) == ("dev", "avigreenbury-support-7f86bfc5bf-7nl5t")
    assert "apparmor failed to apply profile" in pod["containerd_log"][0]["message"]


def test_exec_failure_with_no_pod_named_is_the_runtimes_log(tmp_path: Path) -> None:
    text = evidence("runc.known-regression/containerd-7219")
    data, _, _ = facts(tmp_path, text, PodRef("default", "web"))
    (pod,) = data["pods"]
    assert pod["containerd_log"][0]["message"] == text.strip()


@pytest.mark.parametrize(
    ("line", "container"),
    [
        # https://github.com/kubernetes/kubernetes/issues/55958
        (
            'Error from server (BadRequest): container "archiva" in pod'
            ' "archiva-deploy-868271406-p7v7q" is waiting to start: ContainerCreating',
            {"name": "archiva", "attempt": 0, "state": "CONTAINER_WAITING",
             "reason": "ContainerCreating"},
        ),
        # https://github.com/kubernetes/kubernetes/issues/28746 (no `Error from server`, 2016)
        (
            'container "build" in pod "build" is waiting to start: ContainerCreating',
            {"name": "build", "attempt": 0, "state": "CONTAINER_WAITING",
             "reason": "ContainerCreating"},
        ),
        # the kubelet's words for ImagePullBackOff (kubelet_pods.go, validateContainerLogStatus):
        # https://github.com/k8sgpt-ai/k8sgpt-operator/issues/176
        (
            'Error from server (BadRequest): container "manager" in pod'
            ' "release-k8sgpt-operator-controller-manager-675c7f8bf-4rkpk" is waiting to start:'
            " trying and failing to pull image",
            {"name": "manager", "attempt": 0, "state": "CONTAINER_WAITING",
             "reason": "ImagePullBackOff"},
        ),
        # https://github.com/kubernetes/kubectl/issues/1227: not one reason
        (
            'Error from server (BadRequest): container "<container>" in pod "<pod>" is waiting to'
            " start: [ContainerCreating, PodInitializing]",
            {"name": "<container>", "attempt": 0, "state": "CONTAINER_WAITING"},
        ),
    ],
)  # fmt: skip
def test_kubectl_logs_errors_give_the_containers_state(
    tmp_path: Path, line: str, container: dict[str, Any]
) -> None:
    data, read, unplaced = facts(tmp_path, line + "\n")
    assert kinds(read) == ["kubectl's error"]
    assert unplaced == ()
    (pod,) = data["pods"]
    assert pod["namespace"] == "default"
    assert pod["containers"] == [container]


def test_kubectl_logs_error_after_its_prompt_is_not_the_containers_output(
    tmp_path: Path,
) -> None:
    # https://github.com/docker-mailserver/docker-mailserver-helm/issues/177
    text = (
        "$ kubectl logs --namespace mail docker-mailserver-8fdfc9895-ctcjn\n\n"
        'Error from server (BadRequest): container "docker-mailserver" in pod'
        ' "docker-mailserver-8fdfc9895-ctcjn" is waiting to start: ContainerCreating\n'
    )
    data, read, _ = facts(tmp_path, text)
    assert kinds(read) == ["kubectl's error"]
    (pod,) = data["pods"]
    assert pod["namespace"] == "mail"
    assert pod["containers"][0]["reason"] == "ContainerCreating"
    assert "log_tail" not in pod["containers"][0]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        # https://github.com/kubernetes/kubernetes/issues/62511
        (
            "Error from server: error dialing backend: dial tcp 192.168.1.14:10250: getsockopt:"
            " no route to host",
            "the API server could not reach the kubelet at 192.168.1.14:10250 (getsockopt: no"
            " route to host)",
        ),
        # https://github.com/kubernetes/kubernetes/issues/102139
        (
            'Error from server: Get "https://192.168.1.109:10250/containerLogs/default/'
            'crm-dev-fe-55b9cd7c86-zlzkd/crm-dev-fe?follow=true": dial tcp 192.168.1.109:10250:'
            " i/o timeout",
            "the API server could not reach the kubelet at 192.168.1.109:10250 (i/o timeout)",
        ),
        # https://github.com/opsnull/follow-me-install-kubernetes-cluster/issues/255
        (
            "error: unable to upgrade connection: Forbidden (user=kubernetes, verb=create,"
            " resource=nodes, subresource=proxy)",
            "the API server could not open a stream to the kubelet (Forbidden (user=kubernetes,"
            " verb=create, resource=nodes, subresource=proxy))",
        ),
    ],
)
def test_kubectl_errors_no_fact_holds_are_noted(tmp_path: Path, line: str, why: str) -> None:
    data, read, unplaced = facts(tmp_path, line + "\n")
    assert kinds(read) == ["kubectl's error"]
    assert unplaced == (f"paste.txt:1: {why}: no fact holds it",)
    assert data["pods"] == []
