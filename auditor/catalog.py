"""What every id a report can hold means: our checks, cfn-lint's built-in rules, the
ids cdk-audit reports about its input (a template that does not parse, an assembly that
cannot be loaded), and rules merged from CDK validation plugins.

The check stage describes the rules behind its findings once (``RuleInfo``), so the
report writers (SARIF, JUnit, HTML) and ``cdk-audit explain`` read the same text and
never load rules themselves.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditor.findings import Finding, Reporter, Severity
from auditor.registry import check_classes, find_check

if TYPE_CHECKING:  # the rule base imports cfn-lint, which only the check stage needs (auditor.warm)
    from auditor.rule import AuditRule

PARSE_ERROR_ID, PARSE_ERROR_SLUG = "E0000", "template-parse-error"
LOAD_ERROR_ID, LOAD_ERROR_SLUG = "E9900", "assembly-error"


@dataclass(frozen=True)
class RuleInfo:
    id: str
    slug: str
    title: str
    severity: Severity
    reported_by: Reporter
    description: str = ""
    #: the long documentation, Markdown (ours: the check's docstring)
    doc: str = ""
    remediation: str = ""
    url: str | None = None
    tags: tuple[str, ...] = ()


def of_check(cls: type[AuditRule]) -> RuleInfo:
    return RuleInfo(
        id=cls.id,
        slug=cls.slug,
        title=cls.shortdesc,
        severity=Severity(cls.severity_level),
        reported_by=Reporter.CDK_AUDIT,
        description=cls.description or cls.shortdesc,
        doc=cls.doc(),
        remediation=cls.remediation,
        url=cls.source_url or None,
        tags=tuple(cls.tags or ()),
    )


def of_cfn_lint(rule: Any) -> RuleInfo:
    """A cfn-lint rule, from the metadata it carries (``shortdesc``, ``description``, …)."""
    rid = str(rule.id)
    short = str(getattr(rule, "shortdesc", "") or rid)
    description = str(getattr(rule, "description", "") or short)
    url = str(getattr(rule, "source_url", "") or "") or None
    doc = (
        f"## What it does\n{description}\n\n"
        "## Why is this bad?\ncfn-lint, AWS's CloudFormation linter, reports it: the template may not deploy, or "
        "may not do what it says.\n\n"
        f"## References\n- {url or 'https://github.com/aws-cloudformation/cfn-lint'}\n\n"
        "Reported by cfn-lint's built-in rules; turn them off with `cfn-lint-rules = false`, or this one with "
        f'`ignore = ["{rid}"]`.'
    )
    return RuleInfo(
        id=rid,
        slug=rid,
        title=short,
        severity=Severity.of_rule_id(rid),
        reported_by=Reporter.CFN_LINT,
        description=description,
        doc=doc,
        url=url,
        tags=tuple(str(t) for t in getattr(rule, "tags", None) or ()),
    )


PSEUDO: dict[str, RuleInfo] = {
    PARSE_ERROR_ID: RuleInfo(
        id=PARSE_ERROR_ID,
        slug=PARSE_ERROR_SLUG,
        title="A template that cannot be read",
        severity=Severity.ERROR,
        reported_by=Reporter.CDK_AUDIT,
        description="The file is not valid JSON or YAML, or not a CloudFormation template object.",
        doc=inspect.cleandoc(
            """
            ## What it does
            Reports a template file that cdk-audit cannot decode (invalid JSON or YAML,
            duplicate keys, a document that is not an object, an unreadable file). The file
            gets this one finding; every other template is still audited.

            ## Why is this bad?
            Nothing in the file was checked, and CloudFormation will refuse it too.

            ## Use instead
            Fix the syntax at the line the finding names, or re-run `cdk synth` if the
            file was written by CDK and has been changed since.
            """
        ),
        remediation="Fix the file's syntax at the line named, then re-run.",
    ),
    LOAD_ERROR_ID: RuleInfo(
        id=LOAD_ERROR_ID,
        slug=LOAD_ERROR_SLUG,
        title="A cloud assembly that cannot be loaded",
        severity=Severity.ERROR,
        reported_by=Reporter.CDK_AUDIT,
        description="manifest.json, or a file it names, is missing, malformed or outside the assembly.",
        doc=inspect.cleandoc(
            """
            ## What it does
            Reports a problem with the cloud assembly itself (`cdk.out`): a missing or
            malformed `manifest.json`, a template or metadata file it names that is missing,
            or a path that points outside the assembly folder (never read).

            ## Why is this bad?
            The stacks behind it were not audited; a CI gate that passes on them proves
            nothing.

            ## Use instead
            Re-run `cdk synth` into a clean folder, and scan that folder.
            """
        ),
        remediation="Re-run `cdk synth` into a clean output folder and scan it.",
    ),
}


def of_finding(f: Finding) -> RuleInfo:
    """A rule known only by its finding: one merged from a CDK validation plugin's report."""
    return RuleInfo(
        id=f.check_id,
        slug=f.slug,
        title=f.slug,
        severity=f.severity,
        reported_by=f.reported_by,
        description=f.message,
        doc=f"## What it does\n{f.message}\n\nReported by a CDK policy validation plugin during `cdk synth`.",
        remediation=f.remediation,
    )


def lookup(id_or_slug: str) -> RuleInfo | None:
    """Any id or slug a report can hold (merged plugin rules aside: their text is in the report)."""
    key = id_or_slug.strip()
    cls = find_check(key)
    if cls is not None:
        return of_check(cls)
    for info in PSEUDO.values():
        if key.upper() == info.id or key.lower() == info.slug:
            return info
    if "/" in key:  # a CDK validation plugin's rule, merged from validation-report.json
        return _plugin_rule(key)
    from auditor.lint import builtin_rules  # cfn-lint's rules load only when asked for

    rule = builtin_rules().get(key.upper())
    return of_cfn_lint(rule) if rule is not None else None


def _plugin_rule(check_id: str) -> RuleInfo:
    prefix, rule = check_id.rsplit("/", 1)
    plugin = "CDK's own CloudFormation Validate plugin" if prefix == "cfn-validate" else f"the CDK plugin {prefix!r}"
    return RuleInfo(
        id=check_id,
        slug=check_id,
        title=f"{rule}, reported by {plugin}",
        severity=Severity.of_rule_id(rule) if rule[:1] in "EWI" else Severity.WARNING,
        reported_by=Reporter.CDK,
        description=f"Rule {rule} of {plugin}, read from the assembly's validation-report.json.",
        doc=(
            f"## What it does\nRule `{rule}` of {plugin}, which ran during `cdk synth` and wrote its "
            "violations to `cdk.out/validation-report.json`; cdk-audit reports each one under this id. "
            "Where one of our checks or cfn-lint reports the same problem on the same resource, that "
            "finding carries this one in `also_reported_by` instead.\n\n"
            f'Turn it off with `ignore = ["{check_id}"]` (or `["{prefix}"]` for the whole plugin), or '
            "suppress it like any other check."
        ),
    )


def all_ids() -> list[str]:
    return [c.id for c in check_classes()] + list(PSEUDO)
