"""A bundle is hostile until proven otherwise: every trick is refused with one line and exit 2,
and nothing is written outside a private temporary directory, which is always removed."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from doctor.bundle.limits import ReadLimits
from doctor.bundle.reader import read_bundle
from doctor.bundle.writer import write_bundle
from doctor.errors import BundleError, FactsError
from tests.bundle.helpers import build_tar, facts_document, facts_member, member, run


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Temporary directories go under tmp_path/tmp, so the tests can see what is left."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    yield scratch
    assert list(scratch.iterdir()) == [], "the private temporary directory was not removed"


def refused(path: Path, match: str, limits: ReadLimits | None = None) -> None:
    with pytest.raises(BundleError, match=match) as info:
        read_bundle(path, limits or ReadLimits())
    assert "\n" not in str(info.value)


HOSTILE = {
    "traversal": ([member("b/../../evil", b"x")], "escapes the bundle"),
    "absolute": ([member("/tmp/evil", b"x")], "absolute path"),
    "symlink-out": (
        [member("b/link", kind=tarfile.SYMTYPE, linkname="/etc/passwd")],
        "link",
    ),
    "symlink-up": (
        [member("b/link", kind=tarfile.SYMTYPE, linkname="../../../etc/passwd")],
        "link",
    ),
    "hardlink-out": (
        [member("b/hard", kind=tarfile.LNKTYPE, linkname="../../etc/passwd")],
        "link|escapes",
    ),
    "symlink-in-tree": (
        [facts_member(), member("b/alias", kind=tarfile.SYMTYPE, linkname="facts.json")],
        "links are not allowed",
    ),
    "device": ([member("b/dev", kind=tarfile.CHRTYPE, devmajor=1, devminor=3)], "device"),
    "fifo": ([member("b/fifo", kind=tarfile.FIFOTYPE)], "FIFO"),
    "duplicate": ([facts_member(), facts_member()], "duplicate member"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_members_are_refused(tmp_path: Path, case: str) -> None:
    members, match = HOSTILE[case]
    refused(build_tar(tmp_path / "b.tar.gz", members), match)
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil").exists()


def test_too_many_members(tmp_path: Path) -> None:
    members = [member(f"b/f{i}", b"x") for i in range(30)]
    refused(
        build_tar(tmp_path / "b.tar.gz", members), "more than 20 members", ReadLimits(max_files=20)
    )


def test_single_file_too_large(tmp_path: Path) -> None:
    path = build_tar(tmp_path / "b.tar.gz", [member("b/big", b"x" * 5000)])
    refused(path, "larger than 4096 bytes", ReadLimits(max_file_bytes=4096))


def test_total_unpacked_size(tmp_path: Path) -> None:
    members = [member(f"b/f{i}", os.urandom(3000)) for i in range(10)]
    refused(
        build_tar(tmp_path / "b.tar.gz", members),
        "unpacks to more than",
        ReadLimits(max_total_bytes=20_000),
    )


def test_gzip_bomb_by_ratio(tmp_path: Path) -> None:
    path = build_tar(tmp_path / "b.tar.gz", [member("b/zeros", b"\0" * 20_000_000)])
    assert path.stat().st_size < 100_000
    refused(path, "compression ratio above 200:1")


def test_header_size_is_not_trusted(tmp_path: Path) -> None:
    """A header that claims a small size cannot smuggle more bytes: the rest is not a member."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("b/facts.json")
        info.size = 10
        tar.addfile(info, io.BytesIO(b"x" * 10))
    data = raw.getvalue()[:-1024] + b"\xff" * 5000  # garbage where the next header should be
    (tmp_path / "b.tar.gz").write_bytes(gzip.compress(data))
    with pytest.raises(BundleError):
        read_bundle(tmp_path / "b.tar.gz")


def test_truncated_gzip(tmp_path: Path) -> None:
    good = tmp_path / "good.tar.gz"
    write_bundle(facts_document(), {"logs/x.log": os.urandom(20_000)}, good)
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    refused(bad, "truncated|not a readable tar")


