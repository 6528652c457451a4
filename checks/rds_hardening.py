"""E9208 rds-hardening: RDS storage encryption, Performance Insights, deletion protection, Multi-AZ."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, TemplateIndex, index, is_true, literal, properties, target
from auditor.rule import AuditRule

INSTANCE, CLUSTER = "AWS::RDS::DBInstance", "AWS::RDS::DBCluster"
#: DocumentDB and Neptune clusters: judged for storage encryption like RDS clusters
DOC_GRAPH_CLUSTERS = ("AWS::DocDB::DBCluster", "AWS::Neptune::DBCluster")
#: restored or replicated databases inherit encryption from their source
_INHERITS = ("SourceDBInstanceIdentifier", "SourceDBClusterIdentifier", "DBSnapshotIdentifier", "SnapshotIdentifier",
             "DBClusterSnapshotIdentifier", "SourceDbiResourceId")


def _flag(props: Mapping[str, Any], key: str) -> bool | None:
    """A boolean property: True, False (absent counts as false), or None when unknown at synth time."""
    value = props.get(key)
    if value is not None and literal(value) is UNKNOWN:
        return None
    return is_true(value)


def _is_aurora(props: Mapping[str, Any]) -> bool:
    engine = literal(props.get("Engine"))
    return isinstance(engine, str) and engine.lower().startswith("aurora")


class RdsHardening(AuditRule):
    """RDS databases encrypt storage, run Performance Insights, resist deletion and survive an AZ.

    ## What it does
    For `AWS::RDS::DBInstance` and `AWS::RDS::DBCluster` (CDK's own helpers, restored
    snapshots and read replicas aside where the property is inherited) it reports:
    - storage not encrypted (`StorageEncrypted` not `true`) on standalone instances and on
      clusters (Aurora Serverless v1, `EngineMode: serverless`, is always encrypted),
      DocumentDB (`AWS::DocDB::DBCluster`) and Neptune (`AWS::Neptune::DBCluster`)
      clusters included (the other three tests are RDS's only);
    - Performance Insights off (`EnablePerformanceInsights`) on standalone and cluster
      instances (a cluster's own `PerformanceInsightsEnabled` counts for its members, and
      for Multi-AZ DB clusters), except instance classes in `exempt-instance-classes`,
      when `require-performance-insights` is on;
    - `DeletionProtection` not `true` on standalone instances and clusters, when
      `require-deletion-protection` is on;
    - a single point of failure, when `require-multi-az` is on: a standalone instance
      without `MultiAZ: true`, or an Aurora cluster with fewer than two
      `AWS::RDS::DBInstance` members (a writer and a reader).

    ## Why is this bad?
    Unencrypted storage (and its snapshots) can be read by anyone who gets a copy, and
    cannot be encrypted in place later. Without Performance Insights the first slow-query
    incident has no history to look at. Without deletion protection one wrong `cdk destroy`
    or replacement drops the database. A single instance takes the service down for the
    whole failover or AZ outage.

    ## Example
    ```python
    rds.DatabaseInstance(self, "Ledger", engine=engine, vpc=vpc)
    ```

    ## Use instead
    ```python
    rds.DatabaseInstance(self, "Ledger", engine=engine, vpc=vpc, storage_encrypted=True,
                         enable_performance_insights=True, deletion_protection=True, multi_az=True)
    ```

    ## Options
    - `require-performance-insights` (boolean, default true): report instances without
      Performance Insights.
    - `exempt-instance-classes` (list of strings, default `db.t2.micro`, `db.t2.small`,
      `db.t3.micro`, `db.t3.small`, `db.t4g.micro`, `db.t4g.small`): classes on which
      Performance Insights cannot be enabled for every engine.
    - `require-deletion-protection` (boolean, default false; production profile true).
    - `require-multi-az` (boolean, default false; production profile true): standalone
      instances need `multi_az=True`, Aurora clusters a reader.

    ## References
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PerfInsights.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.html
    """

    id = "E9208"
    slug = "rds-hardening"
    severity_level = Severity.ERROR
    shortdesc = "RDS encrypts storage, runs Performance Insights, resists deletion and survives an AZ"
    description = (
        "RDS instances and clusters need encrypted storage, Performance Insights, and (by profile) "
        "deletion protection and Multi-AZ or an Aurora reader."
    )
    source_url = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_BestPractices.html"
    tags = ["rds", "aurora", "security", "resilience"]
    remediation = (
        "Pass `storage_encrypted=True`, `enable_performance_insights=True`, `deletion_protection=True` and "
        "`multi_az=True`."
    )
    config_spec = {
        "require-performance-insights": {
            "type": "boolean",
            "default": True,
            "help": "report instances without Performance Insights",
        },
        "exempt-instance-classes": {
            "type": "list",
            "itemtype": "string",
            "default": ["db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"],
            "help": "instance classes on which Performance Insights cannot be enabled",
        },
        "require-deletion-protection": {
            "type": "boolean",
            "default": False,
            "profiles": {"production": True},
            "help": "report instances and clusters without deletion protection",
        },
        "require-multi-az": {
            "type": "boolean",
            "default": False,
            "profiles": {"production": True},
            "help": "standalone instances need MultiAZ; Aurora clusters need a reader",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        members: dict[str, list[str]] = {}
        for lid, res in idx.of_type(INSTANCE):
            cluster = target(properties(res).get("DBClusterIdentifier"))
            if cluster is not None:
                members.setdefault(cluster, []).append(lid)
        out: list[RuleMatch] = []
        for lid, res in idx.of_type(CLUSTER):
            if not is_cdk_helper(lid, res):
                out.extend(self._cluster(lid, properties(res), len(members.get(lid, []))))
        for lid, res in idx.of_type(INSTANCE):
            if not is_cdk_helper(lid, res):
                out.extend(self._instance(idx, lid, properties(res)))
        for lid, res in idx.of_type(*DOC_GRAPH_CLUSTERS):
            props = properties(res)
            if (not is_cdk_helper(lid, res) and not any(k in props for k in _INHERITS)
                    and _flag(props, "StorageEncrypted") is False):
                out.append(self.finding(["Resources", lid, "Properties", "StorageEncrypted"],
                                        "Cluster storage is not encrypted; set `storage_encrypted=True`"))
        return out

    def _cluster(self, lid: str, props: Mapping[str, Any], member_count: int) -> list[RuleMatch]:
        here: list[str | int] = ["Resources", lid, "Properties"]
        out: list[RuleMatch] = []
        serverless_v1 = literal(props.get("EngineMode")) == "serverless"
        inherits = any(k in props for k in _INHERITS)
        if not serverless_v1 and not inherits and _flag(props, "StorageEncrypted") is False:
            out.append(self.finding([*here, "StorageEncrypted"],
                                    "Cluster storage is not encrypted; set `storage_encrypted=True`"))
        # a Multi-AZ DB cluster (not Aurora) has no member instances: PI is the cluster's
        if (self.config["require-performance-insights"] and not _is_aurora(props)
                and "DBClusterInstanceClass" in props and _flag(props, "PerformanceInsightsEnabled") is False):
            out.append(self.finding(here, "Performance Insights is off; set `enable_performance_insights=True`"))
        if self.config["require-deletion-protection"] and _flag(props, "DeletionProtection") is False:
            out.append(self.finding(here, "Cluster has no deletion protection; set `deletion_protection=True`"))
        if (self.config["require-multi-az"] and _is_aurora(props) and not serverless_v1
                and "DBClusterInstanceClass" not in props and member_count < 2):
            out.append(self.finding(["Resources", lid],
                                    f"Aurora cluster has {member_count} instance(s); add a reader in another AZ"))
        return out

    def _instance(self, idx: TemplateIndex, lid: str, props: Mapping[str, Any]) -> list[RuleMatch]:
        here: list[str | int] = ["Resources", lid, "Properties"]
        out: list[RuleMatch] = []
        cluster_id = target(props.get("DBClusterIdentifier"))
        in_cluster = "DBClusterIdentifier" in props
        if self.config["require-performance-insights"]:
            cluster_pi = _flag(properties(idx.resources.get(cluster_id or "")), "PerformanceInsightsEnabled")
            klass = literal(props.get("DBInstanceClass"))
            exempt = {str(c).lower() for c in self.config["exempt-instance-classes"]}
            if (klass is not UNKNOWN and str(klass).lower() not in exempt and cluster_pi is False
                    and _flag(props, "EnablePerformanceInsights") is False):
                out.append(self.finding(here, "Performance Insights is off; set `enable_performance_insights=True`"))
        if in_cluster:
            return out  # storage, deletion protection and availability belong to the cluster
        inherits = any(k in props for k in _INHERITS)
        if not inherits and _flag(props, "StorageEncrypted") is False:
            out.append(self.finding([*here, "StorageEncrypted"],
                                    "Instance storage is not encrypted; set `storage_encrypted=True`"))
        if self.config["require-deletion-protection"] and _flag(props, "DeletionProtection") is False:
            out.append(self.finding(here, "Instance has no deletion protection; set `deletion_protection=True`"))
        replica = "SourceDBInstanceIdentifier" in props
        if self.config["require-multi-az"] and not replica and _flag(props, "MultiAZ") is False:
            out.append(self.finding(here, "Instance is single-AZ; set `multi_az=True`"))
        return out
