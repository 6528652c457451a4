"""A Markdown summary fit for a pull-request comment: counts, what changed against a
baseline, the top findings, and the rest folded away."""

from __future__ import annotations

from auditor.findings import Finding, Severity
from auditor.report.model import Report

TOP = 10
_ICON = {Severity.ERROR: "🔴", Severity.WARNING: "🟠", Severity.INFO: "🔵"}


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ").strip()


def _row(f: Finding) -> str:
    where = f.construct_path or f.logical_id or "(template)"
    file = f.template.rsplit("/", 1)[-1] + (f":{f.line}" if f.line else "")
    return (
        f"| {_ICON[f.severity]} {f.severity} | `{_cell(f.slug)}` | `{_cell(where)}` | {_cell(f.message)} "
        f"| {_cell(f.remediation)} | `{_cell(file)}` |"
    )


def _table(findings: list[Finding]) -> list[str]:
    return [
        "| Severity | Check | Construct | Finding | Fix | Template |",
        "|---|---|---|---|---|---|",
        *(_row(f) for f in findings),
    ]


def render(report: Report) -> str:
    s = report.summary()
    sev = s["by_severity"]
    lines: list[str] = []
    if report.synth is not None and not report.synth.ok:
        lines += ["## cdk-audit: ❌ synth failed", "", "```", report.synth.error or "", "```"]
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
        extra.append(f"against baseline `{_cell(b.file)}`: **{b.new} new**, {b.known} known, {b.fixed} fixed")
    if extra:
        lines += ["_" + "; ".join(extra) + "_", ""]
    if s["by_stack"]:
        lines += ["| Stack | Findings |", "|---|---|"]
        lines += [f"| `{_cell(k or '(assembly)')}` | {v} |" for k, v in s["by_stack"].items()]
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
                f"- `{_cell(f.slug)}` `{_cell(f.construct_path or f.logical_id or f.template)}`"
                + (f" — {_cell(f.suppressed)}" if f.suppressed else "")
                for f in items
            ]
            lines += ["", "</details>", ""]
    if report.tool.get("cdk_audit"):
        lines.append(f"<sub>cdk-audit {report.tool['cdk_audit']}, cfn-lint {report.tool.get('cfn_lint')}</sub>")
    return "\n".join(lines).rstrip() + "\n"
