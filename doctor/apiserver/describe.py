"""The text of `kubectl describe pod`: status, container State/Last State blocks, Events table.

describe output is for humans, so this reads only what is stable across kubectl versions: the
`Key:  value` lines, indentation for nesting, and the Events table by its header's columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from doctor.apiserver.pod_json import container_id
from doctor.apiserver.times import rfc3339, seconds_between

FIELD = re.compile(r"^(?P<indent>[ \t]*)(?P<key>[A-Za-z0-9][\w .()/-]*?):(?:[ \t]+(?P<value>.*))?$")
_COUNT = re.compile(r"\(x(\d+) over ")
_EVENT_COLUMNS = ("Type", "Reason", "Age", "From", "Message")


@dataclass
class _Block:
    """A container being read: its fields, and its State / Last State sub-fields."""

    name: str
    fields: dict[str, str] = field(default_factory=dict)
    states: dict[str, dict[str, str]] = field(default_factory=dict)


def looks_like_describe(text: str) -> bool:
    return bool(re.search(r"(?m)^Name:\s+\S", text)) and bool(
        re.search(r"(?m)^(Namespace|Containers|Status):", text)
    )


def parse_describe(text: str) -> dict[str, Any]:
    """{'pod': facts pod, 'node': node name or None, 'events': list or None (no table)}."""
    top: dict[str, str] = {}
    blocks: list[_Block] = []
    section = ""
    state_key = ""
    lines = text.splitlines()
    events: list[dict[str, Any]] | None = None
    for index, line in enumerate(lines):
        match = FIELD.match(line.rstrip())
        indent = len(line) - len(line.lstrip()) if line.strip() else 0
        if match and indent == 0:
            key, value = match["key"], (match["value"] or "").strip()
            section = key
            if key == "Events":
                events = [] if value == "<none>" else _events_table(lines[index + 1 :])
            else:
                top.setdefault(key, value)
            continue
        if section not in ("Containers", "Init Containers") or not match:
            continue
        key, value = match["key"], (match["value"] or "").strip()
        if indent <= 2 and not value:
            blocks.append(_Block(key))
        elif blocks and indent <= 4:
            state_key = key if key in ("State", "Last State") else ""
            blocks[-1].fields[key] = value
            if state_key:
                blocks[-1].states[state_key] = {"": value}
        elif blocks and state_key:
            blocks[-1].states[state_key][key] = value
    return {"pod": _pod(top, blocks), "node": _node(top.get("Node")), "events": events}


def _node(value: str | None) -> str | None:
    name = (value or "").split("/", 1)[0].strip()
    return name if name and name != "<none>" else None


def _pod(top: dict[str, str], blocks: list[_Block]) -> dict[str, Any]:
    return {
        "name": top.get("Name") or "unknown",
        "namespace": top.get("Namespace") or "default",
        "phase": top.get("Status") or None,
        "reason": top.get("Reason") or None,
        "message": top.get("Message") or None,
        "containers": [attempt for block in blocks for attempt in _attempts(block)],
    }


def _attempts(block: _Block) -> list[dict[str, Any]]:
    restarts = _number(block.fields.get("Restart Count"))
    current = restarts or 0
    image = {
        "ref": block.fields.get("Image") or None,
        "id": block.fields.get("Image ID") or None,
    }
    base: dict[str, Any] = {"name": block.name, "restart_count": restarts, "image": image}
    attempts = []
    last = block.states.get("Last State", {})
    if last.get("") == "Terminated" and current >= 1:
        attempts.append({**base, "attempt": current - 1, **_state(last)})
    record = {
        **base,
        "attempt": current,
        "id": container_id(block.fields.get("Container ID")),
        **_state(block.states.get("State", {})),
    }
    attempts.append(record)
    return attempts


def _state(fields: dict[str, str]) -> dict[str, Any]:
    kind = fields.get("", "")
    if kind == "Waiting":
        return {
            "state": "CONTAINER_WAITING",
            "reason": fields.get("Reason") or None,
            "message": fields.get("Message") or None,
        }
    if kind == "Running":
        return {"state": "CONTAINER_RUNNING", "started_at": rfc3339(fields.get("Started"))}
    if kind == "Terminated":
        started, finished = fields.get("Started"), fields.get("Finished")
        return {
            "state": "CONTAINER_EXITED",
            "reason": fields.get("Reason") or None,
            "message": fields.get("Message") or None,
            "exit_code": _number(fields.get("Exit Code")),
            "signal": _number(fields.get("Signal")),
            "started_at": rfc3339(started),
            "finished_at": rfc3339(finished),
            "run_seconds": seconds_between(started, finished),
        }
    return {}


def _number(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _events_table(lines: list[str]) -> list[dict[str, Any]]:
    """Rows of the Events table, located by the columns of its header line."""
    if not lines or not all(column in lines[0] for column in _EVENT_COLUMNS):
        return []
    header = lines[0]
    starts = [header.index(column) for column in _EVENT_COLUMNS]
    events: list[dict[str, Any]] = []
    for line in lines[1:]:
        if not line.strip() or (line[:1].strip() and not line.startswith(" ")):
            break
        if set(line.strip()) <= {"-", " "}:
            continue
        cells = [
            line[start:end].strip() for start, end in zip(starts, [*starts[1:], None], strict=True)
        ]
        kind, reason, age, source, message = cells
        if kind not in ("Normal", "Warning"):
            if events:  # a message continued on the next line
                events[-1]["message"] += " " + line.strip()
            continue
        count = _COUNT.search(age)
        events.append(
            {
                "type": kind,
                "reason": reason,
                "message": message,
                "count": int(count.group(1)) if count else None,
                "source": source or None,
                "last_seen": None,  # describe prints ages, not times
            }
        )
    return events


_EVENTS_SECTION = re.compile(r"(?m)^Events:[ \t]*(?P<none><none>)?[ \t]*$")


def events_section(text: str) -> list[dict[str, Any]] | None:
    """The rows of the `Events:` section of describe output (a pod's or a node's); None when
    there is no such section."""
    found = _EVENTS_SECTION.search(text)
    if found is None:
        return None
    if found["none"]:
        return []
    return _events_table(text[found.end() :].lstrip("\n").splitlines())
