"""node-problem-detector's custom-plugin contract: an exit status and one short line.

Exit 0 is OK, 1 NonOK, anything else Unknown (we use 2). NPD keeps the first
`max_output_length` bytes of standard output (80 by default), so the line starts with what
matters: the finding key (`rule@subject`), then its severity, how many more findings failed,
and the message. The line is ASCII, so that cutting it at a byte never splits a character.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from doctor.errors import EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK
from doctor.layers import LayerStatus, Severity
from doctor.model import Finding, Report

OK, NON_OK, UNKNOWN = EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN
# NPD kills a plugin after its timeout (5 s by default) and reports only "Timeout when running
# plugin"; finishing first lets us say why. Probes get a shorter deadline in this mode too.
DEADLINE_SECONDS = 4.0
PROBE_TIMEOUT_SECONDS = 1.0

# Typographic characters rule messages use, spelled in ASCII (escapes keep ruff's RUF001 quiet).
_ASCII = str.maketrans(
    {
        "\u2026": "...",  # ellipsis
        "\u2014": "-",  # em dash
        "\u2013": "-",  # en dash
        "\u2192": "->",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
    }
)


@dataclass(frozen=True)
class Verdict:
    code: int
    message: str

    @property
    def line(self) -> str:
        return one_line(self.message) + "\n"


def one_line(text: str) -> str:
    """Whitespace collapsed to single spaces, and only ASCII."""
    flat = " ".join(text.translate(_ASCII).split())
    return flat.encode("ascii", "replace").decode("ascii")


def failing(report: Report, fail_on: str) -> list[Finding]:
    """Findings at or above --fail-on that are not in the baseline."""
    if fail_on == "never":
        return []
    threshold = Severity(fail_on).rank
    return [
        f for f in report.findings if f.severity.rank >= threshold and not report.is_baselined(f)
    ]


def _headline(report: Report, candidates: list[Finding]) -> Finding:
    """The root cause when it fails, else the worst failing cause (deepest on ties)."""
    if report.root_cause and report.root_cause.finding in candidates:
        return report.root_cause.finding
    return max(
        candidates,
        key=lambda f: (f.key not in report.explained, f.severity.rank, f.layer.depth),
    )


def verdict(report: Report, fail_on: str) -> Verdict:
    """NonOK with the headline finding; Unknown when none of the layers the rules read could
    be examined; otherwise OK."""
    bad = failing(report, fail_on)
    if bad:
        head = _headline(report, bad)
        more = f", +{len(bad) - 1} more" if len(bad) > 1 else ""
        return Verdict(NON_OK, f"{head.key} [{head.severity.value}{more}]: {head.message}")
    layers = {rule_id.split(".", 1)[0] for rule_id in report.rule_ids}
    relevant = [v for v in report.layers if v.layer.value in layers]
    if relevant and all(v.status is not LayerStatus.OK for v in relevant):
        first = relevant[0]
        return Verdict(UNKNOWN, f"unknown: {first.layer.value} not examined: {first.reason}")
    known = len(report.findings)
    note = f"; {known} below {fail_on} or baselined" if known else ""
    return Verdict(OK, f"ok: {report.rules_evaluated} rules, no finding at {fail_on}+{note}")


def unknown(reason: str) -> Verdict:
    return Verdict(UNKNOWN, f"unknown: {reason}")


class DeadlineExceeded(BaseException):
    """Raised in the main thread when the run outlives its deadline.

    A BaseException, so that no gatherer's `except Exception` mistakes it for its own failure.
    """


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise DeadlineExceeded after `seconds` of wall time (main thread only, else no limit)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise DeadlineExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
