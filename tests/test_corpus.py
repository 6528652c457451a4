"""Robustness: every template in ../shared/corpus is audited without a crash."""

from __future__ import annotations

from collections import Counter

from auditor import pipeline
from auditor.assembly import load_paths
from auditor.config import Settings
from auditor.report import json_report
from auditor.report.model import Report, tool_versions
from tests.conftest import CORPUS, require_corpus, validated_report

pytestmark = require_corpus()


def test_corpus_scan_never_crashes():
    assemblies = load_paths([CORPUS])
    stacks = [s for a in assemblies for s in a.stacks]
    assert len(stacks) >= 400  # 113 synthesized + 296 hand-written templates
    findings = pipeline.check(assemblies, Settings()).findings
    ids = Counter(f.check_id for f in findings)
    # E0002 is cfn-lint's "Unknown exception while processing rule": a rule crashed
    crashes = [f for f in findings if f.check_id == "E0002"]
    assert crashes == [], crashes[:3]
    assert ids["E9900"] == 0
    report = Report(app=str(CORPUS), findings=findings, tool=tool_versions())
    doc = validated_report(json_report.render(report))
    assert doc["summary"]["total"] + doc["summary"]["suppressed"] == len(findings)
