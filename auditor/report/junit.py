"""JUnit XML: one test suite per stack, one test case per check in it.

A case fails when the check has active findings on the stack (the failure text lists
them, each at the user's ``file:line`` when known); suppressed and baseline-known
findings leave it passing and are listed in its ``system-out``. A case's ``file`` and
``line`` attributes point at its first finding's source line (or template). A failed
synth is one suite with one error. Every string is made valid XML 1.0: control
characters from template text are dropped, not written.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from auditor.findings import Finding, Severity
from auditor.report.model import Report
from auditor.report.where import location, resource, template_file
from auditor.synth_errors import strip_ansi

# What XML 1.0 cannot hold at all (even escaped): C0 controls but tab/LF/CR, surrogates, U+FFFE/F.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(text: object) -> str:
    return _NOT_XML.sub("", strip_ansi(str(text)))


def _line(f: Finding) -> str:
    fix = f"\n    fix: {f.remediation}" if f.remediation else ""
    return f"{location(f)}: {f.severity} {resource(f)}\n    {f.message}{fix}"


def render(report: Report) -> str:
    root = ET.Element("testsuites", name="cdk-audit")
    if report.synth is not None and not report.synth.ok:
        suite = ET.SubElement(root, "testsuite", name="synth", tests="1", failures="0", errors="1", skipped="0")
        case = ET.SubElement(suite, "testcase", classname="synth", name=_x(report.app or "synth"))
        located = next((e for e in report.synth.errors if e.file), None)
        if located is not None:
            case.set("file", _x(located.file))
            case.set("line", str(located.line or 1))
        ET.SubElement(case, "error", message="cdk synth failed", type="synth").text = _x(report.synth.error or "")
    by_stack: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in report.findings:
        by_stack[f.stack][f.check_id].append(f)
    for stack in sorted(set(report.stacks) | set(by_stack)):  # a stack without findings has its suite too
        cases = by_stack[stack]
        ids = sorted(set(report.checks) | set(cases))
        failures = 0
        suite = ET.SubElement(root, "testsuite", name=_x(stack or "(app)"))
        for cid in ids:
            found = cases.get(cid, [])
            info = report.rules.get(cid)
            slug = info.slug if info else (found[0].slug if found else cid)
            case = ET.SubElement(suite, "testcase", classname=_x(stack or "(app)"), name=_x(f"{cid} {slug}"))
            active = [f for f in found if f.active]
            quiet = [f for f in found if not f.active]
            if found:
                first = (active or quiet)[0]
                file, line = template_file(first), first.line
                if first.source is not None:
                    file, line = first.source.file, first.source.line
                case.set("file", _x(file))
                if line:
                    case.set("line", str(line))
            if active:
                failures += 1
                worst = str(max((f.severity for f in active), key=lambda s: Severity(s).rank))
                fail = ET.SubElement(
                    case, "failure", message=_x(f"{len(active)} finding(s): {active[0].message}"), type=worst
                )
                fail.text = _x("\n".join(_line(f) for f in active))
            if quiet:
                ET.SubElement(case, "system-out").text = _x(
                    "\n".join(
                        f"{'suppressed: ' + f.suppressed if f.suppressed else 'known (baseline)'}: {_line(f)}"
                        for f in quiet
                    )
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
