"""The five core checks through cfn-lint's own API, on their good/bad fixtures.

Stands alone from the engine: each fixture is decoded and run by cfn-lint with only
the check under test registered (configured the way cfn-lint configures rules:
``configure_rules`` keyed by rule id), plus the check's ``match_assembly`` over the
fixture loaded as a one-stack assembly. ``tests/checks/test_fixtures.py`` runs the same
fixtures through the full engine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cfnlint.config import ConfigMixIn
from cfnlint.decode import decode
from cfnlint.rules import Rules
from cfnlint.runner.template.runner import run_template_by_data

from auditor.assembly import load_paths
from auditor.checks.apigw_mtls import ApigwMtls
from auditor.checks.backup_retention import BackupRetention
from auditor.checks.log_retention import LogRetention
from auditor.checks.nat_routes import NatRoutes
from auditor.checks.s3_replication import S3Replication
from auditor.rule import AuditRule

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHECKS: dict[str, type[AuditRule]] = {
    c.slug: c for c in (S3Replication, NatRoutes, ApigwMtls, LogRetention, BackupRetention)
}
BAD = sorted(
    p for slug in CHECKS for p in (HERE / slug / "bad").glob("*.json") if not p.name.endswith(".expected.json")
)
GOOD = sorted(p for slug in CHECKS for p in (HERE / slug / "good").glob("*.json"))


def fixture_config(template: Path, cls: type[AuditRule]) -> dict[str, Any]:
    """The check's configuration for a fixture: its profile's defaults, then its own values."""
    toml = template.with_suffix(".config.toml")
    table = tomllib.loads(toml.read_text())["tool"]["cdk-audit"] if toml.is_file() else {}
    config = cls.defaults(table.get("profile"))
    config.update(table.get("checks", {}).get(cls.slug, {}))
    return config


def run_check(cls: type[AuditRule], paths: list[Path], config: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Findings of one check on ``paths`` (one stack each): cfn-lint matches and assembly matches."""
    rule = cls(config)  # built with its settings, as the engine builds it
    rules = Rules()
    rules.register(rule)
    lint_config = ConfigMixIn([], regions=["us-east-1"], configure_rules={cls.id: config or {}})
    found: list[dict[str, Any]] = []
    for path in paths:
        template, errors = decode(str(path))
        assert not errors, f"{path} does not parse: {errors}"
        for m in run_template_by_data(template, lint_config, rules):
            assert m.rule.id == cls.id, f"{path}: {m.rule.id} {m.message}"  # E0002 would be a crash
            found.append({"logical_id": m.path[1], "path": list(m.path), "message": m.message, "line": m.linenumber})
    for assembly in load_paths(paths):
        for am in rule.match_assembly(assembly):
            found.append({"logical_id": am.path[1], "path": list(am.path), "message": am.message, "line": None})
    return found


def summary(slug: str, found: list[dict[str, Any]]) -> list[dict[str, str]]:
    return sorted(({"slug": slug, "logical_id": f["logical_id"]} for f in found), key=lambda d: d["logical_id"])


def _id(p: Path) -> str:
    return f"{p.parent.parent.name}/{p.stem}"


@pytest.mark.parametrize("template", BAD, ids=_id)
def test_bad_fixture(template: Path) -> None:
    slug = template.parent.parent.name
    cls = CHECKS[slug]
    expected = json.loads(template.with_name(template.stem + ".expected.json").read_text())
    assert expected, "a bad fixture must expect at least one finding"
    found = run_check(cls, [template], fixture_config(template, cls))
    assert summary(slug, found) == expected
    for f in found:
        assert f["path"][:2] == ["Resources", f["logical_id"]]
        assert f["message"] and "\n" not in f["message"] and len(f["message"]) < 200


@pytest.mark.parametrize("template", GOOD, ids=_id)
def test_good_fixture(template: Path) -> None:
    cls = CHECKS[template.parent.parent.name]
    assert run_check(cls, [template], fixture_config(template, cls)) == []


def test_every_bad_fixture_has_lines() -> None:
    """Template-scope findings carry the line of the property (or resource) at fault."""
    found = run_check(LogRetention, [HERE / "log-retention" / "bad" / "short_log_group.json"])
    assert found and all(isinstance(f["line"], int) and f["line"] > 1 for f in found)


# -- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CHECKS.values(), ids=lambda c: c.slug)
def test_metadata_and_docs(cls: type[AuditRule]) -> None:
    assert cls.id.startswith("E90") and cls.slug and cls.shortdesc and cls.source_url.startswith("https://")
    assert "\n" not in cls.remediation
    doc = cls.doc()
    sections = ["## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Options", "## References"]
    positions = [doc.find(s) for s in sections]
    assert all(p > 0 for p in positions) and positions == sorted(positions), f"{cls.slug}: docstring sections"
    for key, spec in cls.config_spec.items():
        assert key == key.lower() and "_" not in key, "config keys are kebab-case"
        assert spec["type"] in ("integer", "string", "boolean", "list") and "default" in spec and spec.get("help")
        assert f"`{key}`" in doc, f"{cls.slug}: option {key} is not documented"


