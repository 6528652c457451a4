"""The assembly's ``validation-report.json``: what CDK policy validation plugins found
during synth (CDK's own "CloudFormation Validate", whose rule names are cfn-lint ids,
our ``AuditPlugin``, cdk-nag-style plugins), turned into findings.

A violation that one of our checks or a cfn-lint built-in already reported — same rule
(id or slug), same template, same logical id — is dropped rather than counted twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from auditor.assembly import Assembly, Stack, line_of
from auditor.findings import Finding, Severity, Source

Placed = tuple[Stack | None, Finding]

REPORT_FILE = "validation-report.json"
_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
_SEVERITY = {
    "error": _E, "critical": _E, "high": _E, "fatal": _E,
    "warning": _W, "warn": _W, "medium": _W,
    "info": _I, "informational": _I, "low": _I,
}  # fmt: skip


def _read(directory: Path) -> list[Mapping[str, Any]]:
    path = directory / REPORT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return []  # absent or unreadable: plugins' results are extra, never required
    reports = data.get("pluginReports") if isinstance(data, Mapping) else None
    return [r for r in reports if isinstance(r, Mapping)] if isinstance(reports, list) else []


def failed_only_on_validation(directory: Path, since: float) -> bool:
    """Whether a synth that exited non-zero wrote its whole assembly and failed only
    because a validation plugin reported a failure (the CDK CLI exits 1 then)."""
    path = directory / REPORT_FILE
    try:
        fresh = path.stat().st_mtime >= since - 1 and (directory / "manifest.json").is_file()
    except OSError:
        return False
    return fresh and any(r.get("conclusion") == "failure" for r in _read(directory))


def _findings(assembly: Assembly) -> list[Placed]:
    assert assembly.directory is not None
    root = assembly.directory.resolve()
    stacks = {s.template_path.resolve(): s for s in assembly.stacks}
    out = []
    for report in _read(assembly.directory):
        for v in report.get("violations") or []:
            if not isinstance(v, Mapping) or not isinstance(v.get("ruleName"), str):
                continue
            rule = v["ruleName"]
            raw_meta = v.get("ruleMetadata")
            meta: Mapping[str, Any] = raw_meta if isinstance(raw_meta, Mapping) else {}
            severity = _SEVERITY.get(str(v.get("severity") or "").lower(), Severity.WARNING)
            for c in v.get("violatingConstructs") or []:
                res = c.get("cloudFormationResource") if isinstance(c, Mapping) else None
                if not isinstance(res, Mapping) or not isinstance(res.get("templatePath"), str):
                    continue
                template = (root / res["templatePath"]).resolve()
                stack = stacks.get(template)
                lid = res.get("logicalId") if isinstance(res.get("logicalId"), str) else None
                paths = res.get("propertyPaths") if isinstance(res.get("propertyPaths"), list) else []
                prop = str(paths[0]).strip("/").split("/", 2)[2:] if paths and lid else []
                finding = Finding(
                    check_id=str(meta.get("id") or rule),
                    slug=rule,
                    severity=severity,
                    message=f"{v.get('description') or rule} (reported by {report.get('pluginName', 'a plugin')})",
                    stack=stack.name if stack else "",
                    template=str(stack.template_path if stack else template),
                    line=line_of(stack.template, ["Resources", lid]) if stack and lid else None,
                    logical_id=lid,
                    construct_path=str(c.get("constructPath") or "") or None,
                    property_path=prop[0] if prop else None,
                    remediation=str(v.get("suggestedFix") or ""),
                    source=Source.CDK,
                )
                out.append((stack, finding))
    return out


def merge_validation_reports(placed: list[Placed], assemblies: Iterable[Assembly]) -> list[Placed]:
    """``placed`` plus the plugins' violations that no finding already covers."""

    resolved: dict[str, str] = {}  # resolve() is a few syscalls; findings share few templates

    def key(rule: str, template: str, lid: str | None) -> tuple[str, str, str]:
        if template not in resolved:
            resolved[template] = str(Path(template).resolve())
        return rule.upper(), resolved[template], lid or ""

    seen = set()
    for _, f in placed:
        seen.add(key(f.check_id, f.template, f.logical_id))
        seen.add(key(f.slug, f.template, f.logical_id))
    out = list(placed)
    for assembly in assemblies:
        if assembly.directory is None:
            continue
        for stack, f in _findings(assembly):
            k1, k2 = key(f.check_id, f.template, f.logical_id), key(f.slug, f.template, f.logical_id)
            if k1 in seen or k2 in seen:
                continue
            seen.update((k1, k2))
            out.append((stack, f))
    return out
