"""One diagnosis's question to the API server, asked while the node is walked.

Started first (in a child process, so that importing the client and the TLS handshake overlap
the node's walk), answered after the walk within the run's deadline, then applied: it fills the
apiserver layer, and it settles where the pod is — this node (the walk's facts stand), another
node or none yet (the node's layers do not apply), or nowhere (the pod does not exist).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from doctor.errors import GatherError
from doctor.gather.child import Child, fork_is_safe
from doctor.gather.context import GatherContext
from doctor.gather.cri.query import PodNotFoundError
from doctor.layers import Layer

# a pod uid, or a sandbox id prefix: the node walk resolves those, the API is asked after it
_ID = re.compile(r"^(?:[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-f]{12,64})$")
# the pipe and the child's start-up, on top of the requests' own deadline
GRACE_SECONDS = 1.0


def named_query(text: str, namespace: str | None) -> tuple[str, str | None] | None:
    """(name, namespace or None) of a query by name; None for a uid or sandbox id."""
    text = text.strip()
    if "/" in text:
        ns, _, name = text.partition("/")
        return (name, ns) if ns and name else None
    return None if _ID.match(text) else (text, namespace)


@dataclass
class ApiQuestion:
    started: float
    budget: float
    named: tuple[str, str | None] | None  # (name, namespace) the query gives; None: an id
    child: Child | None
    on_this_node: bool = False

    @classmethod
    def start(cls, ctx: GatherContext) -> ApiQuestion:
        ctx.handoff.unknown_pod_for_api = True
        options = ctx.options
        assert options.api is not None and options.pod is not None
        named = named_query(options.pod.text, options.pod.namespace)
        child = None
        if named is not None and fork_is_safe():
            api, budget = options.api, options.timeout
            child = Child(lambda: _ask(api, named[0], named[1], budget))
        return cls(time.monotonic(), options.timeout, named, child)

    def cancel(self) -> None:
        if self.child is not None:
            self.child.cancel()

    def answer(self, ctx: GatherContext) -> dict[str, Any]:
        """The API's answer about the pod the walk found, or the query names."""
        from doctor.gather.api import layer  # the answer's readers: not before the fork

        answer = self._child_answer() if self.child is not None else None
        found = _found_on_node(ctx)
        other = found and answer and answer.get("status") == "ok" and layer.pod_key(answer) != found
        if answer is None or other:
            asked = (found[1], found[0]) if found else self.named
            if asked is None:  # a uid or id the node does not know: nothing to ask by
                reason = "the API is asked by name: give NAMESPACE/NAME"
                return {"status": "absent", "reason": reason}
            answer = _ask(ctx.options.api, asked[0], asked[1], self._left())
        return answer

    def place(self, ctx: GatherContext, answer: dict[str, Any]) -> None:
        """Where the pod is. On this node without a sandbox (the runtime never made one, or it
        was removed), the walk found it nowhere: it becomes the pod of interest all the same,
        so that the kubelet's and containerd's lines about it are given to it."""
        from doctor.gather.api import layer  # the answer's readers: not before the fork

        key = layer.pod_key(answer) if answer.get("status") == "ok" else None
        if key is None or ctx.handoff.unknown_pod is None:
            self.on_this_node = key is not None
            return
        here = (ctx.sections.get(Layer.KUBELET) or {}).get("node_name")
        node = layer.node_name_of(answer)
        self.on_this_node = node is not None and node == here
        if self.on_this_node:
            uid = (answer["pod"].get("metadata") or {}).get("uid")
            ctx.pods = [{"name": key[1], "namespace": key[0], "uid": uid, "containers": []}]
            ctx.handoff.unknown_pod = None

    def apply(
        self, ctx: GatherContext, document: dict[str, Any], answer: dict[str, Any]
    ) -> dict[str, Any]:
        """The document with the answer in it (see the module's docstring)."""
        from doctor.gather.api import layer  # the answer's readers: not before the fork

        unknown = ctx.handoff.unknown_pod
        if answer.get("status") != "ok":
            if unknown is not None:
                raise PodNotFoundError(f"{unknown}; and the API server: {answer.get('reason')}")
            document["layers"]["apiserver"] = layer.unavailable_section(answer)
            return document
        if answer.get("pod") is None:
            if unknown is not None:
                raise PodNotFoundError(_nowhere(unknown, answer))
            document = layer.apply_answer(document, answer)
            document["layers"]["apiserver"]["errors"].append(
                {"source": "apiserver", "message": "the API server has no such pod"}
            )
            return document
        document = layer.apply_answer(document, answer)
        if not self.on_this_node:
            here = (ctx.sections.get(Layer.KUBELET) or {}).get("node_name")
            layer.not_here(document, answer, here)
        return document

    def _child_answer(self) -> dict[str, Any]:
        assert self.child is not None
        try:
            result: dict[str, Any] = self.child.result(timeout=self._left() + GRACE_SECONDS)
            return result
        except GatherError as exc:
            return {"status": "error", "kind": "timeout", "reason": f"API server: {exc}"}

    def _left(self) -> float:
        return max(0.1, self.started + self.budget - time.monotonic())


def _ask(api: Any, name: str, namespace: str | None, budget: float) -> dict[str, Any]:
    from doctor.gather.api.fetch import ask

    return ask(api, name, namespace, budget)


def _found_on_node(ctx: GatherContext) -> tuple[str, str] | None:
    if ctx.handoff.unknown_pod is not None or len(ctx.pods) != 1:
        return None
    return ctx.pods[0]["namespace"], ctx.pods[0]["name"]


def _nowhere(unknown: str, answer: dict[str, Any]) -> str:
    matches = answer.get("matches")
    if matches:
        where = ", ".join(matches)
        return f"{unknown}; the API server has pods of that name in namespaces {where}: give -n"
    return f"{unknown}; and the API server ({answer.get('server')}) has no such pod either"
