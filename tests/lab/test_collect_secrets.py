"""Issue 5's redaction test on the real cluster: secrets planted in a pod never reach a bundle.

Four secrets, each where a node really keeps one: an environment variable's value (the runtime
spec, the process environment), a command-line argument (`--password=…`: the spec, /proc
cmdline), a registry credential in containerd's config.toml (registry.configs auth), and a log
line the container prints (`Authorization: Bearer …`: the CRI log file). `stackdoctor collect`
runs against the lab as a user would; none of the secrets' bytes may be anywhere in the bundle —
the .tar.gz as written, its decompressed tar stream, or any member — and the bundle must still
analyze to a report.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tarfile
import time
import uuid
from pathlib import Path

from doctor.lab.kube.scenarios import NAMESPACE, containerd_config_back, ready, wait_pod
from doctor.lab.runtime import Lab
from tests.lab.cluster_support import apply, pod

POD = "secrets"


def secrets() -> dict[str, str]:
    def fresh(prefix: str) -> str:
        return f"{prefix}{uuid.uuid4().hex}"

    return {
        "env": fresh("envsecret"),
        "argument": fresh("argsecret"),
        "registry": fresh("regsecret"),
        "token": fresh("tokensecret"),
    }


def run_secret_pod(lab: Lab, planted: dict[str, str]) -> None:
    token = planted["token"]
    # the token is assembled by the shell, so it is whole only in the log line it prints
    script = f'a={token[:8]}; echo "Authorization: Bearer ${{a}}{token[8:]}"; exec sleep 3600'
    container = {
        "name": "app",
        "command": ["/bin/sh", "-c", script, "app"],
        "args": [f"--password={planted['argument']}"],
        "env": [
            {"name": "DB_PASSWORD", "value": planted["env"]},
            {"name": "LOG_LEVEL", "value": "info"},
        ],
    }
    apply(lab, pod(POD, [container]))
    wait_pod(lab, POD, ready)
    deadline = time.monotonic() + 10
    while token not in lab.cluster.kubectl("logs", "-n", NAMESPACE, POD).stdout:
        assert time.monotonic() < deadline, "the container did not print its token"
        time.sleep(0.2)


def leaks(bundle: Path, planted: dict[str, str]) -> list[str]:
    """Where any planted secret's bytes appear: the file, the tar stream, each member."""
    found = []
    raw = bundle.read_bytes()
    streams = {"bundle.tar.gz": raw, "bundle.tar": gzip.decompress(raw)}
    with tarfile.open(bundle, "r:gz") as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                streams[member.name] = handle.read()
    for where, data in streams.items():
        for kind, secret in planted.items():
            if secret.encode() in data:
                found.append(f"{kind} secret in {where}")
    return found


def doctor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "doctor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_collect_leaves_planted_secrets_out(cluster: Lab, tmp_path: Path) -> None:
    lab = cluster
    planted = secrets()
    # a credential for a registry host of the lab's (nothing listens there; only the config
    # file carries it): containerd restarts with it in config.toml, as an admin would set it
    lab.stop_containerd()
    lab.start_containerd(registry_auth=("127.0.0.1:5999", "lab-user", planted["registry"]))
    lab.cluster.wait_node_ready()
    try:
        assert planted["registry"] in lab.layout.config.read_text()
        run_secret_pod(lab, planted)
        bundle = tmp_path / "bundle.tar.gz"
        done = doctor(
            "collect", f"{NAMESPACE}/{POD}",
            "--host-root", str(lab.layout.host),
            "--runtime-endpoint", lab.layout.address,
            "--sample-interval", "0.2",
            "-o", str(bundle), "--quiet",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert bundle.is_file()
        assert leaks(bundle, planted) == []
        with tarfile.open(bundle, "r:gz") as tar:
            names = tar.getnames()
        # the places the secrets were are in the bundle (redacted, not left out)
        assert any(name.endswith("config.toml") for name in names), names
        assert any(name.endswith("0.log") or "containers" in name for name in names), names
        # the runtime spec (where the env value lives) is in it too
        assert any("/artifacts/cri/container-" in name for name in names), names
        # ...and the test can fail: without redaction every planted secret is there
        raw_bundle = tmp_path / "raw.tar.gz"
        unredacted = doctor(
            "collect", f"{NAMESPACE}/{POD}",
            "--host-root", str(lab.layout.host),
            "--runtime-endpoint", lab.layout.address,
            "--sample-interval", "0", "-o", str(raw_bundle), "--quiet", "--no-redact",
        )  # fmt: skip
        assert unredacted.returncode == 0, unredacted.stderr
        kinds = {leak.split(" ")[0] for leak in leaks(raw_bundle, planted)}
        assert kinds == set(planted), kinds

        report = doctor("analyze", str(bundle), "--output", "json")
        assert report.returncode in (0, 1), report.stderr
        document = json.loads(report.stdout)
        assert "findings" in document
    finally:
        lab.cluster.kubectl(
            "delete", "pod", "-n", NAMESPACE, POD, "--grace-period=0", "--force",
            "--ignore-not-found",
        )  # fmt: skip
        containerd_config_back(lab)
