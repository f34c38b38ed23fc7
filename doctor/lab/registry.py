"""The lab's registries: CNCF distribution (Debian's `docker-registry`) on 127.0.0.1 only.

Three instances, each with a config file the lab writes and its storage under the lab dir:
- `plain`: plain HTTP, no auth; the lab's busybox image is pushed into it (skopeo)
- `auth`: plain HTTP with htpasswd (bcrypt) auth: an anonymous or wrong-credential pull is
  refused with 401
- `tls`: HTTPS with a self-signed certificate the lab makes with openssl; containerd is told
  (hosts.toml) to use HTTPS for it and does not trust the certificate
Started on demand by the scenarios that pull; their pids are in lab.json so `lab down` ends
them. Every address is 127.0.0.1: nothing here ever leaves the machine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import warnings
from pathlib import Path

from doctor.lab.errors import LabError

REPOSITORY = "lab/busybox"
TAG = "1"
USER = "lab"
START_TIMEOUT = 15.0
KINDS = ("plain", "auth", "tls")

CONFIG = """version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: stackdoctor-lab-not-a-secret
{extra}"""
AUTH = """auth:
  htpasswd:
    realm: stackdoctor-lab
    path: {htpasswd}
"""
TLS = """  tls:
    certificate: {cert}
    key: {key}
"""


def unavailable_reason() -> str | None:
    for tool, package in (("docker-registry", "docker-registry"), ("skopeo", "skopeo")):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install {package})"
    if shutil.which("openssl") is None:
        return "openssl is not installed (Debian: apt-get install openssl)"
    return None


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (a SAN IP) and its key."""
    cert, key = directory / "registry.crt", directory / "registry.key"
    if not cert.exists():
        command = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
            "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise LabError(f"openssl could not make the registry certificate: {done.stderr}")
    return cert, key


def htpasswd_line(user: str, password: str) -> str:
    """`user:bcrypt-hash`: distribution's htpasswd accepts only bcrypt. The bcrypt module is not
    a dependency; the C library's crypt(3) (libxcrypt) makes $2b$ hashes, else apache2-utils'
    htpasswd does."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # deprecated (gone in 3.13), still the C library's crypt(3)

        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 4))
        if hashed and hashed.startswith("$2"):
            return f"{user}:{hashed}"
    except ImportError:
        pass
    if shutil.which("htpasswd"):
        done = subprocess.run(
            ["htpasswd", "-nbB", user, password], capture_output=True, text=True, check=False
        )
        if done.returncode == 0:
            return done.stdout.strip()
    raise LabError("no bcrypt for the registry's htpasswd (crypt(3) or apache2-utils' htpasswd)")


def start(directory: Path, kind: str, password: str = "") -> tuple[int, int]:
    """Start one registry instance of `kind` under `directory`; (pid, port)."""
    if kind not in KINDS:
        raise LabError(f"no registry kind {kind!r}")
    reason = unavailable_reason()
    if reason:
        raise LabError(f"cannot start a registry: {reason}")
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    extra = ""
    if kind == "auth":
        htpasswd = directory / "htpasswd"
        htpasswd.write_text(htpasswd_line(USER, password) + "\n")
        extra = AUTH.format(htpasswd=htpasswd)
    elif kind == "tls":
        cert, key = self_signed(directory)
        extra = TLS.format(cert=cert, key=key)  # indented: under `http:`; `auth` is top level
    config = CONFIG.format(storage=directory / "data", port=port, extra=extra)
    path = directory / "config.yml"
    path.write_text(config)
    with open(directory / "registry.log", "ab") as out:
        process = subprocess.Popen(
            ["docker-registry", "serve", str(path)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while not listening(port):
        if process.poll() is not None or time.monotonic() > deadline:
            tail = (directory / "registry.log").read_text(errors="replace")[-1500:]
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            raise LabError(f"the {kind} registry did not start; its log ends: {tail!r}")
        time.sleep(0.05)
    return process.pid, port


def push(archive: Path, port: int, repository: str = REPOSITORY, tag: str = TAG) -> str:
    """Copy the OCI archive into the plain registry; the pushed reference."""
    reference = f"127.0.0.1:{port}/{repository}:{tag}"
    command = [
        "skopeo", "copy", "--quiet", "--dest-tls-verify=false",
        f"oci-archive:{archive}", f"docker://{reference}",
    ]  # fmt: skip
    env = dict(os.environ, HOME=str(archive.parent))  # skopeo keeps no state of ours elsewhere
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, env=env
    )
    if done.returncode != 0:
        raise LabError(f"skopeo could not push to {reference}: {done.stderr.strip()}")
    return reference


def hosts_toml(certs_d: Path, port: int, scheme: str) -> None:
    """containerd's hosts.toml for 127.0.0.1:PORT (config_path): the scheme to use; HTTPS is
    verified against the system roots, which do not have the lab's certificate."""
    host = f"127.0.0.1:{port}"
    directory = certs_d / host
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hosts.toml").write_text(
        f'server = "{scheme}://{host}"\n\n'
        f'[host."{scheme}://{host}"]\n  capabilities = ["pull", "resolve"]\n'
    )
