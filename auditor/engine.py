"""Run the checks: cfn-lint (its built-in rules plus our template-scoped checks) over
every stack, then the assembly-scoped checks, and turn everything into ``Finding``s.

Rules are loaded once per process (``load_checks``) and reused for every template.
cfn-lint runs through ``auditor.parallel``: the same matches as plain cfn-lint, less of
its per-template overhead, and a fork pool over the templates when a scan is big.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfnlint.config import _DEFAULT_RULESDIR, ConfigMixIn
from cfnlint.rules import Rules

from auditor import parallel
from auditor.assembly import Assembly, LoadError, Stack
from auditor.config import Settings
from auditor.findings import AssemblyMatch, Finding
from auditor.registry import check_classes
from auditor.rule import AuditRule

CFN_SEVERITY = {"E": "error", "W": "warning", "I": "info"}
PARSE_ERROR_ID, PARSE_ERROR_SLUG = "E0000", "template-parse-error"
LOAD_ERROR_SLUG = "assembly-error"


@dataclass
class CheckSet:
    """The rules one run uses, built once per process."""

    rules: Rules
    ours: dict[str, AuditRule]
    config: ConfigMixIn
    settings: Settings


def load_checks(settings: Settings) -> CheckSet:
    rules = Rules.create_from_directory(_DEFAULT_RULESDIR) if settings.cfn_lint_rules else Rules()
    ours: dict[str, AuditRule] = {}
    for cls in check_classes():
        if settings.is_ignored(cls.id, cls.slug):
            continue
        rule = cls()
        ours[rule.id] = rule
        rules.register(rule)
    ignored = [i.upper() for i in settings.ignore if i and i[0].upper() in "EWI" and i[1:2].isdigit()]
    args: dict[str, Any] = dict(
        regions=settings.regions,
        ignore_checks=ignored,
        include_checks=[r.id for r in ours.values() if r.id.startswith("I")],
        configure_rules={rid: settings.rule_config(type(r)) for rid, r in ours.items()},
    )
    config = ConfigMixIn([], **args)
    # The rules these settings enable are "mandatory" so that a template's cfn-lint
    # ignore_checks metadata does not drop their matches: auditor.suppress marks them
    # suppressed instead, and they stay in the report.
    enabled = [rid for rid, r in rules.data.items() if rules.is_rule_enabled(r, config)]
    config = ConfigMixIn([], **args, mandatory_checks=enabled)
    return CheckSet(rules, ours, config, settings)


def audit(assemblies: Iterable[Assembly], checks: CheckSet, jobs: int | None = None) -> list[Finding]:
    """Every finding, sorted. ``jobs``: processes for cfn-lint (None: automatic, 1: serial)."""
    assemblies = list(assemblies)
    stacks = [s for a in assemblies for s in a.stacks if s.template is not None]
    sizes = [len(s.resources) + 1 for s in stacks]
    procs = parallel.worth_parallel(sum(sizes), len(stacks), checks.settings.cfn_lint_rules, jobs)
    with parallel.fast_cfn_lint():
        linted = parallel.map_indexed(lambda s: _template_findings(s, checks), stacks, procs, sizes)
    by_stack = {id(s): f for s, f in zip(stacks, linted, strict=True)}
    findings: list[Finding] = []
    for assembly in assemblies:
        for stack in assembly.stacks:
            findings.extend(_parse_errors(stack))
            findings.extend(by_stack.get(id(stack), ()))
        findings.extend(_load_error(e) for e in assembly.errors)
        for rule in checks.ours.values():
            for m in rule.match_assembly(assembly):
                findings.append(_assembly_finding(rule, assembly, m))
    return sorted(findings, key=lambda f: (f.stack, f.template, f.line or 0, f.check_id, f.message))


def _template_findings(stack: Stack, checks: CheckSet) -> list[Finding]:
    out = []
    for match in parallel.lint_template(stack.template, checks.config, checks.rules):
        path = list(getattr(match, "path", []) or [])
        rule = checks.ours.get(match.rule.id)
        out.append(_finding(stack, match.rule.id, rule, match.message, path, match.linenumber))
    return out


def _finding(
    stack: Stack,
    check_id: str,
    rule: AuditRule | None,
    message: str,
    path: list[Any],
    line: int | None,
    construct_path: str | None = None,
) -> Finding:
    """``construct_path`` overrides the one recorded for the resource (an annotation's own)."""
    logical_id = str(path[1]) if len(path) >= 2 and path[0] == "Resources" else None
    if rule is not None:
        slug, severity, fix, source = rule.slug, rule.severity_level, rule.remediation, "cdk-audit"
    else:
        slug, severity, fix, source = check_id, CFN_SEVERITY.get(check_id[:1], "error"), "", "cfn-lint"
    return Finding(
        check_id=check_id,
        slug=slug,
        severity=severity,
        message=message,
        stack=stack.name,
        template=str(stack.template_path),
        line=line,
        logical_id=logical_id,
        construct_path=construct_path or (stack.construct_paths.get(logical_id) if logical_id else None),
        property_path="/".join(str(p) for p in path[2:]) or None if logical_id else "/".join(map(str, path)) or None,
        remediation=fix,
        source=source,
    )


def _assembly_finding(rule: AuditRule, assembly: Assembly, m: AssemblyMatch) -> Finding:
    stack = assembly.stack(m.stack)
    if stack is None:  # about the app as a whole (a deprecation no construct can be tied to)
        where = assembly.directory / "manifest.json" if assembly.directory else Path(".")
        stack = Stack(name=m.stack, template_path=where, template=None)
    override = m.extra.get("construct_path")
    return _finding(
        stack,
        rule.id,
        rule,
        m.message,
        list(m.path),
        line_of(stack.template, m.path),
        str(override) if override else None,
    )


def line_of(template: Any, path: Iterable[Any]) -> int | None:
    """The 1-based line of the deepest node on ``path`` that carries a position."""
    node, line = template, None
    for key in path:
        mark = getattr(node, "start_mark", None)
        if mark is not None:
            line = mark.line + 1
        if (isinstance(node, Mapping) and key in node) or (
            isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
        ):
            node = node[key]
        else:
            return line
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else line


def _parse_errors(stack: Stack) -> list[Finding]:
    return [
        Finding(
            check_id=PARSE_ERROR_ID,
            slug=PARSE_ERROR_SLUG,
            severity="error",
            message=f"{m.message} (cfn-lint could not parse this file; fix the syntax, then re-run)",
            stack=stack.name,
            template=str(stack.template_path),
            line=getattr(m, "linenumber", None),
            source="cfn-lint",
        )
        for m in stack.parse_errors
    ]


def _load_error(e: LoadError) -> Finding:
    return Finding(
        check_id=e.check_id,
        slug=LOAD_ERROR_SLUG,
        severity="error",
        message=e.message,
        stack="",
        template=e.file,
        line=e.line,
        source="cdk-audit",
    )
