"""Snapshots of whole findings, as cfn-lint's snapshot tests pin whole matches.

For every bad check fixture (our checks only, text in its canonical form) and every sample
app variant (everything a user sees, cfn-lint's built-in rules included, fixes in the app's
language), each finding as the JSON report writes it: check, severity, message, line,
logical id, construct path, property path, fix, reporter, suppression, fingerprint and
source location (the user's file, line and frames, relative to the repository), with
template paths made relative. A change in output is a diff under tests/snapshots/ in review.

Regenerate with `make snapshots`, then read `git diff tests/snapshots`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor import pipeline, render
from auditor.assembly import load_assembly, load_paths
from auditor.config import Settings, load_settings
from auditor.findings import Finding
from tests.conftest import ROOT, SAMPLE_APPS

CHECK_FIXTURES = ROOT / "tests" / "checks"
SLUGS = sorted(p.parent.name for p in CHECK_FIXTURES.glob("*/bad"))
VARIANTS = [
    (app.name, variant)
    for app in sorted(SAMPLE_APPS.iterdir())
    if (app / "cdk.json").is_file() and app.name != "broken_app"
    for variant in ("bad", "good")
]


def _entry(f: Finding, base: Path) -> dict[str, Any]:
    d = f.to_dict()
    # a loose template's stack is named by its path: relative too, so the snapshot is the same
    # in every checkout
    for key in ("template", "stack"):
        path = Path(d[key])
        if path.is_absolute() and path.resolve().is_relative_to(base.resolve()):
            d[key] = path.resolve().relative_to(base.resolve()).as_posix()
    return d


def _settings(template: Path) -> Settings:
    cfg = template.with_suffix(".config.toml")
    return (load_settings(cfg) if cfg.is_file() else Settings()).replace(cfn_lint_rules=False)


@pytest.mark.parametrize("slug", SLUGS)
def test_check_fixture_findings(slug: str, snapshot: Any) -> None:
    out: dict[str, list[dict[str, Any]]] = {}
    for template in sorted((CHECK_FIXTURES / slug / "bad").glob("*.json")):
        if template.name.endswith(".expected.json"):
            continue
        findings = pipeline.check(load_paths([template]), _settings(template)).findings
        out[template.stem] = [_entry(f, ROOT) for f in findings]
    snapshot(f"checks/{slug}", out)


@pytest.mark.synth
@pytest.mark.parametrize(("app", "variant"), VARIANTS, ids=lambda v: str(v))
def test_sample_app_findings(app: str, variant: str, synth_cache: Any, snapshot: Any) -> None:
    result = synth_cache(app, variant)
    assert result.ok, f"{app} {variant}: synth failed: {result.error}"
    assembly = load_assembly(result.output_dir, synth_warnings=result.warnings, source_root=ROOT)
    findings = pipeline.check([assembly], load_settings(None, SAMPLE_APPS / app)).findings
    language = render.fixes_language(render.tell_language(SAMPLE_APPS / app, [assembly], findings))
    shown = [render.render_finding(f, language) for f in findings]  # as `run` shows them
    snapshot(f"sample_apps/{app}-{variant}", [_entry(f, result.output_dir) for f in shown])
