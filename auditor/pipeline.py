"""The check stage as the CLI runs it: engine, then other plugins' validation reports,
then suppressions. One function, so the CLI and the tests cannot drift apart."""

from __future__ import annotations

from collections.abc import Sequence

from auditor import engine
from auditor.assembly import Assembly
from auditor.config import Settings
from auditor.findings import Finding
from auditor.suppress import apply_suppressions
from auditor.validation_report import merge_validation_reports


def check(
    assemblies: Sequence[Assembly], settings: Settings, jobs: int | None = None
) -> tuple[list[Finding], list[str]]:
    """Every finding (suppressed ones marked, not dropped) and the ids of our checks that ran."""
    checks = engine.load_checks(settings)
    findings = engine.audit(assemblies, checks, jobs=jobs)
    findings = merge_validation_reports(findings, assemblies)
    findings = apply_suppressions(findings, assemblies, settings.suppress)
    return findings, sorted(checks.ours)
