"""Run the checks: cfn-lint (its built-in rules plus our template-scoped checks) over
every stack, then the assembly-scoped checks, and turn everything into ``Finding``s.

``load_checks`` builds the rules once per run from the resolved ``Settings``: every one
of our checks is constructed with its configuration, so its per-template part (run by
cfn-lint, possibly in a forked worker) and its cross-stack part (run here, in this
process) read the same values. cfn-lint itself is reached only through
``auditor.lint``; the fork pool is ``auditor.pool``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfnlint.config import ConfigMixIn
from cfnlint.rules import CloudFormationLintRule, Rules

from auditor import catalog, lint, pool
from auditor.assembly import Assembly, LoadError, Stack, line_of
from auditor.config import Settings
from auditor.findings import AssemblyMatch, Finding, Reporter, Severity
from auditor.registry import check_classes
from auditor.rule import AuditRule

#: a finding with the stack it was found on (None: about no stack, e.g. a bad manifest)
Placed = tuple[Stack | None, Finding]


@dataclass(frozen=True)
class CheckSet:
    """The rules one run uses, built once from the settings."""

    settings: Settings
    #: our checks, by id, each configured from the settings
    ours: Mapping[str, AuditRule]
    #: cfn-lint's collection: its built-in rules (if enabled) and ours
    rules: Rules
    config: ConfigMixIn

    def describe(self, check_id: str) -> catalog.RuleInfo | None:
        rule = self.ours.get(check_id)
        if rule is not None:
            return catalog.of_check(type(rule))
        if check_id in catalog.PSEUDO:
            return catalog.PSEUDO[check_id]
        builtin: CloudFormationLintRule | None = self.rules.data.get(check_id)
        return catalog.of_cfn_lint(builtin) if builtin is not None else None


def load_checks(settings: Settings) -> CheckSet:
    ours: dict[str, AuditRule] = {
        cls.id: cls(settings.rule_config(cls)) for cls in check_classes() if not settings.is_ignored(cls.id, cls.slug)
    }
    rules = lint.rule_set(list(ours.values()), with_builtins=settings.cfn_lint_rules)
    config = lint.make_config(
        rules,
        regions=settings.regions,
        ignore=[i.upper() for i in settings.ignore if i and i[0].upper() in "EWI" and i[1:2].isdigit()],
        include=[rid for rid in ours if rid.startswith("I")],
        configure={rid: settings.rule_config(type(r)) for rid, r in ours.items()},
    )
    return CheckSet(settings, ours, rules, config)


def audit(assemblies: Iterable[Assembly], checks: CheckSet, jobs: int | None = None) -> list[Placed]:
    """Every finding with its stack, sorted. ``jobs``: processes for cfn-lint (None: automatic, 1: serial)."""
    assemblies = list(assemblies)
    stacks = [s for a in assemblies for s in a.stacks if s.template is not None]
    sizes = [len(s.resources) + 1 for s in stacks]
    procs = pool.worth_parallel(sum(sizes), len(stacks), checks.settings.cfn_lint_rules, jobs)
    with lint.fast_cfn_lint():
        linted = pool.map_indexed(lambda s: _template_findings(s, checks), stacks, procs, sizes)
    by_stack = {id(s): f for s, f in zip(stacks, linted, strict=True)}
    placed: list[Placed] = []
    for assembly in assemblies:
        for stack in assembly.stacks:
            placed.extend((stack, f) for f in _parse_errors(stack))
            placed.extend((stack, f) for f in by_stack.get(id(stack), ()))
        placed.extend((None, _load_error(e)) for e in assembly.errors)
        for rule in checks.ours.values():
            for m in rule.match_assembly(assembly):
                placed.append(_assembly_finding(rule, assembly, m))
    return sorted(placed, key=lambda p: sort_key(p[1]))


def sort_key(f: Finding) -> tuple[str, str, int, str, str]:
    return f.stack, f.template, f.line or 0, f.check_id, f.message


def _template_findings(stack: Stack, checks: CheckSet) -> list[Finding]:
    out = []
    for match in lint.lint_template(stack.template, checks.config, checks.rules):
        path = list(getattr(match, "path", []) or [])
        rule = checks.ours.get(match.rule.id)
        out.append(_finding(stack, match.rule.id, rule, match.message, path, match.linenumber))
    return out


def _finding(
    stack: Stack,
    check_id: str,
    rule: AuditRule | None,
    message: str,
    path: Sequence[Any],
    line: int | None,
    construct_path: str | None = None,
) -> Finding:
    """``construct_path`` overrides the one recorded for the resource (an annotation's own)."""
    logical_id = str(path[1]) if len(path) >= 2 and path[0] == "Resources" else None
    if rule is not None:
        slug, severity, fix, reporter = rule.slug, Severity(rule.severity_level), rule.remediation, Reporter.CDK_AUDIT
    else:
        slug, severity, fix, reporter = check_id, Severity.of_rule_id(check_id), "", Reporter.CFN_LINT
    below = path[2:] if logical_id else path  # the property path below the resource, or in the template
    prop = "/".join(str(p) for p in below) or None
    construct_path = construct_path or (stack.construct_paths.get(logical_id) if logical_id else None)
    return Finding(
        check_id=check_id,
        slug=slug,
        severity=severity,
        message=message,
        stack=stack.name,
        template=str(stack.template_path),
        line=line,
        logical_id=logical_id,
        construct_path=construct_path,
        property_path=prop,
        remediation=fix,
        reported_by=reporter,
        source=stack.sources.find(construct_path),
    )


def _assembly_finding(rule: AuditRule, assembly: Assembly, m: AssemblyMatch) -> Placed:
    stack = assembly.stack(m.stack)
    if stack is None:  # about the app as a whole (a deprecation no construct can be tied to)
        where = assembly.directory / "manifest.json" if assembly.directory else Path(".")
        app = Stack(name=m.stack, template_path=where, template=None)
        found = _finding(app, rule.id, rule, m.message, m.path, None, m.construct_path)
        return None, dataclasses.replace(found, source=m.source) if m.source else found
    finding = _finding(stack, rule.id, rule, m.message, m.path, line_of(stack.template, m.path), m.construct_path)
    return stack, finding


def _parse_errors(stack: Stack) -> list[Finding]:
    return [
        Finding(
            check_id=catalog.PARSE_ERROR_ID,
            slug=catalog.PARSE_ERROR_SLUG,
            severity=Severity.ERROR,
            message=f"{m.message} (cfn-lint could not parse this file; fix the syntax, then re-run)",
            stack=stack.name,
            template=str(stack.template_path),
            line=getattr(m, "linenumber", None),
            reported_by=Reporter.CFN_LINT,
        )
        for m in stack.parse_errors
    ]


def _load_error(e: LoadError) -> Finding:
    return Finding(
        check_id=catalog.LOAD_ERROR_ID,
        slug=catalog.LOAD_ERROR_SLUG,
        severity=Severity.ERROR,
        message=e.message,
        stack="",
        template=e.file,
        line=e.line,
        reported_by=Reporter.CDK_AUDIT,
    )
