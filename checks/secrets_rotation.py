"""E9206 secrets-rotation: database secrets rotate, through a rotation function that exists."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import (
    TemplateIndex,
    getatt_attribute,
    index,
    is_true,
    properties,
    references,
    sub_text,
    target,
)
from auditor.rule import AuditRule

SECRET = "AWS::SecretsManager::Secret"
ATTACHMENT = "AWS::SecretsManager::SecretTargetAttachment"
SCHEDULE = "AWS::SecretsManager::RotationSchedule"
RDS = ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster")
_RESOLVE = "{{resolve:secretsmanager:"


def _resolved_secrets(value: Any) -> set[str]:
    """Secrets a ``{{resolve:secretsmanager:...}}`` dynamic reference in ``value`` reads."""
    text = sub_text(value)
    if text is None or _RESOLVE not in text:
        return set()
    return references(value)


def _managed_secret(secret_id: Any) -> bool:
    """A secret another service manages and rotates without a function (RDS ``MasterUserSecret``,
    or a literal ARN of a ``rds!…`` / ``redshift!…`` secret)."""
    attr = getatt_attribute(secret_id)
    if attr is not None and attr.startswith("MasterUserSecret"):
        return True
    text = sub_text(secret_id)
    return text is not None and re.search(r":secret:[a-z-]+!", text) is not None


class SecretsRotation(AuditRule):
    """Secrets Manager secrets that hold database credentials rotate.

    ## What it does
    A secret is a *database secret* when an `AWS::SecretsManager::SecretTargetAttachment`
    refers to it, or an `AWS::RDS::DBInstance` / `AWS::RDS::DBCluster` reads its
    `MasterUsername` or `MasterUserPassword` from it through a
    `{{resolve:secretsmanager:...}}` dynamic reference (what `rds.Credentials` writes).
    A database secret without an `AWS::SecretsManager::RotationSchedule` for it is
    reported, unless the database has `ManageMasterUserPassword: true` (RDS rotates its
    own managed secret).

    An `AWS::SecretsManager::RotationSchedule` that rotates nothing is reported too: one
    with neither a `RotationLambdaARN` nor a `HostedRotationLambda` (a secret managed by
    another service, such as RDS's `MasterUserSecret`, needs no function and is exempt),
    and one whose `RotationLambdaARN` refers (`Ref`/`Fn::GetAtt`) to a resource that is
    not in the template, without a `HostedRotationLambda`. Literal ARNs, imports and
    parameters are unknown at synth time and stay silent.

    ## Why is this bad?
    A database password that never changes outlives the people and machines that once
    knew it; PCI DSS asks for regular rotation of application credentials. Rotation also
    proves the rotation path works before it is needed after a leak.

    ## Example
    ```python
    rds.DatabaseInstance(self, "Ledger", engine=engine, vpc=vpc,
                         credentials=rds.Credentials.from_generated_secret("settlement"))
    ```

    ## Use instead
    ```python
    db = rds.DatabaseInstance(self, "Ledger", engine=engine, vpc=vpc,
                              credentials=rds.Credentials.from_generated_secret("settlement"))
    db.add_rotation_single_user(automatically_after=Duration.days(30))
    ```

    ## Options
    None.

    ## References
    - https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets.html
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_rds/DatabaseInstance.html#aws_cdk.aws_rds.DatabaseInstance.add_rotation_single_user
    """

    id = "E9206"
    slug = "secrets-rotation"
    severity_level = Severity.ERROR
    shortdesc = "Database secrets in Secrets Manager rotate"
    description = (
        "Secrets attached to a database need a RotationSchedule; a schedule needs a rotation function "
        "(RotationLambdaARN pointing at a resource that exists, or HostedRotationLambda)."
    )
    source_url = "https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets.html"
    tags = ["secretsmanager", "rds", "security"]
    remediation = "Call `db.add_rotation_single_user()` on the database (or `secret.add_rotation_schedule(...)`)."

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        params = cfn.template.get("Parameters")
        out: list[RuleMatch] = []
        rotated: set[str] = set()
        for lid, res in idx.of_type(SCHEDULE):
            props = properties(res)
            for ref in references(props.get("SecretId")):
                rotated.add(ref)
                if idx.type_of(ref) == ATTACHMENT:  # Ref of an attachment is its secret's ARN (CDK's shape)
                    rotated.update(references(properties(idx.resources[ref]).get("SecretId")))
            fn = props.get("RotationLambdaARN")
            tgt = target(fn)
            if fn is None and "HostedRotationLambda" not in props and not _managed_secret(props.get("SecretId")):
                out.append(self.finding(["Resources", lid, "Properties"],
                                        "Rotation schedule has no rotation function, so it never rotates; pass "
                                        "`rotation_lambda=fn` or `hosted_rotation=...`"))
            elif (
                tgt is not None
                and "HostedRotationLambda" not in props
                and tgt not in idx.resources
                and not (isinstance(params, Mapping) and tgt in params)
            ):
                out.append(self.finding(["Resources", lid, "Properties", "RotationLambdaARN"],
                                        f"Rotation function {tgt} is not in this template; point the schedule at an "
                                        "existing function or use hosted rotation"))
        for secret, managed in sorted(self._database_secrets(idx).items()):
            secret_res = idx.resources.get(secret)
            if secret_res is None or secret_res.get("Type") != SECRET or secret in rotated or managed:
                continue
            if not is_cdk_helper(secret, secret_res):
                out.append(self.finding(["Resources", secret],
                                        "Database secret never rotates; call `db.add_rotation_single_user()` on "
                                        "the database"))
        return out

    @staticmethod
    def _database_secrets(idx: TemplateIndex) -> dict[str, bool]:
        """Secret logical id -> whether RDS manages (and rotates) the database's password itself."""
        found: dict[str, bool] = {}

        def add(secrets: set[str], db: Mapping[str, Any] | None) -> None:
            managed = is_true(properties(db).get("ManageMasterUserPassword")) if db is not None else False
            for s in secrets:
                found[s] = found.get(s, False) or managed

        for _, res in idx.of_type(ATTACHMENT):
            props = properties(res)
            db = idx.resources.get(target(props.get("TargetId")) or "")
            add(references(props.get("SecretId")), db)
        for _, res in idx.of_type(*RDS):
            props = properties(res)
            add(set().union(*(_resolved_secrets(props.get(k)) for k in ("MasterUsername", "MasterUserPassword"))), res)
        return found
