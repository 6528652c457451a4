"""The report for people: findings grouped by stack, each leading with where to fix it
(the user's ``file:line:col``), then severity, check and message; the construct path and
template location after it, then the fix. ``render_concise``: one line per finding.

Text from templates and manifests is data: terminal escape sequences are stripped from
it and rich markup in it is escaped.
"""

from __future__ import annotations

import io
from itertools import groupby

from rich.console import Console
from rich.markup import escape

from auditor.findings import Finding, Severity
from auditor.report.model import Report
from auditor.report.where import caller_text, location, location_key, resource, source_text, template_text
from auditor.synth_errors import strip_ansi

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _safe(text: str | None) -> str:
    """Report data as plain text: no escape sequences (a template can hold any string), no markup."""
    return escape(strip_ansi(text or ""))


def _order(f: Finding) -> tuple[str, int, str, int, str, int]:
    src = f.source
    return (f.stack, -f.severity.rank, src.file if src else "~", src.line if src else 0, f.slug, f.line or 0)


def render(report: Report, color: bool = False, width: int = 110) -> str:
    buf = io.StringIO()
    con = Console(
        file=buf,
        force_terminal=color,
        color_system="standard" if color else None,
        width=width,
        highlight=False,
        soft_wrap=True,
    )
    if report.app:
        con.print(f"[bold]cdk-audit[/] {_safe(report.app)}")
    failed = report.synth is not None and not report.synth.ok
    if report.synth is not None:
        if report.synth.ok:
            con.print(f"synth ok in {report.synth.seconds or 0:.1f}s; audit {report.audit_seconds:.1f}s")
        else:
            _print_synth_failure(con, report)
    active = sorted(report.active(), key=_order)
    for stack, group in groupby(active, key=lambda f: f.stack):
        items = list(group)
        con.print()
        con.print(f"[bold underline]{_safe(stack or '(app)')}[/]  {len(items)} finding(s)")
        for f in items:
            _print_finding(con, f)
    con.print()
    if failed:
        con.print("[bold red]synth failed[/]: nothing was audited (exit 2); fix the error above and re-run")
        return buf.getvalue()
    s = report.summary()
    sev = s["by_severity"]
    tail = f", {s['suppressed']} suppressed" if s["suppressed"] else ""
    if report.baseline is not None:
        b = report.baseline
        tail += f", {b.known} known (baseline {_safe(b.file)}; {b.fixed} fixed since)"
    stacks = len(report.stacks) or len([k for k in s["by_stack"] if k])
    con.print(
        f"[bold]{s['total']} finding(s)[/]: [red]{sev['error']} error(s)[/], [yellow]{sev['warning']} warning(s)[/], "
        f"[cyan]{sev['info']} info[/]{tail} in {stacks} stack(s)"
    )
    for note in report.notes:
        con.print(f"[dim]note:[/] {_safe(note)}")
    return buf.getvalue()


def _print_synth_failure(con: Console, report: Report) -> None:
    synth = report.synth
    assert synth is not None
    con.print("[bold red]synth failed[/]" + (f" after {synth.seconds:.1f}s" if synth.seconds else ""))
    for e in synth.errors:
        if e.file:
            where = f"{e.file}:{e.line}" + (f":{e.column}" if e.column else "")
            what = f"{e.code}: {e.message}" if e.code else e.message
            con.print(f"  [bold]{_safe(where)}[/]  {_safe(what)}")
    for line in (synth.error or "").splitlines():
        con.print(f"  {_safe(line)}")
    if synth.command:
        con.print(f"  [dim]command: {_safe(' '.join(synth.command))}[/]")


def _print_finding(con: Console, f: Finding) -> None:
    con.print(
        f"  [bold]{_safe(location(f))}[/]  [{_STYLE[f.severity]}]{f.severity}[/] "
        f"[bold]{_safe(f.slug)}[/]  {_safe(f.message)}"
    )
    where = resource(f) + (f" ({f.logical_id})" if f.construct_path and f.logical_id else "")
    template = f", {template_text(f)}" if source_text(f) else ""
    caller = caller_text(f)
    called = f"; called from {caller}" if caller else ""
    con.print(f"      [dim]{_safe(where)}{_safe(template)}{_safe(called)}{_safe(_more(f))}[/]")
    if f.remediation:
        con.print(f"      [green]fix:[/] {_safe(f.remediation)}")


def _flat(text: str) -> str:
    """Report data on one line: no escape sequences, no line breaks of its own."""
    return strip_ansi(text).replace("\n", " ")


#: construct paths an aggregated finding names in the text report (the JSON lists them all)
_SHOWN = 3


def _more(f: Finding) -> str:
    """What the second line adds: the other resources of an aggregate, the other reporters."""
    out = ""
    if len(f.resources) > 1:
        names = [r.construct_path or r.logical_id or "?" for r in f.resources[1:]]
        extra = f" +{len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
        out += f"; also {', '.join(names[:_SHOWN])}{extra}"
    if f.also_reported_by:
        out += "; also reported by " + ", ".join(f"{a.reported_by} {a.check_id}" for a in f.also_reported_by)
    return out


def render_concise(report: Report) -> str:
    """One line per active finding, ``file:line:col: ID [slug] message`` (ruff's concise form)."""
    lines = []
    if report.synth is not None and not report.synth.ok:
        synth = report.synth
        located = [e for e in synth.errors if e.file]
        for e in located:
            col = f":{e.column}" if e.column else ""
            lines.append(f"{_flat(e.file or '')}:{e.line}{col}: synth-error {_flat(e.message)}")
        if not located:
            first = strip_ansi(synth.error or "cdk synth failed").splitlines() or ["cdk synth failed"]
            lines.append(f"{_flat(report.app or '.')}: synth-error {first[-1]}")
        return "\n".join(lines) + "\n"
    for f in sorted(report.active(), key=lambda f: (location_key(f), f.check_id, f.message)):
        lines.append(f"{_flat(location(f))}: {_flat(f.check_id)} [{_flat(f.slug)}] {_flat(f.message)}")
    s = report.summary()
    lines.append(f"Found {s['total']} finding(s)" + (f" ({s['suppressed']} suppressed)" if s["suppressed"] else ""))
    return "\n".join(lines) + "\n"
