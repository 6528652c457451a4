"""Fixes in the app's language (auditor.fixes, auditor.render) and the pack's wording: every
message says what is wrong and the fix in under 120 characters, its code marked once and
rendered as Python for Python apps and as TypeScript for the rest."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from auditor import api, pipeline, render
from auditor.assembly import load_assembly, load_paths
from auditor.catalog import RuleInfo, of_check
from auditor.config import Settings, load_settings
from auditor.findings import Finding, Reporter, Severity
from auditor.fixes import code_spans, to_typescript
from auditor.fixes import render as render_text
from auditor.registry import check_classes, find_check
from auditor.report import json_report, sarif
from auditor.report.model import Report, tool_versions
from auditor.source import Frame, SourceLocation
from tests import cdk_api
from tests.conftest import CORPUS, ROOT, SAMPLE_APPS, require_corpus
from tests.pack_text import SENTINEL, Template, message_templates, remediations

LIMIT = 120
TEMPLATES = message_templates()
#: every text of the pack that holds code: remediations and message templates
PACK = [(f"{slug} remediation", text) for slug, text in remediations()] + [(t.where, t.text) for t in TEMPLATES]
PACK_CODE = [(where, text) for where, text in PACK if "`" in text]
#: Python that must not survive into TypeScript: a keyword argument, a Python constant, `self`
_PYTHON_LEFT = re.compile(r"\b(self|True|False|None)\b|\w\s*=(?!=)")
#: a snake_case identifier (module aliases aside: `cw_actions` is what CDK's own docs import)
_SNAKE = re.compile(r"\b(?!cw_actions\b)[a-z][a-z0-9]*_[a-z0-9_]+\b")

# -- the translator ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("python", "typescript"),
    [
        # the issue's own example
        (
            'log_group=logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_YEAR)',
            "logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR })",
        ),
        # a struct is an object literal (an interface in TypeScript), nested ones too
        ("s3.ReplicationRule(destination=x, priority=1)", "{ destination: x, priority: 1 }"),
        (
            "replication_rules=[s3.ReplicationRule(destination=replica, priority=1)]",
            "replicationRules: [{ destination: replica, priority: 1 }]",
        ),
        ("apigw.MTLSConfig(bucket=b, key=k)", "{ bucket: b, key: k }"),
        # a class that is no construct still takes `new`, its keywords as its props
        (
            'iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.bucket_arn])',
            "new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.bucketArn] })",
        ),
        ("cw_actions.SnsAction(topic)", "new cw_actions.SnsAction(topic)"),
        # methods: positional arguments, then the keywords as the options struct
        (
            'vpc.add_flow_log("FlowLog", destination=ec2.FlowLogDestination.to_cloud_watch_logs(log_group))',
            "vpc.addFlowLog('FlowLog', { destination: ec2.FlowLogDestination.toCloudWatchLogs(logGroup) })",
        ),
        ("db.add_rotation_single_user()", "db.addRotationSingleUser()"),
        ("Duration.days(35)", "Duration.days(35)"),
        ("Stack.of(self).format_arn(...)", "Stack.of(this).formatArn(...)"),
        ("ec2.Peer.any_ipv4()", "ec2.Peer.anyIpv4()"),
        # constants, enum members, module aliases, jsii's trailing underscore
        ("disable_execute_api_endpoint=True", "disableExecuteApiEndpoint: true"),
        ("actions_enabled=False", "actionsEnabled: false"),
        ("None", "undefined"),
        ("tracing=lambda_.Tracing.ACTIVE", "tracing: lambda.Tracing.ACTIVE"),
        ("_lambda.Code.from_asset(\"src/it's\")", "lambda.Code.fromAsset('src/it\\'s')"),
        # names jsii spells with a run of capitals
        ("memory_limit_mib=1024", "memoryLimitMiB: 1024"),
        ("enforce_ssl=True", "enforceSSL: true"),
        # bare property names and lists of them
        ("point_in_time_recovery_specification", "pointInTimeRecoverySpecification"),
        ("cpu, memory_limit_mib", "cpu, memoryLimitMiB"),
        ('{"Name": "x", "a-b": -1}', "{ Name: 'x', 'a-b': -1 }"),
    ],
)
def test_canonical_python_renders_as_typescript(python: str, typescript: str) -> None:
    assert to_typescript(python) == typescript
    assert render_text(f"set `{python}` now", "typescript") == f"set `{typescript}` now"
    assert render_text(f"set `{python}` now", "python") == f"set `{python}` now"


@pytest.mark.parametrize(
    "text",
    [
        "0.0.0.0/0",
        "cdk synth",
        "--ignore-errors",
        "AWS::S3::Bucket",
        "execute-api",
        "s3:ReplicateObject",
        "RetentionInDays",
        "/aws/lambda/<name>",
        "min-days",
        "f(*args)",
        "x[0]",
        "a + b",
        "lambda x: x",
        "apigw.DomainNameOptions(..., mtls=m)",  # a struct with a positional argument: not ours to guess
    ],
)
def test_what_is_not_translatable_code_keeps_its_text(text: str) -> None:
    assert to_typescript(text) == text
    assert render_text(f"see `{text}` here", "typescript") == f"see `{text}` here"


def test_only_code_spans_are_rendered() -> None:
    text = "Pass log_group=x, or `log_group=x` (True story)"
    assert render_text(text, "typescript") == "Pass log_group=x, or `logGroup: x` (True story)"
    assert render_text(text, "python") is text and render_text(text, None) is text


# -- every text of the pack -------------------------------------------------------------------


def test_the_pack_text_is_collected() -> None:
    """The collection sees every check's remediation and the messages of every check that
    writes its own (the cdk-* checks and cdk-error quote CDK's)."""
    assert len(remediations()) == len(check_classes())
    quoting = {"cdk-warning", "cdk-error", "cdk-deprecation"}
    assert {t.slug for t in TEMPLATES} >= {c.slug for c in check_classes()} - quoting
    assert len(PACK_CODE) > 100


@pytest.mark.parametrize(("where", "text"), PACK_CODE, ids=[w for w, _ in PACK_CODE])
def test_every_fix_in_the_pack_reads_as_typescript(where: str, text: str) -> None:
    assert render_text(text, "python") == text  # the Python form is the canonical text
    for span in code_spans(render_text(text, "typescript")):
        assert not _PYTHON_LEFT.search(span), f"{where}: Python left in `{span}`"
        assert not _SNAKE.search(span), f"{where}: snake_case left in `{span}`"


@pytest.mark.parametrize(("where", "text"), PACK, ids=[w for w, _ in PACK])
def test_code_is_marked_as_code(where: str, text: str) -> None:
    """Code outside backticks would never be rendered: the pack writes none."""
    prose = re.sub(r"`[^`]*`", "``", text)
    assert not re.search(r"\w=|\b[a-z][a-z0-9]*_\w*\(|\bself\b|\bTrue\b", prose), f"{where}: {prose}"


def _length(template: Template, language: str) -> int:
    """The rendered length of a template, less what its placeholders will quote."""
    return len(render_text(template.text, language)) - template.placeholders * len(SENTINEL)


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.where for t in TEMPLATES])
def test_every_message_template_fits_in_120_characters(template: Template) -> None:
    """The fair rule: a message may be longer than 120 characters only by the values it
    quotes (a policy name, a list of tags), so its own words must fit in 120."""
    assert _length(template, "python") <= LIMIT, template.text
    assert _length(template, "typescript") <= LIMIT, render_text(template.text, "typescript")


