"""SARIF 2.1.0, as GitHub code scanning takes it.

Each check is a rule (its docstring is the help), each finding a result. Its physical
location is the line of the user's CDK code that created the construct (relative to
``%SRCROOT%``, the source root: the repository root in CI), because GitHub shows a result
on a pull request only when its file is committed, and ``cdk.out`` is not; the
synthesized template's line moves to ``relatedLocations``. A finding without a source
trace keeps its template as the physical location (relative to ``%SRCROOT%`` when it is
inside it, else by file name under ``CDKOUT``). The construct path is a logical location
and our fingerprint goes in ``partialFingerprints``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from auditor.catalog import RuleInfo
from auditor.findings import BaselineState, Finding, Severity
from auditor.report.model import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/cdk-audit/cdk-audit"
FINGERPRINT_KEY = "cdkAuditFingerprint/v1"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule(info: RuleInfo) -> dict[str, Any]:
    help_md = f"**{info.title}**\n\n{info.doc or info.description}"
    if info.remediation:
        help_md += f"\n\n**Fix:** {info.remediation}"
    rule: dict[str, Any] = {
        "id": info.id,
        "name": info.slug,
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": info.description or info.title},
        "help": {"text": info.doc or info.description or info.title, "markdown": help_md},
        "defaultConfiguration": {"level": _LEVEL[info.severity]},
        "properties": {"tags": list(info.tags) or [str(info.reported_by)], "slug": info.slug},
    }
    if info.url:
        rule["helpUri"] = info.url
    return rule


def _artifact(template: str, root: Path) -> dict[str, str]:
    path = Path(template)
    resolved = path.resolve() if path.is_absolute() or path.exists() else path
    try:
        rel = resolved.relative_to(root)
    except ValueError:
        return {"uri": path.name, "uriBaseId": "CDKOUT"}
    return {"uri": rel.as_posix(), "uriBaseId": "%SRCROOT%"}


def _template_location(f: Finding, root: Path) -> dict[str, Any]:
    return {
        "artifactLocation": _artifact(f.template, root),
        "region": {"startLine": max(f.line or 1, 1)},
    }


def _result(f: Finding, index: int, root: Path) -> dict[str, Any]:
    text = f.message + (f" Fix: {f.remediation}" if f.remediation else "")
    if f.source is not None:
        region: dict[str, Any] = {"startLine": f.source.line}
        if f.source.column:
            region["startColumn"] = f.source.column
        physical = {"artifactLocation": {"uri": f.source.file, "uriBaseId": "%SRCROOT%"}, "region": region}
    else:
        physical = _template_location(f, root)
    location: dict[str, Any] = {"physicalLocation": physical}
    if f.construct_path or f.logical_id:
        location["logicalLocations"] = [
            {
                "name": f.logical_id or f.construct_path,
                "fullyQualifiedName": f.construct_path or f"{f.stack}/{f.logical_id}",
                "kind": "resource",
            }
        ]
    result: dict[str, Any] = {
        "ruleId": f.check_id,
        "ruleIndex": index,
        "level": _LEVEL[f.severity],
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {"stack": f.stack, "slug": f.slug, "source": str(f.reported_by)},
    }
    if f.source is not None:
        result["relatedLocations"] = [
            {"id": 1, "physicalLocation": _template_location(f, root), "message": {"text": "synthesized template"}}
        ]
    if f.property_path:
        result["properties"]["propertyPath"] = f.property_path
    if f.suppressed is not None:
        result["suppressions"] = [{"kind": "external", "justification": f.suppressed}]
    if f.baseline is not None:
        result["baselineState"] = "unchanged" if f.baseline is BaselineState.KNOWN else "new"
    return result


def to_sarif(report: Report, root: Path | None = None) -> dict[str, Any]:
    root = (root or Path(report.source_root or os.getcwd())).resolve()
    rules: dict[str, dict[str, Any]] = {}
    for f in report.findings:
        if f.check_id not in rules:
            rules[f.check_id] = _rule(report.rule(f))
    order = sorted(rules)
    index = {rid: i for i, rid in enumerate(order)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "cdk-audit",
                "version": str(report.tool.get("cdk_audit") or "0"),
                "informationUri": INFORMATION_URI,
                "rules": [rules[r] for r in order],
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
        "results": [_result(f, index[f.check_id], root) for f in report.findings],
        "invocations": [_invocation(report)],
        "properties": {"app": report.app, "tool": report.tool},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _invocation(report: Report) -> dict[str, Any]:
    """A failed synth: one notification per located error (at the user's line), else the message."""
    out: dict[str, Any] = {"executionSuccessful": report.synth is None or report.synth.ok}
    if report.synth is None or report.synth.ok:
        return out
    notes: list[dict[str, Any]] = []
    for e in report.synth.errors:
        if not e.file:
            continue
        region: dict[str, Any] = {"startLine": e.line or 1}
        if e.column:
            region["startColumn"] = e.column
        where = {"physicalLocation": {"artifactLocation": {"uri": e.file, "uriBaseId": "%SRCROOT%"}, "region": region}}
        notes.append({"level": "error", "message": {"text": e.message}, "locations": [where]})
    if not notes and report.synth.error:
        notes.append({"level": "error", "message": {"text": report.synth.error}})
    if notes:
        out["toolExecutionNotifications"] = notes
    return out


def render(report: Report) -> str:
    return json.dumps(to_sarif(report), indent=2) + "\n"
