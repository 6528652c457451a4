"""Fingerprints, atomic writes, the text report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auditor import pipeline
from auditor.assembly import load_paths
from auditor.config import Settings
from auditor.findings import Finding
from auditor.output import write_atomic
from auditor.report import text
from auditor.report.model import Report, SynthInfo
from tests.conftest import FIXTURES

BAD = FIXTURES / "templates" / "open_log_group.json"


def _fingerprints(path: Path) -> dict[tuple[str, str | None], str]:
    findings = pipeline.check(load_paths([path]), Settings()).findings
    return {(f.check_id, f.logical_id): f.fingerprint for f in findings if f.reported_by == "cdk-audit"}


def test_fingerprint_survives_moved_lines_and_unrelated_resources(tmp_path: Path):
    tpl = json.loads(BAD.read_text())
    before = _fingerprints(BAD)
    assert before
    tpl["Resources"] = {"AaaQueue": {"Type": "AWS::SQS::Queue"}, **tpl["Resources"]}
    moved = tmp_path / "moved.json"
    moved.write_text("\n\n\n" + json.dumps(tpl, indent=7))
    after = _fingerprints(moved)
    # the stack name is the file path for loose templates: compare with the same name
    same_name = tmp_path / "same" / BAD.name
    same_name.parent.mkdir()
    same_name.write_text(moved.read_text())
    assert {k: v for k, v in after.items() if k[1] == "AuditLogs"}.keys() == before.keys()
    f1 = Finding(
        "E9004",
        "log-retention",
        "error",
        "kept 7 days",
        "S",
        "a.json",
        line=3,
        logical_id="L",
        construct_path="S/L/Resource",
        property_path="Properties/RetentionInDays",
    )
    f2 = Finding(
        "E9004",
        "log-retention",
        "error",
        "kept 7 days",
        "S",
        "a.json",
        line=90,
        logical_id="L",
        construct_path="S/L/Resource",
        property_path="Properties/RetentionInDays",
    )
    assert f1.fingerprint == f2.fingerprint  # lines do not matter
    f3 = Finding(
        "E9004",
        "log-retention",
        "error",
        "kept 7 days",
        "S",
        "a.json",
        logical_id="M",
        construct_path="S/M/Resource",
        property_path="Properties/RetentionInDays",
    )
    f4 = Finding(
        "E9005",
        "backup-retention",
        "error",
        "kept 7 days",
        "S",
        "a.json",
        logical_id="L",
        construct_path="S/L/Resource",
        property_path="Properties/RetentionInDays",
    )
    assert len({f1.fingerprint, f3.fingerprint, f4.fingerprint}) == 3  # resource and check do


def test_fingerprints_do_not_depend_on_finding_order():
    findings = pipeline.check(load_paths([BAD]), Settings()).findings
    assert [f.fingerprint for f in reversed(findings)][::-1] == [f.fingerprint for f in findings]
    assert len({f.fingerprint for f in findings}) == len(findings)


def test_atomic_write_keeps_old_file_when_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "report.json"
    target.write_text('{"old": true}')

    def boom(*_a: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, '{"new": tr')
    assert target.read_text() == '{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_text_report_for_failed_synth_and_colour():
    r = Report(
        app="sample_apps/x",
        findings=[],
        synth=SynthInfo(
            ok=False, seconds=1.0, error="NameError: name 's3' is not defined", command=["cdk", "synth"]
        ),
    )
    out = text.render(r)
    assert "synth failed" in out and "NameError" in out and "cdk synth" in out
    f = Finding(
        "E9004",
        "log-retention",
        "error",
        "kept 7 days",
        "Ledger",
        "/x/Ledger.template.json",
        line=3,
        logical_id="L",
        construct_path="Ledger/L/Resource",
        remediation="retention=ONE_YEAR",
    )
    colored = text.render(Report(app=None, findings=[f]), color=True)
    assert "\x1b[" in colored and "Ledger/L/Resource" in colored and "Ledger.template.json:3" in colored
    assert "fix:" in colored


def test_atomic_write_gives_the_mode_a_plain_write_would(tmp_path: Path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "r.json", "{}")
    finally:
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644
