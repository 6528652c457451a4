"""The real `cdk synth` of every sample app variant, audited end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.assembly import load_assembly
from tests.conftest import SAMPLE_APPS, audited, validated_report

CORE = {"s3-replication", "nat-routes", "apigw-mtls", "log-retention", "backup-retention"}
APPS = ("payments_platform", "card_gateway")


def _core_fired(synth_cache, app: str, variant: str) -> set[str]:
    result = synth_cache(app, variant)
    assert result.ok, f"{app} {variant}: synth failed: {result.error}"
    findings = audited(result, app)
    assert not [f for f in findings if f.check_id in ("E0000", "E0002", "E9900")]
    return {f.slug for f in findings if f.slug in CORE}


@pytest.mark.synth
def test_bad_variants_fire_every_core_check_and_good_variants_none(synth_cache):
    fired = {app: _core_fired(synth_cache, app, "bad") for app in APPS}
    assert fired["payments_platform"] == {"s3-replication", "nat-routes", "backup-retention"}
    assert fired["card_gateway"] == {"apigw-mtls", "log-retention"}
    assert set().union(*fired.values()) == CORE
    for app in APPS:
        assert _core_fired(synth_cache, app, "good") == set(), app


@pytest.mark.synth
def test_stage_nested_stack_and_construct_paths(synth_cache):
    result = synth_cache("payments_platform", "bad")
    assembly = load_assembly(result.output_dir)
    names = [s.name for s in assembly.stacks]
    assert any("/" in n for n in names), names  # a Stage's stacks are named Stage/Stack
    assert any(s.parent for s in assembly.stacks), "the nested stack was not loaded"
    for stack in assembly.stacks:
        user = [lid for lid, r in stack.resources.items() if r.get("Type") != "AWS::CDK::Metadata"]
        assert all(lid in stack.construct_paths for lid in user), stack.name


@pytest.mark.synth
def test_deprecation_and_annotation_become_located_findings(synth_cache):
    result = synth_cache("card_gateway", "bad")
    assert any("deprecated" in w for w in result.warnings)
    findings = audited(result, "card_gateway")
    dep = [f for f in findings if f.slug == "cdk-deprecation"]
    ann = [f for f in findings if f.slug == "cdk-warning"]
    assert dep and all(f.construct_path and f.stack for f in dep)
    assert ann and all(f.construct_path for f in ann)
    good = synth_cache("card_gateway", "good")
    assert not any("deprecated" in w for w in good.warnings)


@pytest.mark.synth
def test_run_command_end_to_end_json(cli, tmp_path: Path):
    out = tmp_path / "report.json"
    r = cli(
        "run",
        SAMPLE_APPS / "card_gateway",
        "--context",
        "variant=bad",
        "--format",
        "json",
        "--report-file",
        out,
        "--output-dir",
        tmp_path / "cdk.out",
        "-q",
    )
    assert r.exit_code == 1, r.output
    doc = validated_report(out.read_text())
    assert doc["synth"]["ok"] is True and doc["synth"]["seconds"] > 0
    assert doc["tool"]["cdk_cli"].startswith("2.") and doc["tool"]["aws_cdk_lib"].startswith("2.")
    assert {"apigw-mtls", "log-retention"} <= set(doc["summary"]["by_check"])
    assert (tmp_path / "cdk.out" / "manifest.json").is_file()
    # a Python app: its fixes read as Python (tests/test_fixes.py has the TypeScript app)
    assert doc["language"] == "python"
    fixes = {f["remediation"] for f in doc["findings"] if f["slug"] == "log-retention"}
    fix = '`log_group=logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_YEAR)`'
    assert fixes == {f"Pass {fix} to the function."}


@pytest.mark.synth
def test_scan_of_synthesized_assembly_matches_run(cli, synth_cache):
    result = synth_cache("payments_platform", "bad")
    r = cli(
        "scan",
        result.output_dir,
        "--format",
        "json",
        "-q",
        "--config",
        SAMPLE_APPS / "payments_platform" / "cdk-audit.toml",
    )
    doc = validated_report(r.stdout)
    assert r.exit_code == 1
    assert {"s3-replication", "nat-routes", "backup-retention"} <= set(doc["summary"]["by_check"])


@pytest.mark.synth
def test_broken_app_exits_2_with_the_exception_line(cli):
    r = cli("run", SAMPLE_APPS / "broken_app", "--format", "json", "-q")
    assert r.exit_code == 2, r.output
    doc = validated_report(r.stdout)
    assert doc["synth"]["ok"] is False and doc["findings"] == []
    assert "NameError" in doc["synth"]["error"]
    assert len(doc["synth"]["error"].splitlines()) <= 5
    text = cli("run", SAMPLE_APPS / "broken_app", "-q")
    assert text.exit_code == 2 and "NameError" in text.stdout and "synth failed" in text.stdout
