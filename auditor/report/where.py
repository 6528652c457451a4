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


def location_key(f: Finding) -> tuple[str, int, int]:
    """Sort by where to fix it: file, then line and column as numbers."""
    if f.source is not None:
        return f.source.file, f.source.line, f.source.column or 0
    return template_file(f), f.line or 0, 0


def caller_text(f: Finding) -> str | None:
    """The call of the user's own helper that made the construct (the second user frame),
    when the innermost one is inside that helper."""
    if f.source is None or len(f.source.frames) < 2:
        return None
    caller = f.source.frames[1]
    return f"{caller.file}:{caller.line}" + (f" ({caller.function})" if caller.function else "")
