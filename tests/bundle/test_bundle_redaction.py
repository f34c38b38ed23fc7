"""Secrets planted in the facts and the artifacts appear nowhere in the written bundle."""

from __future__ import annotations

import gzip
import json
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest

from doctor.bundle.reader import read_bundle
from doctor.bundle.writer import write_bundle
from doctor.errors import BundleError
from doctor.redact import RedactionPolicy, Redactor, load_patterns
from doctor.redact.tokens import Tokenizer
from tests.bundle.helpers import facts_document
from tests.conftest import REPO

SECRETS = {
    "env": "s3cr3t-env-Value-9f2a",
    "password_flag": "Pa55w0rd-flag-77c1",
    "bearer": "eyJhbGciOiJSUzI1NiIsImtpZCI6IkJlYXJlclRva2Vu",
    "token_log": "tok-5a5b5c5d5e5f",
    "registry_password": "regPass-Q8w7e6",
    "registry_auth": "dXNlcjpyZWdQYXNzLVE4dzdlNg==",
    "hosts_header": "aG9zdHMtYmFzaWMtY3JlZHM=",
    "kubeconfig_key": "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVF",
    "kubeconfig_token": "kc-token-0a1b2c3d4e5f",
    "private_key": "MIIEowIBAAKCAQEAprivatekeymaterial1234567890",
    "environ": "environ-secret-3c4d",
    "user_pattern": "ACME-INTERNAL-4471",
    "url_password": "urlPassw0rd-xyz",
    "applied_env": "applied-env-Secret-41b2",
    "applied_arg": "applied-arg-Secret-8c0d",
    "api_annotation": "api-annotation-Secret-19fe",
}


def planted() -> tuple[dict[str, Any], dict[str, bytes]]:
    s = SECRETS
    document = facts_document()
    document["layers"]["kubelet"]["cmdline"] = [
        "/usr/bin/kubelet",
        f"--password={s['password_flag']}",
    ]
    # timed: each is a timeline entry too, whose summary must be redacted as the line is
    at = "2024-01-01T10:00:00Z"
    document["layers"]["kubelet"]["log"] = [
        {"time": at, "message": f'"request" headers="Authorization: Bearer {s["bearer"]}"'},
        {"time": at, "message": f"refresh ok token={s['token_log']} customer {s['user_pattern']}"},
    ]
    document["pods"][0]["containers"][0]["command"] = ["app", "--token", s["token_log"]]
    artifacts = {
        "cri/container-status.json": json.dumps(
            {
                "info": {
                    "runtimeSpec": {
                        "process": {"env": ["PATH=/usr/bin", f"DB_PASSWORD={s['env']}"]}
                    },
                    "config": {"envs": [{"key": "API_KEY", "value": s["env"]}]},
                }
            }
        ).encode(),
        # the pod's annotations, handed to the sandbox by the kubelet: kubectl apply's copy of
        # the manifest, env values and arguments in it (seen on the lab's real cluster)
        "cri/sandbox-status.json": json.dumps(
            {
                "status": {
                    "annotations": {
                        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                            {
                                "kind": "Pod",
                                "spec": {
                                    "containers": [
                                        {
                                            "name": "app",
                                            "args": ["--password", s["applied_arg"]],
                                            "env": [{"name": "DB", "value": s["applied_env"]}],
                                        }
                                    ]
                                },
                            }
                        )
                    }
                }
            }
        ).encode(),
        "containerd/config.toml": (
            '[plugins."io.containerd.grpc.v1.cri".registry.configs."reg.example.com".auth]\n'
            '  username = "robot"\n'
            f'  password = "{s["registry_password"]}"\n'
            f'  auth = "{s["registry_auth"]}"\n'
        ).encode(),
        "containerd/certs.d/reg.example.com/hosts.toml": (
            'server = "https://reg.example.com"\n'
            '[host."https://mirror.example.com".header]\n'
            f'  authorization = "Basic {s["hosts_header"]}"\n'
        ).encode(),
        "kubelet/kubelet.conf": (
            "apiVersion: v1\nkind: Config\nusers:\n- name: default-auth\n  user:\n"
            f"    client-key-data: {s['kubeconfig_key']}\n"
            f"    token: {s['kubeconfig_token']}\n"
        ).encode(),
        "kubelet/pki/kubelet.key": (
            f"-----BEGIN RSA PRIVATE KEY-----\n{s['private_key']}\n-----END RSA PRIVATE KEY-----\n"
        ).encode(),
        "proc/4242/environ": f"HOME=/root\0SECRET={s['environ']}\0".encode(),
        # the API server's answer about the pod, as `collect` saves it (fixtures/api/ is a real
        # one from the lab): its spec's env and a credential-named annotation
        "api/answer.json": json.dumps(api_answer(s)).encode(),
        "logs/containerd.log": (
            f'time=x level=info msg="pull from https://bob:{s["url_password"]}@reg.example.com"\n'
            f'time=y level=info msg="Authorization: Bearer {s["bearer"]}"\n'
        ).encode(),
    }
    return document, artifacts