@pytest.mark.parametrize(("slug", "text"), remediations(), ids=[s for s, _ in remediations()])
def test_every_remediation_is_one_line_under_120_characters(slug: str, text: str) -> None:
    for language in ("python", "typescript"):
        rendered = render_text(text, language)
        assert "\n" not in rendered and len(rendered) <= LIMIT, f"{slug} ({language}): {rendered}"


def test_every_code_span_is_aws_cdk_lib_api() -> None:
    """Each code span of the pack, held to aws-cdk-lib's jsii assembly: its classes, structs,
    properties, methods and enum members exist under the names both forms give them."""
    found = {}
    for where, text in PACK_CODE:
        for span in code_spans(text):
            if bad := cdk_api.problems(span.replace(f".{SENTINEL}", "").replace(SENTINEL, "1")):
                found[f"{where}: {span}"] = bad
    assert not found, json.dumps(found, indent=1)


def test_the_cdk_api_check_catches_what_the_pack_could_get_wrong() -> None:
    assert cdk_api.problems('logs.LogGroup(self, "L", retension=logs.RetentionDays.ONE_YEAR)')
    assert cdk_api.problems("logs.RetentionDays.ONE_YEARS")
    assert cdk_api.problems('ecs.ContainerImage.from_ecr_repository(repo, tag="1")')  # tag is positional
    assert cdk_api.problems("memory_limit_mb=1")
    assert cdk_api.problems('vpc.add_flowlog("FlowLog")')
    assert cdk_api.problems("ec2.Peer.any_ipv5()")


