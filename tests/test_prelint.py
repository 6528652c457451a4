"""Linting templates while synth still runs (``auditor.prelint``): the findings are those of
the assembly synth leaves behind, whatever was linted on the way; a failed synth reports
none; a template rewritten after it was linted is linted again."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from auditor import api, engine, prelint, warm
from auditor.assembly import load_assembly
from auditor.cache import ResultCache
from auditor.config import Settings, load_settings
from tests.conftest import SAMPLE_APPS, fake_cdk_cli


def _settings(app: Path) -> Settings:
    return load_settings(None, app)


def _fake_cli(tmp_path: Path, body: str) -> Path:
    """A stand-in for the CDK CLI; ``OUT`` is the ``--output`` folder it was given."""
    return fake_cdk_cli(tmp_path, "import shutil, sys, time\nfrom pathlib import Path\n"
                        f"OUT = Path(sys.argv[sys.argv.index('--output') + 1])\n{body}")  # fmt: skip


@pytest.fixture
def assemblies(synth_cache) -> tuple[Path, Path]:
    """card_gateway's assembly, bad and good (the same stacks, different findings)."""
    bad, good = synth_cache("card_gateway", "bad"), synth_cache("card_gateway", "good")
    assert bad.ok and good.ok
    return bad.output_dir, good.output_dir


def _messages(report: api.Report) -> list[tuple[str, str, str]]:
    return [(f.check_id, f.stack, f.message) for f in report.findings]


def _watch(out: Path, since: int, prepared: warm.Prepared, seconds: float) -> int:
    stop, counted = threading.Event(), []
    thread = threading.Thread(target=lambda: counted.append(prelint.watch(out, since, prepared, stop)))
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join(10)
    assert not thread.is_alive(), "watch did not stop"
    return counted[0]


@pytest.mark.synth
def test_watch_lints_each_template_of_a_new_manifest_as_the_check_stage_would(tmp_path: Path, assemblies):
    bad, _ = assemblies
    out = tmp_path / "cdk.out"
    since = time.time_ns()
    shutil.copytree(bad, out)
    (out / "manifest.json").touch()  # written after `since`, as synth writes it
    prepared = warm.prepare(_settings(tmp_path), None, remember=True)
    assert prepared.results is not None
    linted = _watch(out, since, prepared, 3.0)
    stacks = [s for s in load_assembly(out).stacks if s.template is not None]
    assert linted == len(stacks) > 0
    for stack in stacks:
        assert stack.digest is not None
        hit = prepared.results.get(stack.digest.sha256)
        assert hit is not None
        assert list(hit.matches) == engine._lint_one(stack, prepared.checks)


@pytest.mark.synth
def test_a_fully_cached_assembly_loads_no_built_in_rule(tmp_path: Path, assemblies):
    bad, _ = assemblies
    cache = ResultCache(tmp_path / "cache")
    first = warm.prepare(_settings(tmp_path), cache)
    stacks = load_assembly(bad).stacks
    assert first.results is not None and engine.prelint(stacks, first.checks, first.results, lambda: False) > 0
    assert "rules" in vars(first.checks)  # it linted: the built-ins were loaded
    again = warm.prepare(_settings(tmp_path), cache)  # a later run, same cache
    assert again.results is not None
    assert engine.prelint(stacks, again.checks, again.results, lambda: False) == 0
    assert "rules" not in vars(again.checks) and "config" not in vars(again.checks)


def test_watch_ignores_a_manifest_from_before_synth_and_a_broken_one(tmp_path: Path):
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "t.template.json").write_text(json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}))
    manifest = {"version": "36.0.0", "artifacts": {"S": {"type": "aws:cloudformation:stack",
                "properties": {"templateFile": "t.template.json"}}}}  # fmt: skip
    (out / "manifest.json").write_text(json.dumps(manifest))
    prepared = warm.prepare(_settings(tmp_path), None, remember=True)
    assert _watch(out, time.time_ns(), prepared, 0.5) == 0  # an old assembly: not this synth's
    since = time.time_ns()
    (out / "manifest.json").write_text('{"version": "36.0.0", "artifacts": {')  # half written
    assert _watch(out, since, prepared, 0.5) == 0  # no error either
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert _watch(out, since, prepared, 1.0) == 1


