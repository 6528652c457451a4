"""The assembly's ``validation-report.json``: what CDK policy validation plugins found
during synth (CDK's own "CloudFormation Validate", whose rule names are cfn-lint ids,
our ``AuditPlugin``, cdk-nag-style plugins), turned into findings.

Each merged rule gets an id of its own, ``<plugin>/<rule>`` (``cfn-validate/W9008`` for CDK's
"CloudFormation Validate", whose rule names are cfn-lint-style ids that collide with ours
and cfn-lint's), so ``ignore`` and suppressions name it like any other. Our own
``AuditPlugin``'s violations keep our ids: they are our checks' findings. A violation that
another reporter also found is folded into that finding later (``auditor.consolidate``).
"""

from __future__ import annotations

import re
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


#: plugins whose rule names need a prefix to be ids of their own, by the name they report
PLUGIN_PREFIX = {"CloudFormation Validate": "cfn-validate"}
#: our own plugin (auditor.cdk.AuditPlugin): its rules are our checks
OWN_PLUGIN = "cdk-audit"


def plugin_prefix(name: str) -> str:
    """The id prefix of a plugin's rules: a reviewed short name, else the name in kebab case."""
    return PLUGIN_PREFIX.get(name) or re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "plugin"


def rule_of(check_id: str) -> str:
    """A merged rule's own name (``cfn-validate/W9008`` -> ``W9008``); other ids unchanged."""
    return check_id.rsplit("/", 1)[-1]


def _property(path: Any, logical_id: str | None) -> str | None:
    """``/Resources/Id/Properties/X`` (our plugin) or ``Properties.X`` (CDK's) as ``Properties/X``."""
    text = str(path or "").strip("/")
    if text.startswith("Resources/"):
        parts = text.split("/", 2)[2:]
        return parts[0] if parts and logical_id else None
    return text.replace(".", "/") or None if logical_id else None


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
        plugin = _text(report.get("pluginName")) or "a plugin"
        own = plugin == OWN_PLUGIN
        for v in _list(report.get("violations")):
            if not isinstance(v, Mapping) or not isinstance(v.get("ruleName"), str) or not v["ruleName"].strip():
                continue
            rule = "-".join(v["ruleName"].split())  # an id: a plugin's "My Rule" becomes My-Rule
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
                cpath = c["constructPath"] if isinstance(c.get("constructPath"), str) and c["constructPath"] else None
                named = isinstance(meta.get("id"), str) and meta["id"].strip()
                own_id = "-".join(meta["id"].split()) if named else rule
                rule_id = own_id if own else f"{plugin_prefix(plugin)}/{rule}"
                finding = Finding(
                    check_id=rule_id,
                    slug=rule if own else rule_id,
                    severity=severity,
                    message=f"{_text(v.get('description')) or rule} (reported by {plugin})",
                    stack=stack.name if stack else "",
                    template=str(stack.template_path if stack else template),
                    line=line_of(stack.template, ["Resources", lid]) if stack and lid else None,
                    logical_id=lid,
                    construct_path=cpath,
                    property_path=_property(paths[0], lid) if paths else None,
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
    """``placed`` plus every plugin's violations, each once (a plugin that lists one
    construct twice for one rule counts once)."""
    resolved: dict[str, str] = {}  # one resolve per template file, not per finding (a syscall each)
    out = list(placed)
    seen: set[tuple[str, str, str | None, str | None]] = set()
    for assembly in assemblies:
        if assembly.directory is None:
            continue
        reports, problem = _load(assembly.directory)
        if problem is not None:
            out.append(_unreadable(assembly, problem))
            continue
        for stack, f in _findings(assembly, reports):
            where = resolved.get(f.template)
            if where is None:
                where = resolved[f.template] = str(Path(f.template).resolve())
            key = (f.check_id, where, f.logical_id, f.property_path)
            if key not in seen:
                seen.add(key)
                out.append((stack, f))
    return out