# -- the render stage -------------------------------------------------------------------------


def _finding(**kw: object) -> Finding:
    base: dict[str, object] = {
        "check_id": "E9004",
        "slug": "log-retention",
        "severity": Severity.ERROR,
        "message": 'Function logs never expire; pass `log_group=logs.LogGroup(self, "Logs", retention=...)`',
        "stack": "S",
        "template": "S.template.json",
        "logical_id": "Fn",
        "construct_path": "S/Fn/Resource",
        "remediation": "Pass `log_group=x` to the function.",
    }
    base.update(kw)
    return Finding(**base)  # type: ignore[arg-type]


def test_rendering_keeps_the_fingerprint() -> None:
    f = _finding()
    ts, py = render.render_finding(f, "typescript"), render.render_finding(f, "python")
    assert ts.message == (
        "Function logs never expire; pass `logGroup: new logs.LogGroup(this, 'Logs', { retention: ... })`"
    )
    assert ts.remediation == "Pass `logGroup: x` to the function."
    assert py == f
    assert ts.fingerprint == py.fingerprint == f.fingerprint
    # and it is the canonical message's: a finding built from the TypeScript text would differ
    assert Finding(**{**dataclasses.asdict(ts), "fingerprint": "", "source": None}).fingerprint != f.fingerprint


def test_text_that_is_not_ours_is_left_as_it_was() -> None:
    cfn = _finding(check_id="W3005", slug="W3005", reported_by=Reporter.CFN_LINT, message="`a_b=True` x")
    plugin = _finding(check_id="X1", slug="x", reported_by=Reporter.CDK, message="`a_b=True`", remediation="`c_d=1`")
    quoted = _finding(check_id="W9903", slug="cdk-deprecation", message="use `log_group` instead")
    parse = _finding(check_id="E0000", slug="template-parse-error", message="`a_b=1`")
    for f in (cfn, plugin, parse):
        assert render.render_finding(f, "typescript") is f
    out = render.render_finding(quoted, "typescript")
    assert out.message == quoted.message and out.remediation == "Pass `logGroup: x` to the function."


