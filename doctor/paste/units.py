"""Whether the kubelet and containerd run, from what systemd said: `systemctl status` output
and systemd's own journal lines about their units.

`systemctl status kubelet` prints the unit's state (`Active: activating (auto-restart)`,
`Active: failed`, `Main PID: 9982 (code=exited, status=255)`); a pasted journal holds systemd's
lines about the unit (`kubelet.service: Main process exited, code=exited,
status=1/FAILURE`, `... Scheduled restart job`). Either tells the daemon's process state, which
the rules gated on it (kubelet.config-file-invalid, containerd.not-running...) need: the state
after the last such line, unless the daemon logged again after it (it was restarted: whether it
runs now is not known).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from doctor.gather.logs.formats import syslog_prefix

# systemd unit -> the facts layer whose process it runs (`running`, `active_state`). The units
# are gather/logs/daemons.py UNITS; only those whose main process is the kubelet (or runs it
# in-process: k3s, microk8s's kubelite; rke2 supervises it as its child) or containerd itself.
# CRI-O's and dockerd's units are left out: the containerd layer's process facts are
# containerd's, and a rule would name containerd for them.
PROCESS_LAYER: Mapping[str, str] = MappingProxyType(
    {
        "kubelet.service": "kubelet",
        "k3s.service": "kubelet",
        "k3s-agent.service": "kubelet",
        "rke2-server.service": "kubelet",
        "rke2-agent.service": "kubelet",
        "snap.microk8s.daemon-kubelite.service": "kubelet",
        "snap.microk8s.daemon-kubelet.service": "kubelet",
        "containerd.service": "containerd",
        "snap.microk8s.daemon-containerd.service": "containerd",
    }
)


@dataclass(frozen=True)
class UnitState:
    """A daemon's process state as systemd told it; None where it did not say."""

    unit: str
    layer: str
    active_state: str | None
    running: bool | None
    pid: int | None = None


# -- systemctl status ---------------------------------------------------------------------------

# `● kubelet.service - kubelet: The Kubernetes Node Agent` (`○` inactive, U+00D7 failed since
# systemd 248; `*` on a terminal without UTF-8; older systemd prints no mark)
STATUS_START = re.compile(
    r"\s*(?:[●○\u00d7*] ?(?P<unit>[\w@.:-]+\.service)(?: - .*)?"
    r"|(?P<named>[\w@.:-]+\.service) - .*)$"
)
_ACTIVE = re.compile(r"\s*Active: (?P<state>[a-z-]+)(?: \((?P<sub>[\w-]+)\))?")
_MAIN_PID = re.compile(r"\s*Main PID: (?P<pid>\d+) \((?P<what>[^)]*)\)")


def is_status(lines: Sequence[str]) -> bool:
    return bool(STATUS_START.match(lines[0])) and any(_ACTIVE.match(line) for line in lines)


def status_state(lines: Sequence[str]) -> UnitState | None:
    """The state `systemctl status` printed of a unit stackdoctor knows; None for another."""
    start = STATUS_START.match(lines[0])
    unit = (start.group("unit") or start.group("named")) if start else ""
    layer = PROCESS_LAYER.get(unit)
    if layer is None:
        return None
    active = next((m for m in map(_ACTIVE.match, lines) if m), None)
    main = next((m for m in map(_MAIN_PID.match, lines) if m), None)
    state = active.group("state") if active else None
    running: bool | None = None
    if state in ("failed", "inactive") or (
        state == "activating" and active and active.group("sub") == "auto-restart"
    ):
        running = False  # fmt: skip
    elif state == "active" and active and active.group("sub") == "running":
        running = True
    exited = main is not None and main.group("what").startswith("code=")
    if exited and state != "active":
        running = False
    pid = int(main.group("pid")) if main and running else None
    return UnitState(unit, layer, state, running, pid)


# -- systemd's journal lines --------------------------------------------------------------------

# What systemd logs about a unit, newest systemd first, older wordings after ("Unit X entered
# failed state." / "X failed." before systemd 236), as (pattern, active_state, running).
_UNIT = r"(?:Unit )?(?P<unit>[\w@.:-]+\.service)"
_EVENTS: tuple[tuple[re.Pattern[str], str | None, bool | None], ...] = tuple(
    (re.compile(_UNIT + pattern), state, running)
    for pattern, state, running in (
        (r":? [Mm]ain process exited, code=\w+, status=\S+", None, False),
        (r": Failed with result '[\w-]+'", "failed", False),
        (r" entered failed state", "failed", False),
        (r" failed\.?$", "failed", False),
        (r": Start request repeated too quickly", "failed", False),
        (r":? [Ss]ervice (?:hold-off|RestartSec=\S+) .*?scheduling restart", "activating", False),
        (r" holdoff time over, scheduling restart", "activating", False),
        (r": Scheduled restart job", "activating", False),
        (r": (?:Succeeded|Deactivated successfully)", "inactive", False),
    )
)


def journal_states(entries: Iterable[str]) -> dict[str, UnitState]:
    """Per layer, the state systemd's last line about its unit tells, unless the daemon logged
    after it (restarted since: not known whether it runs)."""
    states: dict[str, UnitState] = {}
    stale: set[str] = set()
    for entry in entries:
        prefix = syslog_prefix(entry)
        if prefix is None:
            continue
        ident, body = prefix
        if ident not in ("systemd", "init"):
            for layer, state in states.items():
                if _own_line(ident, state.unit):
                    stale.add(layer)
            continue
        found = _event(body)
        if found is None:
            continue
        previous = states.get(found.layer)
        if previous is not None and found.active_state is None:
            # `Main process exited` says nothing of what systemd does next: as the last time
            found = UnitState(found.unit, found.layer, previous.active_state, found.running)
        states[found.layer] = found
        stale.discard(found.layer)
    return {layer: state for layer, state in states.items() if layer not in stale}


def _event(body: str) -> UnitState | None:
    for pattern, state, running in _EVENTS:
        match = pattern.match(body)
        if match and match.group("unit") in PROCESS_LAYER:
            unit = match.group("unit")
            return UnitState(unit, PROCESS_LAYER[unit], state, running)
    return None


def _own_line(ident: str, unit: str) -> bool:
    """A line the unit's daemon itself wrote (`kubelet[5148]:` of kubelet.service)."""
    program = unit.removesuffix(".service").removeprefix("snap.")
    return ident == program or ident == program.removesuffix("-agent").removesuffix("-server")
