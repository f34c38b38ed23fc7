"""What `analyze` reads, as one FactsDocument: a facts JSON, a bundle, kubectl output, or both.

A bundle's apiserver/ files and the files given with --pod-json / --events-json / --describe
fill the apiserver layer; with no facts at all they make a document of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from doctor.bundle.limits import DEFAULT_READ_LIMITS, ReadLimits
from doctor.bundle.reader import bundle_kind, read_bundle
from doctor.errors import FactsError
from doctor.facts.document import FactsDocument, load_facts, parse_facts


def load_document(
    path: Path | None,
    kubectl_files: Sequence[Path] = (),
    limits: ReadLimits = DEFAULT_READ_LIMITS,
) -> FactsDocument:
    """The facts to diagnose; BundleError / FactsError naming the file on any problem."""
    from doctor.apiserver.evidence import read_evidence
    from doctor.apiserver.facts import apply_evidence, kubectl_document

    files = {str(p): _read_given(p, limits.max_json_bytes) for p in kubectl_files}
    data: Any = None
    loaded: FactsDocument | None = None
    origin = "kubectl output"
    if path is not None:
        origin = str(path)
        if str(path) == "-" or bundle_kind(path) == "json":
            loaded = load_facts(path)
            data = loaded.data
        else:
            contents = read_bundle(path, limits)
            files = {f"{path}: apiserver/{n}": d for n, d in contents.evidence.items()} | files
            if contents.facts is not None:
                loaded = parse_facts(contents.facts, f"{path}: facts.json")
                data = loaded.data
    evidence = read_evidence(files)
    if loaded is not None and not evidence:
        return loaded  # validated once: nothing was added to it
    if data is None:
        if not evidence:
            raise FactsError(f"{origin}: no facts and no pod in the kubectl output")
        data = kubectl_document(evidence)
    elif evidence:
        data = apply_evidence(data, evidence)
    return parse_facts(data, origin)


def _read_given(path: Path, limit: int) -> bytes:
    """A file named on the command line: the user's own, but still size-bounded."""
    try:
        with path.open("rb") as source:
            data = source.read(limit + 1)
    except FileNotFoundError:
        raise FactsError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FactsError(f"{path}: is a directory, not kubectl output") from None
    except OSError as exc:
        raise FactsError(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > limit:
        raise FactsError(f"{path}: larger than {limit} bytes")
    return data
