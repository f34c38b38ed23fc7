"""The compiled, immutable form of a rule: everything about it comes from its YAML entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from doctor.engine.conditions import Condition
from doctor.engine.templates import Template
from doctor.layers import Layer, Scope, Severity


@dataclass(frozen=True)
class SourceRef:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Example:
    """A facts fragment on which the rule must fire (or stay quiet)."""

    fires: bool
    fragment: dict[str, Any]
    source: SourceRef
    message_contains: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Differential:
    """A cause the finding may stand for when its evidence cannot tell which, and the one
    command or file that tells it apart (rendered like the fix)."""

    cause: str  # a rule id
    tell: Template


@dataclass(frozen=True)
class Rule:
    id: str
    layer: Layer
    severity: Severity
    scope: Scope
    title: str
    when: Condition
    message: Template
    fix: Template
    docs: tuple[str, ...]
    explains: tuple[str, ...]
    examples: tuple[Example, ...]
    source: SourceRef
    raw_when: Any  # the condition as written, for `rules show`
    # when this finding is the root cause and its evidence fits several causes: the candidates,
    # most likely first (docs/diagnosis.md, differential diagnosis)
    differential: tuple[Differential, ...] = ()
    # A pod- or container-scope rule's `node` branch: the same failure read from the node's facts
    # when no pod made it (an image pulled by hand with ctr or crictl). A rule of scope node of
    # the same id, title and docs, with its own condition, message, fix, differential and
    # examples; it explains nothing: no pod is its subject (docs/diagnosis.md).
    node: Rule | None = None
    node_branch: bool = False  # this is such a branch

    def branch(self, scope: Scope) -> Rule:
        """The branch whose findings have subjects of this scope: the node branch for the node."""
        return self.node if scope is Scope.NODE and self.node is not None else self

    def branches(self) -> tuple[Rule, ...]:
        """The rule, and its node branch when it has one: what gets evaluated."""
        return (self,) if self.node is None else (self, self.node)
