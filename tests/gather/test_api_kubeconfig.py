"""Finding the API server as kubectl does: --kubeconfig, KUBECONFIG's files merged, the default
file, the pod's service account, --context; and one clear reason when there is none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from doctor.gather.api.kubeconfig import NoApiAccess, find_target, merge_kubeconfigs


def _config(
    name: str, server: str, user: dict[str, Any], current: str | None = None
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server}}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
    }
    if current:
        config["current-context"] = current
    return config


def _write(path: Path, config: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))
    return path


def test_kubeconfig_flag_names_the_one_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "a", _config("a", "https://127.0.0.1:6443", {"token": "t"}, "a"))
    target = find_target(str(path), None, {"KUBECONFIG": "/nonexistent"})
    assert target.server == "https://127.0.0.1:6443"
    assert target.source == str(path)
    assert target.namespace == "default"


def test_kubeconfig_files_merge_first_wins_and_first_current_context(tmp_path: Path) -> None:
    first = _write(tmp_path / "one/config", _config("a", "https://127.0.0.1:1", {"token": "x"}))
    second = _config("a", "https://127.0.0.1:2", {"token": "y"}, "b")
    second["clusters"].append({"name": "b", "cluster": {"server": "https://127.0.0.1:3"}})
    second["users"].append({"name": "b", "user": {"token": "z"}})
    second["contexts"].append(
        {"name": "b", "context": {"cluster": "b", "user": "b", "namespace": "shop"}}
    )
    later = _write(tmp_path / "two/config", second)
    environ = {"KUBECONFIG": f"{first}:{tmp_path / 'missing'}:{later}"}
    chosen = find_target(None, None, environ)
    assert (chosen.config.context_name, chosen.server, chosen.namespace) == (
        "b",
        "https://127.0.0.1:3",
        "shop",
    )
    # "a" is defined in both files: the first file's cluster wins
    assert find_target(None, "a", environ).server == "https://127.0.0.1:1"


def test_relative_paths_are_relative_to_their_own_file(tmp_path: Path) -> None:
    user = {"client-certificate": "certs/me.crt", "client-key": "certs/me.key"}
    user["exec"] = {"apiVersion": "client.authentication.k8s.io/v1", "command": "./bin/login"}
    one = _config("a", "https://127.0.0.1:1", user, "a")
    one["clusters"][0]["cluster"]["certificate-authority"] = "ca.crt"
    two = _config("b", "https://127.0.0.1:2", {"tokenFile": "token", "exec": {"command": "gke"}})
    merged = merge_kubeconfigs([(tmp_path / "x" / "config", one), (tmp_path / "y" / "cfg", two)])
    cluster = merged["clusters"][0]["cluster"]
    assert cluster["certificate-authority"] == str(tmp_path / "x" / "ca.crt")
    first, second = (entry["user"] for entry in merged["users"])
    assert first["client-certificate"] == str(tmp_path / "x" / "certs/me.crt")
    assert first["exec"]["command"] == str(tmp_path / "x" / "bin/login")
    assert second["tokenFile"] == str(tmp_path / "y" / "token")
    assert second["exec"]["command"] == "gke"  # found on PATH, as client-go does


def test_default_file_in_home(tmp_path: Path) -> None:
    _write(tmp_path / ".kube/config", _config("h", "https://127.0.0.1:9", {"token": "t"}, "h"))
    assert find_target(None, None, {"HOME": str(tmp_path)}).server == "https://127.0.0.1:9"


def test_in_cluster_service_account(tmp_path: Path) -> None:
    account = tmp_path / "sa"
    account.mkdir()
    (account / "token").write_text("eyJ...")
    (account / "namespace").write_text("kube-system\n")
    (account / "ca.crt").write_text("")
    environ = {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}
    target = find_target(None, None, environ, service_account=account)
    assert target.server == "https://[fd00::1]:443"
    assert target.namespace == "kube-system"
    assert target.source == "in-cluster service account"
    assert target.config.user is not None and target.config.user.token_file == str(
        account / "token"
    )


@pytest.mark.parametrize(
    ("setup", "kubeconfig", "context", "reason"),
    [
        (None, None, None, "no kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config)"),
        (None, "missing.yaml", None, "missing.yaml: no such file"),
        ("clusters: [oops", "cfg", None, "invalid YAML"),
        ("- a list", "cfg", None, "not a kubeconfig"),
        ("clusters: {a: 1}", "cfg", None, "'clusters' is not a list"),
        (yaml.safe_dump(_config("a", "https://127.0.0.1:1", {})), "cfg", None, "current-context"),
        (yaml.safe_dump(_config("a", "https://127.0.0.1:1", {}, "a")), "cfg", "nope", "nope"),
    ],
)
def test_no_access_is_one_reason(
    tmp_path: Path, setup: str | None, kubeconfig: str | None, context: str | None, reason: str
) -> None:
    path = None
    if kubeconfig:
        path = tmp_path / kubeconfig
        if setup is not None:
            path.write_text(setup)
    with pytest.raises(NoApiAccess, match=None) as raised:
        find_target(
            str(path) if path else None,
            context,
            {"HOME": str(tmp_path)},
            service_account=tmp_path / "none",
        )
    message = str(raised.value)
    assert reason in message
    assert "\n" not in message and "Traceback" not in message
