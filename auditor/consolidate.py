"""Findings as a person should read them: one per problem and resource, CDK's own output
left out, and a fix that is one line for a whole stack reported once.

Three small, pure stages of the check stage (``auditor.pipeline``), each taking findings
and returning new ones:

- ``drop_cdk_own``: cfn-lint rules that fire on what CDK itself writes (W3005 on CDK's
  ``DependsOn``; ``auditor.incidental.CDK_OUTPUT_RULES``) on CDK templates, and
  ``iam-least-privilege`` findings on a policy a CDK construct wrote for itself (the
  construct's creation stack says who created it: ``incidental.written_by_construct``).
- ``fold_duplicates``: the same problem on the same resource reported by several reporters
  (our check, cfn-lint, a CDK validation plugin) becomes one finding, the reporter we trust
  most first (ours, then cfn-lint, then the plugin), the others kept in ``also_reported_by``.
  Which findings are "the same problem" is the reviewed table ``SAME_PROBLEM`` (rule ids,
  scoped to one resource and, where a rule reports several things, one property), plus a
  plugin rule with the id of the finding it repeats; never a comparison of message text.
- ``aggregate``: for checks whose fix is one line for the whole app (``AuditRule.aggregate``,
  e.g. ``required-tags``: ``Tags.of(app).add(...)``), one finding per stack and message, with
  every resource in ``resources``. It runs after suppressions, so a suppressed resource
  leaves the aggregate (and stays in the report, suppressed, with its reason); its
  fingerprint is the check's, the stack's and the message's (the missing tag set), so it
  survives resources being added or removed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from auditor.assembly import Stack
from auditor.findings import Affected, AlsoReported, Finding, Reporter
from auditor.incidental import fires_on_cdk_output, written_by_construct
from auditor.validation_report import PLUGIN_PREFIX, rule_of

Placed = tuple[Stack | None, Finding]

#: the prefix of the CDK plugin whose rule ids are cfn-lint's
_CFN_VALIDATE = PLUGIN_PREFIX["CloudFormation Validate"] + "/"
_DIGITS = re.compile(r"\d+")
#: a key part that stands for any property of the resource
_ANY = "\x00any"
#: who is trusted most when one problem is reported several times
_RANK = {Reporter.CDK_AUDIT: 0, Reporter.CFN_LINT: 1, Reporter.CDK: 2}


@dataclass(frozen=True)
class Member:
    """One reporter's rule for a problem; ``prop``: the property below the resource its
    finding must be about (a prefix, ``Properties/X``), None: any."""

    reporter: Reporter
    rule: str  # our slug, a cfn-lint id, or a merged plugin id
    prop: str | None = None

    def matches(self, f: Finding) -> bool:
        if f.reported_by is not self.reporter or self.rule.upper() not in (f.check_id.upper(), f.slug.upper()):
            return False
        if self.prop is None:
            return True
        path = f.property_path or ""
        return path == self.prop or path.startswith(self.prop + "/")


_OURS, _LINT, _CDK = Reporter.CDK_AUDIT, Reporter.CFN_LINT, Reporter.CDK

#: problems more than one reporter finds, each a tuple of the rules that report it
SAME_PROBLEM: tuple[tuple[Member, ...], ...] = (
    # an RDS engine version that does not exist, or can no longer create instances
    (
        Member(_OURS, "rds-engine-version", "Properties/EngineVersion"),
        Member(_LINT, "E3690", "Properties/EngineVersion"),
        Member(_LINT, "E3691", "Properties/EngineVersion"),
        Member(_LINT, "W3690"),  # "deprecated and cannot be used to create new RDS DB clusters"
        Member(_LINT, "W3691"),  # … instances
        Member(_CDK, _CFN_VALIDATE + "E9006", "Properties/EngineVersion"),  # an enum value, here the version
    ),
    # a security group open to the internet on a sensitive port (SSH, RDP)
    (
        Member(_OURS, "security-groups", "Properties/SecurityGroupIngress"),
        Member(_OURS, "security-groups", "Properties/CidrIp"),  # AWS::EC2::SecurityGroupIngress
        Member(_CDK, _CFN_VALIDATE + "W2508"),
    ),
    # RDS storage not encrypted
    (
        Member(_OURS, "rds-hardening", "Properties/StorageEncrypted"),
        Member(_CDK, _CFN_VALIDATE + "W9008"),
    ),
)


def drop_cdk_own(placed: Iterable[Placed], iam_slug: str = "iam-least-privilege") -> list[Placed]:
    """``placed`` without the findings that are about CDK's own output (see the module doc)."""
    out = []
    for stack, f in placed:
        if stack is not None and _cdk_own(stack, f, iam_slug):
            continue
        out.append((stack, f))
    return out


