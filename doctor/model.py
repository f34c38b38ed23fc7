"""The immutable records passed between stages: findings out of the engine, a Report out of
the diagnosis, into the formatters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from doctor.layers import Layer, LayerStatus, Scope, Severity


@dataclass(frozen=True)
class Evidence:
    """One fact that decided a predicate: its path and the value seen there.

    `at` is when a log line was written or an event last seen, when the value is one; `negated`
    marks what a `not` saw: the predicate was false, so the value is what did *not* match.
    """

    path: str
    value: Any
    op: str
    expected: Any = None
    at: str | None = None
    negated: bool = False


@dataclass(frozen=True)
class Subject:
    """What a finding is about: the node, a pod, or one container (all attempts)."""

    kind: Scope
    namespace: str | None = None
    pod: str | None = None
    container: str | None = None

    def __str__(self) -> str:
        if self.kind is Scope.NODE:
            return "node"
        base = f"{self.namespace}/{self.pod}"
        return base if self.kind is Scope.POD else f"{base}/{self.container}"

    def covers(self, other: Subject) -> bool:
        """Whether a finding on self can explain one on other.

        A node finding covers everything, a pod finding its containers.
        """
        if self.kind is Scope.NODE:
            return True
        if (self.namespace, self.pod) != (other.namespace, other.pod):
            return False
        return self.kind is Scope.POD or self.container == other.container

    def in_pod(self, namespace: str, name: str) -> bool:
        return self.kind is not Scope.NODE and (self.namespace, self.pod) == (namespace, name)


@dataclass(frozen=True)
class Finding:
    rule_id: str
    layer: Layer
    severity: Severity
    subject: Subject
    title: str
    message: str
    fix: str
    evidence: tuple[Evidence, ...]
    docs: tuple[str, ...] = ()
    attempts: tuple[int, ...] = ()  # container attempts it fired on, newest first
    # its rule's differential, rendered for this subject: (cause rule id, what tells it apart)
    differential: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        """Unique within a report: rule id and subject."""
        return f"{self.rule_id}@{self.subject}"


@dataclass(frozen=True)
class Skip:
    """A rule that could not be decided for some subjects, and why."""

    rule_id: str
    reason: str
    subjects: int
    # the layers not examined that left it undecided, each with why ("absent: ..."), and the
    # other facts missing ("path: detail"): what `reason` says, kept apart for the reports
    unexamined: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    facts_missing: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class RuleFailure:
    """A rule that raised while evaluating: a bug to report, never a silent no-match."""

    rule_id: str
    subject: str
    error: str


@dataclass(frozen=True)
class LayerVerdict:
    layer: Layer
    status: LayerStatus
    finding_keys: tuple[str, ...]
    reason: str | None = None  # why it was not examined

    @property
    def verdict(self) -> str:
        if self.status is not LayerStatus.OK:
            return "not-examined"
        return "finding" if self.finding_keys else "ok"


@dataclass(frozen=True)
class Candidate:
    """One cause the root cause's evidence also fits, and what would decide it."""

    rule_id: str
    title: str
    tell: str  # the one command or file that tells it apart
    seen: str  # what the facts say of it: "fired", "no sign in the facts", or why not examined


@dataclass(frozen=True)
class RootCause:
    finding: Finding
    chain: tuple[Finding, ...]  # top-layer symptom first, the root cause last


@dataclass(frozen=True)
class Target:
    """What was diagnosed: a node, or one pod on it."""

    host: str
    namespace: str | None = None
    pod: str | None = None

    def __str__(self) -> str:
        return f"{self.namespace}/{self.pod} on {self.host}" if self.pod else f"node {self.host}"


@dataclass(frozen=True)
class PodSummary:
    """In a node diagnosis, one pod's own verdict: its root cause (if any) and finding count."""

    namespace: str
    name: str
    root_cause: Finding | None
    findings: int


@dataclass(frozen=True)
class TimelineEntry:
    """One moment of a timeline: a fact that carries a time (docs/facts.md#timeline).

    The HTML report draws `layer` as a swimlane; `id` is what a finding's evidence points at.
    """

    id: str  # the path of the fact that carries the time: stable, unique in its timeline
    time: str  # RFC 3339, with its source's own precision (second, micro- or nanosecond)
    layer: Layer | None  # None: the moment of collection, which spans every layer
    source: str  # event, kubelet-log, cri, containerd-log, cgroup, kernel-log, collection
    what: str  # one line
    note: str | None = None  # how the time was placed, when not by the source's own clock


@dataclass(frozen=True)
class Timeline:
    """What happened to the target (a pod, or the node), oldest first."""

    subject: str  # "node", or the pod's namespace/name
    entries: tuple[TimelineEntry, ...]
    # sources whose clock is visibly off (entries after the collection ended), each said
    clock_off: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    target: Target
    collected: dict[str, Any]
    layers: tuple[LayerVerdict, ...]
    findings: tuple[Finding, ...]  # ordered: layer top-down, then severity
    root_cause: RootCause | None
    node_health: tuple[str, ...]  # keys of findings unrelated to the target pod
    skipped: tuple[Skip, ...]
    failures: tuple[RuleFailure, ...]
    rule_ids: tuple[str, ...]  # every rule evaluated, in order
    source: str = ""
    explained: dict[str, tuple[str, ...]] = field(default_factory=dict)  # symptom -> causes
    pods: tuple[PodSummary, ...] = ()  # node diagnoses only: every pod's own root cause
    # the root cause's evidence fits several causes: the candidates, most likely first
    differential: tuple[Candidate, ...] = ()
    # Keys of findings already known (--baseline): still reported, never failing.
    baselined: frozenset[str] = frozenset()
    duration_seconds: float | None = None  # the whole run (gather + diagnosis), when measured
    # analyze --text: what each pasted segment was read as, and what could not be placed
    pasted: tuple[str, ...] = ()
    unplaced: tuple[str, ...] = ()
    # the target's timeline, and for each finding (by key) the ids of the entries that are
    # its evidence: log lines and events it matched, the attempts it fired on
    timeline: Timeline | None = None
    evidence_entries: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # log lines and events left out as older than the trouble diagnosed, said per subject
    too_old: tuple[str, ...] = ()

    @property
    def rules_evaluated(self) -> int:
        return len(self.rule_ids)

    def is_baselined(self, finding: Finding) -> bool:
        return finding.key in self.baselined

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)
