"""Shared fixtures: the real CDK CLI synthesizes each sample app variant once per session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from auditor.cli import app
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
