"""The formatter registry: the one list of report formats, what `--output` offers, and each
format's module (rich above all) imported only when that format is asked for."""

from __future__ import annotations

import ast
import subprocess
import sys

import click
import pytest

from doctor.cli.main import COMMANDS, cli
from doctor.diagnosis import diagnose
from doctor.engine.examples import base_document
from doctor.engine.loader import load_rules
from doctor.facts.document import parse_facts
from doctor.report import FORMATTERS, formatter
from tests.conftest import REPO, oom_pod

FACTS = REPO / "fixtures" / "scenarios" / "k8s-oom-kill.json"


def renders_reports() -> set[str]:
    """The modules of doctor/report that define a top-level `render`, read without importing."""
    found = set()
    for path in sorted((REPO / "doctor" / "report").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.FunctionDef) and node.name == "render" for node in tree.body):
            found.add(f"doctor.report.{path.stem}")
    return found


def test_every_formatter_module_is_registered_once() -> None:
    assert sorted(FORMATTERS.values()) == sorted(renders_reports())
    assert len(set(FORMATTERS.values())) == len(FORMATTERS)


@pytest.mark.parametrize("name", FORMATTERS)
def test_every_format_renders_a_report(name: str) -> None:
    document = base_document()
    document["pods"] = [oom_pod()]
    report = diagnose(parse_facts(document, "test.json"), load_rules())
    text = formatter(name)(report)
    assert text.endswith("\n") and "oom-killed" in text


def test_an_unknown_format_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown output format 'yaml'"):
        formatter("yaml")


def output_choices(command: click.Command) -> list[str] | None:
    for param in command.params:
        if param.name == "output" and isinstance(param.type, click.Choice):
            return list(param.type.choices)
    return None


@pytest.mark.parametrize("name", ["analyze", "check", "diagnose"])
def test_output_offers_the_registry(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None and name in COMMANDS
    assert output_choices(command) == list(FORMATTERS)


def modules_after(*args: str) -> set[str]:
    """The modules a fresh `stackdoctor ARGS` has imported by the time it exits."""
    code = (
        "import sys\n"
        "from doctor.cli.main import cli\n"
        "try:\n"
        "    cli.main(sys.argv[1:], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('\\n'.join(sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split("\n"))


def formatter_modules(modules: set[str]) -> set[str]:
    return modules & set(FORMATTERS.values())


@pytest.mark.parametrize(
    ("args", "formats"),
    [
        (("--help",), set()),
        (("rules", "list"), set()),
        (("analyze", str(FACTS), "-o", "json"), {"doctor.report.json_report"}),
        (("analyze", str(FACTS), "-o", "prometheus"), {"doctor.report.prometheus"}),
        (("analyze", str(FACTS)), {"doctor.report.text"}),
    ],
)
def test_only_the_format_asked_for_is_imported(args: tuple[str, ...], formats: set[str]) -> None:
    modules = modules_after(*args)
    assert formatter_modules(modules) == formats
    assert ("rich" in modules) == ("doctor.report.text" in formats)
