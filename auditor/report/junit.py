"""JUnit XML: one test suite per stack, one test case per check in it.

A case fails when the check has active findings on the stack (the failure text lists
them); suppressed and baseline-known findings leave it passing and are listed in its
``system-out``. A failed synth is one suite with one error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from auditor.findings import Finding, Severity
from auditor.report.model import Report


def _line(f: Finding) -> str:
    where = f.construct_path or f.logical_id or "(template)"
    loc = f"{f.template}:{f.line}" if f.line else f.template
    fix = f"\n    fix: {f.remediation}" if f.remediation else ""
    return f"{f.severity} {where} ({loc})\n    {f.message}{fix}"


def render(report: Report) -> str:
    root = ET.Element("testsuites", name="cdk-audit")
    if report.synth is not None and not report.synth.ok:
        suite = ET.SubElement(root, "testsuite", name="synth", tests="1", failures="0", errors="1", skipped="0")
        case = ET.SubElement(suite, "testcase", classname="synth", name=str(report.app or "synth"))
        ET.SubElement(case, "error", message="cdk synth failed", type="synth").text = report.synth.error or ""
    by_stack: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in report.findings:
        by_stack[f.stack][f.check_id].append(f)
    for stack in sorted(set(report.stacks) | set(by_stack)):  # a stack without findings has its suite too
        cases = by_stack[stack]
        ids = sorted(set(report.checks) | set(cases))
        failures = 0
        suite = ET.SubElement(root, "testsuite", name=stack or "(assembly)")
        for cid in ids:
            found = cases.get(cid, [])
            info = report.rules.get(cid)
            slug = info.slug if info else (found[0].slug if found else cid)
            case = ET.SubElement(suite, "testcase", classname=stack or "(assembly)", name=f"{cid} {slug}")
            active = [f for f in found if f.active]
            quiet = [f for f in found if not f.active]
            if active:
                failures += 1
                worst = str(max((f.severity for f in active), key=lambda s: Severity(s).rank))
                fail = ET.SubElement(
                    case, "failure", message=f"{len(active)} finding(s): {active[0].message}", type=worst
                )
                fail.text = "\n".join(_line(f) for f in active)
            if quiet:
                ET.SubElement(case, "system-out").text = "\n".join(
                    f"{'suppressed: ' + f.suppressed if f.suppressed else 'known (baseline)'}: {_line(f)}"
                    for f in quiet
                )
        suite.set("tests", str(len(ids)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
    totals = {k: sum(int(s.get(k, "0")) for s in root) for k in ("tests", "failures", "errors")}
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
