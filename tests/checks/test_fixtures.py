"""Every check's good/bad fixtures through the real engine (cfn-lint + assembly checks).

Layout: ``tests/checks/<slug>/bad/<name>.json`` with ``<name>.expected.json`` (a sorted
list of ``{"slug", "logical_id"}``), and ``tests/checks/<slug>/good/<name>.json``, which
must produce no finding of that check. An optional ``<name>.config.toml`` holds a
``[tool.cdk-audit]`` table for that fixture.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from auditor import pipeline
from auditor.assembly import load_paths
from auditor.config import Settings, load_settings
from auditor.registry import find_check

HERE = Path(__file__).resolve().parent
BAD = sorted(p for p in HERE.glob("*/bad/*.json") if not p.name.endswith(".expected.json"))
GOOD = sorted(HERE.glob("*/good/*.json"))


@cache
def _settings(config: Path | None) -> Settings:
    return (load_settings(config) if config else Settings()).replace(cfn_lint_rules=False)


def _run(template: Path, slug: str) -> list[dict[str, str | None]]:
    cfg = template.with_suffix(".config.toml")
    findings = pipeline.check(load_paths([template]), _settings(cfg if cfg.is_file() else None)).findings
    assert not [f for f in findings if f.check_id in ("E0000", "E0002")], (
        "fixture does not parse or a rule crashed"
    )
    return sorted(
        ({"slug": f.slug, "logical_id": f.logical_id} for f in findings if f.slug == slug),
        key=lambda d: (d["slug"], d["logical_id"] or ""),
    )


def test_every_fixture_folder_names_a_check():
    for folder in {p.parent.parent for p in BAD + GOOD}:
        assert find_check(folder.name) is not None, f"{folder}: no check with slug {folder.name!r}"


@pytest.mark.parametrize("template", BAD, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_bad_fixture_fires_as_expected(template: Path):
    slug = template.parent.parent.name
    expected = json.loads(template.with_name(template.stem + ".expected.json").read_text())
    assert expected, f"{template}: a bad fixture must expect at least one finding"
    assert _run(template, slug) == expected


@pytest.mark.parametrize("template", GOOD, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_good_fixture_is_silent(template: Path):
    assert _run(template, template.parent.parent.name) == []
