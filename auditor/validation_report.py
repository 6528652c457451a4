"""The assembly's ``validation-report.json``: what CDK policy validation plugins found
during synth (CDK's own "CloudFormation Validate", whose rule names are cfn-lint ids,
our ``AuditPlugin``, cdk-nag-style plugins), turned into findings.

A violation that one of our checks or a cfn-lint built-in already reported — same rule
(id or slug), same template, same logical id — is dropped rather than counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from auditor import catalog
from auditor.assembly import Assembly, Stack, line_of
from auditor.findings import Finding, Reporter, Severity
from auditor.jsonfile import JsonFileError, read_json, resolved

Placed = tuple[Stack | None, Finding]

REPORT_FILE = "validation-report.json"
_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
_SEVERITY = {
    "error": _E, "critical": _E, "high": _E, "fatal": _E,
    "warning": _W, "warn": _W, "medium": _W,
    "info": _I, "informational": _I, "low": _I,
}  # fmt: skip


def _load(directory: Path) -> tuple[list[Mapping[str, Any]], str | None]:
    """The plugin reports, and why the file cannot be used (None: it can, or it is absent:
    plugins' results are extra, never required). Never read outside ``directory`` (the
    loader reports a link out of it)."""
    try:
        data = read_json(directory / REPORT_FILE, root=directory)
    except FileNotFoundError:
        return [], None
    except JsonFileError as e:
        return [], None if e.outside else str(e)
    except OSError as e:
        return [], f"{directory / REPORT_FILE}: cannot read it ({e})"
    reports = data.get("pluginReports") if isinstance(data, Mapping) else None
    return ([r for r in reports if isinstance(r, Mapping)] if isinstance(reports, list) else []), None


def _read(directory: Path) -> list[Mapping[str, Any]]:
    return _load(directory)[0]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def failed_only_on_validation(directory: Path, since: float) -> bool:
    """Whether a synth that exited non-zero wrote its whole assembly and failed only
    because a validation plugin reported a failure (the CDK CLI exits 1 then)."""
    path = directory / REPORT_FILE
    try:
        fresh = path.stat().st_mtime >= since - 1 and (directory / "manifest.json").is_file()
    except OSError:
        return False
    return fresh and any(r.get("conclusion") == "failure" for r in _read(directory))


def _findings(assembly: Assembly, reports: list[Mapping[str, Any]]) -> list[Placed]:
    assert assembly.directory is not None
    root = assembly.directory.resolve()
    stacks = {s.template_path.resolve(): s for s in assembly.stacks}
    out = []
    for report in reports:
        for v in _list(report.get("violations")):
            if not isinstance(v, Mapping) or not isinstance(v.get("ruleName"), str) or not v["ruleName"].strip():
                continue
            rule = "-".join(v["ruleName"].split())  # an id: a plugin's "My Rule" becomes My-Rule
            plugin = _text(report.get("pluginName")) or "a plugin"
            raw_meta = v.get("ruleMetadata")
            meta: Mapping[str, Any] = raw_meta if isinstance(raw_meta, Mapping) else {}
            severity = _SEVERITY.get(str(v.get("severity") or "").lower(), Severity.WARNING)
            for c in _list(v.get("violatingConstructs")):
                res = c.get("cloudFormationResource") if isinstance(c, Mapping) else None
                if not isinstance(res, Mapping) or not isinstance(res.get("templatePath"), str):
                    continue
                try:
                    template = resolved(root / res["templatePath"])
                except JsonFileError:
                    continue  # not a path at all (a NUL byte, a symlink loop)
                stack = stacks.get(template)
                lid = res.get("logicalId") if isinstance(res.get("logicalId"), str) else None
                paths = res.get("propertyPaths") if isinstance(res.get("propertyPaths"), list) else []
                prop = str(paths[0]).strip("/").split("/", 2)[2:] if paths and lid else []
                cpath = c["constructPath"] if isinstance(c.get("constructPath"), str) and c["constructPath"] else None
                finding = Finding(
                    check_id="-".join(meta["id"].split()) if isinstance(meta.get("id"), str) and meta["id"].strip()
                    else rule,
                    slug=rule,
                    severity=severity,
                    message=f"{_text(v.get('description')) or rule} (reported by {plugin})",
                    stack=stack.name if stack else "",
                    template=str(stack.template_path if stack else template),
                    line=line_of(stack.template, ["Resources", lid]) if stack and lid else None,
                    logical_id=lid,
                    construct_path=cpath,
                    property_path=prop[0] if prop else None,
                    remediation=_text(v.get("suggestedFix")),
                    reported_by=Reporter.CDK,
                    source=stack.sources.find(cpath) if stack else None,
                )
                out.append((stack, finding))
    return out


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _unreadable(assembly: Assembly, problem: str) -> Placed:
    assert assembly.directory is not None
    return None, Finding(
        check_id=catalog.LOAD_ERROR_ID,
        slug=catalog.LOAD_ERROR_SLUG,
        severity=Severity.ERROR,
        message=f"{problem}; the policy validation plugins' results were not merged",
        stack="",
        template=str(assembly.directory / REPORT_FILE),
        reported_by=Reporter.CDK_AUDIT,
    )


def merge_validation_reports(placed: list[Placed], assemblies: Iterable[Assembly]) -> list[Placed]:
    """``placed`` plus the plugins' violations that no finding already covers."""

    resolved: dict[str, str] = {}  # one resolve per template file, not per finding (a syscall each)

    def key(rule: str, template: str, lid: str | None) -> tuple[str, str, str]:
        where = resolved.get(template)
        if where is None:
            where = resolved[template] = str(Path(template).resolve())
        return rule.upper(), where, lid or ""

    seen = set()
    for _, f in placed:
        seen.add(key(f.check_id, f.template, f.logical_id))
        seen.add(key(f.slug, f.template, f.logical_id))
    out = list(placed)
    for assembly in assemblies:
        if assembly.directory is None:
            continue
        reports, problem = _load(assembly.directory)
        if problem is not None:
            out.append(_unreadable(assembly, problem))
            continue
        for stack, f in _findings(assembly, reports):
            k1, k2 = key(f.check_id, f.template, f.logical_id), key(f.slug, f.template, f.logical_id)
            if k1 in seen or k2 in seen:
                continue
            seen.update((k1, k2))
            out.append((stack, f))
    return out
