"""A Markdown summary fit for a pull-request comment: counts, what changed against a
baseline, the top findings (each at the user's ``file:line``), and the rest folded away.

Text from templates and manifests is data, never markup: it goes into code spans (which
render no links, emphasis or HTML), with a fence longer than any backtick run inside.
"""

from __future__ import annotations

import re

from auditor.findings import Finding, Severity
from auditor.report.model import Report
from auditor.report.where import location, resource
from auditor.synth_errors import strip_ansi

TOP = 10
_ICON = {Severity.ERROR: "🔴", Severity.WARNING: "🟠", Severity.INFO: "🔵"}


def _cell(text: str | None) -> str:
    """Report data as a code span for a table cell (or plain text when empty)."""
    flat = " ".join(strip_ansi(text or "").split())
    if not flat:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    # GFM splits table cells on | even inside code spans: it takes \| as a literal |
    return f"{fence}{pad}{flat}{pad}{fence}".replace("|", "\\|")


def _row(f: Finding) -> str:
    return (
        f"| {_ICON[f.severity]} {f.severity} | {_cell(location(f))} | {_cell(f.slug)} | {_cell(resource(f))} "
        f"| {_cell(f.message)} | {_cell(f.remediation)} |"
    )


def _table(findings: list[Finding]) -> list[str]:
    return [
        "| Severity | Where | Check | Construct | Finding | Fix |",
        "|---|---|---|---|---|---|",
        *(_row(f) for f in findings),
    ]


def render(report: Report) -> str:
    s = report.summary()
    sev = s["by_severity"]
    lines: list[str] = []
    if report.synth is not None and not report.synth.ok:
        lines += ["## cdk-audit: ❌ synth failed", ""]
        lines += [f"- {_cell(f'{e.file}:{e.line}')} {_cell(e.message)}" for e in report.synth.errors if e.file]
        error = strip_ansi(report.synth.error or "")
        fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", error)), default=0))
        lines += ["", fence, error, fence]
        return "\n".join(lines) + "\n"
    status = "❌" if sev["error"] else ("⚠️" if s["total"] else "✅")
    lines.append(
        f"## cdk-audit: {status} {s['total']} finding(s) — "
        f"{sev['error']} error(s), {sev['warning']} warning(s), {sev['info']} info"
    )
    lines.append("")
    extra = []
    if s["suppressed"]:
        extra.append(f"{s['suppressed']} suppressed")
    if report.baseline is not None:
        b = report.baseline
        extra.append(f"against baseline {_cell(b.file)}: **{b.new} new**, {b.known} known, {b.fixed} fixed")
    if extra:
        lines += ["_" + "; ".join(extra) + "_", ""]
    if s["by_stack"]:
        lines += ["| Stack | Findings |", "|---|---|"]
        lines += [f"| {_cell(k or '(app)')} | {v} |" for k, v in s["by_stack"].items()]
        lines.append("")
    active = sorted(report.active(), key=lambda f: (-f.severity.rank, f.stack, f.slug, f.line or 0))
    if active:
        title = "New findings" if report.baseline is not None else "Top findings"
        lines += [f"### {title}", "", *_table(active[:TOP]), ""]
        if len(active) > TOP:
            lines += [
                f"<details><summary>{len(active) - TOP} more</summary>",
                "",
                *_table(active[TOP:]),
                "",
                "</details>",
                "",
            ]
    for label, items in (("Suppressed", report.suppressed()), ("Known from the baseline", report.known())):
        if items:
            lines += [f"<details><summary>{label}: {len(items)}</summary>", ""]
            lines += [
                f"- {_cell(f.slug)} {_cell(location(f))} {_cell(resource(f))}"
                + (f" — {_cell(f.suppressed)}" if f.suppressed else "")
                for f in items
            ]
            lines += ["", "</details>", ""]
    if report.tool.get("cdk_audit"):
        # versions are data too (aws-cdk-lib's comes from the assembly's tree.json)
        ours, lint = _cell(report.tool["cdk_audit"]), _cell(report.tool.get("cfn_lint"))
        lines.append(f"<sub>cdk-audit {ours}, cfn-lint {lint}</sub>")
    return "\n".join(lines).rstrip() + "\n"
