"""Message templates: field rendering, fallbacks and optional sections for missing values,
filters (plural-aware counts), `?` as the last resort, load-time errors."""

from __future__ import annotations

from typing import Any

import pytest

from doctor.engine.templates import ROOTS_BY_SCOPE, Field, TemplateError, compile_template

VALUES: dict[str, Any] = {
    "collected": {"host": "node-1"},
    "layers": {"cri": {"status": "ok"}},
    "pod": {"name": "web", "namespace": "shop"},
    "container": {
        "name": "app",
        "attempt": 3,
        "exit_code": 137,
        "reason": None,
        "restarted": True,
        "ok": False,
        "run_seconds": 2.5,
        "ratio": 0.333333,
        "resources": {"memory_limit_bytes": 268435456},
        "cgroup-v": {"x": 1},
    },
    "code": "137",
    "throttled_ratio": 0.42,
}


def render(text: str, scope: str = "container", captures: frozenset[str] = frozenset()) -> str:
    return compile_template(text, scope, captures).render(VALUES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no fields at all", "no fields at all"),
        ("{container.name}", "app"),
        ("Container {container.name} (attempt {container.attempt})", "Container app (attempt 3)"),
        ("{pod.namespace}/{pod.name}", "shop/web"),
        ("on {collected.host}, cri {layers.cri.status}", "on node-1, cri ok"),
        ("exit {container.exit_code}", "exit 137"),
        ("{container.restarted} {container.ok}", "true false"),
        ("{container.run_seconds}s", "2.5s"),
        ("{container.ratio}", "0.33"),
        ("{container.resources}", "{'memory_limit_bytes': 268435456}"),
        ("{container.cgroup-v.x}", "1"),
    ],
)
def test_field_rendering(text: str, expected: str) -> None:
    assert render(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "{container.reason}",
        "{container.no_such_field}",
        "{container.exit_code.deeper}",
        "{container.resources.memory_limit_bytes.x}",
        "{layers.kubelet.status}",
        "{container.reason|bytes}",
        "{container.reason|percent}",
    ],
)
def test_missing_value_renders_as_question_mark(text: str) -> None:
    assert render(text) == "?"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{container.resources.memory_limit_bytes|bytes}", "256Mi"),
        ("{container.exit_code|bytes}", "137"),
        ("{throttled_ratio|percent}", "42%"),
        ("{container.ratio|percent}", "33%"),
        ("{container.attempt|percent}", "300%"),
        ("{code|bytes}", "137"),
        ("{container.name|percent}", "app"),
        ("{container.restarted|bytes}", "true"),
    ],
)
def test_filters(text: str, expected: str) -> None:
    captures = frozenset({"throttled_ratio", "code"})
    assert render(text, captures=captures) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (0, "0"),
        (1023, "1023"),
        (1024, "1Ki"),
        (1536, "1.5Ki"),
        (67108864, "64Mi"),
        (134217728, "128Mi"),
        (1610612736, "1.5Gi"),
        (1024**3, "1Gi"),
        (1024**4, "1Ti"),
        (1024**5, "1024Ti"),
    ],
)
def test_bytes_filter(amount: int, expected: str) -> None:
    template = compile_template("{container.limit|bytes}", "container", frozenset())
    assert template.render({"container": {"limit": amount}}) == expected


def test_captures_are_fields() -> None:
    template = compile_template("killed by {signal}", "container", frozenset({"signal"}))
    assert template.render({"signal": "KILL"}) == "killed by KILL"
    assert template.render({}) == "killed by ?"
    assert template.fields == ("signal",)


@pytest.mark.parametrize(
    ("scope", "roots"),
    [
        ("node", {"collected", "layers"}),
        ("pod", {"collected", "layers", "pod"}),
        ("container", {"collected", "layers", "pod", "container"}),
    ],
)
def test_roots_by_scope(scope: str, roots: set[str]) -> None:
    assert ROOTS_BY_SCOPE[scope] == roots
    for root in roots:
        compile_template(f"{{{root}.x}}", scope, frozenset())


