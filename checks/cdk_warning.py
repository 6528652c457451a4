"""A warning CDK itself recorded against a construct (an ``aws:cdk:warning`` annotation)."""

from __future__ import annotations

from auditor.annotations import annotation_matches
from auditor.assembly import Assembly
from auditor.findings import AssemblyMatch, Severity
from auditor.rule import AuditRule


class CdkWarning(AuditRule):
    """CDK recorded a warning against one of your constructs.

    ## What it does
    Reports every `aws:cdk:warning` annotation in the cloud assembly — what
    `Annotations.of(construct).add_warning_v2(...)` and CDK's own constructs record —
    at the construct it names.

    ## Why is this bad?
    `cdk synth` prints these once and moves on; in CI they scroll by unread. CDK warns
    about things that break in production: a VPC without the subnets a construct needs,
    a removal policy that cannot apply, a feature flag that changes behaviour.

    ## Example
    ```python
    Annotations.of(ledger_fn).add_warning_v2("payments:review", "timeout not reviewed")
    ```

    ## Use instead
    Fix what the warning names; if it does not apply, acknowledge it in the app:
    ```python
    Annotations.of(ledger_fn).acknowledge_warning("payments:review", "reviewed with SRE, 2026-11")
    ```

    ## Options
    None.

    ## References
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk/Annotations.html
    """

    id = "W9901"
    slug = "cdk-warning"
    severity_level = Severity.WARNING
    shortdesc = "CDK recorded a warning against a construct"
    description = "aws:cdk:warning annotations in the cloud assembly, located at their construct."
    source_url = "https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk/Annotations.html"
    tags = ["cdk", "annotations"]
    remediation = (
        "Fix what the warning says, or acknowledge it: `Annotations.of(c).acknowledge_warning(id, reason)`."
    )

    def match_assembly(self, assembly: Assembly) -> list[AssemblyMatch]:
        return annotation_matches(assembly, "warning")
