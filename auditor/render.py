"""The render stage: a report whose fixes read in the app's language.

Checks write messages and remediations once, in the canonical form (``auditor.fixes``);
this stage tells the app's language and returns a new ``Report`` whose findings and rule
descriptions (``Report.rules``, what SARIF's rule help shows) carry the text rendered for
it, with ``Report.language`` recorded. Every writer reads the rendered text; none renders.

What is rendered: our checks' messages and remediations. Text that is not ours keeps its
words: cfn-lint's built-in rules, findings merged from CDK validation plugins, and the
messages of the checks that quote CDK (its warnings, errors and deprecation notices).

Fingerprints are not touched: ``dataclasses.replace`` carries a finding's fingerprint,
computed from the canonical message, so a baseline or dashboard sees one finding whatever
the language.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from auditor.assembly import Assembly
from auditor.catalog import PSEUDO, RuleInfo
from auditor.findings import Finding, Reporter
from auditor.fixes import PYTHON, TYPESCRIPT, render
from auditor.report.model import Report
from auditor.source import app_language

#: checks whose message is CDK's own text (annotations, deprecation notices), quoted as is
QUOTED_MESSAGES = frozenset({"cdk-warning", "cdk-error", "cdk-deprecation"})

#: what ``app_language`` calls a language no frame or command names
_UNTOLD = "other"


def tell_language(
    app_dir: Path | None, assemblies: Sequence[Assembly] = (), findings: Iterable[Finding] = ()
) -> str | None:
    """The app's language (``python``, ``typescript``, ``javascript``, ``other``), or None when
    nothing tells.

    From cdk.json's ``app`` command: the app's own (``run``), else the one beside a scanned
    ``cdk.out`` (the app's folder, in CI). A command that names no language we know (``mvn``,
    ``dotnet``, a script) yields to the file suffixes of the findings' creation stacks, the
    most common one; with none, an app that has a command is ``other`` (Java, C#, Go) and
    hand-written templates are not known (None).
    """
    folders = [app_dir] if app_dir is not None else []
    folders += [a.directory.parent for a in assemblies if a.directory is not None]
    command = next((f for f in folders if _has_app_command(f)), None)
    if command is not None and (language := app_language(command)) != _UNTOLD:
        return language
    told = Counter(
        language
        for f in findings
        if f.source is not None and (language := app_language(None, f.source.frames)) != _UNTOLD
    )
    if told:
        return told.most_common(1)[0][0]
    return _UNTOLD if command is not None else None


def fixes_language(language: str | None) -> str | None:
    """The form fixes take: Python for Python apps, TypeScript for every other language
    jsii serves (TypeScript and JavaScript read it as is; Java, C# and Go come closest to
    it), and the canonical form (Python) when the language is not known."""
    if language is None:
        return None
    return PYTHON if language == PYTHON else TYPESCRIPT


def render_finding(f: Finding, language: str | None) -> Finding:
    if f.reported_by is not Reporter.CDK_AUDIT or f.check_id in PSEUDO:
        return f
    message = f.message if f.slug in QUOTED_MESSAGES else render(f.message, language)
    remediation = render(f.remediation, language)
    if (message, remediation) == (f.message, f.remediation):
        return f
    return dataclasses.replace(f, message=message, remediation=remediation)


def render_rule(info: RuleInfo, language: str | None) -> RuleInfo:
    if info.reported_by is not Reporter.CDK_AUDIT or info.id in PSEUDO or not info.remediation:
        return info
    return dataclasses.replace(info, remediation=render(info.remediation, language))


def render_report(report: Report, language: str | None) -> Report:
    """``report`` for an app in ``language`` (as ``app_language`` tells it; None: unknown)."""
    form = fixes_language(language)
    return dataclasses.replace(
        report,
        findings=tuple(render_finding(f, form) for f in report.findings),
        rules={rid: render_rule(info, form) for rid, info in report.rules.items()},
        language=language,
    )


def _has_app_command(folder: Path) -> bool:
    try:
        data = json.loads((folder / "cdk.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("app"), str)