def test_profile_defaults() -> None:
    assert BackupRetention.defaults(None)["min-days"] == 7
    assert BackupRetention.defaults("production")["min-days"] == 35
    assert LogRetention.defaults(None) == {"min-days": 365, "require-log-group": False, "require-explicit": False}
    assert LogRetention.defaults("production")["require-log-group"] is True
    assert LogRetention.defaults("development")["min-days"] == 30
    assert S3Replication.defaults("production")["select"] == "versioned"
    assert ApigwMtls.defaults(None)["security-policy"] == "TLS_1_2"
    assert (ApigwMtls.defaults(None)["select"], ApigwMtls.defaults("production")["select"]) == ("marked", "all")


def test_rule_defaults_match_spec() -> None:
    """cfn-lint's own ``configure()`` (plain ``cfn-lint --append-rules``) starts from the defaults."""
    for cls in CHECKS.values():
        rule = cls()
        assert rule.config == cls.defaults(None)


def test_override_threshold_through_cfn_lint_config() -> None:
    bad = HERE / "log-retention" / "bad" / "short_log_group.json"
    assert run_check(LogRetention, [bad])
    assert run_check(LogRetention, [bad], {"min-days": 30}) == []


def test_configure_resets_between_runs() -> None:
    """cfn-lint re-configures a rule per template: a previous run's override must not leak."""
    rule = BackupRetention()
    rule.configure({"min-days": 35})
    assert rule.config["min-days"] == 35
    rule.configure(None)
    assert rule.config["min-days"] == 7


def test_profile_changes_backup_result() -> None:
    fixture = HERE / "backup-retention" / "bad" / "production_profile.json"
    assert run_check(BackupRetention, [fixture], BackupRetention.defaults(None)) == []
    assert summary("backup-retention", run_check(BackupRetention, [fixture], BackupRetention.defaults("production")))


def test_require_explicit_switch() -> None:
    fixture = HERE / "log-retention" / "bad" / "require_explicit.json"
    assert run_check(LogRetention, [fixture]) == []
    assert run_check(LogRetention, [fixture], {"require-explicit": True})


def test_select_none_silences_apigw() -> None:
    fixture = HERE / "apigw-mtls" / "bad" / "no_domain.json"
    assert run_check(ApigwMtls, [fixture], {"select": "all"})
    assert run_check(ApigwMtls, [fixture]) == []  # the default judges only APIs marked for mTLS
    assert run_check(ApigwMtls, [fixture], {"select": "none"}) == []


def test_pitr_switch() -> None:
    fixture = HERE / "backup-retention" / "bad" / "dynamodb_no_pitr.json"
    assert run_check(BackupRetention, [fixture], {"require-dynamodb-pitr": False}) == []


# -- assembly scope ------------------------------------------------------------------------


def test_replica_in_another_stack_is_found_through_an_export() -> None:
    folder = HERE / "s3-replication" / "assembly"
    both = [folder / "replica_stack.json", folder / "source_stack.json"]
    assert run_check(S3Replication, both) == []
    alone = run_check(S3Replication, [folder / "replica_stack.json"])
    assert [(f["logical_id"], f["line"]) for f in alone] == [("InvoicesReplica6A7B8C9D", None)]
    assert "no source" in alone[0]["message"]


def test_template_scope_never_reports_orphan_replicas() -> None:
    """Only the assembly can know that nothing replicates to a replica."""
    rule = S3Replication()
    template, _ = decode(str(HERE / "s3-replication" / "bad" / "replica_without_source.json"))
    rules = Rules()
    rules.register(rule)
    assert list(run_template_by_data(template, ConfigMixIn([], regions=["us-east-1"]), rules)) == []


# -- plain cfn-lint ------------------------------------------------------------------------


def test_plain_cfn_lint_loads_the_checks(tmp_path: Path) -> None:
    """``cfn-lint --append-rules DIR`` loads these five files on their own (no engine)."""
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    for cls in CHECKS.values():  # only ours: the pack's other files are other tests' concern
        source = ROOT / "checks" / f"{cls.__module__.rsplit('.', 1)[1]}.py"
        (rules_dir / source.name).write_text(source.read_text())
    fixtures = [HERE / slug / "bad" / name for slug, name in (
        ("s3-replication", "not_replicating.json"),
        ("nat-routes", "private_no_association.json"),
        ("apigw-mtls", "browser_cors_api_marked.json"),
        ("log-retention", "short_log_group.json"),
        ("backup-retention", "rds_default_retention.json"),
    )]
    # this checkout's auditor package first, whatever checkout the venv's editable install points at
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(
        [str(cfn_lint), "--append-rules", str(rules_dir), "--format", "parseable", "--", *map(str, fixtures)],
        capture_output=True, text=True, cwd=ROOT, check=False, env=env,
    )
    ids = {line.split(":")[5] for line in proc.stdout.splitlines() if line.count(":") >= 6}
    assert {"E9001", "E9002", "E9003", "E9004", "E9005"} <= ids, proc.stdout + proc.stderr
    assert "E0002" not in ids, proc.stdout
