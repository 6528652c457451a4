"""E9205 dynamodb-resilience: tables that must survive a region have replicas in enough regions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import construct_path, is_cdk_helper
from auditor.resolve import UNKNOWN, index, is_true, literal, properties
from auditor.rule import AuditRule

TABLE, GLOBAL_TABLE = "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"
#: what the legacy ``dynamodb.Table(replication_regions=...)`` adds per extra region
CDK_REPLICA = "Custom::DynamoDBReplica"


def _pitr_on(spec: Any) -> bool | None:
    """PITR state of a PointInTimeRecoverySpecification (None when unknown at synth time)."""
    if spec is None:
        return False
    if not isinstance(spec, Mapping):
        return None
    value = spec.get("PointInTimeRecoveryEnabled")
    return None if literal(value) is UNKNOWN else is_true(value)


class DynamodbResilience(AuditRule):
    """DynamoDB tables that must survive a region are global tables with enough replicas.

    ## What it does
    A table is *selected* when one of the `replicated-tables` regexes matches its literal
    `TableName`, construct path or logical id. A selected plain `AWS::DynamoDB::Table` is
    reported unless CDK's legacy `replication_regions` gave it enough regions
    (`Custom::DynamoDBReplica` resources referring to it, plus its own region); a selected
    `AWS::DynamoDB::GlobalTable` is reported when its `Replicas` span fewer than
    `min-replicas` regions. With `check-pitr` on, every table (and every global-table
    replica) without point-in-time recovery is reported too.

    ## Why is this bad?
    A single-region table goes down with its region: the payments that depend on it stop,
    and a restore from backup loses everything since the last one. Global tables keep a
    live copy in another region that can take writes within seconds.

    ## Example
    ```python
    dynamodb.Table(self, "SettlementCursor", partition_key=key)
    ```

    ## Use instead
    ```python
    dynamodb.TableV2(self, "SettlementCursor", partition_key=key,
                     replicas=[dynamodb.ReplicaTableProps(region="us-west-2")])
    ```

    ## Options
    - `replicated-tables` (list of strings, default `[]`): regexes on `TableName`,
      construct path or logical id naming the tables that need cross-region replicas.
    - `min-replicas` (integer, default 2): the fewest regions (including the table's own)
      a selected table must span.
    - `check-pitr` (boolean, default false): backup-retention covers PITR (its
      `require-dynamodb-pitr` option); turn this on if you disable that part there.

    ## References
    - https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GlobalTables.html
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_dynamodb/TableV2.html
    """

    id = "E9205"
    slug = "dynamodb-resilience"
    severity_level = Severity.ERROR
    shortdesc = "DynamoDB tables that need it replicate to enough regions"
    description = (
        "Tables named by replicated-tables must be global tables spanning min-replicas regions; "
        "optionally every table needs point-in-time recovery."
    )
    source_url = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GlobalTables.html"
    tags = ["dynamodb", "resilience"]
    remediation = "Use `dynamodb.TableV2` with `replicas=[dynamodb.ReplicaTableProps(region=\"us-west-2\")]`."
    config_spec = {
        "replicated-tables": {
            "type": "list",
            "itemtype": "string",
            "default": [],
            "help": "regexes on TableName, construct path or logical id of tables needing replicas",
        },
        "min-replicas": {
            "type": "integer",
            "default": 2,
            "minimum": 2,
            "help": "fewest regions (own included) a selected table must span",
        },
        "check-pitr": {
            "type": "boolean",
            "default": False,
            "help": "backup-retention covers PITR; turn this on if you disable that part there",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        need = int(self.config["min-replicas"])
        out: list[RuleMatch] = []
        for lid, res in idx.of_type(TABLE, GLOBAL_TABLE):
            if is_cdk_helper(lid, res):
                continue
            props = properties(res)
            here: list[str | int] = ["Resources", lid, "Properties"]
            is_global = res.get("Type") == GLOBAL_TABLE
            if self._selected(lid, res):
                if is_global:
                    replicas = props.get("Replicas")
                    if isinstance(replicas, list) and len(replicas) < need:
                        out.append(self.finding([*here, "Replicas"],
                                                f"Global table spans {len(replicas)} region(s), {need} required; "
                                                "add `replicas=[dynamodb.ReplicaTableProps(region=r)]`"))
                else:
                    regions = 1 + sum(1 for _ in idx.referring(lid, CDK_REPLICA))
                    if regions < need:
                        out.append(self.finding(["Resources", lid],
                                                f"Table needs replicas in {need} regions; use `dynamodb.TableV2` "
                                                "with `replicas=[dynamodb.ReplicaTableProps(region=r)]`"))
            if self.config["check-pitr"]:
                out.extend(self._pitr(here, props, is_global))
        return out

    def _selected(self, lid: str, res: Mapping[str, Any]) -> bool:
        name = literal(properties(res).get("TableName"))
        candidates = [lid, construct_path(res) or "", name if isinstance(name, str) else ""]
        return any(re.search(p, c) for p in self.config["replicated-tables"] if p for c in candidates if c)

    def _pitr(self, here: list[str | int], props: Mapping[str, Any], is_global: bool) -> list[RuleMatch]:
        message = ("Table has no point-in-time recovery; set `point_in_time_recovery_enabled=True` in "
                   "`point_in_time_recovery_specification`")
        if not is_global:
            on = _pitr_on(props.get("PointInTimeRecoverySpecification"))
            return [self.finding(here, message)] if on is False else []
        replicas = props.get("Replicas")
        out = []
        for i, replica in enumerate(replicas if isinstance(replicas, list) else []):
            if isinstance(replica, Mapping) and _pitr_on(replica.get("PointInTimeRecoverySpecification")) is False:
                out.append(self.finding([*here, "Replicas", i], message))
        return out
