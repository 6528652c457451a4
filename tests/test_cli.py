"""The CLI through typer's runner: exit codes, JSON schema, checks, explain, config errors."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.registry import check_classes
from tests.conftest import FIXTURES, validated_report

BAD = FIXTURES / "templates" / "open_log_group.json"
GOOD = FIXTURES / "templates" / "tidy_log_group.json"


def test_help_documents_exit_codes(cli):
    r = cli("--help")
    assert r.exit_code == 0
    flat = " ".join(r.output.split())
    assert "2 synth failed" in flat and "3 usage or configuration error" in flat


def test_scan_bad_template_exits_1_and_json_validates(cli):
    r = cli("scan", BAD, "--format", "json", "-q")
    assert r.exit_code == 1, r.output
    doc = validated_report(r.stdout)
    slugs = {f["slug"] for f in doc["findings"]}
    assert "log-retention" in slugs
    assert doc["synth"] is None
    assert doc["summary"]["by_check"]["log-retention"] >= 1


def test_scan_good_template_exits_0(cli):
    r = cli("scan", GOOD, "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    doc = validated_report(r.stdout)
    assert not [f for f in doc["findings"] if f["reported_by"] == "cdk-audit"]


def test_fail_on_never_and_warning(cli):
    assert cli("scan", BAD, "--fail-on", "never", "-q").exit_code == 0
    assert cli("scan", BAD, "--fail-on", "warning", "-q").exit_code == 1


def test_text_report_groups_by_stack_with_fix(cli):
    r = cli("scan", BAD, "-q")
    assert str(BAD) in r.stdout  # the stack heading for a loose template is its path
    assert "log-retention" in r.stdout and "fix:" in r.stdout
    assert "finding(s):" in r.stdout
    assert "\x1b[" not in r.stdout  # no colour when not a terminal


def test_report_file_is_written(cli, tmp_path: Path):
    out = tmp_path / "sub" / "report.json"
    r = cli("scan", BAD, "--format", "json", "--report-file", out, "-q")
    assert r.exit_code == 1
    validated_report(out.read_text())
    assert [p.name for p in out.parent.iterdir()] == ["report.json"]  # no temp file left behind


def test_checks_lists_every_check(cli):
    r = cli("checks")
    assert r.exit_code == 0
    for cls in check_classes():
        assert cls.id in r.stdout and cls.slug in r.stdout


def test_explain_by_slug_and_id(cli):
    for cls in check_classes():
        by_slug, by_id = cli("explain", cls.slug), cli("explain", cls.id)
        assert by_slug.exit_code == 0 and by_slug.stdout == by_id.stdout
        assert "## What it does" in by_slug.stdout and "## Use instead" in by_slug.stdout


def test_explain_unknown_is_usage_error(cli):
    r = cli("explain", "no-such-check")
    assert r.exit_code == 3
    assert "cdk-audit checks" in r.output


def test_unknown_option_is_usage_error(cli):
    assert cli("scan", "--bogus").exit_code == 3
    assert cli("run", "x", "--context", "novalue").exit_code == 3


def test_missing_scan_path_is_usage_error(cli, tmp_path: Path):
    r = cli("scan", tmp_path / "nope")
    assert r.exit_code == 3 and "no such file" in r.output


def test_config_error_exits_3_and_names_file(cli, tmp_path: Path):
    cfg = tmp_path / "cdk-audit.toml"
    cfg.write_text("[tool.cdk-audit.checks.log-retention]\nmin-dayz = 30\n")
    r = cli("scan", BAD, "--config", cfg)
    assert r.exit_code == 3
    assert str(cfg) in r.output and "min-dayz" in r.output and "min-days" in r.output


def test_config_threshold_changes_result(cli, tmp_path: Path):
    # open_log_group keeps logs 7 days: a 5-day minimum makes it pass
    cfg = tmp_path / "cdk-audit.toml"
    cfg.write_text(
        "[tool.cdk-audit]\ncfn-lint-rules = false\n[tool.cdk-audit.checks.log-retention]\nmin-days = 5\n"
    )
    r = cli("scan", BAD, "--config", cfg, "--format", "json", "-q")
    doc = validated_report(r.stdout)
    assert [f for f in doc["findings"] if f["slug"] == "log-retention"] == []


def test_no_templates_found_is_usage_error(cli, tmp_path: Path):
    (tmp_path / "package.json").write_text(json.dumps({"name": "x"}))
    r = cli("scan", tmp_path)
    assert r.exit_code == 3 and "no templates" in r.output


def test_run_without_cdk_json_exits_2_with_report(cli, tmp_path: Path):
    r = cli("run", tmp_path, "--format", "json", "-q")
    assert r.exit_code == 2
    doc = validated_report(r.stdout)
    assert doc["synth"]["ok"] is False and "cdk.json" in doc["synth"]["error"]


def test_jobs_option_gives_the_same_findings(cli):
    folder = FIXTURES.parent / "checks" / "log-retention" / "bad"
    serial = validated_report(cli("scan", folder, "--format", "json", "-q", "--jobs", "1").stdout)
    pooled = validated_report(cli("scan", folder, "--format", "json", "-q", "--jobs", "2").stdout)
    key = [(f["fingerprint"], f["line"]) for f in serial["findings"]]
    assert key and key == [(f["fingerprint"], f["line"]) for f in pooled["findings"]]
    assert cli("scan", folder, "--jobs", "0").exit_code == 3