def _cdk_own(stack: Stack, f: Finding, iam_slug: str) -> bool:
    if f.reported_by is Reporter.CFN_LINT or (f.reported_by is Reporter.CDK and f.check_id.startswith(_CFN_VALIDATE)):
        return fires_on_cdk_output(rule_of(f.check_id), stack.template, f.logical_id)
    if f.slug == iam_slug and f.logical_id:
        res = stack.resources.get(f.logical_id)
        is_policy = isinstance(res, dict) and res.get("Type") == "AWS::IAM::Policy"
        return is_policy and f.source is not None and written_by_construct(f.source.via)
    return False


def _problem_of(f: Finding) -> int | None:
    return next((i for i, members in enumerate(SAME_PROBLEM) if any(m.matches(f) for m in members)), None)


def fold_duplicates(placed: Sequence[Placed]) -> list[Placed]:
    """One finding per problem and resource: the others folded into ``also_reported_by``."""
    order = sorted(range(len(placed)), key=lambda i: (_RANK[placed[i][1].reported_by], i))
    primary: dict[tuple[object, ...], int] = {}  # (template, logical id, problem or rule[, property]) -> kept
    folded: dict[int, list[AlsoReported]] = {}
    dropped: set[int] = set()
    for i in order:
        f = placed[i][1]
        if not f.logical_id:
            continue
        where = (f.template, f.logical_id)
        keys: list[tuple[object, ...]] = []
        problem = _problem_of(f)
        if problem is not None:
            keys.append((*where, problem))
        if f.reported_by is Reporter.CFN_LINT:
            keys.append((*where, f.check_id.upper()))
        elif f.reported_by is Reporter.CDK_AUDIT:
            for rid in (f.check_id.upper(), f.slug.upper()):
                keys += [(*where, rid, f.property_path), (*where, rid, _ANY)]
        elif f.check_id.startswith(_CFN_VALIDATE):  # CDK's plugin repeating a cfn-lint rule by its id
            keys.append((*where, rule_of(f.check_id).upper()))
        else:  # our own AuditPlugin: the same check, on the same property where it says one
            keys += [(*where, f.check_id.upper(), f.property_path), (*where, f.check_id.upper(), _ANY)]
        kept = next((primary[k] for k in keys if k in primary), None)
        if kept is not None and placed[kept][1].reported_by is not f.reported_by:
            folded.setdefault(kept, []).append(AlsoReported(f.check_id, f.reported_by, f.message))
            dropped.add(i)
            continue
        for k in keys:
            primary.setdefault(k, i)
    out = []
    for i, (stack, f) in enumerate(placed):
        if i in dropped:
            continue
        if i in folded:
            f = dataclasses.replace(f, also_reported_by=(*f.also_reported_by, *folded[i]))
        out.append((stack, f))
    return out


def aggregate_fingerprint(slug: str, stack: str, message: str) -> str:
    parts = ["aggregate", slug, stack, _DIGITS.sub("#", message)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def aggregate(findings: Sequence[Finding], slugs: Collection[str]) -> list[Finding]:
    """Active findings of ``slugs`` as one finding per stack, template and message."""
    groups: dict[tuple[str, str, str, str], list[Finding]] = {}
    out: list[Finding | tuple[str, str, str, str]] = []
    for f in findings:
        if f.slug not in slugs or f.suppressed is not None or f.resources or f.reported_by is not Reporter.CDK_AUDIT:
            out.append(f)
            continue
        key = (f.stack, f.template, f.slug, f.message)
        if key not in groups:
            groups[key] = []
            out.append(key)  # the aggregate takes the place of its first member
        groups[key].append(f)
    return [_aggregated(groups[item]) if isinstance(item, tuple) else item for item in out]


def _aggregated(members: list[Finding]) -> Finding:
    first = members[0]
    resources = tuple(Affected(f.logical_id, f.construct_path, f.line) for f in members)
    also = tuple(dict.fromkeys(a for f in members for a in f.also_reported_by))
    message = first.message if len(members) == 1 else f"{first.message} ({len(members)} resources)"
    return dataclasses.replace(
        first,
        message=message,
        resources=resources,
        also_reported_by=also,
        fingerprint=aggregate_fingerprint(first.slug, first.stack, first.message),
    )
