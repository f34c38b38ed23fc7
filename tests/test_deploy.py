"""deploy/ checked offline: the NPD monitor against NPD's documented custom-plugin fields, the
DaemonSet's mounts, args and security context, the Dockerfile, and the alert rules against the
metrics stackdoctor writes."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

from doctor.cli.check import check
from doctor.cli.main import cli
from tests.conftest import REPO
from tests.gather.test_collect import kubeadm_node

DEPLOY = REPO / "deploy"

# From node-problem-detector's docs/custom_plugin_monitor.md and
# pkg/custompluginmonitor/types/{config,types}.go (the json tags).
NPD_TOP = {"plugin", "pluginConfig", "source", "conditions", "rules", "metricsReporting"}
NPD_PLUGIN_CONFIG = {
    "invoke_interval",
    "timeout",
    "max_output_length",
    "concurrency",
    "enable_message_change_based_condition_update",
    "skip_initial_status",
}
NPD_CONDITION = {"type", "reason", "message"}
NPD_RULE = {"type", "condition", "reason", "path", "args", "timeout", "invoke_interval"}
GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$")


def go_seconds(text: str) -> float:
    assert GO_DURATION.match(text), f"not a Go duration: {text!r}"
    units = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    return sum(
        float(n) * units[u] for n, _, u in re.findall(r"(\d+(\.\d+)?)(ns|us|ms|s|m|h)", text)
    )


@pytest.fixture(scope="module")
def monitor() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEPLOY / "npd" / "stackdoctor-monitor.json").read_text())
    return data


def test_monitor_uses_only_documented_fields(monitor: dict[str, Any]) -> None:
    assert set(monitor) <= NPD_TOP and {"plugin", "source", "conditions", "rules"} <= set(monitor)
    assert monitor["plugin"] == "custom"
    config = monitor["pluginConfig"]
    assert set(config) <= NPD_PLUGIN_CONFIG
    assert config["max_output_length"] == 80 and config["concurrency"] >= 1
    assert config["enable_message_change_based_condition_update"] is False
    assert go_seconds(config["invoke_interval"]) >= 30
    for condition in monitor["conditions"]:
        assert set(condition) == NPD_CONDITION and all(condition.values())
    for rule in monitor["rules"]:
        assert set(rule) <= NPD_RULE and rule["type"] in ("permanent", "temporary")
        assert rule["path"] == "/usr/local/bin/stackdoctor" and rule["reason"]


def test_monitor_rules_fit_npd_validation(monitor: dict[str, Any]) -> None:
    # What NPD's Validate() enforces, plus our own budget: 4 s deadline < 5 s timeout.
    global_timeout = go_seconds(monitor["pluginConfig"]["timeout"])
    assert global_timeout <= 5  # NPD's default; stackdoctor --npd stops itself at 4 s
    conditions = {c["type"] for c in monitor["conditions"]}
    permanent = [r for r in monitor["rules"] if r["type"] == "permanent"]
    assert {r["condition"] for r in permanent} == conditions  # one rule per condition
    assert any(r["type"] == "temporary" and "condition" not in r for r in monitor["rules"])
    for rule in monitor["rules"]:
        assert go_seconds(rule["timeout"]) <= global_timeout


def test_monitor_args_run_the_npd_contract(monitor: dict[str, Any], tmp_path: Path) -> None:
    root = kubeadm_node(tmp_path)
    for rule in monitor["rules"]:
        args = rule["args"]
        assert args[:2] == ["check", "--npd"] and "--host-root" in args
        args = [str(root) if a == "/host" else a for a in args]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code in (0, 1, 2), result.output
        assert result.output.count("\n") == 1 and result.output.isascii()


@pytest.fixture(scope="module")
def daemonset() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "daemonset.yaml").read_text())
    return data


def pod_spec(daemonset: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = daemonset["spec"]["template"]["spec"]
    return spec


def container(daemonset: dict[str, Any]) -> dict[str, Any]:
    (only,) = pod_spec(daemonset)["containers"]
    result: dict[str, Any] = only
    return result


def stackdoctor_args(daemonset: dict[str, Any]) -> list[str]:
    """The stackdoctor command line inside the shell loop."""
    script = " ".join(container(daemonset)["args"]).replace("\\\n", " ")
    line = next(part for part in script.split("\n") if part.strip().startswith("stackdoctor"))
    words = shlex.split(line)
    return words[1 : words.index("||")] if "||" in words else words[1:]


def test_daemonset_shape(daemonset: dict[str, Any]) -> None:
    assert (daemonset["apiVersion"], daemonset["kind"]) == ("apps/v1", "DaemonSet")
    labels = daemonset["spec"]["template"]["metadata"]["labels"]
    assert daemonset["spec"]["selector"]["matchLabels"].items() <= labels.items()
    spec = pod_spec(daemonset)
    assert spec["hostPID"] is True
    assert {"operator": "Exists"} in spec["tolerations"]  # every taint, every node
    assert container(daemonset)["image"]


def test_mounts_match_volumes_and_args(daemonset: dict[str, Any]) -> None:
    volumes = {v["name"]: v for v in pod_spec(daemonset)["volumes"]}
    mounts = {m["mountPath"]: m for m in container(daemonset)["volumeMounts"]}
    assert {m["name"] for m in mounts.values()} == set(volumes)
    host = mounts["/host"]
    assert host["readOnly"] is True and volumes[host["name"]]["hostPath"]["path"] == "/"
    args = stackdoctor_args(daemonset)
    assert args[0] == "check"
    option = dict(zip(args[1::2], args[2::2], strict=False))
    assert option["--host-root"] == "/host" and option["--output"] == "prometheus"
    # The report file goes to a writable mount; everything else is read-only.
    out_dir = str(Path(option["--output-file"]).parent)
    assert out_dir in mounts and not mounts[out_dir].get("readOnly", False)
    # The runtime socket, a host path read under --host-root, is inside the socket mount,
    # which mirrors the same host directory.
    socket = option["--runtime-endpoint"].removeprefix("unix://")
    socket_mount = next(m for m in mounts.values() if m["name"] == "runtime-socket")
    host_dir = volumes["runtime-socket"]["hostPath"]["path"]
    assert socket_mount["mountPath"] == "/host" + host_dir and socket.startswith(host_dir + "/")
    for path, mount in mounts.items():
        if path not in (out_dir, "/tmp"):
            assert mount.get("readOnly") is True, path


def test_the_command_line_parses(daemonset: dict[str, Any], tmp_path: Path) -> None:
    args = [str(tmp_path) if a == "/host" else a for a in stackdoctor_args(daemonset)[1:]]
    context = check.make_context("check", args)
    assert context.params["output"] == "prometheus" and context.params["fail_on"] == "never"
    with pytest.raises(click.UsageError):
        check.make_context("check", ["--no-such-option"])


def test_security_context_grants_only_reading(daemonset: dict[str, Any]) -> None:
    security = container(daemonset)["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security.get("privileged", False) is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert set(security["capabilities"]["add"]) <= {"SYS_PTRACE", "DAC_READ_SEARCH"}
    assert pod_spec(daemonset)["automountServiceAccountToken"] is False


def quantity(text: str) -> float:
    units = {"m": 1e-3, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}
    for unit, factor in units.items():
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def test_resources_fit_the_measured_check(daemonset: dict[str, Any]) -> None:
    resources = container(daemonset)["resources"]
    for kind in ("cpu", "memory"):
        assert quantity(resources["requests"][kind]) <= quantity(resources["limits"][kind])
    # Measured: 70 MiB peak RSS with a 16 MiB log tail (docs/fleet.md); keep 2x headroom.
    assert quantity(resources["limits"]["memory"]) >= 2 * 70 * (1 << 20)


def test_dockerfile() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    bases = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert bases and all(re.fullmatch(r"python:3\.\d+-slim", base) for base in bases)
    assert re.search(r"pip install .*\.whl", text)
    assert re.search(r'^ENTRYPOINT \["stackdoctor"\]$', text, re.MULTILINE)
    (user,) = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert not user.startswith(("0", "root"))


def test_alerts_use_the_metrics_stackdoctor_writes() -> None:
    from doctor.report import formatter
    from tests.test_prometheus import report_of, scenario

    written = set(
        re.findall(
            r"^(stackdoctor_\w+)",
            formatter("prometheus")(report_of(scenario("containerd-down"))),
            re.MULTILINE,
        )
    )
    rules = yaml.safe_load((DEPLOY / "prometheus" / "stackdoctor-alerts.yaml").read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert {a["alert"] for a in alerts} >= {
        "StackdoctorCriticalFinding",
        "StackdoctorLayerNotExamined",
        "StackdoctorTextfileStale",
    }
    for alert in alerts:
        assert alert["expr"] and alert["labels"]["severity"] and alert["annotations"]["summary"]
        assert set(re.findall(r"stackdoctor_[a-z_]+", alert["expr"])) <= written
