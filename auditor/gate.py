"""The exit code that gates a pipeline."""

from __future__ import annotations

from auditor.findings import SEVERITY_RANK
from auditor.report.model import Report

EXIT_OK, EXIT_FINDINGS, EXIT_SYNTH_FAILED, EXIT_USAGE = 0, 1, 2, 3
FAIL_ON = ("error", "warning", "info", "never")


def exit_code(report: Report, fail_on: str) -> int:
    """0 nothing at or above ``fail_on``; 1 findings at or above it; 2 synth failed."""
    if report.synth is not None and not report.synth.ok:
        return EXIT_SYNTH_FAILED
    if fail_on == "never":
        return EXIT_OK
    floor = SEVERITY_RANK[fail_on]
    return EXIT_FINDINGS if any(SEVERITY_RANK[f.severity] >= floor for f in report.active()) else EXIT_OK
