"""W9305 removal-policy: stateful resources are retained in production, destroyable in development."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import index, is_true, literal, properties, target
from auditor.rule import AuditRule

_RETAINING = ("Retain", "RetainExceptOnCreate")
#: CloudFormation's default DeletionPolicy where it is not Delete
_DEFAULT_POLICY = {"AWS::RDS::DBCluster": "Snapshot", "AWS::RDS::DBInstance": "Snapshot"}
#: the properties that stop a delete at the service, by whichever name the type uses
_PROTECTION = ("DeletionProtection", "DeletionProtectionEnabled")
#: databases whose attached (generated) admin secret follows them: the master password of
#: a restored snapshot can be reset, so CDK deletes that secret when it snapshots the database
_SECRET_OWNERS = frozenset({"AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::DocDB::DBCluster",
                            "AWS::DocDB::DBInstance", "AWS::Neptune::DBCluster", "AWS::Redshift::Cluster"})


def deletion_policy(resource: Mapping[str, Any]) -> Any:
    rtype = str(resource.get("Type"))
    default = _DEFAULT_POLICY.get(rtype, "Delete")
    if rtype == "AWS::RDS::DBInstance" and "DBClusterIdentifier" in properties(resource):
        default = "Delete"
    return literal(resource.get("DeletionPolicy", default))


class RemovalPolicy(AuditRule):
    """Stateful resources: retained in production, destroyable in development.

    ## What it does
    For resources of `stateful-types` (buckets, tables, databases, log groups, keys, file
    systems, secrets …) it checks the `DeletionPolicy` CDK wrote from `removal_policy`:

    - `mode = "retain"` (the production profile): reports a resource whose policy is
      neither `Retain`, `RetainExceptOnCreate` nor `Snapshot`, unless deletion protection
      is on (`DeletionProtection` / `DeletionProtectionEnabled`). Aurora cluster members
      (`AWS::RDS::DBInstance` with `DBClusterIdentifier`) are exempt: the cluster holds the
      data; so are generated secrets attached to a database (`SecretTargetAttachment`):
      CDK deletes them when the database is snapshotted, and a restored snapshot's master
      password can be reset.
    - `mode = "destroy"` (the development profile): reports `Retain` and
      `RetainExceptOnCreate`, which leave the resource behind when the stack is deleted.
    - `mode = "off"` (the default profile): silent.

    CDK's helper resources are exempt; a policy unknown at synth time keeps it silent.

    ## Why is this bad?
    In production a `cdk destroy`, a renamed construct or a replaced stack deletes the
    ledger bucket or the database with it. In development, retained buckets and log
    groups pile up with every teardown, cost money, and block the next deploy with
    "already exists".

    ## Example
    ```python
    dynamodb.Table(self, "Keys", partition_key=key, removal_policy=RemovalPolicy.DESTROY)  # production
    ```

    ## Use instead
    ```python
    dynamodb.Table(self, "Keys", partition_key=key, removal_policy=RemovalPolicy.RETAIN)
    # development: removal_policy=RemovalPolicy.DESTROY (and auto_delete_objects=True for buckets)
    ```

    ## Options
    - `mode` (string, default `off`; production `retain`; development `destroy`): `off`,
      `retain` or `destroy`.
    - `stateful-types` (list of strings, default: S3 buckets, DynamoDB tables and global
      tables, RDS instances and clusters, DocumentDB and Neptune clusters, log groups, KMS
      keys, EFS file systems, Secrets Manager secrets, Cognito user pools): the types judged.

    ## References
    - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk/RemovalPolicy.html
    """

    id = "W9305"
    slug = "removal-policy"
    severity_level = Severity.WARNING
    shortdesc = "Stateful resources are retained in production and destroyable in development"
    description = (
        "Per profile: stateful resources without Retain/Snapshot or deletion protection (production), or "
        "with Retain (development)."
    )
    source_url = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html"
    tags = ["resilience", "lifecycle"]
    remediation = (
        "Pass `removal_policy=RemovalPolicy.RETAIN` (production) or `RemovalPolicy.DESTROY` (development) "
        "to the construct."
    )
    config_spec = {
        "mode": {
            "type": "string",
            "default": "off",
            "choices": ["off", "retain", "destroy"],
            "profiles": {"production": "retain", "development": "destroy"},
            "help": "retain: stateful resources must survive stack deletion; destroy: they must not",
        },
        "stateful-types": {
            "type": "list",
            "itemtype": "string",
            "default": [
                "AWS::S3::Bucket",
                "AWS::DynamoDB::Table",
                "AWS::DynamoDB::GlobalTable",
                "AWS::RDS::DBInstance",
                "AWS::RDS::DBCluster",
                "AWS::DocDB::DBCluster",
                "AWS::Neptune::DBCluster",
                "AWS::Logs::LogGroup",
                "AWS::KMS::Key",
                "AWS::EFS::FileSystem",
                "AWS::SecretsManager::Secret",
                "AWS::Cognito::UserPool",
            ],
            "help": "resource types whose data outlives a deploy",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        mode = self.config["mode"]
        if mode == "off":
            return []
        idx = index(cfn.template)
        database_secrets = {
            target(properties(att).get("SecretId"))
            for _, att in idx.of_type("AWS::SecretsManager::SecretTargetAttachment")
            if idx.type_of(target(properties(att).get("TargetId"))) in _SECRET_OWNERS
        }
        out: list[RuleMatch] = []
        for lid, res in idx.of_type(*self.config["stateful-types"]):
            if is_cdk_helper(lid, res):
                continue
            policy = deletion_policy(res)
            if not isinstance(policy, str):
                continue
            where: list[str | int] = ["Resources", lid, "DeletionPolicy"] if "DeletionPolicy" in res else [
                "Resources", lid]
            if mode == "destroy" and policy in _RETAINING:
                out.append(self.finding(where, f"DeletionPolicy {policy} leaves it behind when the development "
                                               "stack is deleted; use `RemovalPolicy.DESTROY`"))
            elif mode == "retain" and policy not in (*_RETAINING, "Snapshot"):
                props = properties(res)
                if str(res.get("Type")) == "AWS::RDS::DBInstance" and "DBClusterIdentifier" in props:
                    continue
                if lid in database_secrets and "GenerateSecretString" in props:
                    continue
                if any(is_true(props.get(p)) for p in _PROTECTION):
                    continue
                out.append(self.finding(where, f"DeletionPolicy {policy} deletes its data with the stack; use "
                                               "`removal_policy=RemovalPolicy.RETAIN`"))
        return out
