"""Where the Kubernetes programs built by scripts/build-kube are.

One directory holds all of them (build-kube's `bin-<versions>`), never a PATH search: a
machine may carry another kubectl (a cloud SDK's) whose version is not the cluster's.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from doctor.lab.errors import LabError

PROGRAMS = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kubectl",
    "crictl",
)
DEFAULT_CACHE = Path("/var/cache/stackdoctor/kube")
BUILD_HINT = (
    'run scripts/build-kube, then export STACKDOCTOR_KUBE_BIN_DIR="$(scripts/build-kube'
    ' --print-bin-dir)"'
)


@dataclass(frozen=True)
class KubeBinaries:
    directory: Path

    def path(self, program: str) -> str:
        return str(self.directory / program)

    def version(self, program: str) -> str:
        """The version a program prints (`v1.36.3`, `3.6.17`), or "" when it prints none."""
        argv = (
            [self.path(program), "version", "--client"]
            if program == "kubectl"
            else [
                self.path(program),
                "--version",
            ]
        )
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        match = re.search(r"v?\d+\.\d+\.\d+\S*", result.stdout + result.stderr)
        return match.group(0) if match else ""


def find_binaries(environ: Mapping[str, str] = os.environ) -> KubeBinaries:
    """STACKDOCTOR_KUBE_BIN_DIR, else the one `bin-*` directory in build-kube's cache."""
    configured = environ.get("STACKDOCTOR_KUBE_BIN_DIR")
    if configured:
        directory = Path(configured)
    else:
        cache = Path(environ.get("STACKDOCTOR_KUBE_CACHE") or DEFAULT_CACHE)
        found = sorted(cache.glob("bin-*")) if cache.is_dir() else []
        if len(found) != 1:
            what = "no" if not found else f"{len(found)}"
            raise LabError(
                f"the lab's Kubernetes binaries: {what} build found in {cache}; {BUILD_HINT}"
            )
        directory = found[0]
    missing = [p for p in PROGRAMS if not os.access(directory / p, os.X_OK)]
    if missing:
        raise LabError(f"{directory} lacks {', '.join(missing)}; {BUILD_HINT}")
    return KubeBinaries(directory)
