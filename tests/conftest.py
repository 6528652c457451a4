"""Shared fixtures: the real CDK CLI synthesizes each sample app variant once per session."""

from __future__ import annotations

import json
import os
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock
from hypothesis import settings as hypothesis_settings
from typer.testing import CliRunner

from auditor import pipeline
from auditor.assembly import load_assembly
from auditor.cli import app
from auditor.config import load_settings
from auditor.findings import Finding
from auditor.report import json_report
from auditor.synth import SynthResult, run_synth

# Property-based tests (tests/test_properties.py): "ci" (the default) is small, derandomized
# (the same examples every run) and without deadlines (the machine is busy); "deep" looks harder.
hypothesis_settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True, print_blob=True)
hypothesis_settings.register_profile("deep", max_examples=500, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_APPS = ROOT / "sample_apps"
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def result_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The CLI's result cache for the whole session, outside the repository (it would go to
    .cdk-audit-cache/ at the git top-level); shared, so later tests also run warm."""
    directory = tmp_path_factory.mktemp("result-cache")
    previous = os.environ.get("CDK_AUDIT_CACHE_DIR")
    os.environ["CDK_AUDIT_CACHE_DIR"] = str(directory)
    yield directory
    if previous is None:
        os.environ.pop("CDK_AUDIT_CACHE_DIR", None)
    else:
        os.environ["CDK_AUDIT_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def synth_cache(tmp_path_factory: pytest.TempPathFactory):
    """``synth(app, variant)`` -> SynthResult; each (app, variant) synthesized once per
    session, also under pytest-xdist: the first worker to ask synthesizes it (under a file
    lock) into a folder all workers share, the others read its result."""
    cache: dict[tuple[str, str], SynthResult] = {}
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # xdist: one basetemp per worker
    root = shared / "synthesized"
    root.mkdir(exist_ok=True)

    def synth(app_name: str, variant: str = "bad") -> SynthResult:
        key = (app_name, variant)
        if key not in cache:
            out = root / f"{app_name}-{variant}"
            saved = root / f"{app_name}-{variant}.pickle"
            with FileLock(str(root / f"{app_name}-{variant}.lock")):
                if saved.is_file():
                    cache[key] = pickle.loads(saved.read_bytes())
                else:
                    out.mkdir(exist_ok=True)
                    cache[key] = run_synth(SAMPLE_APPS / app_name, out, {"variant": variant}, source_root=ROOT)
                    saved.write_bytes(pickle.dumps(cache[key]))
        return cache[key]

    return synth


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, [str(a) for a in args], prog_name="cdk-audit")

    return invoke


def fake_cdk_cli(tmp_path: Path, body: str) -> Path:
    """A stand-in for the CDK CLI (``--cdk-bin``): a Python script running ``body``."""
    cli = tmp_path / "fake-cdk"
    cli.write_text(f"#!{sys.executable}\n{body}")
    cli.chmod(0o755)
    return cli


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    """An app folder whose ``cdk.json`` names a trivial app (for a fake CDK CLI)."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "cdk.json").write_text(json.dumps({"app": "true"}))
    return app


def validated_report(text: str) -> dict[str, Any]:
    """Parse a JSON report and validate it against the shipped schema."""
    doc = json.loads(text)
    json_report.validate(doc)
    return doc


def audited(result: SynthResult, app_name: str) -> list[Finding]:
    """A synthesized sample app through the CLI's check stage (engine, validation
    reports, suppressions), with synth's warnings; suppressed findings left out."""
    assembly = load_assembly(result.output_dir, synth_warnings=result.warnings, source_root=ROOT)
    findings = pipeline.check([assembly], load_settings(None, SAMPLE_APPS / app_name)).findings
    return [f for f in findings if f.suppressed is None]


def require_corpus() -> pytest.MarkDecorator:
    """Tests on ../shared/corpus never skip: without it they fail and say why."""
    return pytest.mark.usefixtures("corpus_dir")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"{CORPUS} is missing: check out ../shared beside this repository (CI does)")
    return CORPUS


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--snapshot-update",
        action="store_true",
        help="rewrite tests/snapshots/ from the current output (then review `git diff tests/snapshots`)",
    )


SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


@pytest.fixture
def snapshot(request: pytest.FixtureRequest):
    """``snapshot(name, data)``: ``data`` must equal tests/snapshots/<name>.json."""
    update = request.config.getoption("--snapshot-update")

    def check(name: str, data: Any) -> None:
        path = SNAPSHOTS / f"{name}.json"
        text = json.dumps(data, indent=1, sort_keys=True) + "\n"
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.is_file(), f"no snapshot {path.relative_to(ROOT)}: run `make snapshots` and review the diff"
        assert json.loads(path.read_text(encoding="utf-8")) == data, (
            f"output differs from {path.relative_to(ROOT)}: if the change is intended, "
            "run `make snapshots` and review `git diff tests/snapshots`"
        )

    return check
