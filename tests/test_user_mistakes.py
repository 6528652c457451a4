"""Issue 10, item 6: every user mistake exits 3 with one sentence naming the file, never 4,
and is found before any synth or audit work starts."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from tests.conftest import FIXTURES

TEMPLATE = FIXTURES / "templates" / "open_log_group.json"
DEEP = "[" * 5000 + "]" * 5000


@dataclass
class Result:
    returncode: int
    stderr: str


def cdk_audit(*args: object, cwd: Path | None = None) -> Result:
    """The CLI in this process; an exception escaping it (what ``main`` turns into exit 4)
    fails the test here."""
    before = Path.cwd()
    os.chdir(cwd or before)
    try:
        r = CliRunner().invoke(app, [str(a) for a in args], prog_name="cdk-audit", env={"COLUMNS": "400"})
    finally:
        os.chdir(before)
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return Result(r.exit_code, r.stderr)


def mistake(r: Result, *names: object) -> str:
    assert r.returncode == 3, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    for name in names:
        assert str(name) in r.stderr, (name, r.stderr)
    assert "auditing" not in r.stderr  # found before any audit work (tests of `run` check synth never ran)
    return r.stderr


@pytest.fixture
def cdk_app(tmp_path: Path) -> Path:
    """A CDK app whose synth would leave a mark: a mistake found first never starts it."""
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "cdk.json").write_text(json.dumps({"app": f"touch {tmp_path / 'synth-ran'}"}))
    return folder


@pytest.fixture
def afile(tmp_path: Path) -> Path:
    f = tmp_path / "afile"
    f.write_text("x")
    return f


@pytest.mark.parametrize("command", ["scan", "run"])
def test_unwritable_report_paths(tmp_path: Path, cdk_app: Path, afile: Path, command: str):
    target = TEMPLATE if command == "scan" else cdk_app
    cases = [
        ("--report-file", afile / "r.json", "is a file, not a folder"),  # a parent that is a file
        ("--report-file", Path("/sys/cdk-audit-report.json"), "cannot write"),  # a read-only folder (root too)
        ("--output", f"sarif={afile}/r.sarif", "is a file, not a folder"),
        ("--output", f"sarif={tmp_path}", "is a folder"),  # a folder given as the file
    ]
    for option, value, words in cases:
        shown = str(value).split("=", 1)[-1]
        err = mistake(cdk_audit(command, target, option, value, "--quiet"), shown, option)
        assert words in err
    assert not (tmp_path / "synth-ran").exists()


def test_report_file_in_a_missing_folder_is_created(tmp_path: Path):
    out = tmp_path / "new" / "deeper" / "r.json"
    r = cdk_audit("scan", TEMPLATE, "--report-file", out, "--quiet", "--set", "cfn-lint-rules=false")
    assert r.returncode == 1 and out.is_file(), r.stderr


def test_region_typo(tmp_path: Path, cdk_app: Path):
    cfg = tmp_path / "cdk-audit.toml"
    cfg.write_text('[tool.cdk-audit]\nregions = ["us-east1"]\n')
    err = mistake(cdk_audit("scan", TEMPLATE, "--config", cfg), cfg, "us-east1")
    assert "us-east-1" in err  # the likely fix
    mistake(cdk_audit("run", cdk_app, "--config", cfg), cfg)
    mistake(cdk_audit("scan", TEMPLATE, "--set", 'regions=["eu-wset-1"]'), "eu-wset-1")
    assert not (tmp_path / "synth-ran").exists()


@pytest.mark.parametrize(
    "body",
    [
        "tool = 5\n",
        '[tool]\ncdk-audit = "x"\n',
        "[tool]\ncdk-audit = [1]\n",
        "x = " + DEEP + "\n",
        "[tool.cdk-audit]\nignore = " + DEEP + "\n",
    ],
    ids=["tool-not-a-table", "cdk-audit-a-string", "cdk-audit-a-list", "deep-toml", "deep-toml-value"],
)
def test_config_shape_mistakes(tmp_path: Path, body: str):
    cfg = tmp_path / "cdk-audit.toml"
    cfg.write_text(body)
    err = mistake(cdk_audit("scan", TEMPLATE, "--config", cfg), cfg)
    if "cdk-audit =" in body:
        assert "[tool.cdk-audit] must be a table" in err  # the table's name, not eaten as markup


def test_pyproject_whose_tool_is_not_a_table_is_reported(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("tool = 5\n")
    mistake(cdk_audit("scan", TEMPLATE, cwd=tmp_path), "pyproject.toml", "'tool' must be a table")


def test_deep_set_value():
    mistake(cdk_audit("scan", TEMPLATE, "--set", "ignore=" + "[" * 3000 + "]" * 3000), "ignore")


def test_deep_baseline(tmp_path: Path):
    baseline = tmp_path / "baseline.json"
    baseline.write_text(DEEP)
    mistake(cdk_audit("scan", TEMPLATE, "--baseline", baseline), baseline, "too deeply")


@pytest.mark.parametrize(
    "finding",
    [
        {"fingerprint": "a", "severity": {"x": 1}},
        {"fingerprint": "a", "message": [1]},
        {"fingerprint": ["a"]},
        {"fingerprint": "a", "slug": 5},
    ],
)
def test_diff_on_findings_with_bad_types(tmp_path: Path, finding: dict):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps({"findings": []}))
    new.write_text(json.dumps({"findings": [finding]}))
    mistake(cdk_audit("diff", old, new), new, "finding #1")


def test_malformed_package_json_above_the_cdk_cli(tmp_path: Path, cdk_app: Path):
    cli = cdk_app / "node_modules" / ".bin" / "cdk"
    cli.parent.mkdir(parents=True)
    cli.write_text(f"#!/bin/sh\ntouch {tmp_path / 'synth-ran'}\n")
    cli.chmod(0o755)
    (cdk_app / "package.json").write_text("{not json")
    mistake(cdk_audit("run", cdk_app), cdk_app / "package.json", "CDK CLI")
    assert not (tmp_path / "synth-ran").exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-5"])
def test_timeout_must_be_positive_and_finite(cdk_app: Path, tmp_path: Path, value: str):
    mistake(cdk_audit("run", cdk_app, f"--timeout={value}"), "--timeout")
    assert not (tmp_path / "synth-ran").exists()


def test_scan_of_a_device_or_fifo_says_what_it_is(tmp_path: Path):
    err = mistake(cdk_audit("scan", "/dev/null"), "/dev/null")
    assert "no such file" not in err and "device" in err
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    err = mistake(cdk_audit("scan", fifo), fifo)  # and it is never opened: that would block
    assert "no such file" not in err and "FIFO" in err


def test_markup_in_paths_is_shown_as_it_is(tmp_path: Path):
    missing = tmp_path / "[bold]x[/bold].json"
    mistake(cdk_audit("scan", missing), missing)


def test_baseline_write_to_an_unwritable_file(afile: Path):
    mistake(cdk_audit("baseline", "write", afile / "b.json", TEMPLATE), afile / "b.json")


def test_the_writability_probe_leaves_nothing_behind(tmp_path: Path):
    r = cdk_audit("scan", TEMPLATE, "--report-file", tmp_path / "r.json", "-q", "--set", "cfn-lint-rules=false")
    assert r.returncode == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