def test_report_is_rendered_with_its_rules_and_records_the_language(tmp_path: Path) -> None:
    cls = find_check("log-retention")
    assert cls is not None
    plugin_rule = RuleInfo("X1", "x", "x", Severity.ERROR, Reporter.CDK, remediation="`c_d=1`")
    rules = {"E9004": of_check(cls), "X1": plugin_rule}
    report = Report(app="a", findings=(_finding(),), rules=rules, tool=tool_versions())
    ts = render.render_report(report, "typescript")
    assert ts.language == "typescript" and ts.rules["X1"] == plugin_rule
    assert ts.rules["E9004"].remediation.startswith("Pass `logGroup: new logs.LogGroup(this, 'Logs', {")
    assert render.render_report(report, "python").rules["E9004"] == of_check(cls)
    for language in ("java", "other", "javascript"):  # jsii's other languages read the TypeScript form
        assert render.render_report(report, language).findings == ts.findings
    unknown = render.render_report(report, None)
    assert unknown.findings == report.findings and unknown.language is None
    doc = json.loads(json_report.render(ts))
    json_report.validate(doc)
    assert doc["schema_version"] == "2.2" and doc["language"] == "typescript"
    assert "`logGroup: new logs.LogGroup(this" in doc["findings"][0]["message"]
    assert doc["findings"][0]["remediation"] == "Pass `logGroup: x` to the function."
    rules = json.loads(sarif.render(ts))["runs"][0]["tool"]["driver"]["rules"]
    assert any("logGroup: new logs.LogGroup(this" in r["help"]["markdown"] for r in rules)


def _located(file: str) -> Finding:
    return _finding(source=SourceLocation(file, 1, None, (Frame(file, 1, None, None),)))


def test_the_language_is_told_by_cdk_json_else_by_the_findings_sources(tmp_path: Path) -> None:
    (tmp_path / "app" / "cdk.out").mkdir(parents=True)
    (tmp_path / "app" / "cdk.out" / "manifest.json").write_text('{"version": "55.0.0"}', encoding="utf-8")
    assembly = load_paths([tmp_path / "app" / "cdk.out"])
    ts, py = _located("lib/x.ts"), _located("app/x.py")
    tell = render.tell_language
    assert tell(None, assembly, [ts]) == "typescript"  # scan, no cdk.json: the sources
    assert tell(None, [], [py, ts, _located("b.py")]) == "python"  # the most common
    assert tell(None, [], [_finding()]) is None  # hand-written templates: nothing tells
    cdk_json = tmp_path / "app" / "cdk.json"
    cdk_json.write_text(json.dumps({"app": "python3 app.py"}), encoding="utf-8")
    assert tell(None, assembly, [ts]) == "python"  # scan beside the app's own cdk.json
    assert tell(tmp_path / "app", [], []) == "python"  # run
    cdk_json.write_text(json.dumps({"app": "mvn -e -q compile exec:java"}), encoding="utf-8")
    assert tell(tmp_path / "app", [], []) == "other"  # Java: TypeScript's form
    assert tell(tmp_path / "app", [], [py]) == "python"  # a command that names none: the sources
    assert render.fixes_language("other") == "typescript" and render.fixes_language(None) is None


# -- real findings: fixtures and the corpus ---------------------------------------------------


def _allowance(message: str, templates: list[Template], language: str) -> int:
    """How much of a real message is quoted values: the groups of the template it fills in."""
    best = 0
    for t in templates:
        literal = render_text(t.text, language)
        if len(literal) - t.placeholders * len(SENTINEL) < 15:
            continue  # a bare composition ("{who} {msg}") says nothing of its own
        pattern = "".join("(.*?)" if i % 2 else re.escape(p) for i, p in enumerate(literal.split(SENTINEL)))
        if t.placeholders and (m := re.fullmatch(pattern, message)):
            best = max(best, sum(len(g) for g in m.groups()))
    return best


def _judge(findings: list[Finding]) -> list[str]:
    """Each real finding of ours, rendered both ways: says the fix, fits, reads as TypeScript."""
    by_slug: dict[str, list[Template]] = {}
    for t in TEMPLATES:
        by_slug.setdefault(t.slug, []).append(t)
    bad = []
    for f in findings:
        if f.reported_by is not Reporter.CDK_AUDIT or f.slug in render.QUOTED_MESSAGES or f.check_id == "E0000":
            continue
        for language in ("python", "typescript"):
            msg = render.render_finding(f, language).message
            if "; " not in msg:
                bad.append(f"{f.slug}: says no fix: {msg}")
            if len(msg) - _allowance(msg, by_slug.get(f.slug, []), language) > LIMIT:
                bad.append(f"{f.slug} ({language}, {len(msg)}): {msg}")
            if language == "typescript" and any(_PYTHON_LEFT.search(s) or _SNAKE.search(s) for s in code_spans(msg)):
                bad.append(f"{f.slug}: Python left in {msg}")
    return sorted(set(bad))


