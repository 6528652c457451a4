"""An error CDK itself recorded against a construct (an ``aws:cdk:error`` annotation)."""

from __future__ import annotations

from auditor.annotations import annotation_matches
from auditor.assembly import Assembly
from auditor.findings import AssemblyMatch, Severity
from auditor.rule import AuditRule


class CdkError(AuditRule):
    """CDK recorded an error against one of your constructs.

    ## What it does
    Reports every `aws:cdk:error` annotation in the cloud assembly at the construct it
    names. `cdk synth` normally stops on these; they reach an assembly when synth ran
    with `--ignore-errors` or the assembly was produced another way.

    ## Why is this bad?
    An error annotation means CDK knows the template will not deploy or will not do
    what the construct promised.

    ## Example
    ```python
    Annotations.of(api).add_error("no authorizer on a payments route")
    ```

    ## Use instead
    Fix the construct so that CDK no longer records the error.

    ## Options
    None.

    ## References
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk/Annotations.html
    """

    id = "E9902"
    slug = "cdk-error"
    severity_level = Severity.ERROR
    shortdesc = "CDK recorded an error against a construct"
    description = "aws:cdk:error annotations in the cloud assembly, located at their construct."
    source_url = "https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk/Annotations.html"
    tags = ["cdk", "annotations"]
    remediation = "Fix the construct the error names; `cdk synth` must pass without `--ignore-errors`."

    def match_assembly(self, assembly: Assembly) -> list[AssemblyMatch]:
        return annotation_matches(assembly, "error")
