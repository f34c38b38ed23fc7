"""One lab for the whole session: the scenarios share its containerd (see doctor/lab)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from doctor.lab.runtime import Lab
from tests.lab.support import require_lab


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    require_lab()
    root = Path(tempfile.mkdtemp(prefix="sd-lab-", dir="/tmp"))  # short: socket path limit
    instance = Lab(root)
    try:
        instance.up()
        yield instance
    finally:
        instance.down()  # raises when anything is left behind
        shutil.rmtree(root, ignore_errors=True)