def api_answer(s: dict[str, str]) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads((REPO / "fixtures/api/crash-loop.json").read_text())
    pod = answer["pod"]
    pod["spec"]["containers"][0]["env"] = [{"name": "DB_URL", "value": s["env"]}]
    pod["metadata"]["annotations"] = {"example.com/api-token": s["api_annotation"]}
    return answer


def write(tmp_path: Path, policy: RedactionPolicy) -> tuple[Path, dict[str, Any]]:
    document, artifacts = planted()
    path = tmp_path / "bundle.tar.gz"
    return path, write_bundle(document, artifacts, path, redaction=policy)


def user_policy() -> RedactionPolicy:
    return RedactionPolicy(user_patterns=load_patterns([r"ACME-INTERNAL-\d+"], []))


def test_no_secret_byte_sequence_survives_compressed_or_not(tmp_path: Path) -> None:
    path, _ = write(tmp_path, user_policy())
    compressed = path.read_bytes()
    unpacked = gzip.decompress(compressed)
    for name, secret in SECRETS.items():
        assert secret.encode() not in compressed, name
        assert secret.encode() not in unpacked, name


def test_the_timeline_is_built_from_the_redacted_lines(tmp_path: Path) -> None:
    path, _ = write(tmp_path, user_policy())
    node = read_bundle(path).facts["timeline"]["node"]["entries"]
    logged = [e["what"] for e in node if e["source"] == "kubelet-log"]
    assert len(logged) == 2 and all("<redacted" in what for what in logged)


def test_names_stay_values_go(tmp_path: Path) -> None:
    path, _ = write(tmp_path, user_policy())
    text = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
    for kept in ("DB_PASSWORD=<redacted:", "API_KEY", "SECRET=<redacted:", "PATH=<redacted:"):
        assert kept in text
    assert "-----BEGIN RSA PRIVATE KEY-----<redacted:" in text


def test_the_same_secret_gets_the_same_token(tmp_path: Path) -> None:
    path, _ = write(tmp_path, user_policy())
    text = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
    env_tokens = set(re.findall(r"DB_PASSWORD=(<redacted:[0-9a-f]{8}>)", text))
    api_tokens = set(re.findall(r'"value": "(<redacted:[0-9a-f]{8}>)"', text))
    assert len(env_tokens) == 1 and env_tokens == api_tokens


def test_tokens_differ_between_bundles() -> None:
    assert Tokenizer().token("x") != Tokenizer().token("x")
    key = b"k" * 32
    assert Tokenizer(key).token("x") == Tokenizer(key).token("x")


def test_manifest_counts_per_rule_and_file_never_values(tmp_path: Path) -> None:
    path, manifest = write(tmp_path, user_policy())
    redaction = manifest["redaction"]
    assert redaction["enabled"] is True
    assert redaction["rules"]["env-value"] >= 3
    assert redaction["rules"]["user-pattern-1"] == 1
    assert redaction["files"]["artifacts/proc/4242/environ"] == {"env-value": 2}
    assert redaction["files"]["artifacts/kubelet/pki/kubelet.key"] == {"private-key": 1}
    dumped = json.dumps(manifest)
    assert "ACME" not in dumped  # the user's pattern is not written either
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert any(n.endswith("/manifest.json") for n in names)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("--password=hunter2 --user x", "--password=<T> --user x"),
        ("--password hunter2", "--password <T>"),
        ("Authorization: Bearer abcdefghijkl", "Authorization: Bearer <T>"),
        ("token=abc123&next=1", "token=<T>&next=1"),
        ('password = "s3cr3t"', 'password = "<T>"'),
        ("  client-key-data: LS0tLS1CRUdJTg==", "  client-key-data: <T>"),
        ('{"token": "zzz", "auth":"QUFB"}', '{"token": "<T>", "auth":"<T>"}'),
        ("https://bob:pw123@reg.io/v2", "https://bob:<T>@reg.io/v2"),
        # near misses: ordinary words must survive (rules read these messages)
        ("failed to fetch oauth token: unexpected status: 401 Unauthorized", None),
        ("--token-auth-file=/etc/kubernetes/tokens.csv", None),
        ("env=prod", None),
    ],
)
def test_text_rules(text: str, expected: str | None) -> None:
    redacted = Redactor(RedactionPolicy()).text(text, "t")
    assert re.sub(r"<redacted:[0-9a-f]{8}>", "<T>", redacted) == (expected or text)


def test_no_redact_keeps_values_and_says_so(tmp_path: Path) -> None:
    path, manifest = write(tmp_path, RedactionPolicy(enabled=False))
    assert manifest["redaction"]["enabled"] is False
    assert SECRETS["env"].encode() in gzip.decompress(path.read_bytes())


def test_user_patterns_from_a_file(tmp_path: Path) -> None:
    patterns = tmp_path / "patterns"
    patterns.write_text("# customers\nACME-[A-Z]+-\\d+\n\n")
    policy = RedactionPolicy(user_patterns=load_patterns([], [patterns]))
    assert "ACME" not in Redactor(policy).text("id ACME-INTERNAL-1", "t")


@pytest.mark.parametrize("pattern", ["(", "x*"])
def test_bad_user_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(BundleError, match="--redact"):
        load_patterns([pattern], [])
