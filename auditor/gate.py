"""The exit code that gates a pipeline, and the one rule that decides whether findings fail.

The CLI (``run``/``scan``/``diff``) and the CDK validation plugin all ask ``fails``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

from auditor.findings import Severity

if TYPE_CHECKING:
    from auditor.report.model import Report


class Exit(IntEnum):
    OK = 0
    FINDINGS = 1
    SYNTH_FAILED = 2
    USAGE = 3
    INTERNAL = 4
    INTERRUPTED = 130
    TERMINATED = 143


class FailOn(StrEnum):
    """The lowest severity that fails the gate; ``never`` only reports."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    NEVER = "never"


def fails(severities: Iterable[Severity | str], fail_on: FailOn | str) -> bool:
    """Whether any of ``severities`` is at or above ``fail_on``."""
    floor = FailOn(fail_on)
    if floor is FailOn.NEVER:
        return False
    threshold = Severity(floor.value).rank
    return any(Severity(s).rank >= threshold for s in severities)


def exit_code(report: Report, fail_on: FailOn | str) -> Exit:
    """0 nothing active at or above ``fail_on``; 1 findings at or above it; 2 synth failed."""
    if report.synth is not None and not report.synth.ok:
        return Exit.SYNTH_FAILED
    return Exit.FINDINGS if fails((f.severity for f in report.active()), fail_on) else Exit.OK
