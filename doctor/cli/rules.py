"""`stackdoctor rules list|show|lint|test`: the rule catalog and tools for rule authors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from doctor.cli.options import rule_options
from doctor.errors import EXIT_FINDINGS, EXIT_OK

if TYPE_CHECKING:
    from doctor.engine.select import RuleChoice


@click.group()
def rules() -> None:
    """List, document, lint and test rules."""


@rules.command("list")
@rule_options
@click.option(
    "--output", "-o", type=click.Choice(("text", "json")), default="text", show_default=True
)
def list_rules(rule_choice: RuleChoice, output: str) -> None:
    """List the rules that would run, top layer first."""
    ruleset = rule_choice.load()
    if output == "json":
        rows = [
            {
                "id": r.id,
                "layer": r.layer.value,
                "severity": r.severity.value,
                "scope": r.scope.value,
                "title": r.title,
                "source": str(r.source),
            }
            for r in ruleset.rules
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    width = max((len(r.id) for r in ruleset.rules), default=10)
    for rule in ruleset.rules:
        click.echo(
            f"{rule.id:<{width}}  {rule.severity.value:<8}  {rule.scope.value:<9}  {rule.title}"
        )
    click.echo(f"{len(ruleset)} rules")


@rules.command("show")
@click.argument("rule_id")
@rule_options
@click.option(
    "--output", "-o", type=click.Choice(("text", "markdown")), default="text", show_default=True
)
def show_rule(rule_id: str, rule_choice: RuleChoice, output: str) -> None:
    """Show a rule's documentation, generated from its YAML entry."""
    from doctor.engine.catalog import describe
    from doctor.errors import RuleError

    ruleset = rule_choice.load()
    rule = ruleset.get(rule_id)
    if rule is None:
        raise RuleError(f"no rule {rule_id!r} (see `stackdoctor rules list`)")
    click.echo(describe(rule, ruleset, markdown=output == "markdown"), nl=False)


@rules.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--with-builtin/--alone",
    default=None,
    help="Lint user packs together with the built-in rules (default when PATHs are given).",
)
def lint_rules(paths: tuple[Path, ...], with_builtin: bool | None) -> None:
    """Check rule files (default: the built-in packs); print every problem as file:line: message.

    Exit 0 when clean, 1 when there are problems.
    """
    from doctor.engine.loader import builtin_rules_dir, lint

    if not paths:
        paths, with_builtin = (builtin_rules_dir(),), False
    ruleset, problems = lint(
        list(paths), with_builtin=bool(with_builtin if with_builtin is not None else True)
    )
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem{'s' if len(problems) > 1 else ''}", err=True)
        raise SystemExit(EXIT_FINDINGS)
    click.echo(f"{len(ruleset)} rules, no problems", err=True)
    raise SystemExit(EXIT_OK)


@rules.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--verbose", "-v", is_flag=True, help="Print passing examples too.")
def test_rules(paths: tuple[Path, ...], verbose: bool) -> None:
    """Run every rule's examples (default: the built-in packs).

    Exit 0 when every fires-example fires and every quiet-example stays quiet, else 1.
    """
    from doctor.engine.examples import run_examples
    from doctor.engine.loader import builtin_rules_dir, rule_files
    from doctor.engine.select import RuleChoice

    sources = paths or (builtin_rules_dir(),)
    ruleset = RuleChoice(sources, builtin=bool(paths)).load()
    files = {str(file) for path in sources for file in rule_files(path)}
    results = [r for r in run_examples(ruleset) if r.example.source.file in files]
    failed = [r for r in results if not r.passed]
    for result in results if verbose else failed:
        click.echo(str(result))
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    raise SystemExit(EXIT_FINDINGS if failed else EXIT_OK)
