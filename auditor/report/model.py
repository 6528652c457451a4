"""The Report record: findings plus what happened during synth, and the summary."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from auditor.findings import Finding

SCHEMA_VERSION = "1.1"


@dataclass
class SynthInfo:
    ok: bool = True
    seconds: float | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    command: list[str] | None = None


@dataclass
class BaselineInfo:
    """What a comparison with a baseline found; ``fixed`` are baseline entries seen no more."""

    file: str
    new: int = 0
    known: int = 0
    fixed: int = 0


@dataclass
class Report:
    app: str | None
    findings: list[Finding]
    synth: SynthInfo | None = None
    audit_seconds: float = 0.0
    tool: dict[str, str | None] = field(default_factory=dict)
    schema_version: str = SCHEMA_VERSION
    #: names of the stacks audited, and ids of our checks that ran (for JUnit/SARIF)
    stacks: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    baseline: BaselineInfo | None = None

    def active(self) -> list[Finding]:
        """The findings that count (and gate): not suppressed, not known from a baseline."""
        return [f for f in self.findings if f.suppressed is None and f.baseline != "known"]

    def suppressed(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed is not None]

    def known(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed is None and f.baseline == "known"]

    def summary(self) -> dict[str, Any]:
        active = self.active()
        return {
            "total": len(active),
            "suppressed": len(self.suppressed()),
            "known": len(self.known()),
            "by_severity": {
                s: sum(1 for f in active if f.severity == s) for s in ("error", "warning", "info")
            },
            "by_check": dict(sorted(Counter(f.slug for f in active).items())),
            "by_stack": dict(sorted(Counter(f.stack for f in active).items())),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "tool": self.tool,
            "app": self.app,
            "synth": asdict(self.synth) if self.synth else None,
            "audit_seconds": round(self.audit_seconds, 3),
            "summary": self.summary(),
            "stacks": list(self.stacks),
            "baseline": asdict(self.baseline) if self.baseline else None,
            "findings": [f.to_dict() for f in self.findings],
        }


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
    tree = assembly_dir / "tree.json"
    try:
        data = json.loads(tree.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for child in (data.get("tree", {}).get("children") or {}).values():
        info = child.get("constructInfo") if isinstance(child, dict) else None
        if isinstance(info, dict) and str(info.get("fqn", "")).startswith("aws-cdk-lib."):
            return str(info.get("version"))
    return None
