"""Find, parse, validate and compile rule packs; every problem is reported as `file:line: message`.

A pack is a directory of `*.yaml` files (or one file). The built-in packs ship inside the
package; `--rules DIR` packs are loaded after them and replace built-in rules with the same id.
Everything that can be checked without facts is checked here, once: the file schema, unknown
keys, operators and the kind of their values, regexes, fact paths, message fields, ids and the
`explains` graph.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from doctor.engine.conditions import All, AnyOf, Condition, Not, Predicate
from doctor.engine.operators import OPERATORS, LazyRegex, ValueKind
from doctor.engine.packed import PackedFile, pack_entry, packed_file, read_pack, render_pack
from doctor.engine.paths import PathSyntaxError, compile_path
from doctor.engine.rule import Differential, Example, Rule, SourceRef
from doctor.engine.templates import TemplateError, compile_template
from doctor.engine.yaml_source import LineDict, LineList, line_of, load_yaml
from doctor.errors import RuleError
from doctor.layers import Layer, Scope, Severity
from doctor.schema_validation import best_error, schema_errors

if TYPE_CHECKING:
    from jsonschema import ValidationError

    from doctor.model import Finding

RULE_FILE_SUFFIXES = (".yaml", ".yml")
# The captures a regex makes, read without compiling it (`(?P<name>` is Python's only syntax;
# the YAML path checks that this finds exactly the compiled regex's groups).
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class RuleSet:
    """Rules in evaluation order: top layer first, then file order."""

    rules: tuple[Rule, ...]
    overridden: tuple[str, ...] = ()
    by_id: dict[str, Rule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {rule.id: rule for rule in self.rules})

    def get(self, rule_id: str) -> Rule | None:
        return self.by_id.get(rule_id)

    def branches(self) -> Iterator[Rule]:
        """Every rule and node branch, in evaluation order (what the examples and lints cover)."""
        for rule in self.rules:
            yield from rule.branches()

    def of(self, finding: Finding) -> Rule | None:
        """The rule branch that made `finding`: a node-scope finding of a pod rule is its node
        branch's."""
        rule = self.by_id.get(finding.rule_id)
        return None if rule is None else rule.branch(finding.subject.kind)

    def __len__(self) -> int:
        return len(self.rules)


@dataclass
class _Pack:
    rules: list[Rule] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def builtin_rules_dir() -> Path:
    """The shipped packs: doctor/rules in a wheel, ../rules in a source checkout."""
    packaged = Path(__file__).resolve().parents[1] / "rules"

    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"


