#!/usr/bin/env python3
"""Rebuild ``rds_engine_versions.json`` (the table rds-engine-version checks against).

Two sources, merged per engine:

- the engine-version enums of the installed aws-cdk-lib
  (``aws_cdk.aws_rds.PostgresEngineVersion.VER_16_4`` and friends): full and major
  version strings from the jsii runtime; whether CDK marks a version deprecated ("no
  longer supported by Amazon RDS") from the jsii assembly shipped in the wheel. CDK
  keeps versions AWS has retired, and lags new releases;
- the installed cfn-lint's ``aws_rds_dbinstance``/``aws_rds_dbcluster``
  ``engine_version.json`` schema extensions, which cfn-lint regenerates from the RDS
  ``DescribeDBEngineVersions`` API (newer releases, Db2, RDS Custom), and their
  ``engine_version_deprecated.json`` lists.

Run it after upgrading aws-cdk-lib or cfn-lint::

    .venv/bin/python checks/data/make_rds_engine_versions.py

CDK's enums lag AWS by a release or two; versions AWS published later belong in the
check's ``extra-versions`` option, not in this file by hand.
"""

from __future__ import annotations

import datetime
import gzip
import json
import tarfile
from importlib import metadata
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "rds_engine_versions.json"

#: enum class -> (attribute holding the full version, the major one, CloudFormation engines)
ENUMS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "AuroraEngineVersion": ("aurora_full_version", "aurora_major_version", ("aurora",)),
    "AuroraMysqlEngineVersion": ("aurora_mysql_full_version", "aurora_mysql_major_version", ("aurora-mysql",)),
    "AuroraPostgresEngineVersion": (
        "aurora_postgres_full_version",
        "aurora_postgres_major_version",
        ("aurora-postgresql",),
    ),
    "PostgresEngineVersion": ("postgres_full_version", "postgres_major_version", ("postgres",)),
    "MysqlEngineVersion": ("mysql_full_version", "mysql_major_version", ("mysql",)),
    "MariaDbEngineVersion": ("maria_db_full_version", "maria_db_major_version", ("mariadb",)),
    "OracleEngineVersion": (
        "oracle_full_version",
        "oracle_major_version",
        ("oracle-ee", "oracle-se2", "oracle-ee-cdb", "oracle-se2-cdb"),
    ),
    "SqlServerEngineVersion": (
        "sql_server_full_version",
        "sql_server_major_version",
        ("sqlserver-ee", "sqlserver-se", "sqlserver-ex", "sqlserver-web"),
    ),
}


def _deprecated_members() -> dict[str, set[str]]:
    """enum class -> names of the members CDK marks deprecated (retired by AWS)."""
    import aws_cdk

    tgz = next((Path(aws_cdk.__file__).parent / "_jsii").glob("aws-cdk-lib@*.jsii.tgz"))
    with tarfile.open(tgz) as tar:
        member = tar.extractfile("package/.jsii.gz")
        assert member is not None
        assembly = json.loads(gzip.decompress(member.read()))
    out: dict[str, set[str]] = {}
    for cls in ENUMS:
        props = assembly["types"][f"aws-cdk-lib.aws_rds.{cls}"].get("properties", [])
        out[cls] = {p["name"] for p in props if "deprecated" in p.get("docs", {})}
    return out


def _cfn_lint_versions(filename: str) -> dict[str, set[str]]:
    """CloudFormation engine -> versions named in cfn-lint's RDS schema extension ``filename``."""
    import cfnlint

    base = Path(cfnlint.__file__).parent / "data" / "schemas" / "extensions"
    out: dict[str, set[str]] = {}
    for resource in ("aws_rds_dbinstance", "aws_rds_dbcluster"):
        schema = json.loads((base / resource / filename).read_text(encoding="utf-8"))
        for clause in schema.get("allOf", []):
            cond = clause.get("if", {}).get("properties", {})
            engine = cond.get("Engine", {}).get("const")
            # engine_version.json lists versions under then; the deprecated file under if
            enum = (clause.get("then") or {}).get("properties", {}).get("EngineVersion", {}).get("enum")
            if enum is None and clause.get("then") is False:
                enum = cond.get("EngineVersion", {}).get("enum")
            if isinstance(engine, str) and enum:
                out.setdefault(engine, set()).update(str(v) for v in enum)
    return out


def build() -> dict[str, Any]:
    from aws_cdk import aws_rds as rds

    deprecated = _deprecated_members()
    api_versions = _cfn_lint_versions("engine_version.json")
    api_retired = _cfn_lint_versions("engine_version_deprecated.json")
    engines: dict[str, dict[str, list[str]]] = {}
    for cls_name, (full_attr, major_attr, names) in ENUMS.items():
        cls = getattr(rds, cls_name)
        versions: set[str] = set()
        majors: set[str] = set()
        retired: set[str] = set()
        for member in (a for a in dir(cls) if a.startswith("VER_")):
            value = getattr(cls, member)
            full, major = getattr(value, full_attr), getattr(value, major_attr)
            versions.add(full)
            majors.add(major)
            if member in deprecated[cls_name]:
                retired.add(full)
        for name in names:
            versions |= api_versions.pop(name, set())
            retired |= api_retired.pop(name, set())
        engines[cls_name] = {
            "cloudformation_engines": list(names),
            "majors": sorted(majors),
            "versions": sorted(versions),
            "retired": sorted(retired),
        }
    for name, versions in sorted(api_versions.items()):  # engines CDK has no enum for (Db2, RDS Custom)
        engines[name] = {
            "cloudformation_engines": [name],
            "majors": [],
            "versions": sorted(versions),
            "retired": sorted(api_retired.get(name, set())),
        }
    cdk_version, lint_version = metadata.version("aws-cdk-lib"), metadata.version("cfn-lint")
    return {
        "generated": datetime.date.today().isoformat(),
        "source": [
            f"aws-cdk-lib {cdk_version}: aws_cdk.aws_rds *EngineVersion enums (full and major versions "
            "from the jsii runtime; members CDK marks deprecated are 'retired')",
            f"cfn-lint {lint_version}: data/schemas/extensions/aws_rds_db{{instance,cluster}}/"
            "engine_version.json (from the RDS DescribeDBEngineVersions API) and engine_version_deprecated.json",
        ],
        "generator": "checks/data/make_rds_engine_versions.py",
        "note": "CDK's enums keep versions AWS has since retired (listed under 'retired'); "
        "versions AWS published after this date go in the check's extra-versions option.",
        "engines": engines,  # keyed by enum; each lists the CloudFormation Engine values it serves
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
