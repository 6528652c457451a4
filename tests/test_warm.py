"""The check stage's start-up overlapping synth (``auditor.warm``): same findings, nothing
of cfn-lint imported before synth starts, and a settings error stops synth."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from auditor import api, pipeline, warm
from auditor.assembly import load_assembly
from auditor.cache import ResultCache
from auditor.config import ConfigError, Settings, load_settings
from auditor.source import default_source_root
from tests.conftest import ROOT, SAMPLE_APPS


def test_the_cli_and_the_load_stage_import_no_cfn_lint():
    """Whatever ``run`` imports before it starts synth must leave cfn-lint (0.6 s and more
    of imports) to the background: one top-level import of it would serialize them again."""
    code = (
        "import sys, auditor.cli, auditor.api, auditor.assembly, auditor.config, auditor.report.model; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('cfnlint', 'sympy', 'networkx')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_the_cli_imports_no_report_writer_before_it_writes():
    """The seven report writers are imported when a report is written, after synth, not
    on the way to starting it."""
    code = "import sys, auditor.cli; print(sorted(m for m in sys.modules if m.startswith('auditor.report.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "['auditor.report.model']"


@pytest.mark.parametrize("app", ["card_gateway", "payments_ts"])
def test_reading_the_settings_before_synth_imports_no_check_pack(app: str):
    """``run`` reads the settings before synth: a sample app's file (check tables, regions)
    must not pull in the check packs, whose base class imports cfn-lint."""
    code = (
        "import sys; from pathlib import Path; from auditor.config import read_settings; "
        f"read_settings(None, Path({str(SAMPLE_APPS / app)!r}), ['profile=production', 'regions=[\"eu-west-1\"]']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('cfnlint', 'sympy', 'auditor') "
        "and (m.startswith(('cfnlint', 'sympy', 'auditor.checks', 'auditor.rule')))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def _sleeper() -> subprocess.Popen[str]:
    return subprocess.Popen(["sleep", "60"], start_new_session=True, text=True)


@pytest.mark.parametrize("fails_first", [True, False], ids=["fails-before-watch", "fails-after-watch"])
def test_a_failing_warm_up_stops_the_watched_process(fails_first: bool):
    watched = threading.Event()

    def work() -> int:
        if not fails_first:
            watched.wait(10)
        raise ConfigError("cdk-audit.toml: unknown key(s) bogus")

    ready = warm.Background(work)
    if fails_first:
        time.sleep(0.2)
    proc = _sleeper()
    ready.watch(proc)
    watched.set()
    with pytest.raises(ConfigError, match="bogus"):
        ready.result()
    assert proc.wait(timeout=10) != 0  # stopped, not left to sleep for a minute


def test_a_warm_up_that_works_leaves_the_process_alone():
    ready = warm.Background(lambda: 42)
    proc = _sleeper()
    ready.watch(proc)
    assert ready.result() == 42
    assert proc.poll() is None
    proc.kill()
    proc.wait()


@pytest.mark.synth
def test_a_configuration_error_found_during_synth_exits_3_and_stops_synth(cli, tmp_path: Path):
    out = tmp_path / "cdk.out"
    start = time.perf_counter()
    r = cli("run", SAMPLE_APPS / "card_gateway", "--set", "log-retention.bogus=1", "--output-dir", out, "-q")
    assert r.exit_code == 3, r.output
    assert "configuration error" in r.output and "bogus" in r.output
    assert not (out / "manifest.json").exists()  # synth was stopped before it wrote an assembly
    assert time.perf_counter() - start < 60


@pytest.mark.synth
def test_run_with_the_overlap_and_the_cache_gives_the_findings_of_the_plain_stages(tmp_path: Path):
    app = SAMPLE_APPS / "settlement_jobs"  # its cdk-audit.toml configures a check: settings need the pack

    def settings() -> Settings:
        return load_settings(None, app)

    cache = ResultCache(tmp_path / "cache")
    out = tmp_path / "cdk.out"
    first = api.run(app, settings, context={"variant": "bad"}, output_dir=out, cache=cache)
    assert first.synth is not None and first.synth.ok, first.synth
    # the stages one after the other, nothing ahead of time, no cache, on the same assembly
    assembly = load_assembly(out, synth_warnings=first.synth.warnings, source_root=default_source_root(app))
    plain = pipeline.check([assembly], settings())
    assert [f.to_dict() for f in first.findings] == [f.to_dict() for f in plain.findings]
    assert first.rules == plain.rules and first.checks == plain.checks
    again = api.run(app, settings, context={"variant": "bad"}, output_dir=tmp_path / "again", cache=cache)
    assert cache.misses == len(assembly.stacks) and cache.hits == len(assembly.stacks)  # synth is deterministic
    strip = lambda report: [{**f.to_dict(), "template": Path(f.template).name} for f in report.findings]  # noqa: E731
    assert strip(again) == strip(first)
