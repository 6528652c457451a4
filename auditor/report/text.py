"""The report for people: findings grouped by stack, each with its construct path and fix."""

from __future__ import annotations

import io
from itertools import groupby

from rich.console import Console
from rich.markup import escape

from auditor.findings import Finding, Severity
from auditor.report.model import Report

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


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
        con.print(f"[bold]cdk-audit[/] {escape(report.app)}")
    if report.synth is not None:
        if report.synth.ok:
            con.print(f"synth ok in {report.synth.seconds or 0:.1f}s; audit {report.audit_seconds:.1f}s")
        else:
            con.print(
                "[bold red]synth failed[/]"
                + (f" after {report.synth.seconds:.1f}s" if report.synth.seconds else "")
            )
            if report.synth.command:
                con.print(f"  command: {escape(' '.join(report.synth.command))}")
            for line in (report.synth.error or "").splitlines():
                con.print(f"  {escape(line)}")
    active = sorted(report.active(), key=lambda f: (f.stack, -f.severity.rank, f.slug, f.line or 0))
    for stack, group in groupby(active, key=lambda f: f.stack):
        items = list(group)
        con.print()
        con.print(f"[bold underline]{escape(stack or '(assembly)')}[/]  {len(items)} finding(s)")
        for f in items:
            _print_finding(con, f)
    s = report.summary()
    sev = s["by_severity"]
    con.print()
    tail = f", {s['suppressed']} suppressed" if s["suppressed"] else ""
    if report.baseline is not None:
        b = report.baseline
        tail += f", {b.known} known (baseline {escape(b.file)}; {b.fixed} fixed since)"
    con.print(
        f"[bold]{s['total']} finding(s)[/]: [red]{sev['error']} error(s)[/], [yellow]{sev['warning']} warning(s)[/], "
        f"[cyan]{sev['info']} info[/]{tail} in {len(s['by_stack'])} stack(s)"
    )
    return buf.getvalue()


def _print_finding(con: Console, f: Finding) -> None:
    where = f.construct_path or f.logical_id or "(template)"
    loc = ", ".join(x for x in (f.logical_id if f.construct_path else None, _file_line(f)) if x)
    con.print(
        f"  [{_STYLE[f.severity]}]{f.severity:<7}[/] [bold]{escape(f.slug)}[/] {escape(where)}  [dim]{escape(loc)}[/]"
    )
    con.print(f"          {escape(f.message)}")
    if f.remediation:
        con.print(f"          [green]fix:[/] {escape(f.remediation)}")


def _file_line(f: Finding) -> str:
    name = f.template.rsplit("/", 1)[-1]
    return f"{name}:{f.line}" if f.line else name
