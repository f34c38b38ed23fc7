"""A paste read as `analyze --text FILE` reads it: the text written to a file, then loaded."""

from __future__ import annotations

from pathlib import Path

from doctor.bundle.source import Loaded, load_inputs
from doctor.facts.document import PodRef


def read_paste(tmp_path: Path, text: str, pod: PodRef | str | None = None) -> Loaded:
    """What `analyze --text` loads from `text` (`pod`: --pod, as NAMESPACE/NAME or parsed)."""
    path = tmp_path / "paste.txt"
    path.write_text(text)
    return load_inputs(None, texts=[path], pod=PodRef.parse(pod) if isinstance(pod, str) else pod)
