"""Where a finding is, as every report leads with it: the line of the user's CDK code
that created the construct (``lib/data-stack.ts:27:5``, the form editors and terminals
make clickable), else the synthesized template's file and line."""

from __future__ import annotations

import os
from pathlib import Path

from auditor.findings import Finding


def source_text(f: Finding) -> str | None:
    """``file:line[:column]`` of the user's code, or None without a trace."""
    if f.source is None:
        return None
    col = f":{f.source.column}" if f.source.column else ""
    return f"{f.source.file}:{f.source.line}{col}"


def template_file(f: Finding, cwd: Path | None = None) -> str:
    """The template's path relative to the current folder when it is below it, else its
    name (a template of a temporary assembly is gone by the time anyone reads this)."""
    path = Path(f.template)
    if not path.is_absolute():
        return f.template
    try:
        return path.relative_to((cwd or Path(os.getcwd())).resolve()).as_posix()
    except ValueError:
        return path.name


def template_text(f: Finding, cwd: Path | None = None) -> str:
    name = template_file(f, cwd)
    return f"{name}:{f.line}" if f.line else name


def location(f: Finding, cwd: Path | None = None) -> str:
    """Where to fix it: the source line, else the template line."""
    return source_text(f) or template_text(f, cwd)


def resource(f: Finding) -> str:
    return f.construct_path or f.logical_id or "(template)"
