"""The cluster's credentials: a CA and the API server's serving certificate (openssl), the
service-account signing keys, one bearer token per client, and their kubeconfigs.

Tokens instead of client certificates keep this to one openssl call per key; the API server
reads them from a static token file (--token-auth-file). Every file is private to root.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from doctor.lab.errors import LabError

DAYS = "30"
# The API server's addresses: loopback, and the first address of the service range (the
# `kubernetes` service), which pods would use.
SERVING_SANS = "IP:127.0.0.1,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default"


@dataclass(frozen=True)
class Identity:
    """A client of the API server: the user it authenticates as, its groups, its kubeconfig."""

    name: str  # the kubeconfig's file stem
    user: str
    groups: tuple[str, ...] = ()


def identities(node: str) -> tuple[Identity, ...]:
    return (
        Identity("admin", "lab-admin", ("system:masters",)),
        Identity("kubelet", f"system:node:{node}", ("system:nodes",)),
        Identity("controller-manager", "system:kube-controller-manager"),
        Identity("scheduler", "system:kube-scheduler"),
    )


@dataclass(frozen=True)
class Pki:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def serving_cert(self) -> Path:
        return self.directory / "apiserver.crt"

    @property
    def serving_key(self) -> Path:
        return self.directory / "apiserver.key"

    @property
    def service_account_key(self) -> Path:
        return self.directory / "sa.key"

    @property
    def service_account_public_key(self) -> Path:
        return self.directory / "sa.pub"

    @property
    def token_file(self) -> Path:
        return self.directory / "tokens.csv"

    def kubeconfig(self, name: str) -> Path:
        return self.directory / f"{name}.kubeconfig"


def _openssl(*args: str) -> None:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LabError(f"openssl {args[0]} failed: {result.stderr.strip()[-500:]}")


def _private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def write_pki(directory: Path, server: str, node: str) -> Pki:
    """Every credential of a new cluster whose API server listens at `server` (an https URL)."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    pki = Pki(directory)
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", DAYS,
        "-subj", "/CN=stackdoctor-lab-ca",
        "-keyout", str(pki.ca_key), "-out", str(pki.ca_cert),
    )  # fmt: skip
    csr = directory / "apiserver.csr"
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver",
        "-keyout", str(pki.serving_key), "-out", str(csr),
    )  # fmt: skip
    extensions = directory / "apiserver.ext"
    extensions.write_text(f"subjectAltName={SERVING_SANS}\nextendedKeyUsage=serverAuth\n")
    _openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(pki.ca_cert), "-CAkey", str(pki.ca_key),
        "-CAcreateserial", "-days", DAYS, "-extfile", str(extensions),
        "-out", str(pki.serving_cert),
    )  # fmt: skip
    _openssl("genrsa", "-out", str(pki.service_account_key), "2048")
    _openssl(
        "rsa", "-in", str(pki.service_account_key), "-pubout",
        "-out", str(pki.service_account_public_key),
    )  # fmt: skip
    rows = []
    for identity in identities(node):
        token = secrets.token_hex(16)
        row = [token, identity.user, identity.user]
        if identity.groups:
            row.append('"' + ",".join(identity.groups) + '"')
        rows.append(",".join(row))
        _private(pki.kubeconfig(identity.name), kubeconfig(server, pki.ca_cert, identity, token))
    _private(pki.token_file, "\n".join(rows) + "\n")
    return pki


def kubeconfig(server: str, ca_cert: Path, identity: Identity, token: str) -> str:
    """A kubeconfig (JSON is YAML) for one identity."""
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "lab", "cluster": {"server": server, "certificate-authority": str(ca_cert)}}
        ],
        "users": [{"name": identity.user, "user": {"token": token}}],
        "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": identity.user}}],
        "current-context": "lab",
    }
    return json.dumps(document, indent=2) + "\n"
