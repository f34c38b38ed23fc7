"""`--output junit`: one testcase per rule and subject, for CI smoke checks of nodes.

Findings at or above `error` are failures, lower ones and baselined ones (--baseline) pass with
the message in system-out, skipped rules are skipped with their reason, and quiet rules pass.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from doctor.layers import Severity
from doctor.model import Finding, Report


def _failure_text(finding: Finding) -> str:
    lines = [finding.message, "", f"fix: {finding.fix}", "", "evidence:"]
    lines += [f"  {e.path} {e.op} {e.expected!r}: saw {e.value!r}" for e in finding.evidence]
    return "\n".join(lines)


def render(report: Report) -> str:
    findings_by_rule: dict[str, list[Finding]] = {}
    for finding in report.findings:
        findings_by_rule.setdefault(finding.rule_id, []).append(finding)
    skips_by_rule: dict[str, list[str]] = {}
    for skip in report.skipped:
        skips_by_rule.setdefault(skip.rule_id, []).append(
            f"{skip.reason} ({skip.subjects} subjects)"
        )

    suite = ET.Element("testsuite", name=f"stackdoctor {report.target}")
    failures = skipped = tests = 0
    for rule_id in report.rule_ids:
        layer = rule_id.split(".", 1)[0]
        classname = f"stackdoctor.{layer}"
        if rule_id in findings_by_rule:
            for finding in findings_by_rule[rule_id]:
                tests += 1
                case = ET.SubElement(
                    suite, "testcase", classname=classname, name=f"{rule_id} [{finding.subject}]"
                )
                if report.is_baselined(finding):
                    known = "baselined: a known finding, not a failure\n\n"
                    ET.SubElement(case, "system-out").text = known + _failure_text(finding)
                elif finding.severity.rank >= Severity.ERROR.rank:
                    failures += 1
                    failure = ET.SubElement(
                        case, "failure", message=finding.message, type=finding.severity.value
                    )
                    failure.text = _failure_text(finding)
                else:
                    ET.SubElement(case, "system-out").text = _failure_text(finding)
        elif rule_id in skips_by_rule:
            tests += 1
            skipped += 1
            case = ET.SubElement(suite, "testcase", classname=classname, name=rule_id)
            ET.SubElement(case, "skipped", message="; ".join(skips_by_rule[rule_id]))
        else:
            tests += 1
            ET.SubElement(suite, "testcase", classname=classname, name=rule_id)
    for failure_record in report.failures:
        tests += 1
        case = ET.SubElement(
            suite,
            "testcase",
            classname="stackdoctor.engine",
            name=f"{failure_record.rule_id} [{failure_record.subject}]",
        )
        ET.SubElement(case, "error", message=failure_record.error)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(len(report.failures)))
    suite.set("skipped", str(skipped))
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
