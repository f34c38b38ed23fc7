"""Log line formats: klog, logrus text/JSON/TTY, a journald or syslog prefix, journal records."""

from __future__ import annotations

from datetime import datetime

import pytest

from doctor.gather.logs.formats import parse_journal_record, parse_line, syslog_prefix
from tests.gather.log_lines import (
    CONTAINER,
    KLOG_JOURNAL,
    KLOG_PLEG,
    KLOG_PROBE_LINES,
    LOGRUS_SANDBOX,
    LOGRUS_SHIM,
    LOGRUS_TTY,
    REFERENCE,
)


def test_klog_with_journald_prefix() -> None:
    line = parse_line(KLOG_JOURNAL, REFERENCE)
    assert line == {
        "time": "2023-11-11T19:19:23.250596",
        "severity": "E",
        "source": "kubelet.go:2855",
        "message": KLOG_JOURNAL.split("kubelet.go:2855] ", 1)[1],
        "raw": KLOG_JOURNAL,
    }


def test_klog_year_is_inferred_backwards_across_new_year() -> None:
    line = parse_line(KLOG_PLEG, datetime(2024, 1, 2))
    assert line is not None and line["time"] == "2023-11-28T14:02:06.631719"
    assert line["message"].startswith('"Skipping pod synchronization" err="PLEG')


def test_a_later_day_of_the_same_month_is_last_years() -> None:
    # KLOG_PLEG is from Nov 28: read on Nov 7 it cannot be this year's (it would be ahead)
    line = parse_line(KLOG_PLEG, datetime(2026, 11, 7, 12, 0))
    assert line is not None and line["time"].startswith("2025-11-28T")
    # a day ahead is the writer's zone, not last year (the line's local time, unzoned)
    same = parse_line(KLOG_PLEG, datetime(2026, 11, 27, 23, 0))
    assert same is not None and same["time"].startswith("2026-11-28T")


def test_klog_multi_line_value_reads_as_a_quoted_one() -> None:
    line = parse_line(KLOG_PROBE_LINES, REFERENCE)
    assert line is not None and line["raw"] == KLOG_PROBE_LINES
    assert line["message"].endswith(
        'probeResult="failure" output="cat: can\'t open \'/tmp/ready\': No such file or directory"'
    )


def test_klog_multi_line_values_are_quoted_as_klog_quotes_one_line_values() -> None:
    head = 'E1206 21:06:43.209106   25263 server.go:1] "Failed" '
    text = head + 'err=<\n\tfirst "quoted"\n\t\n\tlast\n > a=<\n\tone\n > b="x"'
    line = parse_line(text, REFERENCE)
    assert line is not None
    assert line["message"] == '"Failed" err="first \\"quoted\\"\\n\\nlast" a="one" b="x"'


def test_logrus_text_keeps_msg_and_its_fields() -> None:
    line = parse_line(LOGRUS_SANDBOX, REFERENCE, "containerd")
    assert line is not None
    assert line["time"] == "2021-10-24T11:07:02.247996848Z"
    assert line["severity"] == "error"
    assert line["message"].startswith(
        "RunPodSandbox for &PodSandboxMetadata{Name:kube-apiserver-node1,"
    )
    assert 'failed, error" error="failed to create containerd task: OCI runtime' in line["message"]
    assert line["message"].endswith('instead: unknown"')


def test_logrus_text_last_msg_loses_its_closing_quote() -> None:
    line = parse_line(LOGRUS_SHIM, REFERENCE)
    assert line is not None
    assert line["message"] == f'shim disconnected" id={CONTAINER}'  # as the rules expect
    quiet = parse_line('time="2024-01-01T00:00:00Z" level=info msg="shim disconnected"', REFERENCE)
    assert quiet is not None and quiet["message"] == "shim disconnected"


def test_logrus_tty_format() -> None:
    line = parse_line(LOGRUS_TTY, REFERENCE)
    assert line is not None
    assert line["severity"] == "warning"
    assert line["time"] == "2019-04-11T10:39:37.414006366-07:00"
    assert line["message"] == f"cleaning up after shim disconnected id={CONTAINER} namespace=k8s.io"


def test_logrus_json() -> None:
    text = (
        '{"error":"failed to create containerd task: failed to create shim task","level":"error",'
        '"msg":"StartContainer for \\"0f3c9b1e2d\\" failed","time":"2025-01-02T03:04:05.123Z"}'
    )
    line = parse_line(text, REFERENCE)
    assert line is not None
    assert line["severity"] == "error"
    assert line["time"] == "2025-01-02T03:04:05.123Z"
    assert line["message"] == (
        'StartContainer for "0f3c9b1e2d" failed'
        ' error="failed to create containerd task: failed to create shim task"'
    )


def test_journal_record_uses_the_journal_time() -> None:
    record = {"MESSAGE": KLOG_PLEG, "__REALTIME_TIMESTAMP": "1701180126631719", "PRIORITY": "6"}
    line = parse_journal_record(record, REFERENCE)
    assert line is not None
    assert line["time"] == "2023-11-28T14:02:06.631719Z"
    assert line["severity"] == "E"
    assert line["raw"] == KLOG_PLEG
    plain = parse_journal_record({"MESSAGE": [104, 105], "PRIORITY": "3"}, REFERENCE)
    assert plain == {
        "time": None,
        "severity": "error",
        "source": None,
        "message": "hi",
        "raw": "hi",
    }
    assert parse_journal_record({"MESSAGE": None}, REFERENCE) is None


def test_syslog_lines_of_other_programs_are_skipped() -> None:
    other = "Nov 11 19:19:23 a0.local systemd[1]: Started kubelet.service."
    assert parse_line(other, REFERENCE, "kubelet") is None
    assert parse_line("no prefix at all", REFERENCE, "kubelet") is None
    iso = "2023-11-11T19:19:23.250596+00:00 a0 kubelet[7321]: " + KLOG_PLEG
    line = parse_line(iso, REFERENCE, "kubelet")
    assert line is not None and line["source"] == "kubelet.go:1870"


def test_two_spaces_after_the_host_is_still_the_prefix() -> None:
    # containerd/containerd#9929, as pasted (fixtures/realworld: containerd-9929)
    text = (
        "Mar 04 14:17:36 paas-controller  containerd[2440692]: panic: assertion failed: "
        "Page expected to be: 3393, but self identifies as 6868074383292906018"
    )
    assert syslog_prefix(text) == ("containerd", text.split("]: ", 1)[1])
    line = parse_line(text, REFERENCE, "containerd")
    assert line is not None and line["message"].startswith("panic: assertion failed")
    assert line["time"] == "2023-03-04T14:17:36"


@pytest.mark.parametrize(
    "text",
    [
        "containerd: failed to load TOML: /etc/containerd/config.toml: (27, 47):",  # no pid
        "kubelet: a message",
        "  kubelet[12]: two spaces before it is indentation, not a trimmed prefix",
        "error: exec[12]: not an identifier at the start",
    ],
)
def test_without_a_pid_a_trimmed_line_has_no_prefix(text: str) -> None:
    assert syslog_prefix(text) is None
