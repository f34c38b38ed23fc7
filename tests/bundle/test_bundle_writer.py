"""write_bundle: the layout, the manifest, and logs cut from the oldest end to fit --max-size."""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path

import pytest

from doctor.bundle.limits import parse_size
from doctor.bundle.reader import read_bundle
from doctor.bundle.truncate import cut_oldest
from doctor.bundle.writer import write_bundle
from doctor.errors import BundleError
from doctor.timeline.build import with_timeline
from tests.bundle.helpers import facts_document, run


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {
            m.name.split("/", 1)[1]: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }


def test_layout_and_manifest(tmp_path: Path) -> None:
    document = facts_document()
    document["layers"]["cri"] = {
        "status": "unreachable",
        "errors": [{"source": "/run/containerd/containerd.sock", "message": "connection refused"}],
    }
    path = tmp_path / "b.tar.gz"
    manifest = write_bundle(
        document, {"kubelet/kubelet.log": b"a\n"}, path, layer_durations={"cri": 0.5}
    )
    files = members(path)
    assert set(files) == {"facts.json", "manifest.json", "artifacts/kubelet/kubelet.log"}
    with tarfile.open(path) as tar:
        assert len({m.name.split("/")[0] for m in tar.getmembers()}) == 1  # one top directory
    assert json.loads(files["manifest.json"]) == manifest
    for name, entry in manifest["files"].items():
        assert entry["sha256"] == hashlib.sha256(files[name]).hexdigest()
    assert manifest["facts_schema"] == 1 and manifest["host"] == "example-node"
    assert manifest["layers"]["cri"] == {"status": "unreachable", "duration_seconds": 0.5}
    assert manifest["not_collected"][0]["layer"] == "cri"
    assert manifest["facts_problem"] is None
    assert path.stat().st_mode & 0o077 == 0


def test_logs_are_cut_from_the_oldest_end(tmp_path: Path) -> None:
    log = b"".join(f"line {i:06d}\n".encode() for i in range(200_000))  # 2.4 MB
    path = tmp_path / "b.tar.gz"
    manifest = write_bundle(
        facts_document(),
        {"logs/kubelet.log": log, "containerd/config.toml": b"x"},
        path,
        max_size=1_000_000,
    )
    kept = members(path)["artifacts/logs/kubelet.log"]
    assert kept.startswith(b"[stackdoctor: ") and b"dropped from the oldest end" in kept
    assert kept.endswith(b"line 199999\n")  # the newest lines stay
    body = kept.split(b"\n", 1)[1]
    assert body.startswith(b"line ")  # cut at a line boundary
    (cut,) = manifest["truncated"]
    assert cut["path"] == "artifacts/logs/kubelet.log"
    assert cut["dropped_bytes"] + len(body) == len(log)
    assert f"{cut['dropped_bytes']} bytes ({cut['dropped_lines']} lines)".encode() in kept
    assert sum(len(d) + 2048 for d in members(path).values()) <= 1_000_000


def test_non_logs_are_left_out_when_they_alone_do_not_fit(tmp_path: Path) -> None:
    path = tmp_path / "b.tar.gz"
    manifest = write_bundle(
        facts_document(), {"cri/huge.bin": b"z" * 900_000}, path, max_size=500_000
    )
    assert manifest["omitted"] == [
        {"path": "artifacts/cri/huge.bin", "bytes": 900_000, "reason": "too large for --max-size"}
    ]
    assert "artifacts/cri/huge.bin" not in members(path)


def test_cut_oldest_keeps_whole_newest_lines() -> None:
    data = b"old old old\nmiddle\nnewest\n"
    kept, dropped, lines = cut_oldest(data, 100)
    assert kept == data and dropped == 0
    kept, dropped, lines = cut_oldest(b"a" * 50 + b"\n" + b"b" * 200 + b"\nnew\n", 120)
    assert kept.endswith(b"new\n") and len(kept) <= 120 and lines == 2


def test_facts_larger_than_max_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="raise --max-size"):
        write_bundle(facts_document(), {}, tmp_path / "b.tar.gz", max_size=70_000)


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../b", "facts.json"])
def test_artifact_paths_must_stay_inside(tmp_path: Path, bad: str) -> None:
    with pytest.raises(BundleError, match="artifact path"):
        write_bundle(facts_document(), {bad: b""}, tmp_path / "b.tar.gz")


@pytest.mark.parametrize(
    ("text", "size"), [("50MB", 50_000_000), ("50MiB", 52_428_800), ("1048576", 1_048_576)]
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["fifty", "10", "5XB"])
def test_parse_size_refuses(text: str) -> None:
    with pytest.raises(BundleError, match="--max-size"):
        parse_size(text)


def test_a_written_bundle_reads_back_and_analyzes(tmp_path: Path) -> None:
    path = tmp_path / "b.tar.gz"
    write_bundle(facts_document(), {"kubelet/kubelet.log": b"x\n"}, path)
    contents = read_bundle(path)
    # the facts as given, with their timeline built (from the redacted facts)
    assert contents.facts == json.loads(json.dumps(with_timeline(facts_document())))
    assert contents.facts["timeline"]["pods"]
    result = run("analyze", str(path), "-o", "json")
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["root_cause"]["id"] == "process.oom-killed"
