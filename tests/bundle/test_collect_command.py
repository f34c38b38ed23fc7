"""`stackdoctor collect` on a synthetic node: a bundle `analyze` reads, with the raw files
behind the facts, and no planted secret anywhere in it."""

from __future__ import annotations

import gzip
import json
import tarfile
from pathlib import Path

from tests.conftest import stackdoctor
from tests.gather.hosttree import write
from tests.gather.test_collect import kubeadm_node

PASSWORD = "hunter2-Zq9vX"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.Zm9v"
REGISTRY_AUTH = f"""
[plugins."io.containerd.grpc.v1.cri".registry.configs."registry.example.internal".auth]
  username = "deploy"
  password = "{PASSWORD}"
"""


def test_collect_writes_a_bundle_analyze_reads(tmp_path: Path) -> None:
    root = kubeadm_node(tmp_path / "node")
    config = root / "etc/containerd/config.toml"
    config.write_text(config.read_text() + REGISTRY_AUTH)
    write(root, "/var/log/containerd.log", (
        'time="2026-11-29T12:00:00.000000000Z" level=error msg="PullImage \\"app:1\\" failed"'
        f' error="failed to authorize: token={TOKEN}"\n'
    ))  # fmt: skip
    bundle = tmp_path / "node.tar.gz"
    result = stackdoctor(
        "collect", "--host-root", str(root), "--sample-interval", "0", "-q", "-o", str(bundle)
    )
    assert result.returncode == 0, result.stderr
    assert bundle.exists()

    raw = bundle.read_bytes()
    unpacked = gzip.decompress(raw)
    for secret in (PASSWORD, TOKEN):
        assert secret.encode() not in raw and secret.encode() not in unpacked

    with tarfile.open(bundle) as tar:
        names = [member.name.split("/", 1)[1] for member in tar.getmembers()]
        manifest_member = next(m for m in tar.getmembers() if m.name.endswith("manifest.json"))
        manifest = json.load(tar.extractfile(manifest_member))  # type: ignore[arg-type]
    assert "facts.json" in names and "manifest.json" in names
    assert "artifacts/host/etc/containerd/config.toml" in names
    assert "artifacts/host/var/lib/kubelet/config.yaml" in names
    assert "artifacts/host/var/log/containerd.log" in names
    assert manifest["host"] == "worker-7"
    assert manifest["redaction"]["rules"], "the manifest counts what was redacted"
    assert set(manifest["layers"]) >= {"kubelet", "cri", "node"}
    assert all(layer["duration_seconds"] is not None for name, layer in manifest["layers"].items()
               if name != "apiserver")  # fmt: skip

    analyzed = stackdoctor("analyze", str(bundle), "-o", "json")
    assert analyzed.returncode == 1, analyzed.stderr
    assert json.loads(analyzed.stdout)["root_cause"]["id"] == "containerd.not-running"


def test_no_redact_says_so_loudly(tmp_path: Path) -> None:
    root = kubeadm_node(tmp_path / "node")
    bundle = tmp_path / "raw.tar.gz"
    result = stackdoctor(
        "collect", "--host-root", str(root), "--sample-interval", "0", "-q", "--no-redact",
        "-o", str(bundle),
    )  # fmt: skip
    assert result.returncode == 0
    assert "WARNING: --no-redact" in result.stderr