@pytest.mark.parametrize(
    ("text", "scope", "captures"),
    [
        ("{pod.name}", "node", frozenset()),
        ("{container.name}", "node", frozenset()),
        ("{container.name}", "pod", frozenset()),
        ("{bogus.name}", "container", frozenset()),
        ("{name}", "container", frozenset()),
        ("{signal}", "container", frozenset({"code"})),
        # a capture is a plain value: it has no fields of its own
        ("{signal.name}", "container", frozenset({"signal"})),
    ],
)
def test_unknown_root_is_a_load_time_error(text: str, scope: str, captures: frozenset[str]) -> None:
    with pytest.raises(TemplateError, match=f"is not a {scope}-scope fact root or a regex group"):
        compile_template(text, scope, captures)


def test_unknown_root_error_lists_what_is_known() -> None:
    with pytest.raises(TemplateError) as info:
        compile_template("{bogus}", "pod", frozenset({"line"}))
    assert str(info.value) == (
        "template field {bogus}: 'bogus' is not a pod-scope fact root or a regex group of this"
        " rule (known: collected, layers, line, pod)"
    )


@pytest.mark.parametrize("text", ["{container.name|upper}", "{x|gibibytes}", "{pod.name|raw}"])
def test_unknown_filter_is_a_load_time_error(text: str) -> None:
    with pytest.raises(TemplateError, match=r"unknown filter \(known: bytes, count, percent\)"):
        compile_template(text, "container", frozenset({"x"}))


@pytest.mark.parametrize(
    "text",
    [
        "{container.name",
        "container.name}",
        "a { b",
        "a } b",
        "{}",
        "{{container.name}}",
        "{container name}",
        "{container.name|Bytes}",
        "{1abc}",
        "ok {container.name} then {",
    ],
)
def test_stray_braces_are_a_load_time_error(text: str) -> None:
    with pytest.raises(TemplateError, match="unbalanced or malformed braces"):
        compile_template(text, "container", frozenset())


def test_template_keeps_text_and_fields() -> None:
    template = compile_template(
        "{container.name} on {pod.name}: {code}", "container", frozenset({"code"})
    )
    assert template.text == "{container.name} on {pod.name}: {code}"
    assert template.fields == ("container.name", "pod.name", "code")


def test_alternatives_take_the_first_value_and_indexes_reach_list_items() -> None:
    template = compile_template(
        "{socket||layers.cri.endpoint}: {layers.cri.errors.0.message}"
        " {layers.cri.errors.5.message}",
        "node",
        frozenset({"socket"}),
    )
    values = {
        "layers": {"cri": {"endpoint": "unix:///run/x.sock", "errors": [{"message": "gone"}]}}
    }
    assert template.render(values) == "unix:///run/x.sock: gone ?"
    assert template.render({**values, "socket": "/run/y.sock"}).startswith("/run/y.sock: ")


def test_every_alternative_is_checked_at_load_time() -> None:
    with pytest.raises(TemplateError, match="'nope' is not a node-scope fact root"):
        compile_template("{layers.cri.endpoint||nope.x}", "node", frozenset())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a quoted last alternative is printed when no path has a value
        ('{container.reason||"no reason given"}', "no reason given"),
        ('{container.reason||container.name||"x"}', "app"),
        ('{container.exit_code||"x"}', "137"),
        ('{container.no_such||""}', ""),
        # the fallback is text: filters apply to values only
        ('{container.reason||"unlimited"|bytes}', "unlimited"),
        ('{container.resources.memory_limit_bytes||"unlimited"|bytes}', "256Mi"),
        # an optional section prints only when every field in it has a value
        ("exited{? with code {container.exit_code}}.", "exited with code 137."),
        ("exited{? (reason {container.reason})}.", "exited."),
        ("{?{container.name} and {container.reason}}", ""),
        ("{?{container.name} and {container.exit_code}}", "app and 137"),
        ('a{? b {container.reason||"none"}} c', "a b none c"),
        ("a{? {container.reason|bytes}} c", "a c"),
        ("{?{container.attempt|count:retry/retries}} left", "3 retries left"),
        # sections and plain fields side by side
        ("{container.name}{? ({container.reason})}: {container.exit_code}", "app: 137"),
        ("{container.name}{? ({container.reason})}: {container.reason}", "app: ?"),
        # braces inside a fallback are not allowed, but other punctuation is
        ('{container.reason||"n/a (not reported)"}', "n/a (not reported)"),
    ],
)
def test_fallbacks_and_optional_sections(text: str, expected: str) -> None:
    assert render(text) == expected


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (0, "time", "0 times"),
        (1, "time", "1 time"),
        (2, "time", "2 times"),
        (37, "time", "37 times"),
        (1.0, "time", "1 time"),
        (1.5, "second", "1.5 seconds"),
        (1, "entry/entries", "1 entry"),
        (3, "entry/entries", "3 entries"),
        (True, "time", "true times"),  # a boolean is no count: never singular
        ("1", "time", "1 time"),  # regex captures are text
        ("12", "time", "12 times"),
        ("11", "time", "11 times"),
    ],
)
def test_count_filter_is_plural_aware(count: Any, noun: str, expected: str) -> None:
    template = compile_template(f"{{container.n|count:{noun}}}", "container", frozenset())
    assert template.render({"container": {"n": count}}) == expected


