"""Run the checks: cfn-lint (its built-in rules plus our template-scoped checks) over
every stack, then the assembly-scoped checks, and turn everything into ``Finding``s.

``load_checks`` builds the rules once per run from the resolved ``Settings``: every one
of our checks is constructed with its configuration, so its per-template part (run by
cfn-lint, possibly in a forked worker) and its cross-stack part (run here, in this
process) read the same values. cfn-lint itself is reached only through
``auditor.lint``; the fork pool is ``auditor.pool``.

With a result cache (``auditor.template_cache``), a template whose results are cached
is not linted: its findings are rebuilt from the cached matches by the same
``_finding`` as fresh ones. cfn-lint's 300 built-in rules are loaded only when some
template has to be linted (``CheckSet.rules``), so a fully cached run never loads them;
the cross-stack checks run on every assembly, every time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from cfnlint.config import ConfigMixIn
from cfnlint.rules import CloudFormationLintRule, Rules

from auditor import catalog, lint, pool
from auditor.assembly import Assembly, LoadError, Stack, describe_error, line_of
from auditor.config import Settings
from auditor.decoding import positioned
from auditor.findings import AssemblyMatch, Finding, Reporter, Severity
from auditor.registry import check_classes
from auditor.rule import AuditRule
from auditor.template_cache import TemplateMatch, TemplateResult, TemplateResults, match_of

#: a finding with the stack it was found on (None: about no stack, e.g. a bad manifest)
Placed = tuple[Stack | None, Finding]


@dataclass(frozen=True)
class CheckSet:
    """The rules one run uses, built once from the settings.

    Our checks are built up front (the cross-stack part always runs); cfn-lint's rule
    collection and configuration on first use (``warm()`` builds them ahead, e.g. while
    synth runs; before a fork pool starts, the engine does).
    """

    settings: Settings
    #: our checks, by id, each configured from the settings
    ours: Mapping[str, AuditRule]
    #: what ``lint.make_config`` / ``lint.config_fingerprint`` are given
    lint_args: Mapping[str, Any]
    #: descriptions of cfn-lint's rules that came with cached results (see ``remember``)
    _known: dict[str, catalog.RuleInfo] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def rules(self) -> Rules:
        """cfn-lint's collection: its built-in rules (if enabled) and ours."""
        return lint.rule_set(list(self.ours.values()), with_builtins=self.settings.cfn_lint_rules)

    @cached_property
    def config(self) -> ConfigMixIn:
        return lint.make_config(self.rules, **self.lint_args)

    @cached_property
    def lint_fingerprint(self) -> str:
        """cfn-lint's effective configuration, for the result cache's key (loads no rule)."""
        return lint.config_fingerprint(**self.lint_args)

    def warm(self) -> CheckSet:
        """Build cfn-lint's rules and configuration now rather than on first use."""
        _ = self.config
        return self

    def remember(self, infos: Mapping[str, catalog.RuleInfo]) -> None:
        """Take the descriptions a cached result carries, so ``describe`` needs no built-in rule."""
        self._known.update(infos)

    def describe(self, check_id: str) -> catalog.RuleInfo | None:
        rule = self.ours.get(check_id)
        if rule is not None:
            return catalog.of_check(type(rule))
        if check_id in catalog.PSEUDO:
            return catalog.PSEUDO[check_id]
        if check_id in self._known:
            return self._known[check_id]
        builtin: CloudFormationLintRule | None = self.rules.data.get(check_id)
        return catalog.of_cfn_lint(builtin) if builtin is not None else None


def load_checks(settings: Settings) -> CheckSet:
    ours: dict[str, AuditRule] = {
        cls.id: cls(settings.rule_config(cls)) for cls in check_classes() if not settings.is_ignored(cls.id, cls.slug)
    }
    lint_args = dict(
        regions=settings.regions,
        ignore=[i.upper() for i in settings.ignore if i and i[0].upper() in "EWI" and i[1:2].isdigit()],
        include=[rid for rid in ours if rid.startswith("I")],
        configure={rid: settings.rule_config(type(r)) for rid, r in ours.items()},
    )
    return CheckSet(settings, ours, lint_args)


def audit(
    assemblies: Iterable[Assembly],
    checks: CheckSet,
    jobs: int | None = None,
    results: TemplateResults | None = None,
) -> list[Placed]:
    """Every finding with its stack, sorted. ``jobs``: processes for cfn-lint (None: automatic,
    1: serial). ``results``: the result cache's entries for this run (None: lint everything)."""
    assemblies = list(assemblies)
    stacks = [s for a in assemblies for s in a.stacks if s.template is not None]
    matches = _template_matches(stacks, checks, jobs, results)
    by_stack = {id(s): _findings_of(s, checks, matches[id(s)]) for s in stacks}
    placed: list[Placed] = []
    for assembly in assemblies:
        for stack in assembly.stacks:
            placed.extend((stack, f) for f in _parse_errors(stack))
            placed.extend((stack, f) for f in by_stack.get(id(stack), ()))
        placed.extend((None, _load_error(e)) for e in assembly.errors)
        for rule in checks.ours.values():
            placed.extend(_assembly_findings(rule, assembly))
    return sorted(placed, key=lambda p: sort_key(p[1]))


def sort_key(f: Finding) -> tuple[str, str, int, str, str]:
    return f.stack, f.template, f.line or 0, f.check_id, f.message


