"""`--output prometheus`: node_exporter's textfile-collector format (Prometheus text 0.0.4).

One gauge per finding, one per layer (up, or down with its status as the reason), the run's
duration, the rules loaded and when the facts were collected. Write it with `--output-file`
into the collector's directory: the file is replaced atomically, never seen half-written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from doctor.layers import LayerStatus
from doctor.model import Report

Labels = dict[str, str]


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _sample(name: str, labels: Labels, value: float) -> str:
    inner = ",".join(f'{key}="{escape_label(text)}"' for key, text in labels.items())
    return f"{name}{{{inner}}} {_number(value)}" if labels else f"{name} {_number(value)}"


def _family(name: str, help_text: str, samples: Iterable[tuple[Labels, float]]) -> list[str]:
    lines = [f"# HELP {name} {_escape_help(help_text)}", f"# TYPE {name} gauge"]
    return lines + [_sample(name, labels, value) for labels, value in samples]


def _timestamp(report: Report) -> float | None:
    at = report.collected.get("at")
    if not isinstance(at, str):
        return None
    try:
        return datetime.fromisoformat(at).timestamp()
    except ValueError:
        return None


def _duration(report: Report) -> float | None:
    if report.duration_seconds is not None:
        return report.duration_seconds
    gathered = report.collected.get("duration_seconds")
    return float(gathered) if isinstance(gathered, int | float) else None


def render(report: Report) -> str:
    findings = [
        (
            {
                "rule": f.rule_id,
                "layer": f.layer.value,
                "severity": f.severity.value,
                "namespace": f.subject.namespace or "",
                "pod": f.subject.pod or "",
                "container": f.subject.container or "",
            },
            1.0,
        )
        for f in report.findings
    ]
    layers: list[tuple[Labels, float]] = []
    for verdict in report.layers:
        if verdict.status is LayerStatus.OK:
            layers.append(({"layer": verdict.layer.value}, 1.0))
        else:
            layers.append(({"layer": verdict.layer.value, "reason": verdict.status.value}, 0.0))
    lines = _family(
        "stackdoctor_finding",
        "A finding of the last check: 1 per rule and subject (node findings have empty"
        " namespace, pod and container).",
        findings,
    )
    lines += _family(
        "stackdoctor_layer_up",
        "Whether the layer could be examined (1) or not (0; reason: its status).",
        layers,
    )
    duration = _duration(report)
    if duration is not None:
        lines += _family(
            "stackdoctor_check_duration_seconds",
            "Wall time of the last check.",
            [({}, duration)],
        )
    lines += _family(
        "stackdoctor_rules_loaded",
        "Rules evaluated by the last check.",
        [({}, report.rules_evaluated)],
    )
    at = _timestamp(report)
    if at is not None:
        lines += _family(
            "stackdoctor_last_run_timestamp_seconds",
            "When the last check collected its facts (Unix time).",
            [({}, at)],
        )
    return "\n".join(lines) + "\n"
