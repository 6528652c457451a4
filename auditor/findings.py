"""The Finding record and its stable fingerprint."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from auditor.source import SourceLocation

_DIGITS = re.compile(r"\d+")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def letter(self) -> str:
        """The first letter of a cfn-lint rule id of this severity."""
        return self.value[0].upper()

    @classmethod
    def of_rule_id(cls, rule_id: str) -> Severity:
        """cfn-lint's convention: E… error, W… warning, I… informational."""
        return {"E": cls.ERROR, "W": cls.WARNING, "I": cls.INFO}.get(rule_id[:1].upper(), cls.ERROR)


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class Reporter(StrEnum):
    """Who reported a finding: one of our checks, a cfn-lint built-in, or a CDK plugin."""

    CDK_AUDIT = "cdk-audit"
    CFN_LINT = "cfn-lint"
    CDK = "cdk"


class BaselineState(StrEnum):
    NEW = "new"
    KNOWN = "known"


@dataclass(frozen=True)
class AlsoReported:
    """Another reporter's finding of the same problem on the same resource, folded into
    this one (``auditor.consolidate``): kept so nothing it said is lost."""

    check_id: str
    reported_by: Reporter
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "reported_by", Reporter(self.reported_by))


@dataclass(frozen=True)
class Affected:
    """One resource of an aggregated finding (one fix for many resources)."""

    logical_id: str | None
    construct_path: str | None
    line: int | None = None


@dataclass(frozen=True)
class Finding:
    """One problem on one resource (or template, or app), as every report shows it.

    Immutable: a later stage (suppressions, baselines) returns a changed copy.
    """

    check_id: str
    slug: str
    severity: Severity
    message: str
    stack: str
    template: str
    line: int | None = None
    logical_id: str | None = None
    construct_path: str | None = None
    property_path: str | None = None
    remediation: str = ""
    reported_by: Reporter = Reporter.CDK_AUDIT
    suppressed: str | None = None  # the reason, when suppressed
    baseline: BaselineState | None = None  # set when compared with a baseline
    #: where in the user's own code the construct was created (CDK's creation stack)
    source: SourceLocation | None = None
    #: the same problem on the same resource as other reporters saw it (cfn-lint, CDK plugins)
    also_reported_by: tuple[AlsoReported, ...] = ()
    #: an aggregated finding (one fix for the whole stack): every resource it covers
    resources: tuple[Affected, ...] = ()
    fingerprint: str = ""

    def __post_init__(self) -> None:
        # Coerce plain strings (JSON, hand-written tests) to the enums; derive the fingerprint.
        object.__setattr__(self, "severity", Severity(self.severity))
        object.__setattr__(self, "reported_by", Reporter(self.reported_by))
        if self.baseline is not None:
            object.__setattr__(self, "baseline", BaselineState(self.baseline))
        object.__setattr__(self, "also_reported_by", tuple(self.also_reported_by))
        object.__setattr__(self, "resources", tuple(self.resources))
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", fingerprint(self))

    @property
    def active(self) -> bool:
        """Whether it counts (and gates): neither suppressed nor known from a baseline."""
        return self.suppressed is None and self.baseline is not BaselineState.KNOWN

    @property
    def count(self) -> int:
        """How many resources the finding covers (more than one when aggregated)."""
        return len(self.resources) or 1

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("severity", "reported_by", "baseline"):
            out[key] = None if out[key] is None else str(out[key])
        out["source"] = source_dict(self.source)
        out["also_reported_by"] = [
            {"check_id": a.check_id, "reported_by": str(a.reported_by), "message": a.message}
            for a in self.also_reported_by
        ]
        out["resources"] = [asdict(r) for r in self.resources]
        out["count"] = self.count
        return out


def source_dict(loc: SourceLocation | None) -> dict[str, Any] | None:
    """The JSON shape of a source location: ``file`` relative to the source root, ``line``,
    ``column`` (or null), and the chain of user ``frames``, innermost first."""
    if loc is None:
        return None
    return {
        "file": loc.file,
        "line": loc.line,
        "column": loc.column,
        "frames": [{"file": f.file, "line": f.line, "column": f.column, "function": f.function} for f in loc.frames],
    }


def fingerprint(f: Finding) -> str:
    """A hash of what the finding is about, not where it sits in the file.

    Built from the check, the stack, the resource (construct path when known, so a
    logical-id change from a refactor that keeps the construct stays the same) and
    the property path; the message only with its numbers removed, so that two
    distinct problems on one property differ while "7 days" -> "14 days" does not.
    Line numbers and finding order never enter it.
    """
    # A construct path already names its stack (and stage): leaving the stack's name
    # out then keeps a scan of loose templates independent of the folder they sit in.
    where = [f.construct_path] if f.construct_path else [f.stack, f.logical_id or ""]
    msg = _DIGITS.sub("#", f.message)
    parts = [f.slug or f.check_id, *where, f.property_path or "", msg]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class AssemblyMatch:
    """What an assembly-scoped check returns: a path in one stack's template.

    ``construct_path`` names the construct when it is not the resource at ``path``
    (an annotation on a construct that has no resource of its own); ``source`` places it
    in the user's code when no construct can be tied to it (a deprecated call found there).
    """

    stack: str
    path: list[str | int]
    message: str
    construct_path: str | None = None
    #: where in the user's code, when the check found it there itself (not from a construct)
    source: SourceLocation | None = None