def rule_files(path: Path) -> list[Path]:
    """The rule files a path names: itself, or the YAML files directly inside it, sorted."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in RULE_FILE_SUFFIXES and p.is_file())
    return [path]


def lint(paths: Sequence[Path], with_builtin: bool = False) -> tuple[RuleSet, list[Problem]]:
    """Load every file under `paths` and return what compiled plus every problem found.

    Only the built-in packs come from their pre-parsed form (packed.py); a path given here is
    always parsed, even when it is the built-in directory: that is what `rules lint` checks.
    Beyond what stops a rule from loading, the lint also flags messages that could print `?`
    or `1 times` (guarantees.py): such a rule still runs.
    """
    from doctor.engine.guarantees import message_problems

    ruleset, problems = _load_all(paths, with_builtin)
    for branch in ruleset.branches():
        problems += [
            Problem(branch.source.file, branch.source.line, m) for m in message_problems(branch)
        ]
    return ruleset, problems


def _load_all(paths: Sequence[Path], with_builtin: bool) -> tuple[RuleSet, list[Problem]]:
    builtin = builtin_rules_dir()
    packs = [_load_pack(builtin, read_pack(builtin))] if with_builtin else []
    packs += [_load_pack(path) for path in paths]
    return _merge(packs)


def build_pack(directory: Path) -> str:
    """The pre-parsed pack of the rule files in `directory` (see packed.py).

    Raises RuleError when any file has a problem: only valid files may be packed.
    """
    problems: list[Problem] = []
    entries = {}
    for file in rule_files(directory):
        data = file.read_bytes()
        document = _parse(file, data, problems)
        if document is not None:
            parsed = _yaml_lines(document)
            rules = _compile_rules(document, str(file), parsed, problems)
            entries[file.name] = pack_entry(data, parsed, {r.pattern for r in _regexes(rules)})
    if problems:
        raise RuleError(f"cannot pack {directory}: {problems[0]}")
    return render_pack(entries)


def load_rules(
    extra: Sequence[Path] = (),
    disable: Iterable[str] = (),
    only_layers: Iterable[str] = (),
    with_builtin: bool = True,
) -> RuleSet:
    """The rule set a command runs with; any problem raises RuleError (exit 2)."""
    ruleset, problems = _load_all(extra, with_builtin)
    log.debug(
        "loaded %d rules from %s (overridden by user packs: %s)",
        len(ruleset),
        ", ".join(map(str, ([builtin_rules_dir()] if with_builtin else []) + list(extra))),
        ", ".join(ruleset.overridden) or "none",
    )

    if problems:
        more = f" (and {len(problems) - 1} more problems; run `stackdoctor rules lint`)"
        raise RuleError(str(problems[0]) + (more if len(problems) > 1 else ""))
    disabled = set(disable)
    unknown = sorted(disabled - {rule.id for rule in ruleset.rules})
    if unknown:
        raise RuleError(
            f"--disable {unknown[0]}: no rule has that id (see `stackdoctor rules list`)"
        )
    layers = set(only_layers)
    bad_layers = sorted(layers - {layer.value for layer in Layer})
    if bad_layers:
        raise RuleError(f"--only {bad_layers[0]}: not a layer ({', '.join(Layer)})")
    kept = tuple(
        rule
        for rule in ruleset.rules
        if rule.id not in disabled and (not layers or rule.layer.value in layers)
    )
    return RuleSet(kept, ruleset.overridden)


def _merge(packs: list[_Pack]) -> tuple[RuleSet, list[Problem]]:
    problems = [problem for pack in packs for problem in pack.problems]
    merged: dict[str, Rule] = {}
    overridden: list[str] = []
    for pack in packs:
        for rule in pack.rules:
            if rule.id in merged:
                overridden.append(rule.id)
            merged[rule.id] = rule
    for rule in merged.values():
        for target in rule.explains:
            if target not in merged:
                problems.append(
                    Problem(
                        rule.source.file,
                        rule.source.line,
                        f"{rule.id}: explains unknown rule {target!r}",
                    )
                )
            elif target == rule.id:
                problems.append(
                    Problem(rule.source.file, rule.source.line, f"{rule.id}: explains itself")
                )
        for entry in (d for branch in rule.branches() for d in branch.differential):
            if entry.cause not in merged or entry.cause == rule.id:
                problems.append(
                    Problem(
                        rule.source.file,
                        rule.source.line,
                        f"{rule.id}: differential names {entry.cause!r}: not another rule",
                    )
                )
    problems.extend(_explains_cycles(merged))
    ordered = sorted(merged.values(), key=lambda r: r.layer.depth)
    return RuleSet(tuple(ordered), tuple(overridden)), problems


def _explains_cycles(rules: dict[str, Rule]) -> list[Problem]:
    """`explains` must be acyclic, or no finding in the cycle could be the root cause."""
    problems: list[Problem] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(rule_id: str, trail: list[str]) -> None:
        state[rule_id] = 1
        for target in rules[rule_id].explains:
            if target not in rules or target == rule_id:
                continue
            if state.get(target) == 1:
                cycle = " -> ".join([*trail[trail.index(target) :], target])
                rule = rules[rule_id]
                problems.append(
                    Problem(rule.source.file, rule.source.line, f"explains cycle: {cycle}")
                )
            elif target not in state:
                visit(target, [*trail, target])
        state[rule_id] = 2

    for rule_id in rules:
        if rule_id not in state:
            visit(rule_id, [rule_id])
    return problems


def _load_pack(path: Path, packed: dict[str, Any] | None = None) -> _Pack:
    pack = _Pack()
    if not path.exists():
        pack.problems.append(Problem(str(path), 0, "no such rule file or directory"))
        return pack
    files = rule_files(path)
    if path.is_dir() and not files:
        pack.problems.append(Problem(str(path), 0, "no *.yaml rule files in this directory"))
    seen: dict[str, SourceRef] = {}
    for file in files:
        for rule in _load_file(file, pack.problems, packed or {}):
            if rule.id in seen:
                pack.problems.append(
                    Problem(
                        rule.source.file,
                        rule.source.line,
                        f"duplicate rule id {rule.id!r} (first at {seen[rule.id]})",
                    )
                )
                continue
            seen[rule.id] = rule.source
            pack.rules.append(rule)
    return pack


def _load_file(file: Path, problems: list[Problem], packed: dict[str, Any]) -> list[Rule]:
    name = str(file)
    try:
        data = file.read_bytes()
    except OSError as exc:
        problems.append(Problem(name, 0, f"cannot read: {exc.strerror}"))
        return []
    pre = packed_file(packed, file.name, data) if packed else None
    if pre is not None:
        # Validated when it was packed (build_pack), from these very bytes: not again here.
        found: list[Problem] = []
        try:
            rules = _compile_rules(pre.document, name, pre, found)
        except (KeyError, TypeError, AttributeError, IndexError):
            found.append(Problem(name, 0, "stale pack"))
        if not found:
            for regex in _regexes(rules):
                regex.know_required(pre.required.get(regex.pattern, ()))
            return rules
        # The pack came from other code than this: parse the YAML, which reports exact lines.
    document = _parse(file, data, problems)
    if document is None:
        return []
    return _compile_rules(document, name, _yaml_lines(document), problems)


def _regexes(rules: Sequence[Rule]) -> list[LazyRegex]:
    """The regex of every predicate of `rules` (each predicate has its own)."""
    return [
        predicate.value
        for rule in rules
        for branch in rule.branches()
        for predicate in branch.when.predicates()
        if isinstance(predicate.value, LazyRegex)
    ]


def _parse(file: Path, data: bytes, problems: list[Problem]) -> LineDict | None:
    """The YAML document of a rule file, schema-checked; None (and problems) when it is not."""
    import yaml

    name = str(file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(name, 0, "not UTF-8 text"))
        return None
    try:
        document = load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        problems.append(Problem(name, line, f"invalid YAML: {exc.problem or exc.context}"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(name, 0, f"invalid YAML: {exc}"))
        return None
    errors = schema_errors("rules", document)
    if errors:
        for error in _deepest(errors):
            path = list(error.absolute_path)
            if error.validator == "additionalProperties" and isinstance(error.instance, dict):
                # Point at the first unknown key itself, not at the mapping holding it.
                known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
                unknown = [key for key in error.instance if key not in known]
                path = [*path, *unknown[:1]]
            problems.append(Problem(name, line_of(document, path), _schema_message(error)))
        return None
    if not isinstance(document, LineDict):
        return None  # the schema makes it a mapping; this tells mypy
    return document


def _yaml_lines(document: LineDict) -> PackedFile:
    """The lines the compiled rules carry, from a YAML document (the pack stores them)."""
    rules: LineList = document["rules"]
    examples = [
        {kind: list(rule["examples"][kind].item_lines) for kind in ("fires", "quiet")}
        | (
            {
                "node": [rule.key_lines["node"]],  # where the branch is (its findings' source)
                "node_fires": list(rule["node"]["examples"]["fires"].item_lines),
                "node_quiet": list(rule["node"]["examples"]["quiet"].item_lines),
            }
            if "node" in rule
            else {}
        )
        for rule in rules
    ]
    return PackedFile(document, list(rules.item_lines), examples)


def _compile_rules(
    document: dict[str, Any], name: str, lines: PackedFile, problems: list[Problem]
) -> list[Rule]:
    rules: list[Rule] = []
    for index, raw in enumerate(document["rules"]):
        compiled = _compile_rule(
            raw, name, lines.rule_lines[index], lines.example_lines[index], problems
        )
        if compiled is not None:
            rules.append(compiled)
    return rules


def _deepest(errors: list[ValidationError]) -> list[ValidationError]:
    """For `oneOf`/`if` failures, the most specific sub-error; one problem per location."""
    chosen: dict[tuple[Any, ...], ValidationError] = {}
    for error in errors:
        best = best_error([error])
        while best.context:
            best = best_error(best.context)
        chosen.setdefault(tuple(best.absolute_path), best)
    return list(chosen.values())


def _schema_message(error: ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "top level"
    message = error.message
    if error.validator == "additionalProperties":
        message = message.replace("were unexpected", "are not known keys")
        message = message.replace("was unexpected", "is not a known key")
    return f"{where}: {message}"


class _CompileError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _line(node: Any, key: str | None = None) -> int:
    """Where `node` (or its `key`) is in its YAML file; 0 in a pre-parsed document, whose
    problems are reported again from the YAML."""
    if key is None:
        return int(getattr(node, "line", 0))
    key_lines: dict[str, int] = getattr(node, "key_lines", {})
    return key_lines.get(key, 0)


def _compile_rule(
    raw: Any, file: str, line: int, example_lines: dict[str, list[int]], problems: list[Problem]
) -> Rule | None:
    rule_id = raw["id"]
    try:
        if rule_id.split(".", 1)[0] != raw["layer"]:
            raise _CompileError(
                _line(raw, "id"), f"the id must start with its layer {raw['layer']!r}"
            )
        scope = Scope(raw["scope"])
        node = None
        if "node" in raw:
            if scope is Scope.NODE:
                raise _CompileError(
                    _line(raw, "node"), "a node branch is for pod and container rules: scope node"
                )
            branch_lines = {kind: example_lines[f"node_{kind}"] for kind in ("fires", "quiet")}
            [node_line] = example_lines["node"]
            node = replace(
                _branch(raw, raw["node"], Scope.NODE, file, node_line, branch_lines),
                severity=Severity(raw["node"].get("severity", raw["severity"])),
                explains=(),
                node_branch=True,
            )
        rule = _branch(raw, raw, scope, file, line, example_lines)
    except _CompileError as exc:
        problems.append(Problem(file, exc.line, f"{rule_id}: {exc}"))
        return None
    return replace(rule, node=node)


def _branch(
    raw: Any, body: Any, scope: Scope, file: str, line: int, example_lines: dict[str, list[int]]
) -> Rule:
    """The rule `raw` with the condition, message, fix, differential and examples of `body`
    (the rule itself, or its node branch), evaluated at `scope`."""
    captures: set[str] = set()
    when = _compile_condition(body["when"], scope.value, captures)
    message = _compile_template(body, "message", scope.value, captures)
    fix = _compile_template(body, "fix", scope.value, captures)
    examples = tuple(_examples(body, file, example_lines))
    differential = tuple(
        Differential(entry["cause"], _compile_template(entry, "tell", scope.value, captures))
        for entry in body.get("differential", ())
    )
    return Rule(
        id=raw["id"],
        layer=Layer(raw["layer"]),
        severity=Severity(raw["severity"]),
        scope=scope,
        title=raw["title"],
        when=when,
        message=message,
        fix=fix,
        docs=tuple(raw.get("docs", ())),
        explains=tuple(raw.get("explains", ())),
        examples=examples,
        source=SourceRef(file, line),
        raw_when=_plain(body["when"]),
        differential=differential,
    )


def _compile_template(raw: Any, key: str, scope: str, captures: set[str]) -> Any:
    try:
        return compile_template(raw[key].strip(), scope, frozenset(captures))
    except TemplateError as exc:
        raise _CompileError(_line(raw, key), f"{key}: {exc}") from None


def _compile_condition(node: Any, scope: str, captures: set[str]) -> Condition:
    if "all" in node:
        return All(tuple(_compile_condition(child, scope, captures) for child in node["all"]))
    if "any" in node:
        return AnyOf(tuple(_compile_condition(child, scope, captures) for child in node["any"]))
    if "any_source" in node:
        children = node["any_source"]
        return AnyOf(tuple(_compile_condition(c, scope, captures) for c in children), sources=True)
    if "not" in node:
        return Not(_compile_condition(node["not"], scope, captures))

    return _compile_predicate(node, scope, captures)


def _compile_predicate(node: Any, scope: str, captures: set[str]) -> Predicate:
    line = _line(node)
    op = OPERATORS.get(node["op"])
    if op is None:
        raise _CompileError(
            _line(node, "op"), f"unknown operator {node['op']!r} (known: {', '.join(OPERATORS)})"
        )
    try:
        fact = compile_path(node["fact"], scope)
        per = compile_path(node["per"], scope) if "per" in node else None
    except PathSyntaxError as exc:
        raise _CompileError(line, str(exc)) from None
    if per is not None and op.value_kind != ValueKind.NUMBER:
        raise _CompileError(line, f"`per` makes a ratio, which takes lt/le/gt/ge, not {op.name}")
    value = _check_value(node, op.name, op.value_kind, line)
    if op.value_kind == ValueKind.REGEX:
        captures.update(_NAMED_GROUP.findall(value.pattern))
    bind = node.get("as")
    if bind is not None:
        captures.add(bind)
    min_count = node.get("min_count")
    if min_count is not None and op.each is None:
        countable = ", ".join(name for name, o in OPERATORS.items() if o.each is not None)
        raise _CompileError(
            _line(node, "min_count"), f"min_count counts the hits of {countable}, not {op.name}"
        )
    return Predicate(fact, op, value, per, node.get("value"), bind, min_count)


def _check_value(node: Any, op: str, kind: str, line: int) -> Any:
    has_value = "value" in node
    value = node.get("value")
    if kind == ValueKind.NONE:
        if has_value:
            raise _CompileError(line, f"operator {op} takes no value")
        return None
    if not has_value:
        raise _CompileError(line, f"operator {op} needs a value")
    if kind == ValueKind.NUMBER and not _is_number(value):
        raise _CompileError(line, f"operator {op} compares numbers; value {value!r} is not one")
    if kind == ValueKind.SCALAR and not isinstance(value, str | int | float | bool):
        raise _CompileError(line, f"operator {op} takes a string, number or boolean value")
    if kind == ValueKind.LIST and (
        not isinstance(value, list)
        or not all(isinstance(v, str | int | float | bool) for v in value)
    ):
        raise _CompileError(line, f"operator {op} takes a list of strings, numbers or booleans")
    if kind == ValueKind.REGEX:
        if not isinstance(value, str):
            raise _CompileError(line, f"operator {op} takes a regular expression string")
        if not isinstance(node, LineDict):
            return LazyRegex(value)  # from the pack: compiled when it was made
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise _CompileError(line, f"bad regular expression {value!r}: {exc}") from None
        if set(compiled.groupindex) != set(_NAMED_GROUP.findall(value)):
            raise _CompileError(line, f"write named groups as (?P<name>...) in {value!r}")
        return LazyRegex(value, compiled)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _examples(raw: Any, file: str, lines: dict[str, list[int]]) -> list[Example]:
    examples: list[Example] = []
    for kind in ("fires", "quiet"):
        items = raw["examples"][kind]
        for index, item in enumerate(items):
            fragment = {
                k: _plain(v)
                for k, v in item.items()
                if k not in ("message_contains", "description")
            }
            examples.append(
                Example(
                    fires=kind == "fires",
                    fragment=fragment,
                    source=SourceRef(file, lines[kind][index]),
                    message_contains=item.get("message_contains"),
                    description=item.get("description"),
                )
            )
    return examples


def _plain(value: Any) -> Any:
    """LineDict/LineList back to plain dict/list (facts fragments are plain JSON); a pre-parsed
    document is plain already, all the way down."""
    if type(value) is dict or type(value) is list:
        return value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
