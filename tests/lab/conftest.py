"""One real cluster for the whole session: the scenarios and the read-only, redaction and
gathering tests share it; each test removes what it made (see doctor/lab/kube)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from doctor.lab.runtime import Lab
from tests.lab.cluster_support import require_cluster


def new_lab() -> Lab:
    return Lab(Path(tempfile.mkdtemp(prefix="sd-k8s-", dir="/tmp")))  # short: socket paths


@pytest.fixture(scope="session")
def cluster() -> Iterator[Lab]:
    require_cluster()
    lab = new_lab()
    try:
        lab.up()
        yield lab
    finally:
        lab.down()  # raises when anything is left behind
        shutil.rmtree(lab.layout.root, ignore_errors=True)
