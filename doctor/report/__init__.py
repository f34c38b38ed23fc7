"""Formatters: each turns a Report into text for one audience (terminal, JSON, JUnit, Markdown,
Prometheus)."""

from __future__ import annotations

from collections.abc import Callable

from doctor.model import Report

FORMATS = ("text", "json", "junit", "markdown", "prometheus")


def formatter(name: str) -> Callable[[Report], str]:
    """The formatter for an output name; imported lazily so rich loads only for `text`."""
    if name == "text":
        from doctor.report.text import render
    elif name == "json":
        from doctor.report.json_report import render
    elif name == "junit":
        from doctor.report.junit import render
    elif name == "markdown":
        from doctor.report.markdown import render
    elif name == "prometheus":
        from doctor.report.prometheus import render
    else:
        raise ValueError(f"unknown output format {name!r}")
    return render
