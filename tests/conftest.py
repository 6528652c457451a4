"""Shared fixtures: the real CDK CLI synthesizes each sample app variant once per session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from auditor import pipeline
from auditor.assembly import load_assembly
from auditor.cli import app
from auditor.config import load_settings
from auditor.findings import Finding
from auditor.report import json_report
from auditor.synth import SynthResult, run_synth

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_APPS = ROOT / "sample_apps"
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def synth_cache(tmp_path_factory: pytest.TempPathFactory):
    """``synth(app, variant)`` -> SynthResult; each (app, variant) synthesized once."""
    cache: dict[tuple[str, str], SynthResult] = {}

    def synth(app_name: str, variant: str = "bad") -> SynthResult:
        key = (app_name, variant)
        if key not in cache:
            out = tmp_path_factory.mktemp(f"{app_name}-{variant}")
            cache[key] = run_synth(SAMPLE_APPS / app_name, out, {"variant": variant})
        return cache[key]

    return synth


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, [str(a) for a in args], prog_name="cdk-audit")

    return invoke


def validated_report(text: str) -> dict[str, Any]:
    """Parse a JSON report and validate it against the shipped schema."""
    doc = json.loads(text)
    json_report.validate(doc)
    return doc


def audited(result: SynthResult, app_name: str) -> list[Finding]:
    """A synthesized sample app through the CLI's check stage (engine, validation
    reports, suppressions), with synth's warnings; suppressed findings left out."""
    assembly = load_assembly(result.output_dir)
    assembly.synth_warnings = list(result.warnings)
    findings, _ = pipeline.check([assembly], load_settings(None, SAMPLE_APPS / app_name))
    return [f for f in findings if f.suppressed is None]
