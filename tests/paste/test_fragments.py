"""Fragments as users paste them, trimmed of the prefixes and context the formats have: each
real paste (its fixtures/realworld case named) is read into the layer it tells about."""

from __future__ import annotations

from pathlib import Path

from doctor.bundle.source import Loaded
from tests.paste.corpus import evidence
from tests.paste.test_analyze_text import analyze, layers, paste, report_of, root


def read_as(loaded: Loaded) -> list[str]:
    """What each segment was read as (`1-5: journal/syslog`), without the file's path."""
    return [entry.split("paste.txt:", 1)[1] for entry in loaded.read]


def test_journal_lines_trimmed_to_their_identifier(tmp_path: Path) -> None:
    # ` kubelet[111106]: F0812 ...`: time and host cut, a space left before it
    loaded = analyze(paste(tmp_path, evidence("node.inotify-exhausted/kubermatic-7490")))
    assert read_as(loaded) == ["1-5: journal/syslog"]
    log = layers(loaded)["kubelet"]["log"]
    assert [line["severity"] for line in log][:2] == ["F", "E"]
    assert root(report_of(loaded)) == "node.inotify-exhausted"


def test_journal_lines_with_two_spaces_after_the_host(tmp_path: Path) -> None:
    loaded = analyze(paste(tmp_path, evidence("containerd.metadata-corrupt/containerd-9929")))
    assert read_as(loaded) == ["1-8: journal/syslog"]
    assert layers(loaded)["containerd"]["log"]
    assert root(report_of(loaded)) == "containerd.metadata-corrupt"
