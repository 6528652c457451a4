"""SARIF 2.1.0, as GitHub code scanning takes it.

Each check is a rule (its docstring is the help), each finding a result at its
template file and line, with the construct path as a logical location and our
fingerprint as ``partialFingerprints``. Template paths under the current directory are
relative to ``%SRCROOT%`` (the repository root in CI); templates elsewhere (``run``
without ``--output-dir``) are named by file name alone.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from auditor.findings import Finding
from auditor.registry import find_check
from auditor.report.model import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/cdk-audit/cdk-audit"
FINGERPRINT_KEY = "cdkAuditFingerprint/v1"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


@cache
def _cfn_lint_rules() -> dict[str, Any]:
    from cfnlint.config import _DEFAULT_RULESDIR
    from cfnlint.rules import Rules

    return dict(Rules.create_from_directory(_DEFAULT_RULESDIR).data)


def _rule(check_id: str, f: Finding) -> dict[str, Any]:
    cls = find_check(check_id)
    if cls is not None:
        doc = cls.doc()
        help_md = f"**{cls.shortdesc}**\n\n{doc}" + (f"\n\n**Fix:** {cls.remediation}" if cls.remediation else "")
        rule: dict[str, Any] = {
            "id": cls.id,
            "name": cls.slug,
            "shortDescription": {"text": cls.shortdesc},
            "fullDescription": {"text": cls.description or cls.shortdesc},
            "help": {"text": doc or cls.shortdesc, "markdown": help_md},
            "defaultConfiguration": {"level": _LEVEL[cls.severity_level]},
            "properties": {"tags": list(cls.tags or []), "slug": cls.slug},
        }
        if cls.source_url:
            rule["helpUri"] = cls.source_url
        return rule
    lint = _cfn_lint_rules().get(check_id) if f.source == "cfn-lint" else None
    short = str(getattr(lint, "shortdesc", "") or f.slug)
    full = str(getattr(lint, "description", "") or short)
    rule = {
        "id": check_id,
        "name": f.slug,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": full, "markdown": f"**{short}**\n\n{full}\n\nReported by {f.source}."},
        "defaultConfiguration": {"level": _LEVEL[f.severity]},
        "properties": {"tags": [f.source]},
    }
    url = getattr(lint, "source_url", None)
    if url:
        rule["helpUri"] = str(url)
    return rule


def _artifact(template: str, root: Path) -> dict[str, str]:
    path = Path(template)
    resolved = path.resolve() if path.is_absolute() or path.exists() else path
    try:
        rel = resolved.relative_to(root)
    except ValueError:
        return {"uri": path.name, "uriBaseId": "CDKOUT"}
    return {"uri": rel.as_posix(), "uriBaseId": "%SRCROOT%"}


def _result(f: Finding, index: int, root: Path) -> dict[str, Any]:
    text = f.message + (f" Fix: {f.remediation}" if f.remediation else "")
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": _artifact(f.template, root),
            "region": {"startLine": max(f.line or 1, 1)},
        }
    }
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
        "properties": {"stack": f.stack, "slug": f.slug, "source": f.source},
    }
    if f.property_path:
        result["properties"]["propertyPath"] = f.property_path
    if f.suppressed is not None:
        result["suppressions"] = [{"kind": "external", "justification": f.suppressed}]
    if f.baseline is not None:
        result["baselineState"] = "unchanged" if f.baseline == "known" else "new"
    return result


def to_sarif(report: Report, root: Path | None = None) -> dict[str, Any]:
    root = (root or Path(os.getcwd())).resolve()
    rules: dict[str, dict[str, Any]] = {}
    for f in report.findings:
        if f.check_id not in rules:
            rules[f.check_id] = _rule(f.check_id, f)
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
        "invocations": [
            {
                "executionSuccessful": report.synth is None or report.synth.ok,
                **(
                    {"toolExecutionNotifications": [{"level": "error", "message": {"text": report.synth.error}}]}
                    if report.synth is not None and report.synth.error
                    else {}
                ),
            }
        ],
        "properties": {"app": report.app, "tool": report.tool},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: Report) -> str:
    return json.dumps(to_sarif(report), indent=2) + "\n"
