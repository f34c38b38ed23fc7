"""Formatters: each turns a Report into text for one audience (terminal, JSON, JUnit, Markdown,
HTML, Prometheus).

FORMATTERS is the one list of them: `--output`'s choices are its names. A format's module is
imported only when that format is asked for, so that rich (`text` alone uses it) stays out of
the start-up of every other command.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from doctor.model import Report

Formatter = Callable[["Report"], str]

# Format name -> the module whose `render(report) -> str` writes it, in `--output`'s order.
FORMATTERS = {
    "text": "doctor.report.text",
    "json": "doctor.report.json_report",
    "junit": "doctor.report.junit",
    "markdown": "doctor.report.markdown",
    "html": "doctor.report.html",
    "prometheus": "doctor.report.prometheus",
}


def formatter(name: str) -> Formatter:
    """The formatter for an output name; ValueError for a name FORMATTERS does not hold."""
    module = FORMATTERS.get(name)
    if module is None:
        raise ValueError(f"unknown output format {name!r}")
    render: Formatter = importlib.import_module(module).render
    return render
