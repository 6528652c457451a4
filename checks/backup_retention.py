"""E9005 backup-retention: databases keep backups for at least min-days."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, as_int, index, is_true, literal, properties
from auditor.rule import AuditRule

DEFAULT_RDS_RETENTION = 1  # what CloudFormation applies when BackupRetentionPeriod is absent
#: DocumentDB and Neptune clusters keep automated backups like RDS clusters (default 1 day too);
#: the value is the CDK (Python) argument that sets the retention
DOC_GRAPH_CLUSTERS = {
    "AWS::DocDB::DBCluster": "`backup=docdb.BackupProps(retention=Duration.days({days}))`",
    "AWS::Neptune::DBCluster": "`backup_retention=Duration.days({days})`",
}
RDS_FIX = "`backup_retention=Duration.days({days})`"


class BackupRetention(AuditRule):
    """RDS backups, DynamoDB point-in-time recovery and AWS Backup plans keep at least `min-days`.

    ## What it does
    - `AWS::RDS::DBInstance` (not an Aurora cluster member, i.e. without
      `DBClusterIdentifier`, and not a read replica), `AWS::RDS::DBCluster`, and the
      DocumentDB and Neptune clusters (`AWS::DocDB::DBCluster`, `AWS::Neptune::DBCluster`):
      `BackupRetentionPeriod` must be at least `min-days`. Absent means CloudFormation's
      default of 1 day, which is reported.
    - `AWS::DynamoDB::Table` and each replica of an `AWS::DynamoDB::GlobalTable`:
      point-in-time recovery must be on (`require-dynamodb-pitr`), and a
      `RecoveryPeriodInDays` below `min-days` is reported.
    - `AWS::Backup::BackupPlan`: each rule's `Lifecycle.DeleteAfterDays` must be at least
      `min-days` (absent means kept forever, which is fine).

    ## Why is this bad?
    Corruption is usually found days after it happened: a bad migration, a bug that
    overwrote rows, a deleted table. One day of backups (RDS's CloudFormation default) or
    no point-in-time recovery means the last good copy is already gone when you look.

    ## Example
    ```python
    rds.DatabaseInstance(self, "Db", engine=engine, vpc=vpc, backup_retention=Duration.days(1))
    dynamodb.Table(self, "Orders", partition_key=key)
    ```

    ## Use instead
    ```python
    rds.DatabaseInstance(self, "Db", engine=engine, vpc=vpc, backup_retention=Duration.days(35))
    dynamodb.Table(self, "Orders", partition_key=key, point_in_time_recovery_specification=
                   dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True))
    ```
    ```ts
    new rds.DatabaseInstance(this, 'Db', { engine, vpc, backupRetention: Duration.days(35) });
    new dynamodb.Table(this, 'Orders', { partitionKey: key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } });
    ```

    ## Options
    - `min-days` (integer, default 7; production profile 35): the shortest backup
      retention allowed, in days.
    - `require-dynamodb-pitr` (boolean, default true): report DynamoDB tables without
      point-in-time recovery.

    ## References
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html
    - https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery.html
    """

    id = "E9005"
    slug = "backup-retention"
    severity_level = Severity.ERROR
    shortdesc = "Databases keep backups for at least min-days"
    description = (
        "RDS instances and clusters (DocumentDB and Neptune too) need BackupRetentionPeriod >= min-days, "
        "DynamoDB tables need point-in-time recovery, and AWS Backup rules must not delete before min-days."
    )
    source_url = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html"
    tags = ["rds", "docdb", "neptune", "dynamodb", "backup", "resilience"]
    remediation = (
        "Set `backup_retention=Duration.days(N)` (N at least min-days) on databases; turn on DynamoDB "
        "point-in-time recovery."
    )
    config_spec = {
        "min-days": {
            "type": "integer",
            "default": 7,
            "minimum": 1,
            "profiles": {"production": 35},
            "help": "the shortest backup retention allowed, in days",
        },
        "require-dynamodb-pitr": {
            "type": "boolean",
            "default": True,
            "help": "report DynamoDB tables without point-in-time recovery",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        min_days = int(self.config["min-days"])
        out: list[RuleMatch] = []
        for lid, res in idx.of_type("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"):
            props = properties(res)
            if is_cdk_helper(lid, res) or any(
                k in props for k in ("DBClusterIdentifier", "SourceDBInstanceIdentifier", "SourceDBClusterIdentifier")
            ):
                continue  # the cluster holds the backups; replicas copy their source
            out.extend(self._rds(lid, props, min_days))
        for lid, res in idx.of_type(*DOC_GRAPH_CLUSTERS):
            props = properties(res)
            if not is_cdk_helper(lid, res) and "SourceDBClusterIdentifier" not in props:
                out.extend(self._rds(lid, props, min_days, DOC_GRAPH_CLUSTERS[str(res["Type"])]))
        for lid, res in idx.of_type("AWS::DynamoDB::Table"):
            if not is_cdk_helper(lid, res):
                here: list[str | int] = ["Resources", lid]
                out.extend(self._pitr(here, [*here, "Properties"], properties(res), min_days))
        for lid, res in idx.of_type("AWS::DynamoDB::GlobalTable"):
            replicas = properties(res).get("Replicas")
            if is_cdk_helper(lid, res) or not isinstance(replicas, list):
                continue
            for i, replica in enumerate(replicas):
                if isinstance(replica, Mapping):
                    at: list[str | int] = ["Resources", lid, "Properties", "Replicas", i]
                    out.extend(self._pitr(at, at, replica, min_days))
        for lid, res in idx.of_type("AWS::Backup::BackupPlan"):
            if not is_cdk_helper(lid, res):
                out.extend(self._plan(lid, properties(res), min_days))
        return out

    def _rds(self, lid: str, props: Mapping[str, Any], min_days: int, fix: str = RDS_FIX) -> list[RuleMatch]:
        value = props.get("BackupRetentionPeriod")
        days = DEFAULT_RDS_RETENTION if value is None else as_int(value)
        if days is None or days >= min_days:
            return []  # unknown at synth time, or long enough
        if value is None:
            path: list[str | int] = ["Resources", lid]
            what = f"defaults to {DEFAULT_RDS_RETENTION} day, under {min_days}"
        else:
            path = ["Resources", lid, "Properties", "BackupRetentionPeriod"]
            what = f"is {days} days, under {min_days}"
        if days == 0:
            return [self.finding(path, f"Automated backups are off (retention 0); set {fix.format(days=min_days)}")]
        return [self.finding(path, f"Backup retention {what}; set {fix.format(days=min_days)}")]

    def _pitr(
        self, here: list[str | int], props_path: list[str | int], props: Mapping[str, Any], min_days: int
    ) -> list[RuleMatch]:
        """Point-in-time recovery of a table (``props`` are its properties, or a replica's)."""
        spec = props.get("PointInTimeRecoverySpecification")
        if not isinstance(spec, Mapping):
            if spec is not None and literal(spec) is UNKNOWN:
                return []
            enabled: Any = None
        else:
            enabled = spec.get("PointInTimeRecoveryEnabled")
        if is_true(enabled):
            period = as_int(spec.get("RecoveryPeriodInDays")) if isinstance(spec, Mapping) else None
            if period is not None and period < min_days:
                path = [*props_path, "PointInTimeRecoverySpecification", "RecoveryPeriodInDays"]
                return [self.finding(path, f"Point-in-time recovery keeps {period} days, under {min_days}; "
                                           "raise `recovery_period_in_days`")]
            return []
        if not self.config["require-dynamodb-pitr"] or (enabled is not None and literal(enabled) is UNKNOWN):
            return []
        return [self.finding(here, "Table has no point-in-time recovery; set `point_in_time_recovery_"
                                   "enabled=True` in `point_in_time_recovery_specification`")]

    def _plan(self, lid: str, props: Mapping[str, Any], min_days: int) -> list[RuleMatch]:
        plan = props.get("BackupPlan")
        rules = plan.get("BackupPlanRule") if isinstance(plan, Mapping) else None
        out: list[RuleMatch] = []
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            lifecycle = rule.get("Lifecycle") if isinstance(rule, Mapping) else None
            days = as_int(lifecycle.get("DeleteAfterDays")) if isinstance(lifecycle, Mapping) else None
            if days is not None and days < min_days:
                path: list[str | int] = ["Resources", lid, "Properties", "BackupPlan", "BackupPlanRule", i,
                                         "Lifecycle", "DeleteAfterDays"]
                out.append(self.finding(path, f"Backup rule deletes recovery points after {days} days, under "
                                              f"{min_days}; raise `delete_after`"))
        return out
