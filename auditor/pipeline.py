"""The check stage: engine, then other plugins' validation reports, then consolidation
(CDK's own output left out, one finding per problem and resource), suppressions, and the
aggregation of one-line-for-the-app fixes (``auditor.consolidate``).

Aggregation comes after suppressions: suppressions name resources (metadata, construct
paths), so they must see one finding per resource; a suppressed resource then simply
leaves its aggregate. Duplicates are folded before suppressions, so one suppression of
the finding covers what every reporter said about it.

One function, so the CLI, the library API, the CDK plugin and the tests run the same
stage. It returns a new value (``CheckResult``) and changes none of its inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from auditor import catalog, consolidate, engine
from auditor.assembly import Assembly
from auditor.config import Settings
from auditor.findings import Finding, Reporter
from auditor.suppress import apply_suppressions
from auditor.template_cache import TemplateResults
from auditor.validation_report import merge_validation_reports


@dataclass(frozen=True)
class CheckResult:
    #: every finding, sorted; suppressed ones marked, not dropped
    findings: tuple[Finding, ...]
    #: the ids of our checks that ran
    checks: tuple[str, ...]
    #: what each id in ``findings`` (and each check that ran) means
    rules: Mapping[str, catalog.RuleInfo]


def check(
    assemblies: Sequence[Assembly],
    settings: Settings,
    jobs: int | None = None,
    *,
    checks: engine.CheckSet | None = None,
    results: TemplateResults | None = None,
) -> CheckResult:
    """``checks``: built from ``settings`` ahead (e.g. while synth ran; default: built here);
    ``results``: the result cache's entries for this run (default: no cache)."""
    checks = checks if checks is not None else engine.load_checks(settings)
    placed = engine.audit(assemblies, checks, jobs=jobs, results=results)
    placed = merge_validation_reports(placed, assemblies)
    # plugins' rules are ignored like ours (cfn-lint's own ignore list covers its rules)
    placed = [
        p for p in placed if p[1].reported_by is not Reporter.CDK or not settings.is_ignored(p[1].check_id, p[1].slug)
    ]
    placed = consolidate.fold_duplicates(consolidate.drop_cdk_own(placed))
    findings = apply_suppressions(placed, settings.suppress)
    findings = consolidate.aggregate(findings, {r.slug for r in checks.ours.values() if r.aggregate})
    return CheckResult(tuple(findings), tuple(sorted(checks.ours)), _describe(findings, checks))


def _describe(findings: Sequence[Finding], checks: engine.CheckSet) -> dict[str, catalog.RuleInfo]:
    out: dict[str, catalog.RuleInfo] = {}
    for rid in [*sorted(checks.ours), *(f.check_id for f in findings)]:
        if rid not in out and (info := checks.describe(rid)) is not None:
            out[rid] = info
    for f in findings:
        if f.check_id in out:
            continue
        # merged from CDK validation plugins: described by what they reported; anything
        # else (cfn-lint's rule-error E0002 with its built-ins off) from the catalogue
        known = None if f.reported_by is Reporter.CDK else catalog.lookup(f.check_id)
        out[f.check_id] = known or catalog.of_finding(f)
    return out
