"""Documentation generated from code stays equal to the code."""

from __future__ import annotations

from doctor.engine.operators import operator_reference
from tests.conftest import REPO


def test_operator_table_in_rules_guide_matches_code() -> None:
    text = (REPO / "docs" / "rules.md").read_text()
    assert f"<!-- operators:begin -->\n{operator_reference()}<!-- operators:end -->" in text


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    command = 'python3 -m pip install -q -c constraints.txt -e ".[test]" && python3 -m pytest -q'
    assert command in readme and command in ci
    make_install = 'python3 -m pip install -q -c constraints.txt -e ".[test]"'
    assert make_install in (REPO / "Makefile").read_text()