def test_every_fixture_finding_is_worded_by_the_rules() -> None:
    fixtures = sorted(p for p in (ROOT / "tests" / "checks").glob("*/bad/*.json") if ".expected" not in p.name)
    plain = [p for p in fixtures if not p.with_suffix(".config.toml").is_file()]
    settings = Settings().replace(cfn_lint_rules=False)
    findings = list(pipeline.check(load_paths(plain), settings).findings)
    for p in fixtures:
        if p not in plain:
            own = load_settings(p.with_suffix(".config.toml")).replace(cfn_lint_rules=False)
            findings += pipeline.check(load_paths([p]), own).findings
    assert {f.slug for f in findings} >= {t.slug for t in TEMPLATES} - render.QUOTED_MESSAGES
    assert _judge(findings) == []


@require_corpus()
def test_every_corpus_finding_is_worded_by_the_rules() -> None:
    findings = pipeline.check(load_paths([CORPUS]), Settings().replace(cfn_lint_rules=False)).findings
    assert len(findings) > 100
    assert _judge(list(findings)) == []


# -- real synth: the sample apps in their own languages ---------------------------------------

TS_FIX = "`logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR })`"
PY_FIX = '`log_group=logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_YEAR)`'


def _audit_as_run(synth_cache: Any, app: str) -> tuple[Report, Report]:
    """The app audited as `run` does (language from cdk.json), and its assembly as `scan` does."""
    result = synth_cache(app, "bad")
    assert result.ok, result.error
    app_dir = SAMPLE_APPS / app
    settings = load_settings(None, app_dir)
    assembly = load_assembly(result.output_dir, synth_warnings=result.warnings, source_root=ROOT)
    ran = api.check([assembly], settings, app=str(app_dir), app_dir=app_dir, source_root=ROOT)
    scanned = api.scan([result.output_dir], settings, source_root=ROOT)
    return ran, scanned


@pytest.mark.synth
def test_a_typescript_app_gets_its_fixes_in_typescript(synth_cache: Any) -> None:
    ran, scanned = _audit_as_run(synth_cache, "payments_ts")
    assert ran.language == scanned.language == "typescript"  # cdk.json; the findings' .ts sources
    logs = [f for f in ran.findings if f.slug == "log-retention"]
    assert logs and all(f.remediation == f"Pass {TS_FIX} to the function." for f in logs)
    assert "Function logs never expire; pass " + TS_FIX in {f.message for f in logs}
    mtls = {f.message for f in ran.findings if f.slug == "apigw-mtls"}
    assert "Default execute-api endpoint bypasses mTLS; set `disableExecuteApiEndpoint: true`" in mtls
    assert _judge(list(ran.findings)) == []
    seen = {f.fingerprint: f.message for f in ran.findings if f.slug != "cdk-deprecation"}  # only `run` sees those
    assert {f.fingerprint: f.message for f in scanned.findings} == seen


@pytest.mark.synth
def test_a_python_app_gets_its_fixes_in_python(synth_cache: Any) -> None:
    ran, scanned = _audit_as_run(synth_cache, "card_gateway")
    assert ran.language == scanned.language == "python"  # cdk.json; the host frames' .py files
    logs = [f for f in ran.findings if f.slug == "log-retention"]
    assert logs and all(f.remediation == f"Pass {PY_FIX} to the function." for f in logs)
    mtls = {f.message for f in ran.findings if f.slug == "apigw-mtls"}
    assert "Default execute-api endpoint bypasses mTLS; set `disable_execute_api_endpoint=True`" in mtls
    assert _judge(list(ran.findings)) == []
    typescript = render.render_report(ran, "typescript")
    assert [f.fingerprint for f in typescript.findings] == [f.fingerprint for f in ran.findings]
    assert [f.message for f in typescript.findings] != [f.message for f in ran.findings]
