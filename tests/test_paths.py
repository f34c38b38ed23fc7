"""Fact paths: roots per scope, missing vs empty answers, filters, syntax errors, layers."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doctor.engine.paths import (
    _ALL,
    PathRoot,
    PathSyntaxError,
    _general_walker,
    _star_walker,
    compile_path,
    field_name,
)
from doctor.layers import Layer

POD: dict[str, Any] = {
    "name": "web",
    "namespace": "shop",
    "phase": "Running",
    "kubelet_log": [{"message": "pulling image"}, {"message": "started"}],
    "containers": [],
}
CONTAINER: dict[str, Any] = {
    "name": "app",
    "attempt": 2,
    "exit_code": 137,
    "reason": None,
    "log_tail": [],
    "command": ["sh", "-c", "run"],
    "cgroup": {"memory": {"usage_bytes": 512}},
}
POD["containers"].append(CONTAINER)
DOCUMENT: dict[str, Any] = {
    "collected": {"host": "node-1"},
    "layers": {
        "cri": {
            "status": "ok",
            "conditions": [
                {"type": "RuntimeReady", "status": True},
                {"type": "NetworkReady", "status": False},
            ],
        },
        "shim": {"status": "ok", "shims": []},
    },
    "pods": [POD],
}


def values(text: str, scope: str) -> list[Any] | None:
    pod = None if scope == "node" else POD
    obj = {"node": DOCUMENT, "pod": POD, "container": CONTAINER}[scope]
    return compile_path(text, scope).values(DOCUMENT, pod, obj)


@pytest.mark.parametrize(
    ("text", "scope", "root", "expected"),
    [
        ("$.collected.host", "node", PathRoot.DOCUMENT, ["node-1"]),
        ("$.collected.host", "pod", PathRoot.DOCUMENT, ["node-1"]),
        ("$.collected.host", "container", PathRoot.DOCUMENT, ["node-1"]),
        ("$.layers.cri.status", "node", PathRoot.DOCUMENT, ["ok"]),
        ("$.pods[0].name", "node", PathRoot.DOCUMENT, ["web"]),
        ("$.pods[*].containers[*].name", "node", PathRoot.DOCUMENT, ["app"]),
        ("phase", "pod", PathRoot.SCOPE, ["Running"]),
        ("containers[*].attempt", "pod", PathRoot.SCOPE, [2]),
        ("kubelet_log[-1].message", "pod", PathRoot.SCOPE, ["started"]),
        ("exit_code", "container", PathRoot.SCOPE, [137]),
        ("cgroup.memory.usage_bytes", "container", PathRoot.SCOPE, [512]),
        ("command[*]", "container", PathRoot.SCOPE, ["sh", "-c", "run"]),
        ("command[1]", "container", PathRoot.SCOPE, ["-c"]),
        ("command", "container", PathRoot.SCOPE, [["sh", "-c", "run"]]),
        ("pod.name", "container", PathRoot.POD, ["web"]),
        ("pod.kubelet_log[*].message", "container", PathRoot.POD, ["pulling image", "started"]),
        ("pod", "container", PathRoot.POD, [POD]),
    ],
)
def test_roots_per_scope(text: str, scope: str, root: PathRoot, expected: list[Any]) -> None:
    path = compile_path(text, scope)
    assert path.root is root
    assert path.text == text
    assert values(text, scope) == expected


def test_pod_prefix_reads_the_pod_in_pod_and_container_scope() -> None:
    # `pod.phase` is the pod's phase whether the rule looks at the pod or at one of its containers,
    # as in message templates.
    assert compile_path("pod.phase", "pod").root is PathRoot.POD
    assert compile_path("pod.phase", "container").root is PathRoot.POD

    assert compile_path("podium", "container").root is PathRoot.SCOPE


def test_container_relative_path_reads_the_container_not_the_pod() -> None:
    # `name` on a container is the container's name; `pod.name` is the pod's.
    assert values("name", "container") == ["app"]
    assert values("pod.name", "container") == ["web"]


@pytest.mark.parametrize("text", ["exit_code", "pod.name", "pod", "layers.cri.status"])
def test_node_scope_refuses_relative_paths(text: str) -> None:
    with pytest.raises(PathSyntaxError, match="node rules use absolute paths"):
        compile_path(text, "node")


def test_star_over_existing_empty_list_is_an_answer() -> None:
    assert values("log_tail[*]", "container") == []
    assert values("$.layers.shim.shims[*].pid", "node") == []


def test_filter_over_existing_list_without_a_match_is_an_answer() -> None:
    assert values('$.layers.cri.conditions[?type=="Nope"].status', "node") == []
    assert values("$.layers.shim.shims[?alive==true].pid", "node") == []


def test_filter_over_a_missing_list_is_missing() -> None:
    assert values('$.layers.cri.no_such_list[?type=="NetworkReady"].status', "node") is None


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("no_such_key", "container"),
        ("cgroup.pids.current", "container"),
        ("pod.no_such_key", "container"),
        ("$.layers.cri.no_such_key", "node"),
        ("$.pods[5].name", "node"),
    ],
)
def test_missing_fact_is_none(text: str, scope: str) -> None:
    assert values(text, scope) is None


def test_null_counts_as_missing() -> None:
    assert values("reason", "container") is None


@pytest.mark.parametrize(
    ("items", "expected"),
    [([None, 1, None, 2], [1, 2]), ([None, None], None), ([None], None), ([0, False], [0, False])],
)
def test_nulls_are_dropped_from_answers(items: list[Any], expected: list[Any] | None) -> None:
    path = compile_path("items[*]", "container")
    assert path.values({}, {}, {"items": items}) == expected


@pytest.mark.parametrize(
    ("text", "container"),
    [
        ("cgroup.memory.usage_bytes", {"cgroup": None}),
        ("cgroup.memory.usage_bytes", {"cgroup": {"memory": None}}),
        ("cgroup.memory.usage_bytes", {"cgroup": "not a mapping"}),
        ("log_tail[*]", {"log_tail": None}),
        ("log_tail[*]", {"log_tail": "not a list"}),
        ("log_tail[0]", {"log_tail": []}),
    ],
)
def test_paths_through_nulls_or_wrong_kinds_are_missing(
    text: str, container: dict[str, Any]
) -> None:
    assert compile_path(text, "container").values({}, {}, container) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('$.layers.cri.conditions[?type=="NetworkReady"].status', [False]),
        ('$.layers.cri.conditions[?type=="RuntimeReady"].status', [True]),
        ("$.layers.cri.conditions[?status==false].type", ["NetworkReady"]),
        ("$.layers.cri.conditions[*].type", ["RuntimeReady", "NetworkReady"]),
        # typed like the operators: the string "false" is not false
        ('$.layers.cri.conditions[?status=="false"].type', []),
        ('$.layers.cri.conditions[?type!="NetworkReady"].type', ["RuntimeReady"]),
        ('$.layers.cri.conditions[?type=="NetworkReady" & status==false].type', ["NetworkReady"]),
        ('$.layers.cri.conditions[?type=="NetworkReady" & status==true].type', []),
    ],
)
def test_filter_expressions(text: str, expected: list[Any]) -> None:
    assert values(text, "node") == expected


@pytest.mark.parametrize(
    "text", ["exit_code[", "a..", "$$", "[?", "a b", "a[?x==]", "", "pod.[", "$.layers["]
)
@pytest.mark.parametrize("scope", ["pod", "container"])
def test_syntax_errors(text: str, scope: str) -> None:
    with pytest.raises(PathSyntaxError, match="fact path"):
        compile_path(text, scope)


def test_syntax_error_on_absolute_node_path() -> None:
    with pytest.raises(PathSyntaxError, match=r"fact path '\$\.layers\['"):
        compile_path("$.layers[", "node")


@pytest.mark.parametrize(
    ("text", "scope", "layer"),
    [
        ("cgroup.memory.usage_bytes", "container", Layer.PROCESS),
        ("cgroup.cpu.samples[*].nr_throttled", "container", Layer.PROCESS),
        ("pid", "container", Layer.PROCESS),
        ("log_tail[*]", "container", Layer.PROCESS),
        ("shim.alive", "container", Layer.SHIM),
        ("runc.status", "container", Layer.RUNC),
        ("kubelet_log[*].message", "pod", Layer.KUBELET),
        ("pod.kubelet_log[*].message", "container", Layer.KUBELET),
        ("containerd_log[*].message", "pod", Layer.CONTAINERD),
        ("events[*].reason", "pod", Layer.APISERVER),
        ("pod.phase", "container", Layer.APISERVER),
        ("exit_code", "container", Layer.CRI),
        ("reason", "container", Layer.CRI),
        ("sandbox.state", "pod", Layer.CRI),
        ("pod.name", "container", Layer.CRI),
        ("pod", "container", Layer.CRI),
        ("$.layers.cri.status", "node", Layer.CRI),
        ("$.layers.kubelet.healthz", "node", Layer.KUBELET),
        ("$.layers.shim.shims[*].alive", "node", Layer.SHIM),
        ("$.layers.process.status", "container", Layer.PROCESS),
        ("$.layers.node.disks[*].used_ratio", "node", Layer.NODE),
        ('$.layers.cri.conditions[?type=="NetworkReady"].status', "node", Layer.CRI),
        ("$.layers.apiserver.node_conditions[*].type", "pod", Layer.APISERVER),
        ("$.pods[*].name", "node", Layer.CRI),
        ("$.collected.host", "node", None),
        ("$.layers.bogus.status", "node", None),
    ],
)
def test_layer_attribution(text: str, scope: str, layer: Layer | None) -> None:
    assert compile_path(text, scope).layer is layer


def test_jsonpath_parser_uses_the_fixed_class_name_without_a_deprecation_warning() -> None:
    import warnings

    from doctor.engine import paths

    paths._jsonpath_parser.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        parser = paths._jsonpath_parser()
    assert type(parser).__name__ in {"ExtendedJsonPathParser", "ExtentedJsonPathParser"}
    # A jsonpath-ng older than 1.8 has only the misspelt name: the fallback must find it.
    from jsonpath_ng.ext import parser as module

    if hasattr(module, "ExtendedJsonPathParser"):
        assert type(parser).__name__ == "ExtendedJsonPathParser"


def test_jsonpath_parser_falls_back_to_the_old_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    from jsonpath_ng.ext import parser as module

    from doctor.engine import paths

    class OldParser:
        pass

    # Set the old name first: on newer releases reading it runs a __getattr__ that needs the new.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        monkeypatch.setattr(module, "ExtentedJsonPathParser", OldParser, raising=False)
    monkeypatch.delattr(module, "ExtendedJsonPathParser", raising=False)
    paths._jsonpath_parser.cache_clear()
    try:
        assert isinstance(paths._jsonpath_parser(), OldParser)
    finally:
        paths._jsonpath_parser.cache_clear()


@pytest.mark.parametrize(
    ("text", "scope", "field"),
    [
        ("exit_code", "container", "container.exit_code"),
        ("cgroup.memory.usage_bytes", "container", "container.cgroup.memory.usage_bytes"),
        ("pod.name", "container", "pod.name"),
        ("pod", "container", "pod"),
        ("phase", "pod", "pod.phase"),
        ("kubelet_log[*].message", "pod", "pod.kubelet_log"),
        ("containers[0].reason", "pod", "pod.containers.0.reason"),
        ("containers[-1].reason", "pod", "pod.containers"),
        ("$.layers.cri.errors[0].message", "node", "layers.cri.errors.0.message"),
        ('$.layers.cri.conditions[?type=="NetworkReady"].status', "node", "layers.cri.conditions"),
        ("$.collected.host", "container", "collected.host"),
        ("$.pods[*].events[*].message", "node", None),
        ("$.layers..status", "node", None),  # jsonpath-ng's own syntax: not a plain chain
    ],
)
def test_field_name(text: str, scope: str, field: str | None) -> None:
    assert field_name(compile_path(text, scope), scope) == field


KEYS = st.sampled_from(["a", "b", "c"])
TREES = st.recursive(
    st.none() | st.integers(0, 2) | st.sampled_from(["x", ""]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=3),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(
    tree=TREES,
    before=st.lists(KEYS, max_size=2),
    after=st.lists(KEYS, max_size=2),
)
def test_one_star_walk_is_the_general_walk(tree: Any, before: list[str], after: list[str]) -> None:
    """`a.b[*].c` (every log path) has its own walker; it answers as the general one does."""
    general = _general_walker([*before, _ALL, *after])
    assert _star_walker(before, after)(tree) == general(tree)
