"""Baselines and diff: fingerprints that survive unrelated edits, gating only on new
findings, and clear errors (exit 3) for files that cannot be used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, validated_report

SOURCE = FIXTURES / "suppress" / "ledger.template.json"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A copy of the ledger template (one stack), to edit; its config ignores nothing."""
    tpl = tmp_path / "ledger.template.json"
    tpl.write_text(SOURCE.read_text())
    (tmp_path / "cdk-audit.toml").write_text("[tool.cdk-audit]\ncfn-lint-rules = false\n")
    return tpl


def _scan(cli, tpl: Path, *args: str):
    return cli("scan", tpl, "--config", tpl.parent / "cdk-audit.toml", "--format", "json", "-q", *args)


def _edit(tpl: Path, change) -> None:
    doc = json.loads(tpl.read_text())
    change(doc)
    tpl.write_text(json.dumps(doc, indent=4))  # re-indented: every line number moves


def _prints(doc: dict) -> dict[tuple[str, str], str]:
    return {(f["slug"], f["logical_id"]): f["fingerprint"] for f in doc["findings"]}


def _add_unrelated(doc: dict) -> None:
    extra = {"Type": "AWS::SNS::Topic", "Metadata": {"aws:cdk:path": "Ledger/Alerts/Resource"}}
    doc["Resources"] = {"Alerts": extra, **doc["Resources"]}  # first, so everything below moves down


def test_fingerprints_survive_moved_lines_and_new_resources(cli, app: Path):
    before = validated_report(_scan(cli, app).stdout)
    _edit(app, _add_unrelated)
    after = validated_report(_scan(cli, app).stdout)
    lines_before = {(f["slug"], f["logical_id"]): f["line"] for f in before["findings"]}
    lines_after = {(f["slug"], f["logical_id"]): f["line"] for f in after["findings"]}
    assert lines_before[("log-retention", "AuditLogs")] != lines_after[("log-retention", "AuditLogs")]
    shared = _prints(before).keys() & _prints(after).keys()
    assert ("log-retention", "AuditLogs") in shared
    assert all(_prints(before)[k] == _prints(after)[k] for k in shared)


def test_fingerprint_changes_with_the_resource_or_the_check(cli, app: Path):
    before = _prints(validated_report(_scan(cli, app).stdout))

    def move(doc: dict) -> None:  # same resource, now another construct
        doc["Resources"]["AuditLogs"]["Metadata"]["aws:cdk:path"] = "Ledger/Audit2/Resource"

    _edit(app, move)
    after = _prints(validated_report(_scan(cli, app).stdout))
    assert before[("log-retention", "AuditLogs")] != after[("log-retention", "AuditLogs")]
    # another check on the same resource has another fingerprint
    assert before[("log-retention", "UnexplainedLogs")] != before[("suppression-reason", "UnexplainedLogs")]


def test_baseline_gates_only_new_findings(cli, app: Path, tmp_path: Path):
    base = tmp_path / "baseline.json"
    w = cli("baseline", "write", base, app, "--config", app.parent / "cdk-audit.toml", "-q")
    assert w.exit_code == 0, w.output
    recorded = json.loads(base.read_text())
    assert recorded["cdk_audit_baseline"] == 1 and recorded["findings"]

    r = _scan(cli, app, "--baseline", base)
    doc = validated_report(r.stdout)
    assert r.exit_code == 0, r.output  # everything is known
    assert {f["baseline"] for f in doc["findings"] if not f["suppressed"]} == {"known"}
    assert doc["summary"]["total"] == 0 and doc["summary"]["known"] == doc["baseline"]["known"] > 0

    def regress(doc: dict) -> None:  # an unrelated edit plus one new problem
        _add_unrelated(doc)
        doc["Resources"]["NewLogs"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"RetentionInDays": 30},
            "Metadata": {"aws:cdk:path": "Ledger/NewLogs/Resource"},
        }
        del doc["Resources"]["AuditLogs"]["Properties"]["RetentionInDays"]  # changes the message only
        doc["Resources"]["AuditLogs"]["Properties"]["RetentionInDays"] = 14

    _edit(app, regress)
    r = _scan(cli, app, "--baseline", base)
    doc = validated_report(r.stdout)
    assert r.exit_code == 1
    ours = {"log-retention", "suppression-reason"}  # other checks may flag the new resources too
    new = [(f["slug"], f["logical_id"]) for f in doc["findings"] if f["baseline"] == "new" and f["slug"] in ours]
    assert new == [("log-retention", "NewLogs")]
    assert doc["baseline"]["new"] >= 1 and doc["baseline"]["fixed"] == 0
    text = cli("scan", app, "--config", app.parent / "cdk-audit.toml", "-q", "--baseline", base)
    assert "Ledger/NewLogs/Resource" in text.stdout and "known (baseline" in text.stdout


def test_a_json_report_works_as_a_baseline(cli, app: Path, tmp_path: Path):
    report = tmp_path / "report.json"
    _scan(cli, app, "--report-file", report)
    assert _scan(cli, app, "--baseline", report).exit_code == 0


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "no such file"),
        ("{not json", "not valid JSON"),
        ('{"findings": "x"}', "no 'findings' list"),
        ('{"findings": [{"slug": "x"}]}', "has no fingerprint"),
    ],
)
def test_bad_baseline_is_a_clear_usage_error(cli, app: Path, tmp_path: Path, content: str | None, fragment: str):
    base = tmp_path / "base.json"
    if content is not None:
        base.write_text(content)
    r = _scan(cli, app, "--baseline", base)
    assert r.exit_code == 3
    flat = " ".join(r.output.split())
    assert fragment in flat and "base.json" in flat
    assert "Traceback" not in r.output


def test_diff_reports_new_fixed_unchanged(cli, app: Path, tmp_path: Path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    _scan(cli, app, "--report-file", old)

    def change(doc: dict) -> None:
        doc["Resources"]["AuditLogs"]["Properties"]["RetentionInDays"] = 3653  # fixed
        doc["Resources"]["Fresh"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"RetentionInDays": 1},
            "Metadata": {"aws:cdk:path": "Ledger/Fresh/Resource"},
        }

    _edit(app, change)
    _scan(cli, app, "--report-file", new)
    r = cli("diff", old, new, "--format", "json")
    assert r.exit_code == 1
    d = json.loads(r.stdout)
    assert [f["logical_id"] for f in d["new_findings"] if f["slug"] == "log-retention"] == ["Fresh"]
    assert [f["logical_id"] for f in d["fixed_findings"] if f["slug"] == "log-retention"] == ["AuditLogs"]
    assert d["summary"]["unchanged"] == len(d["unchanged_findings"]) > 0
    t = cli("diff", old, new)
    assert "new:" in t.stdout and "fixed:" in t.stdout and "Ledger/Fresh/Resource" in t.stdout
    assert cli("diff", old, new, "--fail-on", "never").exit_code == 0
    assert cli("diff", old, old).exit_code == 0


def test_diff_unreadable_input_exits_3(cli, tmp_path: Path):
    bad = tmp_path / "broken.json"
    bad.write_text("[1, 2")
    r = cli("diff", bad, bad)
    assert r.exit_code == 3 and "broken.json" in " ".join(r.output.split())