def _api_run(app_dir: Path, cli: Path, out: Path, cache: ResultCache | None = None) -> tuple[api.Report, list[str]]:
    said: list[str] = []
    report = api.run(app_dir, _settings(app_dir), output_dir=out, cdk_bin=str(cli), sources=False,
                     progress=said.append, cache=cache)  # fmt: skip
    return report, said


@pytest.mark.synth
def test_a_template_rewritten_after_it_was_linted_is_audited_as_synth_left_it(
    tmp_path: Path, app_dir: Path, assemblies
):
    bad, good = assemblies
    # writes the bad assembly, waits (the pre-lint lints it), then rewrites every
    # template with the good one's, leaving the manifest as it was
    cli = _fake_cli(
        tmp_path,
        f"shutil.copytree({str(bad)!r}, OUT, dirs_exist_ok=True)\n(OUT / 'manifest.json').touch()\ntime.sleep(4)\n"
        f"for t in Path({str(good)!r}).glob('*.template.json'):\n    shutil.copyfile(t, OUT / t.name)\n",
    )
    out = tmp_path / "cdk.out"
    report, said = _api_run(app_dir, cli, out)
    assert report.synth is not None and report.synth.ok
    assert any(line.startswith("linted ") for line in said), said  # it did lint the first version
    fresh = api.scan([out], _settings(app_dir), sources=False)
    assert _messages(report) == _messages(fresh)
    first = api.scan([bad], _settings(app_dir), sources=False)
    assert _messages(first) != _messages(fresh)  # what was linted first would have given other findings


@pytest.mark.synth
def test_a_synth_that_fails_after_writing_its_assembly_reports_no_finding(tmp_path: Path, app_dir: Path, assemblies):
    bad, _ = assemblies
    cli = _fake_cli(
        tmp_path,
        f"shutil.copytree({str(bad)!r}, OUT, dirs_exist_ok=True)\n(OUT / 'manifest.json').touch()\ntime.sleep(4)\n"
        "sys.stderr.write('Error: the app failed after synthesis\\n')\nsys.exit(1)\n",
    )
    cache = ResultCache(tmp_path / "cache")
    report, said = _api_run(app_dir, cli, tmp_path / "cdk.out", cache)
    assert report.synth is not None and not report.synth.ok
    assert report.findings == ()
    assert cache.writes > 0  # the templates were linted during synth (and their results kept: they are the bytes')
    assert not any(line.startswith("linted ") for line in said)


@pytest.mark.synth
@pytest.mark.parametrize("app", ["card_gateway", "payments_ts"])
def test_run_without_a_cache_lints_during_synth_and_finds_what_it_finds_without(
    tmp_path: Path, app: str, monkeypatch: pytest.MonkeyPatch
):
    """The real CDK CLI on a Python and a TypeScript app: the pre-lint does lint, and the
    report is the one the check stage gives alone (the same assembly folder, so the same
    template paths)."""
    app_dir = SAMPLE_APPS / app
    if app == "payments_ts" and not (app_dir / "node_modules").is_dir():
        pytest.skip("payments_ts: node_modules are not installed (make ts-apps)")
    runs = []
    for head_start in ("1", "0"):
        monkeypatch.setenv("CDK_AUDIT_PRELINT", head_start)
        said: list[str] = []
        report = api.run(app_dir, _settings(app_dir), context={"variant": "bad"}, output_dir=tmp_path / "cdk.out",
                         progress=said.append)  # fmt: skip
        assert report.synth is not None and report.synth.ok, report.synth
        runs.append((report, said))
    (ahead, said_ahead), (plain, said_plain) = runs
    assert any(line.startswith("linted ") for line in said_ahead), said_ahead
    assert not any(line.startswith("linted ") for line in said_plain)
    assert [f.to_dict() for f in ahead.findings] == [f.to_dict() for f in plain.findings]
    assert ahead.rules == plain.rules and ahead.checks == plain.checks
