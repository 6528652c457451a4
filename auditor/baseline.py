"""Baselines: fail only on what is new.

A baseline file records the fingerprints of the findings a team has accepted for now
(``cdk-audit baseline write FILE PATH...``); any JSON report works as one too, since its
findings carry the same fingerprints. ``--baseline FILE`` marks each finding ``new`` or
``known``; known findings stay in the report and never gate. ``diff`` compares two
JSON reports: new, fixed and unchanged findings.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.findings import BaselineState, Finding, Severity
from auditor.gate import FailOn, fails
from auditor.jsonfile import JsonFileError, read_json
from auditor.report.model import BaselineInfo

BASELINE_VERSION = 1


class BaselineError(Exception):
    """A baseline or report file that cannot be used; the message names the file."""


def render_baseline(findings: Iterable[Finding]) -> str:
    """The baseline file for ``findings`` (suppressed ones are left out: they need no baseline)."""
    entries = sorted(
        (
            {
                "fingerprint": f.fingerprint,
                "check_id": f.check_id,
                "slug": f.slug,
                "stack": f.stack,
                "resource": f.construct_path or f.logical_id,
                "message": f.message,
            }
            for f in findings
            if f.suppressed is None
        ),
        key=lambda e: (e["stack"], e["slug"], e["resource"] or "", e["fingerprint"]),
    )
    doc = {"cdk_audit_baseline": BASELINE_VERSION, "findings": entries}
    return json.dumps(doc, indent=2) + "\n"


#: fields a finding in a baseline or report may carry that diff and gate read: text or null
_TEXT_FIELDS = ("check_id", "slug", "severity", "stack", "resource", "message", "construct_path", "logical_id",
                "template")  # fmt: skip


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = read_json(path)
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such file") from None
    except JsonFileError as e:
        raise BaselineError(f"{e}; pass a baseline or a --format json report") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise BaselineError(
            f"{path}: no 'findings' list; pass a file from `cdk-audit baseline write` or a --format json report"
        )
    for i, f in enumerate(data["findings"], 1):
        if not isinstance(f, dict) or not isinstance(f.get("fingerprint"), str) or not f["fingerprint"]:
            raise BaselineError(f"{path}: finding #{i} has no fingerprint string; regenerate the file with cdk-audit")
        bad = next((k for k in _TEXT_FIELDS if f.get(k) is not None and not isinstance(f[k], str)), None)
        if bad is not None:
            raise BaselineError(
                f"{path}: finding #{i} has a {bad} that is not a string; regenerate the file with cdk-audit"
            )
    return data


def load_fingerprints(path: Path) -> set[str]:
    """The fingerprints a baseline (or a JSON report's unsuppressed findings) accepts."""
    data = _load_json(path)
    return {f["fingerprint"] for f in data["findings"] if not f.get("suppressed")}


@dataclass(frozen=True)
class Baseline:
    """The fingerprints a baseline file accepts, and where they came from."""

    file: str
    fingerprints: frozenset[str]


def load_baseline(path: Path) -> Baseline:
    return Baseline(str(path), frozenset(load_fingerprints(path)))


def apply_baseline(findings: Iterable[Finding], baseline: Baseline) -> tuple[list[Finding], BaselineInfo]:
    """Each unsuppressed finding marked ``known`` or ``new`` (a suppressed one answers to its
    suppression, not to the baseline); the counts, and how many baseline entries are fixed."""
    known = baseline.fingerprints
    out = [
        f
        if f.suppressed
        else dataclasses.replace(
            f, baseline=BaselineState.KNOWN if f.fingerprint in known else BaselineState.NEW
        )
        for f in findings
    ]
    active = [f for f in out if f.suppressed is None]
    seen = {f.fingerprint for f in out}
    info = BaselineInfo(
        file=baseline.file,
        new=sum(f.baseline is BaselineState.NEW for f in active),
        known=sum(f.baseline is BaselineState.KNOWN for f in active),
        fixed=len(known - seen),
    )
    return out, info


@dataclass
class Diff:
    old: str
    new: str
    added: list[dict[str, Any]] = field(default_factory=list)
    fixed: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)

    def failing(self, fail_on: FailOn | str) -> bool:
        # a severity this version does not know counts as an error: never pass silently
        return fails((_severity(f.get("severity")) for f in self.added), fail_on)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "summary": {"new": len(self.added), "fixed": len(self.fixed), "unchanged": len(self.unchanged)},
            "new_findings": self.added,
            "fixed_findings": self.fixed,
            "unchanged_findings": self.unchanged,
        }


def diff_reports(old: Path, new: Path) -> Diff:
    """Compare two JSON reports by fingerprint (suppressed findings are left out)."""

    def open_findings(path: Path) -> dict[str, dict[str, Any]]:
        return {f["fingerprint"]: f for f in _load_json(path)["findings"] if not f.get("suppressed")}

    before, after = open_findings(old), open_findings(new)
    return Diff(
        old=str(old),
        new=str(new),
        added=[after[k] for k in after if k not in before],
        fixed=[before[k] for k in before if k not in after],
        unchanged=[after[k] for k in after if k in before],
    )


def _severity(value: Any) -> Severity:
    try:
        return Severity(str(value))
    except ValueError:
        return Severity.ERROR


def render_diff_text(d: Diff) -> str:
    lines = [f"cdk-audit diff {d.old} -> {d.new}"]
    for title, items in (("new", d.added), ("fixed", d.fixed)):
        lines.append("")
        lines.append(f"{len(items)} {title}:")
        for f in items:
            where = f.get("construct_path") or f.get("logical_id") or f.get("template")
            lines.append(f"  {'+' if title == 'new' else '-'} {f.get('severity', ''):<7} {f.get('slug')} {where}")
            lines.append(f"      {f.get('message')}")
    lines.append("")
    lines.append(f"{len(d.added)} new, {len(d.fixed)} fixed, {len(d.unchanged)} unchanged")
    return "\n".join(lines) + "\n"


def render_diff_json(d: Diff) -> str:
    return json.dumps(d.to_dict(), indent=2) + "\n"
