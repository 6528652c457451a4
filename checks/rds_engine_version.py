"""E9207 rds-engine-version: RDS and Aurora engine versions that exist for their engine."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import index, literal, properties
from auditor.rule import AuditRule

DATA = Path(__file__).resolve().parent / "data" / "rds_engine_versions.json"


@cache
def version_table() -> tuple[str, dict[str, dict[str, frozenset[str]]]]:
    """(table date, CloudFormation engine -> {"known": versions and majors, "retired": versions})."""
    raw: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    engines: dict[str, dict[str, frozenset[str]]] = {}
    for entry in raw["engines"].values():
        # a major-only version ("16", "8.0") is valid when any release of it exists
        prefixes = {".".join(v.split(".")[:n]) for v in entry["versions"] for n in (1, 2)}
        known = frozenset(entry["versions"]) | frozenset(entry["majors"]) | frozenset(prefixes)
        for engine in entry["cloudformation_engines"]:
            engines[engine] = {"known": known, "retired": frozenset(entry["retired"])}
    return str(raw.get("generated", "")), engines


class RdsEngineVersion(AuditRule):
    """RDS and Aurora `EngineVersion` values exist for their `Engine`.

    ## What it does
    For every `AWS::RDS::DBInstance` and `AWS::RDS::DBCluster` whose `Engine` and
    `EngineVersion` are literals, looks the version up in the version table shipped with
    cdk-audit (`checks/data/rds_engine_versions.json`, its date and sources recorded
    inside it), which `checks/data/make_rds_engine_versions.py` rebuilds from the
    engine-version enums of aws-cdk-lib merged with cfn-lint's list from the RDS API. A
    version that is neither a known release nor a major version with a known release
    (`"16"`, `"8.0"`) of that engine is reported. Engines the table does not know and
    versions unknown at synth time stay silent. Versions marked as no longer supported by
    Amazon RDS are reported too (`report-retired`, on by default): RDS refuses to create a
    database on them, so a new environment or a restore fails to deploy — the same
    deployment failure as a made-up version, where cfn-lint only warns (W3690/W3691).

    cfn-lint's own E3690/E3691/W3690/W3691 and CDK's own validation (E9006) report some of
    the same versions; each such finding is folded into this one (`also_reported_by`).

    ## Why is this bad?
    `rds.PostgresEngineVersion.of("15.99", "15")` synthesizes and passes review, then the
    deployment fails (or, in a rarely deployed disaster-recovery stack, fails the day it
    is needed) with "Cannot find version 15.99 for postgres".

    ## Example
    ```python
    rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.of("15.99", "15"))
    ```

    ## Use instead
    ```python
    rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_17_6)
    ```

    ## Options
    - `extra-versions` (list of strings, default `[]`): `engine:version` pairs AWS
      released after the table's date, e.g. `"aurora-postgresql:17.9"`.
    - `report-retired` (boolean, default true): also report versions CDK marks as no
      longer supported by Amazon RDS (they can no longer create instances); turn off to
      keep an old database's template quiet until its upgrade.

    ## References
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBEngineVersions.html
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_rds/PostgresEngineVersion.html
    """

    id = "E9207"
    slug = "rds-engine-version"
    severity_level = Severity.ERROR
    shortdesc = "RDS and Aurora engine versions exist for their engine"
    description = "EngineVersion must be a version (or major version) that exists for the Engine."
    source_url = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBEngineVersions.html"
    tags = ["rds", "aurora", "deployment"]
    remediation = "Use a version constant, e.g. `rds.PostgresEngineVersion.VER_17_6`, not a made-up `.of(...)`."
    config_spec = {
        "extra-versions": {
            "type": "list",
            "itemtype": "string",
            "default": [],
            "help": "engine:version pairs released after the version table's date",
        },
        "report-retired": {
            "type": "boolean",
            "default": True,
            "help": "also report versions CDK marks as no longer supported by Amazon RDS",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        date, table = version_table()
        extra = {str(v).strip().lower() for v in self.config["extra-versions"]}
        out: list[RuleMatch] = []
        for lid, res in index(cfn.template).of_type("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"):
            props = properties(res)
            engine, version = literal(props.get("Engine")), literal(props.get("EngineVersion"))
            if is_cdk_helper(lid, res) or not isinstance(engine, str) or not isinstance(version, str | int | float):
                continue
            engine, version = engine.lower(), str(version)
            known = table.get(engine)
            if known is None or f"{engine}:{version.lower()}" in extra:
                continue
            path: list[str | int] = ["Resources", lid, "Properties", "EngineVersion"]
            if version not in known["known"]:
                out.append(self.finding(path, f"{engine} {version} does not exist (version table of {date}); use a "
                                              "listed version or add it to extra-versions"))
            elif self.config["report-retired"] and version in known["retired"]:
                out.append(self.finding(path, f"{engine} {version} is no longer supported by Amazon RDS; "
                                              "upgrade to a supported version"))
        return out
