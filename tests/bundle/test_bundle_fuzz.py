"""Whatever bytes arrive as a bundle, reading and diagnosing ends in a BundleError/FactsError or
a valid report — never any other exception."""

from __future__ import annotations

import gzip
import io
import tarfile
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doctor.bundle.source import load_document
from doctor.bundle.writer import write_bundle
from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.errors import BundleError, FactsError
from tests.bundle.helpers import KUBECTL, facts_document

RULES = load_rules()


def _seed() -> bytes:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "b.tar.gz"
        write_bundle(facts_document(), {"logs/k.log": b"line\n" * 50}, path)
        return path.read_bytes()


SEED = _seed()
SEED_TAR = gzip.decompress(SEED)


def check(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "fuzzed.tar.gz"
        path.write_bytes(data)
        try:
            document = load_document(path)
        except (BundleError, FactsError) as exc:
            assert "\n" not in str(exc)
            return
        diagnose(document, RULES)


mutations = st.lists(
    st.tuples(st.integers(0, len(SEED_TAR) - 1), st.integers(0, 255)), min_size=1, max_size=8
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations, st.booleans())
def test_mutated_tar_contents(changes: list[tuple[int, int]], compress: bool) -> None:
    data = bytearray(SEED_TAR)
    for offset, value in changes:
        data[offset] = value
    check(gzip.compress(bytes(data)) if compress else bytes(data))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(SEED)), st.binary(max_size=64))
def test_truncated_and_spliced_gzip(cut: int, tail: bytes) -> None:
    check(SEED[:cut] + tail)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(data: bytes) -> None:
    check(data)


kubectl_names = ["calico-pod.json", "calico-events.json", "imagepull-pod.json", "oom-pod.json"]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(kubectl_names), st.integers(0, 4000), st.binary(max_size=16))
def test_mangled_kubectl_json_in_a_bundle(name: str, cut: int, junk: bytes) -> None:
    original = (KUBECTL / name).read_bytes()
    mangled = original[:cut] + junk + original[cut + len(junk) :]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("b/apiserver/x.json")
        info.size = len(mangled)
        tar.addfile(info, io.BytesIO(mangled))
    check(gzip.compress(raw.getvalue()))


pod_like = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "kind",
                    "metadata",
                    "status",
                    "spec",
                    "containerStatuses",
                    "state",
                    "lastState",
                    "waiting",
                    "terminated",
                    "running",
                    "name",
                    "restartCount",
                    "items",
                    "involvedObject",
                    "conditions",
                    "exitCode",
                    "reason",
                    "message",
                    "containers",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(pod_like)
def test_pod_shaped_json(value: object) -> None:
    import json

    data = json.dumps({"kind": "Pod", "metadata": {"name": "p"}, "status": value}).encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("b/apiserver/pod.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    check(raw.getvalue())


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_describe_like_text(text: str) -> None:
    data = ("Name: p\nNamespace: default\n" + text).encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("b/apiserver/describe.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    check(raw.getvalue())