def test_missing_marker_is_read_when_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    import doctor.engine.templates as templates

    monkeypatch.setattr(templates, "MISSING", "<missing>")
    assert render("code {container.reason}{? {container.reason}}") == "code <missing>"


def test_unguarded_fields_are_those_that_can_print_a_question_mark() -> None:
    template = compile_template(
        '{container.name} {container.reason||"-"} {?{container.exit_code}} {pod.name}'
        " {container.reason||container.signal}",
        "container",
        frozenset(),
    )
    assert template.unguarded() == (
        Field(("container.name",)),
        Field(("pod.name",)),
        Field(("container.reason", "container.signal")),
    )
    assert template.fields == (
        "container.name",
        "container.reason",
        "container.exit_code",
        "pod.name",
        "container.reason",
        "container.signal",
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('{"only a fallback"}', "names no fact, only a fallback text"),
        ('{"first"||container.name}', "a quoted fallback comes once, after the last path"),
        ('{container.name||"a"||"b"}', "a quoted fallback comes once, after the last path"),
        ("{?no field here}", r"an optional section \{\?...\} without a field"),
        ("{?}", r"an optional section \{\?...\} without a field"),
        ("{?a {?{container.name}}}", "unbalanced or malformed braces"),
        ("{?a {container.name}", "unbalanced or malformed braces"),
        ("{?a {container.name|upper}}", "unknown filter"),
        ("{?a {bogus.x}}", "'bogus' is not a container-scope fact root"),
        ('{container.name||"a{b"}', "unbalanced or malformed braces"),
        ("{container.attempt|count}", r"\|count needs a noun: \|count:time"),
        ("{container.attempt|bytes:x}", r"\|bytes takes no argument"),
    ],
)
def test_malformed_fallbacks_sections_and_filters(text: str, error: str) -> None:
    with pytest.raises(TemplateError, match=error):
        compile_template(text, "container", frozenset())


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        # moby#42677's runc error ends with its own period: one period, not two
        ("permission denied: unknown.", "failed: permission denied: unknown. Fix it."),
        ("permission denied", "failed: permission denied. Fix it."),
        ("wait...", "failed: wait.... Fix it."),  # an ellipsis is not a sentence's end
    ],
)
def test_a_value_ending_its_sentence_takes_the_templates_period(error: str, expected: str) -> None:
    values = {**VALUES, "error": error}
    template = compile_template("failed: {error}. Fix it.", "container", frozenset({"error"}))
    assert template.render(values) == expected
    section = compile_template("failed{?: {error}}. Fix it.", "container", frozenset({"error"}))
    assert section.render(values) == expected


def test_a_missing_value_keeps_the_period_after_its_mark() -> None:
    template = compile_template("failed: {error}. Fix it.", "container", frozenset({"error"}))
    assert template.render(VALUES) == "failed: ?. Fix it."


def test_a_values_trailing_blanks_are_not_printed() -> None:
    # kubernetes/kubeadm#1162: CoreDNS's `[FATAL] plugin/loop: ... loop detected ` ends in a blank
    values = {**VALUES, "line": "loop detected "}
    template = compile_template("its log says: {line}.", "container", frozenset({"line"}))
    assert template.render(values) == "its log says: loop detected."