def _template_matches(
    stacks: Sequence[Stack], checks: CheckSet, jobs: int | None, results: TemplateResults | None
) -> dict[int, Sequence[TemplateMatch]]:
    """Each stack's matches (by ``id(stack)``): from the cache where it has them, else linted
    (over a process pool when that pays) and then cached."""
    found: dict[int, Sequence[TemplateMatch]] = {}
    for stack in stacks:
        hit = results.get(stack.digest.sha256) if results is not None and stack.digest else None
        if hit is not None:
            checks.remember(hit.rules)
            found[id(stack)] = hit.matches
    todo = [s for s in stacks if id(s) not in found]
    if not todo:
        return found
    checks.warm()  # before any fork: workers inherit the built rules
    sizes = [len(s.resources) + 1 for s in todo]
    procs = pool.worth_parallel(sum(sizes), len(todo), checks.settings.cfn_lint_rules, jobs)
    with lint.fast_cfn_lint():
        linted = pool.map_indexed(lambda s: _lint_one(s, checks), todo, procs, sizes)
    for stack, ms in zip(todo, linted, strict=True):
        found[id(stack)] = ms
        if results is not None:
            _enter(results, stack, ms, checks)
    return found


def prelint(stacks: Iterable[Stack], checks: CheckSet, results: TemplateResults, stop: Callable[[], bool]) -> int:
    """Lint, one at a time in this thread, each template ``results`` has nothing for, and
    enter its matches there, until ``stop()`` (``run`` does it while synth still runs:
    ``auditor.prelint``). Returns how many templates it linted. cfn-lint's built-in rules
    are loaded at the first template to lint: a fully cached app never needs them, and
    loading them would take CPU from the synth this overlaps."""
    todo = [s for s in stacks if s.template is not None and s.digest and results.get(s.digest.sha256) is None]
    if not todo or stop():
        return 0
    checks.warm()
    linted = 0
    with lint.fast_cfn_lint():
        for stack in todo:
            if stop():
                break
            _enter(results, stack, _lint_one(stack, checks), checks)
            linted += 1
    return linted


def _enter(results: TemplateResults, stack: Stack, matches: Sequence[TemplateMatch], checks: CheckSet) -> None:
    """Keep a template's matches under its content hash (not when cfn-lint raised on it)."""
    if stack.digest is None or any(m.rule_id == _CRASHED for m in matches):
        return
    rules = {m.rule_id: info for m in matches if m.rule_id not in checks.ours and (info := _info(m.rule_id, checks))}
    results.put(stack.digest.sha256, TemplateResult(tuple(matches), rules, stack.digest.plain_json))


#: the pseudo rule id of "cfn-lint raised on this template" (never cached)
_CRASHED = "cdk-audit:unchecked"


def _lint_one(stack: Stack, checks: CheckSet) -> list[TemplateMatch]:
    """cfn-lint's matches on one template, as position-independent records. An unexpected
    error is one match on this template (with what was found before it): the other
    templates are still audited."""
    out = []
    try:
        for match in lint.lint_template(positioned(stack.template), checks.config, checks.rules):
            path = list(getattr(match, "path", []) or [])
            out.append(match_of(match.rule.id, match.message, path, match.linenumber))
    except Exception as e:  # cfn-lint (or a rule outside its own guard) raised on this template
        out.append(match_of(_CRASHED, describe_error(e), [], None))
    return out


def _info(rule_id: str, checks: CheckSet) -> catalog.RuleInfo | None:
    return checks.describe(rule_id) or catalog.lookup(rule_id)


def _findings_of(stack: Stack, checks: CheckSet, matches: Sequence[TemplateMatch]) -> list[Finding]:
    return [
        _unchecked(stack, m.message)
        if m.rule_id == _CRASHED
        else _finding(stack, m.rule_id, checks.ours.get(m.rule_id), m.message, m.path, m.line)
        for m in matches
    ]


def _unchecked(stack: Stack, error: str) -> Finding:
    return Finding(
        check_id=catalog.PARSE_ERROR_ID,
        slug=catalog.PARSE_ERROR_SLUG,
        severity=Severity.ERROR,
        message=f"cfn-lint could not check this template ({error}), so its findings may be incomplete; "
        "every other template was audited. Fix the template's structure (a section or value of the wrong type), "
        "then re-run",
        stack=stack.name,
        template=str(stack.template_path),
        reported_by=Reporter.CFN_LINT,
    )


def _assembly_findings(rule: AuditRule, assembly: Assembly) -> list[Placed]:
    """A check's cross-stack findings; if the check raises, one finding says so, and
    what it found before that and every other check's findings are kept."""
    out: list[Placed] = []
    try:
        for m in rule.match_assembly(assembly):
            out.append(_assembly_finding(rule, assembly, m))
    except Exception as e:  # a bug in the check: report it, lose nothing else
        where = assembly.directory / "manifest.json" if assembly.directory else Path(".")
        out.append(
            (
                None,
                Finding(
                    check_id=rule.id,
                    slug=rule.slug,
                    severity=Severity.ERROR,
                    message=f"{rule.id} ({rule.slug}) stopped with {describe_error(e)} while checking across "
                    "stacks, so its results may be incomplete; every other check's results are reported. This is a "
                    "bug in cdk-audit: please report it with the template",
                    stack="",
                    template=str(where),
                    reported_by=Reporter.CDK_AUDIT,
                ),
            )
        )
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
        source=stack.sources.find(construct_path or stack.name),  # a stack-wide finding: where the stack is made
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
            line=m.line,
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
