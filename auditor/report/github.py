"""GitHub workflow commands: one ``::error``/``::warning``/``::notice`` line per finding,
which GitHub shows as an annotation on the pull request's diff, on any repository
(no code scanning needed), as ruff's ``--output-format github`` does.

A finding with a source location is annotated at the user's file and line (relative
to the source root, which must be the repository root: run from it). One without is
annotated at its template only when the template lies inside the repository (a
committed template); otherwise it is an annotation on the run, without a file.
"""

from __future__ import annotations

from pathlib import Path

from auditor.findings import Finding, Severity
from auditor.report.model import Report
from auditor.synth_errors import strip_ansi

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF escaped (GitHub's own rules)."""
    return strip_ansi(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    """A property value (file, title): also ``:`` and ``,``, which end a property."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _template_in_repo(f: Finding, root: Path | None) -> str | None:
    if root is None:
        return None
    path = Path(f.template)
    try:
        return path.resolve().relative_to(root).as_posix() if path.is_absolute() else None
    except ValueError:
        return None


def _line(f: Finding, root: Path | None) -> str:
    props: list[str] = []
    if f.source is not None:
        props += [f"file={_prop(f.source.file)}", f"line={f.source.line}"]
        if f.source.column:
            props.append(f"col={f.source.column}")
    elif (rel := _template_in_repo(f, root)) is not None:
        props.append(f"file={_prop(rel)}")
        if f.line:
            props.append(f"line={f.line}")
    props.append(f"title={_prop(f'{f.check_id} {f.slug}')}")
    what = f.construct_path or f.logical_id or f.stack  # a stack-wide finding: its stack
    body = f"{f.message}" + (f" ({what})" if what else "") + (f" Fix: {f.remediation}" if f.remediation else "")
    return f"::{_COMMAND[f.severity]} {','.join(props)}::{_data(body)}"


def render(report: Report) -> str:
    root = Path(report.source_root).resolve() if report.source_root else None
    lines: list[str] = []
    if report.synth is not None and not report.synth.ok:
        located = [e for e in report.synth.errors if e.file]
        for e in located:
            props = [f"file={_prop(e.file or '')}", f"line={e.line}"] + ([f"col={e.column}"] if e.column else [])
            lines.append(f"::error {','.join(props)},title=cdk synth failed::{_data(e.message)}")
        if not located:
            lines.append(f"::error title=cdk synth failed::{_data(report.synth.error or 'cdk synth failed')}")
        return "\n".join(lines) + "\n"
    lines += [_line(f, root) for f in report.active()]
    return "\n".join(lines) + ("\n" if lines else "")
