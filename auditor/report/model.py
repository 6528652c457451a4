"""The Report record: findings plus what happened during synth, and the summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from auditor.catalog import RuleInfo, of_finding
from auditor.findings import BaselineState, Finding, Severity
from auditor.jsonfile import JsonFileError, read_json
from auditor.synth_errors import ErrorLocation

SCHEMA_VERSION = "2.2"


@dataclass(frozen=True)
class SynthInfo:
    ok: bool = True
    seconds: float | None = None
    #: the whole error as a person reads it (colour-free)
    error: str | None = None
    warnings: tuple[str, ...] = ()
    command: tuple[str, ...] | None = None
    #: python-exception | validation | typescript | other, when synth failed
    error_kind: str | None = None
    #: each error with its place in the user's code, when that is known
    errors: tuple[ErrorLocation, ...] = ()


@dataclass(frozen=True)
class BaselineInfo:
    """What a comparison with a baseline found; ``fixed`` are baseline entries seen no more."""

    file: str
    new: int = 0
    known: int = 0
    fixed: int = 0


@dataclass(frozen=True)
class Report:
    app: str | None
    findings: tuple[Finding, ...]
    synth: SynthInfo | None = None
    audit_seconds: float = 0.0
    tool: Mapping[str, str | None] = field(default_factory=dict)
    schema_version: str = SCHEMA_VERSION
    #: names of the stacks audited, and ids of our checks that ran (for JUnit/SARIF)
    stacks: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    baseline: BaselineInfo | None = None
    #: what each id in ``findings`` means (from the check stage; writers never load rules)
    rules: Mapping[str, RuleInfo] = field(default_factory=dict)
    #: what source locations are relative to (the repository root, usually); None: no sources
    source_root: str | None = None
    #: what a person should know about how far the audit saw (e.g. what `scan` cannot see)
    notes: tuple[str, ...] = ()
    #: the app's language (python, typescript, javascript, other), whose form the fixes take
    #: (auditor.render); None: not known, fixes in the canonical (Python) form
    language: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", tuple(self.findings))
        object.__setattr__(self, "stacks", tuple(self.stacks))
        object.__setattr__(self, "checks", tuple(self.checks))
        object.__setattr__(self, "notes", tuple(self.notes))

    def rule(self, f: Finding) -> RuleInfo:
        return self.rules.get(f.check_id) or of_finding(f)

    def active(self) -> list[Finding]:
        """The findings that count (and gate): not suppressed, not known from a baseline."""
        return [f for f in self.findings if f.active]

    def suppressed(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed is not None]

    def known(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed is None and f.baseline is BaselineState.KNOWN]

    def summary(self) -> dict[str, Any]:
        active = self.active()
        return {
            "total": len(active),
            "suppressed": len(self.suppressed()),
            "known": len(self.known()),
            "by_severity": {str(s): sum(1 for f in active if f.severity is s) for s in Severity},
            "by_check": dict(sorted(Counter(f.slug for f in active).items())),
            "by_stack": dict(sorted(Counter(f.stack for f in active).items())),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "tool": dict(self.tool),
            "app": self.app,
            "source_root": self.source_root,
            "language": self.language,
            "synth": _synth_dict(self.synth) if self.synth else None,
            "audit_seconds": round(self.audit_seconds, 3),
            "summary": self.summary(),
            "stacks": list(self.stacks),
            "baseline": asdict(self.baseline) if self.baseline else None,
            "notes": list(self.notes),
            "findings": [f.to_dict() for f in self.findings],
        }


def _synth_dict(synth: SynthInfo) -> dict[str, Any]:
    out = asdict(synth)
    out["warnings"] = list(synth.warnings)
    out["command"] = list(synth.command) if synth.command is not None else None
    out["errors"] = [asdict(e) for e in synth.errors]
    return out


def _pkg_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def tool_versions(cdk_cli: str | None = None, aws_cdk_lib: str | None = None) -> dict[str, str | None]:
    from auditor import __version__

    return {
        "cdk_audit": __version__,
        "cfn_lint": _pkg_version("cfn-lint"),
        "aws_cdk_lib": aws_cdk_lib,
        "cdk_cli": cdk_cli,
    }


def aws_cdk_lib_version(assembly_dir: Path | None) -> str | None:
    """aws-cdk-lib's version as the app used it, read from the assembly's tree.json."""
    if assembly_dir is None:
        return None
    try:  # never outside the assembly (the loader reports a tree.json that links out)
        data = read_json(assembly_dir / "tree.json", root=assembly_dir)
    except (OSError, JsonFileError):
        return None
    tree = data.get("tree") if isinstance(data, dict) else None
    children = tree.get("children") if isinstance(tree, dict) else None
    for child in children.values() if isinstance(children, dict) else ():
        info = child.get("constructInfo") if isinstance(child, dict) else None
        if isinstance(info, dict) and str(info.get("fqn", "")).startswith("aws-cdk-lib."):
            return str(info.get("version"))
    return None
