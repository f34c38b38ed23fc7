"""The built-in rule packs, pre-parsed: what the YAML files say, as JSON, for fast start-up.

Parsing the built-in YAML (225 KB) costs ~40 ms per run, most of a `diagnose` budget that is
measured against the bare CRI calls; JSON of the same data loads in ~1 ms. `rules.json`
beside the packs holds, per file, its SHA-256, its plain data and the lines the loader
reports (each rule's and each example's). A file is taken from it only when its hash matches
the YAML on disk, so an edited rule file is simply parsed again: the pack can make a run
slower, never different. `scripts/gen-rule-pack` writes it; tests/test_rule_pack.py fails
when it is stale.

It also keeps, per regex, the texts one of which every match contains (regex_structure's
required_texts, worked out when the pack was made): a regex none of whose texts is in the values
it is asked about is never compiled. A diagnosis asks ~110 regexes and used to compile them all
(~10 ms of the parent's CPU on the lab's node, measured with the package's bytecode compiled).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACK_NAME = "rules.json"
FORMAT = 2


@dataclass(frozen=True)
class PackedFile:
    """One rule file as the loader needs it, without its YAML."""

    document: dict[str, Any]
    rule_lines: list[int]
    # per rule: the lines of its `fires` examples, then of its `quiet` ones
    example_lines: list[dict[str, list[int]]]
    # per regex of its rules: the texts one of which every match contains ([]: none worth it)
    required: dict[str, list[str]] = field(default_factory=dict)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_pack(directory: Path) -> dict[str, Any]:
    """The pack's entries by file name; empty when there is none or it is unreadable."""
    try:
        pack = json.loads((directory / PACK_NAME).read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(pack, dict) or pack.get("format") != FORMAT:
        return {}
    files = pack.get("files")
    return files if isinstance(files, dict) else {}


def packed_file(entries: dict[str, Any], name: str, data: bytes) -> PackedFile | None:
    """The pre-parsed form of rule file `name` whose bytes are `data`, when the pack has it."""
    entry = entries.get(name)
    if not isinstance(entry, dict) or entry.get("sha256") != digest(data):
        return None
    return PackedFile(
        entry["document"], entry["rule_lines"], entry["example_lines"], entry["required"]
    )


def pack_entry(data: bytes, parsed: PackedFile, regexes: Iterable[str]) -> dict[str, Any]:
    """What the pack keeps of one valid rule file (`data`), parsed from its YAML, whose rules
    hold `regexes`."""
    from doctor.engine.regex_structure import required_texts

    return {
        "sha256": digest(data),
        "rule_lines": parsed.rule_lines,
        "example_lines": parsed.example_lines,
        "document": parsed.document,
        "required": {p: list(required_texts(p) or ()) for p in sorted(regexes)},
    }


def render_pack(entries: dict[str, dict[str, Any]]) -> str:
    """The pack file's text: stable (sorted keys), compact, one file per line."""
    lines = [
        f"{json.dumps(name)}: {json.dumps(entries[name], sort_keys=True, separators=(',', ':'))}"
        for name in sorted(entries)
    ]
    body = ",\n".join(lines)
    return f'{{"format": {FORMAT}, "files": {{\n{body}\n}}}}\n'