def test_corrupted_gzip(tmp_path: Path) -> None:
    good = tmp_path / "good.tar.gz"
    write_bundle(facts_document(), {"logs/x.log": os.urandom(20_000)}, good)
    data = bytearray(good.read_bytes())
    for i in range(100, 400):
        data[i] ^= 0x5A
    (tmp_path / "bad.tar.gz").write_bytes(bytes(data))
    refused(tmp_path / "bad.tar.gz", "corrupted|not a readable tar|truncated|invalid JSON")


def test_invalid_json_inside(tmp_path: Path) -> None:
    path = build_tar(tmp_path / "b.tar.gz", [member("b/facts.json", b'{"schema": 1,')])
    refused(path, r"facts.json:1: invalid JSON")


def test_newer_schema_inside(tmp_path: Path) -> None:
    document = facts_document() | {"schema": 99}
    path = build_tar(tmp_path / "b.tar.gz", [facts_member(document)])
    result = run("analyze", str(path))
    assert result.returncode == 2
    assert "facts schema 99 is newer than this stackdoctor reads" in result.stderr
    assert result.stderr.count("\n") == 1


def test_changed_after_collection(tmp_path: Path) -> None:
    good = tmp_path / "good.tar.gz"
    write_bundle(facts_document(), {}, good)
    with tarfile.open(good) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    name = next(n for n in files if n.endswith("facts.json"))
    files[name] = files[name].replace(b"OOMKilled", b"Completed")
    path = build_tar(tmp_path / "b.tar.gz", [member(n, d) for n, d in files.items()])
    refused(path, "sha256 does not match manifest.json")


def test_newer_bundle_format(tmp_path: Path) -> None:
    manifest = json.dumps({"bundle_format": 7, "files": {}}).encode()
    path = build_tar(tmp_path / "b.tar.gz", [facts_member(), member("b/manifest.json", manifest)])
    refused(path, "bundle format 7 is newer")


def test_not_a_bundle(tmp_path: Path) -> None:
    path = build_tar(tmp_path / "b.tar.gz", [member("b/readme.txt", b"hello")])
    refused(path, "not a bundle")


def test_other_compression_is_named(tmp_path: Path) -> None:
    path = tmp_path / "b.tar.bz2"
    path.write_bytes(b"BZh91AY&SY" + b"\0" * 100)
    refused(path, "bzip2-compressed")


def test_plain_tar_is_accepted(tmp_path: Path) -> None:
    path = build_tar(tmp_path / "b.tar", [facts_member()], compress=False)
    assert read_bundle(path).facts is not None


def test_directory_with_symlinked_facts_is_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    secret = tmp_path / "outside.json"
    secret.write_text(json.dumps(facts_document()))
    (bundle / "facts.json").symlink_to(secret)
    refused(bundle, "not a regular file")


def test_directory_with_fifo_is_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "apiserver").mkdir(parents=True)
    (bundle / "facts.json").write_text(json.dumps(facts_document()))
    os.mkfifo(bundle / "apiserver" / "pod.json")
    refused(bundle, "not a regular file")


def test_unpacked_directory_analyzes(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "facts.json").write_text(json.dumps(facts_document()))
    result = run("analyze", str(bundle), "-o", "json")
    assert result.returncode == 1 and json.loads(result.stdout)["root_cause"]


@pytest.mark.parametrize("case", ["traversal", "device", "symlink-out"])
def test_cli_refuses_with_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    members, _ = HOSTILE[case]
    result = run("analyze", str(build_tar(tmp_path / "b.tar.gz", members)))
    assert result.returncode == 2
    assert result.stderr.startswith("stackdoctor: error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_facts_error_is_still_a_facts_error(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text("{")
    from doctor.bundle.source import load_document

    with pytest.raises(FactsError, match="invalid JSON"):
        load_document(path)
