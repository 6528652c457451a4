"""``auditor.cdk.AuditPlugin`` inside a real ``cdk synth``, and the assembly's
``validation-report.json`` merged into our report without duplicates."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from auditor.synth import SynthResult, run_synth
from auditor.validation_report import failed_only_on_validation
from tests.conftest import ROOT, SAMPLE_APPS, validated_report

# one worker runs this module under pytest-xdist: its module-scoped fixture is built once
pytestmark = pytest.mark.xdist_group("plugin")

APP = SAMPLE_APPS / "plugin_app"
#: the settings the plugin read at synth (the app's folder); a scan from elsewhere names them
CONFIG = APP / "cdk-audit.toml"


def _with_repo_on_path() -> dict[str, str | None]:
    # the app's own `python3 app.py` must import this checkout's auditor package
    old = {"PYTHONPATH": os.environ.get("PYTHONPATH")}
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), old["PYTHONPATH"]) if p)
    return old


def _restore(old: dict[str, str | None]) -> None:
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def plugin_synth(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    old = _with_repo_on_path()
    try:
        return run_synth(APP, tmp_path_factory.mktemp("plugin-app"))
    finally:
        _restore(old)


def _report(out: Path) -> dict:
    return json.loads((out / "validation-report.json").read_text())


def test_plugin_findings_are_in_the_validation_report(plugin_synth: SynthResult):
    out = plugin_synth.output_dir
    # the plugin reported errors: CDK writes everything, prints the report and exits 1; the
    # synth stage knows that this is an assembly to audit, not a failed synth
    assert plugin_synth.ok is True and plugin_synth.error is None
    assert "policy validation plugins reported violations (cdk synth exited 1)" in plugin_synth.warnings
    assert (out / "PluginDemo.template.json").is_file() and (out / "manifest.json").is_file()
    assert failed_only_on_validation(out, since=0)
    [ours] = [r for r in _report(out)["pluginReports"] if r["pluginName"] == "cdk-audit"]
    assert ours["conclusion"] == "failure"
    found = {
        (v["ruleName"], c["cloudFormationResource"]["logicalId"].rstrip("0123456789ABCDEF"))
        for v in ours["violations"]
        for c in v["violatingConstructs"]
    }
    assert ("log-retention", "AuditLogs") in found
    assert ("s3-hardening", "Statements") in found
    assert ("s3-hardening", "Scratch") not in found  # suppressed with auditor.cdk.suppress
    log = next(v for v in ours["violations"] if v["ruleName"] == "log-retention")
    assert log["severity"] == "error" and log["ruleMetadata"] == {"id": "E9004"} and log["suggestedFix"]


def test_scan_merges_the_report_without_duplicates(plugin_synth: SynthResult, cli):
    r = cli("scan", plugin_synth.output_dir, "--config", CONFIG, "--format", "json", "-q")
    doc = validated_report(r.stdout)
    assert not [f for f in doc["findings"] if f["reported_by"] == "cdk"]  # all already found by our checks
    scratch = [f for f in doc["findings"] if f["slug"] == "s3-hardening" and f["logical_id"].startswith("Scratch")]
    assert scratch and all(f["suppressed"] == "scratch data, rebuilt nightly from the ledger" for f in scratch)


def test_other_plugins_violations_are_merged_once(plugin_synth: SynthResult, cli, tmp_path: Path):
    out = tmp_path / "cdk.out"
    shutil.copytree(plugin_synth.output_dir, out)
    doc = _report(out)
    template = json.loads((out / "PluginDemo.template.json").read_text())
    bucket = next(k for k in template["Resources"] if k.startswith("Statements"))
    resource = {
        "templatePath": "PluginDemo.template.json",
        "logicalId": bucket,
        "propertyPaths": [f"/Resources/{bucket}"],
    }
    construct = {"constructPath": "PluginDemo/Statements/Resource", "cloudFormationResource": resource}
    doc["pluginReports"].append(
        {
            "pluginName": "nag-like",
            "conclusion": "failure",
            "violations": [
                {"ruleName": "AwsSolutions-S1", "description": "no access logs", "severity": "high",
                 "suggestedFix": "enable server access logs", "violatingConstructs": [construct, construct]},
                # a plugin's rule named like one of our checks is still the plugin's own rule
                {"ruleName": "E9201", "description": "same name", "severity": "error",
                 "violatingConstructs": [construct]},
            ],
        }
    )
    doc["pluginReports"].append(
        {
            "pluginName": "CloudFormation Validate",
            "conclusion": "success",
            # CDK's CloudFormation Validate names cfn-lint rules: a repeat of cfn-lint's is folded into it
            "violations": [{"ruleName": "W3045", "description": "legacy AccessControl", "severity": "warning",
                            "violatingConstructs": [construct]}],
        }
    )
    template["Resources"][bucket]["Properties"]["AccessControl"] = "Private"  # cfn-lint's W3045 fires too
    (out / "PluginDemo.template.json").write_text(json.dumps(template, indent=1))
    (out / "validation-report.json").write_text(json.dumps(doc))
    r = cli("scan", out, "--config", CONFIG, "--format", "json", "-q")
    report = validated_report(r.stdout)
    merged = [f for f in report["findings"] if f["reported_by"] == "cdk"]
    assert sorted(f["check_id"] for f in merged) == ["nag-like/AwsSolutions-S1", "nag-like/E9201"]
    [lint] = [f for f in report["findings"] if f["check_id"] == "W3045"]
    assert [a["check_id"] for a in lint["also_reported_by"]] == ["cfn-validate/W3045"]
    [f] = [f for f in merged if f["check_id"].endswith("AwsSolutions-S1")]
    assert (f["severity"], f["logical_id"]) == ("error", bucket)
    assert f["stack"] == "PluginDemo"
    assert f["construct_path"] == "PluginDemo/Statements/Resource" and f["remediation"] == "enable server access logs"
    assert f["line"] and "nag-like" in f["message"]


def test_run_audits_an_app_whose_plugin_failed_synth(cli):
    old = _with_repo_on_path()
    try:
        r = cli("run", APP, "--format", "json", "-q")
    finally:
        _restore(old)
    doc = validated_report(r.stdout)
    assert r.exit_code == 1, r.output  # findings, not a synth failure (2)
    assert doc["synth"]["ok"] is True
    assert any("policy validation plugins" in w for w in doc["synth"]["warnings"])
    assert {"log-retention", "s3-hardening"} <= set(doc["summary"]["by_check"])
