"""Suppressions with reasons: in template metadata (resource and stack), in config, via
cfn-lint's ignore_checks metadata, and written by ``auditor.cdk.suppress`` in a real app."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.assembly import load_paths
from auditor.suppress import NO_REASON, Suppression, apply_suppressions, path_matches
from tests.conftest import FIXTURES, validated_report

TEMPLATE = FIXTURES / "suppress" / "ledger.template.json"
CONFIG = FIXTURES / "suppress" / "cdk-audit.toml"


def _by_resource(doc: dict, slug: str) -> dict[str, str | None]:
    return {f["logical_id"]: f["suppressed"] for f in doc["findings"] if f["slug"] == slug}


def test_every_kind_of_suppression_is_reported_with_its_reason(cli):
    r = cli("scan", TEMPLATE, "--config", CONFIG, "--format", "json", "-q")
    doc = validated_report(r.stdout)
    assert _by_resource(doc, "log-retention") == {
        "AuditLogs": None,
        "ScratchLogs": "scratch output, rebuilt every run",  # resource metadata
        "ArchiveLogs": "archive logs are copied to Glacier nightly",  # stack metadata, path prefix, by id
        "LedgerTmpLogs": "temporary ledger logs, deleted after reconciliation",  # config, path glob
        "LintIgnoredLogs": "cfn-lint ignore_checks metadata",  # cfn-lint resource directive
        "UnexplainedLogs": NO_REASON,
    }
    # cfn-lint's template-level ignore_checks: the match is kept, marked suppressed
    assert _by_resource(doc, "W2001") == {None: "cfn-lint ignore_checks metadata"}
    suppressed = [f for f in doc["findings"] if f["suppressed"]]
    assert doc["summary"]["suppressed"] == len(suppressed) == 6
    assert doc["summary"]["by_check"]["log-retention"] == 1  # only AuditLogs counts


def test_a_suppression_without_reason_is_a_finding_that_gates(cli):
    r = cli("scan", TEMPLATE, "--config", CONFIG, "--format", "json", "-q")
    doc = validated_report(r.stdout)
    [f] = [f for f in doc["findings"] if f["slug"] == "suppression-reason"]
    assert f["logical_id"] == "UnexplainedLogs" and f["severity"] == "error"
    assert f["property_path"] == "Metadata/cdk-audit/suppressions/0"
    assert r.exit_code == 1


def test_suppressed_findings_never_gate_and_text_shows_their_count(cli, tmp_path: Path):
    tpl = tmp_path / "t.json"
    tpl.write_text(
        '{"Resources": {"L": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7},'
        ' "Metadata": {"cdk-audit": {"suppressions": [{"check": "log-retention", "reason": "dev only"}]}}}}}'
    )
    cfg = tmp_path / "cdk-audit.toml"
    cfg.write_text('[tool.cdk-audit]\nignore = ["required-tags"]\n')
    r = cli("scan", tpl, "--config", cfg, "-q")
    assert r.exit_code == 0, r.output
    assert "1 suppressed" in r.stdout


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ('check = "log-retention"', "reason must be a non-empty string"),
        ('check = "log-retention"\nreason = "  "', "reason must be a non-empty string"),
        ('reason = "x"', "check must be a non-empty string"),
        ('check = "x"\nreason = "y"\npth = "A"', "unknown key(s) pth"),
    ],
)
def test_config_suppression_needs_check_and_reason(cli, tmp_path: Path, entry: str, fragment: str):
    cfg = tmp_path / "cdk-audit.toml"
    cfg.write_text(f"[tool.cdk-audit]\n[[tool.cdk-audit.suppress]]\n{entry}\n")
    r = cli("scan", TEMPLATE, "--config", cfg)
    assert r.exit_code == 3
    flat = " ".join(r.output.split())
    assert str(cfg) in flat.replace(" ", "") or str(cfg) in r.output
    assert fragment in flat


def test_path_matching():
    assert path_matches("Ledger/Archive", "Ledger/Archive/Logs/Resource")
    assert not path_matches("Ledger/Arch", "Ledger/Archive/Logs/Resource")  # prefixes end at a "/"
    assert path_matches("Ledger/Ledger*", "Ledger/LedgerTmp/Resource")
    assert path_matches("/Ledger/*/Resource", "Ledger/X/Resource")
    assert not path_matches("Ledger", None)


def test_check_named_by_slug_or_id():
    [assembly] = load_paths([TEMPLATE])
    from auditor import engine
    from auditor.config import Settings

    placed = engine.audit([assembly], engine.load_checks(Settings(cfn_lint_rules=False)))
    for name in ("log-retention", "E9004", "e9004"):
        out = apply_suppressions(placed, [Suppression(name, "r", "Ledger/AuditLogs")])
        [f] = [f for f in out if f.logical_id == "AuditLogs" and f.slug == "log-retention"]
        assert f.suppressed == "r"


def test_cdk_suppress_helper_writes_template_metadata():
    """``auditor.cdk.suppress`` on an L2, an L1, a stack (with and without a path
    prefix) and a construct without a single resource, synthesized by aws-cdk-lib."""
    import aws_cdk as cdk
    from aws_cdk import aws_logs as logs
    from constructs import Construct

    from auditor.cdk import suppress

    app = cdk.App(context={"aws:cdk:enable-path-metadata": True})  # as the CDK CLI sets it
    stack = cdk.Stack(app, "Ledger")
    l2 = logs.LogGroup(stack, "Audit", retention=logs.RetentionDays.ONE_WEEK)
    suppress(l2, "log-retention", reason="kept in the SIEM")
    suppress(l2, "required-tags", reason="tagged by the org")
    l1 = logs.CfnLogGroup(stack, "Raw", retention_in_days=1)
    suppress(l1, "E9004")  # no reason: allowed here, reported by suppression-reason
    suppress(stack, "required-tags", reason="org SCP tags everything")
    suppress(stack, "log-retention", reason="temporary", path_prefix="Ledger/Tmp*")
    group = Construct(stack, "Group")
    logs.LogGroup(group, "A")
    suppress(group, "log-retention", reason="grouped")
    template = app.synth().get_stack_by_name("Ledger").template

    by_path = {r["Metadata"]["aws:cdk:path"]: r for r in template["Resources"].values() if "Metadata" in r}
    assert by_path["Ledger/Audit/Resource"]["Metadata"]["cdk-audit"] == {
        "suppressions": [
            {"check": "log-retention", "reason": "kept in the SIEM"},
            {"check": "required-tags", "reason": "tagged by the org"},
        ]
    }
    assert by_path["Ledger/Raw"]["Metadata"]["cdk-audit"] == {"suppressions": [{"check": "E9004", "reason": ""}]}
    assert template["Metadata"]["cdk-audit"] == {
        "suppressions": [
            {"check": "required-tags", "reason": "org SCP tags everything"},
            {"check": "log-retention", "reason": "temporary", "path": "Ledger/Tmp*"},
            {"check": "log-retention", "reason": "grouped", "path": "Ledger/Group"},
        ]
    }
    with pytest.raises(ValueError, match="path_prefix"):
        suppress(l2, "x", reason="y", path_prefix="Ledger")
