"""What `analyze` reads, as one FactsDocument: a facts JSON, a bundle, kubectl output, pasted
text, or several of them.

A bundle's apiserver/ files and the files given with --pod-json / --events-json / --describe
fill the apiserver layer; with no facts at all they make a document of their own. Pasted text
(--text, doctor/paste/) adds the kubectl output it holds to those, and its logs, container
output and disk figures to their layers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from doctor.bundle.limits import DEFAULT_READ_LIMITS, ReadLimits, read_bounded
from doctor.bundle.reader import bundle_kind, read_bundle
from doctor.errors import FactsError
from doctor.facts.document import FactsDocument, PodRef, load_facts, parse_facts

if TYPE_CHECKING:
    from doctor.paste.place import Pasted


@dataclass(frozen=True)
class Loaded:
    document: FactsDocument
    read: tuple[str, ...] = ()  # what each pasted segment was read as
    unplaced: tuple[str, ...] = ()  # pasted text that could not be placed, and why


def load_document(
    path: Path | None,
    kubectl_files: Sequence[Path] = (),
    limits: ReadLimits = DEFAULT_READ_LIMITS,
) -> FactsDocument:
    """The facts to diagnose; BundleError / FactsError naming the file on any problem."""
    return load_inputs(path, kubectl_files, (), None, limits).document


def load_inputs(
    path: Path | None,
    kubectl_files: Sequence[Path] = (),
    texts: Sequence[Path] = (),
    pod: PodRef | None = None,
    limits: ReadLimits = DEFAULT_READ_LIMITS,
) -> Loaded:
    """The facts to diagnose, with pasted text added (`pod`: whose a pasted container log is
    when the paste does not say); BundleError / FactsError naming the file on any problem."""
    from doctor.apiserver.evidence import read_evidence
    from doctor.apiserver.facts import apply_evidence, kubectl_document

    files = {
        str(p): read_bounded(p, limits.max_json_bytes, "kubectl output") for p in kubectl_files
    }
    pasted = None
    if texts:
        from doctor.paste.place import place_texts
        from doctor.paste.text import read_pasted

        pasted = place_texts([read_pasted(p, limits) for p in texts])
        files |= pasted.kubectl_files()
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
    if loaded is not None and not evidence and not pasted:
        return Loaded(loaded)  # validated once: nothing was added to it
    if data is None:
        if evidence:
            data = kubectl_document(evidence)
        elif pasted is None:
            raise FactsError(f"{origin}: no facts and no pod in the kubectl output")
    elif evidence:
        data = apply_evidence(data, evidence)
    if pasted is None:
        return Loaded(parse_facts(data, origin))
    return _with_paste(data, pasted, pod, origin if path or kubectl_files else "pasted text")


def _with_paste(data: Any, pasted: Pasted, pod: PodRef | None, origin: str) -> Loaded:
    """`data` (a document read for this run only, so changed in place) with the paste added."""
    from doctor.paste.facts import apply_paste, paste_only_document

    data = paste_only_document(None) if data is None else data
    notes = apply_paste(data, pasted, pod, datetime.now())
    unplaced = (*pasted.unplaced, *notes)
    return Loaded(parse_facts(data, origin), tuple(pasted.read), unplaced)
