"""The data-protection pack (E9201-E9208): its version table, and the real synth of the sample apps.

The bad variant of settlement_jobs fires every one of these checks; no good variant of any
sample app fires any of them.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from auditor.checks.rds_engine_version import DATA, version_table
from auditor.registry import find_check
from tests.conftest import SAMPLE_APPS, audited

PACK = {
    "s3-hardening",
    "kms-rotation",
    "sqs-dlq",
    "sqs-encryption",
    "dynamodb-resilience",
    "secrets-rotation",
    "rds-engine-version",
    "rds-hardening",
}
GOOD_APPS = sorted(p.name for p in SAMPLE_APPS.iterdir() if (p / "cdk.json").is_file() and p.name != "broken_app")


def _pack_findings(synth_cache, app: str, variant: str) -> Counter[tuple[str, str | None]]:
    result = synth_cache(app, variant)
    assert result.ok, f"{app} {variant}: synth failed: {result.error}"
    findings = audited(result, app)
    ids = {cls.id for slug in PACK if (cls := find_check(slug))}
    crashed = [f for f in findings if f.check_id == "E0002" and any(i in f.message for i in ids)]
    assert not crashed, crashed
    return Counter((f.slug, f.logical_id) for f in findings if f.slug in PACK)


def test_every_pack_check_is_registered_with_matching_severity():
    for slug in PACK:
        cls = find_check(slug)
        assert cls is not None, slug
        assert cls.id[0] == {"error": "E", "warning": "W"}[cls.severity_level]
        assert "## Options" in cls.doc() and "## Use instead" in cls.doc()


def test_version_table_records_date_and_sources_and_knows_real_versions():
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    assert raw["generated"] and raw["source"] and raw["generator"].endswith("make_rds_engine_versions.py")
    _, table = version_table()
    assert "16.4" in table["postgres"]["known"] and "16" in table["postgres"]["known"]
    assert "15.99" not in table["postgres"]["known"]
    assert "15.4" in table["aurora-postgresql"]["known"]  # it existed, since retired
    assert "15.4" in table["aurora-postgresql"]["retired"]
    assert "8.0.mysql_aurora.3.04.0" in table["aurora-mysql"]["known"]
    assert "19" in table["oracle-se2"]["known"] and "15.00" in table["sqlserver-ex"]["known"]


@pytest.mark.synth
def test_settlement_jobs_bad_variant_fires_every_pack_check(synth_cache):
    fired = _pack_findings(synth_cache, "settlement_jobs", "bad")
    assert {slug for slug, _ in fired} == PACK
    by_slug = Counter(slug for slug, _ in fired.elements())
    # four failures on the bucket, four on the database, queue and topic unencrypted
    assert by_slug["s3-hardening"] == 4
    assert by_slug["rds-hardening"] == 4
    assert by_slug["sqs-encryption"] == 2


@pytest.mark.synth
@pytest.mark.parametrize("app", GOOD_APPS)
def test_no_pack_check_fires_on_a_good_variant(synth_cache, app: str):
    result = synth_cache(app, "good")
    assert result.ok, f"{app} good: synth failed: {result.error}"
    assert _pack_findings(synth_cache, app, "good") == Counter()
