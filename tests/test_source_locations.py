"""Findings at the line of CDK code that caused them, for TypeScript and Python apps alike.

Real `cdk synth` of the sample apps (synthesized once per session, with the traces
`cdk-audit run` turns on), then the real check stage and report writers.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor import api
from auditor.config import load_settings
from auditor.findings import Finding
from auditor.report import github, sarif, text
from tests.conftest import ROOT, SAMPLE_APPS, audited

TS_APP = "sample_apps/payments_ts"
#: (check, file, the code on the line) the TypeScript bad variant seeds (sample_apps/payments_ts/README.md)
TS_SEEDED = [
    ("apigw-mtls", "lib/api-stack.ts", "new apigw.RestApi(this, 'PartnerApi'"),
    ("log-retention", "lib/functions.ts", "new lambda.Function(this, 'Authorize'"),
    ("log-retention", "lib/functions.ts", "new lambda.Function(this, 'Settle'"),
    ("cdk-deprecation", "lib/functions.ts", "new lambda.Function(this, 'Settle'"),
    ("removal-policy", "lib/partner-domain.ts", "new s3.Bucket(this, 'Bucket'"),
    ("backup-retention", "lib/data-stack.ts", "new rds.DatabaseCluster(this, 'LedgerCluster'"),
    ("s3-replication", "lib/data-stack.ts", "new s3.Bucket(this, 'LedgerArchive'"),
    ("sqs-encryption", "lib/data-stack.ts", "new sqs.Queue(this, 'SettlementQueue'"),
    ("sqs-dlq", "lib/data-stack.ts", "new sqs.Queue(this, 'RefundQueue'"),
    ("vpc-flow-logs", "lib/network-stack.ts", "new ec2.Vpc(this, 'Vpc'"),
    ("alarms", "bin/payments.ts", "new ApiStack(app, 'PaymentsApi'"),  # once per stack: where the stack is made
]
PY_APP = "sample_apps/card_gateway"
PY_SEEDED = [
    ("log-retention", "card_gateway/functions.py", "return lambda_.Function("),  # innermost: the helper's call
    ("log-retention", "card_gateway/functions.py", "return logs.LogGroup("),
    ("apigw-mtls", "card_gateway/api.py", "self.rest_api = apigateway.RestApi("),
    ("iam-least-privilege", "card_gateway/functions.py", "self.authorize.add_to_role_policy(key_access)"),
]


def _line(app: str, file: str, code: str) -> int:
    """The one line of ``file`` that holds ``code``: expectations follow the code, not a number."""
    lines = (ROOT / app / file).read_text().splitlines()
    found = [i for i, text in enumerate(lines, 1) if code in text]
    assert len(found) == 1, (file, code, found)
    return found[0]


def _expected(app: str, seeded: list[tuple[str, str, str]]) -> set[tuple[str, str, int]]:
    return {(slug, file, _line(app, file, code)) for slug, file, code in seeded}


def _at(findings: list[Finding], app: str) -> set[tuple[str, str, int]]:
    prefix = app + "/"
    return {
        (f.slug, f.source.file.removeprefix(prefix), f.source.line)
        for f in findings
        if f.source is not None and f.source.file.startswith(prefix)
    }


def _report(synth_cache: Any, app: str, variant: str) -> Any:
    result = synth_cache(app, variant)
    assert result.ok, f"{app} {variant}: {result.error}"
    from auditor.assembly import load_assembly

    assembly = load_assembly(result.output_dir, synth_warnings=result.warnings, source_root=ROOT)
    return api.check(
        [assembly], load_settings(None, SAMPLE_APPS / app), app=str(SAMPLE_APPS / app), source_root=ROOT
    )


@pytest.mark.synth
def test_typescript_findings_lead_to_their_ts_lines(synth_cache: Any) -> None:
    findings = audited(synth_cache("payments_ts", "bad"), "payments_ts")
    assert _at(findings, TS_APP) >= _expected(TS_APP, TS_SEEDED), sorted(_at(findings, TS_APP))
    ours = [f for f in findings if f.reported_by == "cdk-audit"]
    assert ours and all(f.source is not None and f.source.file.endswith(".ts") for f in ours)
    ts = next(f for f in ours if f.slug == "s3-replication")
    line = (ROOT / TS_APP / "lib/data-stack.ts").read_text().splitlines()[ts.source.line - 1] if ts.source else ""
    assert ts.source is not None and line.index("new s3.Bucket(") + 1 == ts.source.column  # the `new` expression
    assert [fr.file for fr in ts.source.frames][-1] == f"{TS_APP}/bin/payments.ts"  # innermost first


@pytest.mark.synth
def test_python_findings_lead_to_their_py_lines(synth_cache: Any) -> None:
    findings = audited(synth_cache("card_gateway", "bad"), "card_gateway")
    assert _at(findings, PY_APP) >= _expected(PY_APP, PY_SEEDED), sorted(_at(findings, PY_APP))
    helper = _line(PY_APP, "card_gateway/functions.py", "return lambda_.Function(")
    fn = next(f for f in findings if f.slug == "log-retention" and f.source and f.source.line == helper)
    assert fn.source is not None and fn.source.column is None  # Python frames carry no column
    # the chain, innermost first: the helper's call, then the call of the helper in __init__
    caller = _line(PY_APP, "card_gateway/functions.py", 'self._function("Authorize", "authorize", log_retention')
    assert [(fr.function, fr.line) for fr in fn.source.frames[:2]] == [("_function", helper), ("__init__", caller)]


@pytest.mark.synth
@pytest.mark.parametrize("app", ["card_gateway", "payments_platform", "merchant_portal", "settlement_jobs",
                                 "payments_ts"])  # fmt: skip
def test_every_finding_on_a_construct_has_a_source(synth_cache: Any, app: str) -> None:
    findings = audited(synth_cache(app, "bad"), app)
    on_constructs = [f for f in findings if f.construct_path]
    assert on_constructs
    missing = [(f.slug, f.construct_path) for f in on_constructs if f.source is None]
    assert missing == []
    for f in on_constructs:
        assert f.source is not None and (ROOT / f.source.file).is_file(), f.source


@pytest.mark.synth
def test_sarif_results_are_on_repository_files(synth_cache: Any) -> None:
    for app in ("payments_ts", "card_gateway"):
        report = _report(synth_cache, app, "bad")
        doc = sarif.to_sarif(report)
        base = doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        assert base == ROOT.as_uri() + "/"
        results = doc["runs"][0]["results"]
        assert results
        for r in results:
            loc = r["locations"][0]["physicalLocation"]
            assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%", r
            assert (ROOT / loc["artifactLocation"]["uri"]).is_file(), loc
            assert loc["region"]["startLine"] >= 1
            [related] = r["relatedLocations"]
            assert related["physicalLocation"]["artifactLocation"]["uri"].endswith(".template.json")


@pytest.mark.synth
def test_text_concise_and_github_lead_with_the_source_line(synth_cache: Any) -> None:
    report = _report(synth_cache, "payments_ts", "bad")
    body = text.render(report)
    line = _line(TS_APP, "lib/data-stack.ts", "new s3.Bucket(this, 'LedgerArchive'")
    assert re.search(rf"^  {TS_APP}/lib/data-stack\.ts:{line}:\d+  error s3-replication  ", body, re.M), body
    concise = text.render_concise(report).splitlines()
    assert concise[-1].startswith("Found ")
    for line in concise[:-1]:
        assert re.match(r"^[\w./-]+\.ts:\d+(:\d+)?: [EWI]\d{4} \[[\w-]+\] .+$", line), line
    gh = github.render(report).splitlines()
    assert len(gh) == len(report.active())
    for line in gh:
        assert re.match(r"^::(error|warning|notice) file=sample_apps/payments_ts/(lib|bin)/[\w-]+\.ts,"
                        r"line=\d+(,col=\d+)?,title=[EWI]\d{4} [\w-]+::", line), line  # fmt: skip


def test_github_workflow_commands_escape_their_data() -> None:
    from auditor.report.model import Report
    from auditor.source import Frame, SourceLocation

    loc = SourceLocation("lib/a,b:c.ts", 3, 4, (Frame("lib/a,b:c.ts", 3, 4, None),))
    f = Finding("E9001", "s3-replication", "error", "50% done\nnext::x", "S", "/t.json", source=loc)
    [line] = github.render(Report(app="a", findings=(f,))).splitlines()
    assert line.startswith("::error file=lib/a%2Cb%3Ac.ts,line=3,col=4,title=E9001 s3-replication::")
    assert line.endswith("::50%25 done%0Anext::x (S)")


@pytest.mark.synth
def test_fingerprint_stays_when_the_source_line_moves(synth_cache: Any, tmp_path: Path) -> None:
    before = audited(synth_cache("card_gateway", "bad"), "card_gateway")
    app = tmp_path / "card_gateway"
    shutil.copytree(SAMPLE_APPS / "card_gateway", app, ignore=shutil.ignore_patterns("cdk.out", "__pycache__"))
    functions = app / "card_gateway" / "functions.py"
    functions.write_text("\n\n\n" + functions.read_text())  # every construct in it moves down 3 lines
    settings = load_settings(None, app)
    after = api.run(app, settings, context={"variant": "bad"}, source_root=tmp_path).findings
    lines_before = {f.fingerprint: f.source.line for f in before if f.source and "functions.py" in f.source.file}
    lines_after = {f.fingerprint: f.source.line for f in after if f.source and "functions.py" in f.source.file}
    assert lines_before and lines_before.keys() == lines_after.keys()
    assert all(lines_after[k] == lines_before[k] + 3 for k in lines_before)


@pytest.mark.synth
def test_scan_reads_the_traces_of_an_assembly_synthesized_elsewhere(synth_cache: Any, cli: Any,
                                                                    tmp_path: Path) -> None:  # fmt: skip
    out = synth_cache("payments_ts", "bad").output_dir
    r = cli("scan", out, "--format", "json", "-q", "--source-root", ROOT, "--config", SAMPLE_APPS / "payments_ts"
            / "cdk-audit.toml")  # fmt: skip
    doc = json.loads(r.stdout)
    assert doc["source_root"] == str(ROOT)
    located = {(f["slug"], f["source"]["file"], f["source"]["line"]) for f in doc["findings"] if f["source"]}
    line = _line(TS_APP, "lib/data-stack.ts", "new s3.Bucket(this, 'LedgerArchive'")
    assert ("s3-replication", f"{TS_APP}/lib/data-stack.ts", line) in located
    elsewhere = cli("scan", out, "--format", "json", "-q", "--source-root", tmp_path)
    assert [f for f in json.loads(elsewhere.stdout)["findings"] if f["source"]] == []  # outside the root: no files


@pytest.mark.synth
def test_without_traces_python_findings_keep_the_template_location(tmp_path: Path) -> None:
    settings = load_settings(None, SAMPLE_APPS / "card_gateway")
    report = api.run(SAMPLE_APPS / "card_gateway", settings, context={"variant": "bad"}, sources=False)
    assert report.findings and all(f.source is None for f in report.findings)
    assert report.source_root is None
    assert re.search(r"^  CardGateway\.template\.json:\d+  error ", text.render(report), re.M)


# ---------------------------------------------------------------- synth failures, located


@pytest.mark.synth
@pytest.mark.parametrize(
    ("app", "variant", "kind", "where", "says"),
    [
        ("broken_app", None, "python-exception", "sample_apps/broken_app/app.py:18",
         "NameError: name 's3' is not defined"),
        ("broken_app", "no-methods", "validation", "sample_apps/broken_app/settlement/failures.py:47:15",
         "[SettlementReports/ReportsApi] The REST API doesn't contain any methods"),
        ("payments_ts", "broken", "typescript", "sample_apps/payments_ts/lib/broken-ledger-audit.ts:",
         "error TS2339: Property 'THIRTY_DAYS' does not exist"),
        ("broken_app/ts", "rotation", "other", "sample_apps/broken_app/ts/lib/rotation-stack.ts:11:12",
         "MustBeSpecified"),
    ],
)  # fmt: skip
def test_synth_failures_exit_2_with_the_whole_error_at_the_users_line(
    cli: Any, app: str, variant: str | None, kind: str, where: str, says: str
) -> None:
    args = ["run", SAMPLE_APPS / app, "--format", "json", "-q", *(["-c", f"variant={variant}"] if variant else [])]
    r = cli(*args)
    assert r.exit_code == 2, r.output[-2000:]
    doc = json.loads(r.stdout)
    synth = doc["synth"]
    assert synth["ok"] is False and doc["findings"] == [] and synth["error_kind"] == kind
    assert says in synth["error"]
    located = [f"{e['file']}:{e['line']}" + (f":{e['column']}" if e["column"] else "") for e in synth["errors"]]
    assert any(loc.startswith(where) for loc in located), located
    human = cli(*[a for a in args if a not in ("--format", "json")])
    assert human.exit_code == 2 and where in human.stdout and "synth failed" in human.stdout
    assert "0 error(s)" not in human.stdout  # a failed synth never reads like a pass
