"""Issue 10: hostile input never aborts the audit and never reads outside the assembly.

Each case is one defect the fault-injection run found, run through the CLI: one bad
template (or assembly file) is one finding on that file, every other template is still
audited and reported, and no input makes ``scan`` exit 4.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from auditor import pipeline
from auditor.assembly import load_assembly, load_paths
from auditor.config import Settings
from tests.conftest import FIXTURES, validated_report

QUEUE = {"Type": "AWS::SQS::Queue", "Metadata": {"aws:cdk:path": "Good/Q/Resource"}}
GOOD = {"Resources": {"Q": QUEUE}}  # a queue without a dead-letter queue: one sqs-dlq finding
DEEP = "[" * 5000 + "]" * 5000


def _stack(name: str) -> dict[str, Any]:
    return {"type": "aws:cloudformation:stack", "properties": {"templateFile": f"{name}.template.json"}}


def assembly(root: Path, templates: dict[str, Any], files: dict[str, str] | None = None, **artifacts: Any) -> Path:
    """A cdk.out folder with one stack per template (a str is written as it is)."""
    out = root / "cdk.out"
    out.mkdir(parents=True)
    arts: dict[str, Any] = {}
    for name, tpl in templates.items():
        (out / f"{name}.template.json").write_text(tpl if isinstance(tpl, str) else json.dumps(tpl))
        arts[name] = _stack(name)
    for name, extra in artifacts.items():
        arts.setdefault(name, _stack(name)).update(extra)
    (out / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": arts}))
    for name, body in (files or {}).items():
        (out / name).write_text(body)
    return out


def scan(cli: Any, *args: Any) -> dict[str, Any]:
    """``scan --format json``: never an internal error, always a valid report."""
    r = cli("scan", *args, "--format", "json", "-q")
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code in (0, 1), r.output
    assert "Traceback" not in r.output
    return validated_report(r.stdout)


def good_still_audited(doc: dict[str, Any]) -> None:
    assert any(f["slug"] == "sqs-dlq" and f["stack"] == "Good" for f in doc["findings"]), "Good was not audited"


def no_rule_crash(doc: dict[str, Any]) -> None:
    crashed = [f["message"] for f in doc["findings"] if f["check_id"] == "E0002"]
    assert not crashed, crashed


HOSTILE_TEMPLATES = {
    "metadata-string": {"Metadata": "x", "Resources": {"Q": QUEUE}},
    "metadata-null": {"Metadata": None, "Resources": {"Q": QUEUE}},
    "metadata-list": {"Metadata": [1, 2], "Resources": {"Q": QUEUE}},
    "cfn-lint-metadata-string": {"Metadata": {"cfn-lint": "x"}, "Resources": {"Q": QUEUE}},
    "resource-metadata-string": {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Metadata": "x"}}},
    "resource-ignore-checks-int": {
        "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Metadata": {"cfn-lint": {"config": {"ignore_checks": 5}}}}}
    },
    "sub-variables-int": {
        "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": ["${X}", 5]}}}}
    },
    "transform-resources-null": {"Transform": "AWS::Serverless-2016-10-31", "Resources": None},
    "deep-template": '{"Resources": {"Q": ' + DEEP + "}}",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_TEMPLATES))
def test_one_bad_template_is_one_finding(cli, tmp_path: Path, name: str):
    out = assembly(tmp_path, {"Bad": HOSTILE_TEMPLATES[name], "Good": GOOD})
    doc = scan(cli, out)
    good_still_audited(doc)
    no_rule_crash(doc)
    bad = [f for f in doc["findings"] if f["stack"] == "Bad" and f["slug"] == "template-parse-error"]
    if name.startswith(("metadata", "cfn-lint", "resource", "transform", "deep")):
        [finding] = bad  # cfn-lint cannot check it: one finding on that file, saying so
        assert finding["template"].endswith("Bad.template.json")
    else:
        assert not bad  # nothing wrong with its structure: it is audited as usual


def test_a_guard_keeps_other_checks_when_one_check_crashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A check's ``match_assembly`` that raises is one finding for that check."""
    from auditor.checks.s3_replication import S3Replication

    def boom(self: Any, assembly: Any) -> Any:
        raise KeyError("surprise")

    monkeypatch.setattr(S3Replication, "match_assembly", boom)
    out = assembly(tmp_path, {"Good": GOOD})
    findings = pipeline.check([load_assembly(out)], Settings(cfn_lint_rules=False)).findings
    [crash] = [f for f in findings if f.slug == "s3-replication"]
    assert "KeyError" in crash.message and "every other check" in crash.message
    assert any(f.slug == "sqs-dlq" for f in findings)


def _logical_without_data(root: Path) -> Path:
    return assembly(root, {"Bad": GOOD, "Good": GOOD}, Bad={"metadata": {"/Bad/Q": [{"type": "aws:cdk:logicalId"}]}})


def _template_file(name: str):
    def make(root: Path) -> Path:
        out = assembly(root, {"Bad": GOOD, "Good": GOOD}, Bad={"properties": {"templateFile": name}})
        if name == "loop.json":
            os.symlink("loop.json", out / "loop.json")
        return out

    return make


def _validation_report(body: Any):
    def make(root: Path) -> Path:
        text = body if isinstance(body, str) else json.dumps(body)
        return assembly(root, {"Good": GOOD}, files={"validation-report.json": text})

    return make


NUL_PATH = {"cloudFormationResource": {"templatePath": "a\0b", "logicalId": "Q"}}
ASSEMBLY_CASES = {
    "logical-id-without-data": _logical_without_data,
    "template-file-nul": _template_file("a\0b.template.json"),
    "template-file-too-long": _template_file("x" * 300 + ".template.json"),
    "template-file-symlink-loop": _template_file("loop.json"),
    "tree-json-a-list": lambda root: assembly(root, {"Good": GOOD}, files={"tree.json": "[1, 2]"}),
    "tree-json-deep": lambda root: assembly(root, {"Good": GOOD}, files={"tree.json": DEEP}),
    "validation-violations-int": _validation_report({"pluginReports": [{"violations": 5}]}),
    "validation-constructs-int": _validation_report(
        {"pluginReports": [{"violations": [{"ruleName": "R", "violatingConstructs": 5}]}]}
    ),
    "validation-template-path-nul": _validation_report(
        {"pluginReports": [{"violations": [{"ruleName": "R", "violatingConstructs": [NUL_PATH]}]}]}
    ),
    "validation-deep": _validation_report(DEEP),
    "metadata-file-deep": lambda root: assembly(
        root, {"Bad": GOOD, "Good": GOOD}, files={"Bad.metadata.json": DEEP},
        Bad={"additionalMetadataFile": "Bad.metadata.json"},
    ),
}


@pytest.mark.parametrize("name", sorted(ASSEMBLY_CASES))
def test_odd_assembly_files_never_abort_the_scan(cli, tmp_path: Path, name: str):
    out = ASSEMBLY_CASES[name](tmp_path)
    doc = scan(cli, out)
    good_still_audited(doc)
    no_rule_crash(doc)
    errors = [f for f in doc["findings"] if f["slug"] == "assembly-error"]
    if name.startswith(("template-file", "validation-deep", "metadata-file")):
        [error] = errors
        assert "NUL" not in error["message"] and "\0" not in error["message"]
        assert "usable path" in error["message"] or "too deeply" in error["message"] or "read" in error["message"]


def test_deep_manifest_is_one_finding_and_the_other_paths_are_audited(cli, tmp_path: Path):
    bad = tmp_path / "bad" / "cdk.out"
    bad.mkdir(parents=True)
    (bad / "manifest.json").write_text(DEEP)
    good = assembly(tmp_path / "good", {"Good": GOOD})
    doc = scan(cli, bad, good)
    good_still_audited(doc)
    [error] = [f for f in doc["findings"] if f["slug"] == "assembly-error"]
    assert error["template"] == str(bad / "manifest.json") and "nested too deeply" in error["message"]


def test_annotation_without_message_says_so(tmp_path: Path):
    out = assembly(tmp_path, {"Good": GOOD}, Good={"metadata": {"/Good/Q": [{"type": "aws:cdk:error", "data": None}]}})
    [stack] = load_assembly(out).stacks
    [note] = stack.annotations
    assert note.message != "null" and "without a message" in note.message


def test_template_file_that_is_a_folder_says_so(tmp_path: Path):
    out = assembly(tmp_path, {"Good": GOOD}, Bad={"properties": {"templateFile": "afolder"}})
    (out / "afolder").mkdir()
    [error] = load_assembly(out).errors
    assert "folder" in error.message and "missing" not in error.message


def test_non_utf8_template_names_the_problem(tmp_path: Path):
    path = tmp_path / "t.json"
    path.write_bytes(b'{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "\xff"}}}}')
    [asm] = load_paths([path])
    [error] = asm.stacks[0].parse_errors
    assert "{filename}" not in error.message and "UTF-8" in error.message


def test_yaml_alias_bomb_is_refused_in_bounded_time(cli, tmp_path: Path):
    """Billion laughs: 9 levels of 9 aliases (387 million nodes once expanded)."""
    lines = ["Resources:", "  Q:", "    Type: AWS::SQS::Queue", "    Metadata:"]
    lines += ["      a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"      a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD))
    start = time.perf_counter()
    doc = scan(cli, bomb, good)
    assert time.perf_counter() - start < 60
    [refused] = [f for f in doc["findings"] if f["template"] == str(bomb)]
    assert refused["slug"] == "template-parse-error" and "aliases" in refused["message"]
    assert any(f["slug"] == "sqs-dlq" and f["template"] == str(good) for f in doc["findings"])


# --- every check over hostile values: our checks never crash (cfn-lint's E0002) --------------

HOSTILE_VALUES: list[Any] = [
    None,
    5,
    "x",
    [],
    {},
    [None, 5, {}],
    {"Fn::Sub": ["${X}", 5]},  # E9002 (nat-routes) crashed on this
    {"Fn::Sub": [5, {"X": 1}]},
    {"Fn::GetAtt": 5},
    {"Ref": ["a"]},
    {"Fn::Join": ["", 5]},
    {"Fn::If": ["C", {"Fn::Sub": ["${A}", []]}, None]},
    DEEP,  # W9203 (sqs-dlq) crashed on a RedrivePolicy like this
]


def _hostile_variants(template: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The template with every property of every resource set to one hostile value, and
    with every resource's Properties replaced by it."""
    resources = template.get("Resources") if isinstance(template.get("Resources"), dict) else {}
    for value in HOSTILE_VALUES:
        props = {}
        for lid, res in resources.items():
            if isinstance(res, dict) and isinstance(res.get("Properties"), dict):
                props[lid] = {**res, "Properties": {k: value for k in res["Properties"]}}
        yield {**template, "Resources": {**resources, **props}}
        yield {**template, "Resources": {lid: {**r, "Properties": value} for lid, r in resources.items()
                                         if isinstance(r, dict)}}  # fmt: skip


def test_no_check_crashes_on_hostile_values(tmp_path: Path):
    """Every fixture template of every check, with hostile property values: no E0002 (a
    rule that raised) and no crash of a cross-stack check, with our whole pack enabled."""
    sources = sorted(p for p in (FIXTURES.parent / "checks").glob("*/*/*.json") if not p.name.endswith("expected.json"))
    assert len(sources) > 50
    out = tmp_path / "t"
    out.mkdir()
    n = 0
    for src in sources:
        template = json.loads(src.read_text())
        if not isinstance(template, dict):
            continue
        for variant in _hostile_variants(template):
            (out / f"{n:05d}.json").write_text(json.dumps(variant))
            n += 1
    assemblies = load_paths([out])
    findings = pipeline.check(assemblies, Settings(cfn_lint_rules=False), jobs=2).findings
    crashed = sorted({f.message[:160] for f in findings if f.check_id == "E0002" or "stopped with" in f.message})
    assert not crashed, f"{len(crashed)} crash(es): {crashed[:5]}"
    assert n > 1000


# --- nothing outside the assembly is read -------------------------------------------------------

_OPENED: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], str | bytes | os.PathLike):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)
_IGNORED = tuple(
    {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.__file__), str(Path(__file__).parent.parent)}
)


@contextmanager
def opened_files() -> Iterator[list[str]]:
    """Every file path opened (the ``open`` audit event) while the block runs."""
    global _OPENED
    seen: list[str] = []
    _OPENED = seen
    try:
        yield seen
    finally:
        _OPENED = None


def _outside(seen: list[str], root: Path) -> list[str]:
    """The paths in ``seen`` outside ``root``, less Python's own files (stdlib,
    site-packages, this repository's code and data) and the app's ``cdk.json`` beside the
    assembly (read for its ``app`` command only: the language fixes are written in)."""
    top = str(root.resolve())
    app_config = os.path.join(os.path.dirname(top), "cdk.json")
    return [p for p in seen if p != app_config and not os.path.realpath(p).startswith((top, *_IGNORED))]


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A folder beside the input that nothing may read."""
    folder = tmp_path / "secret"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {"S": _stack("S")}}))
    (folder / "S.template.json").write_text(json.dumps(GOOD))
    (folder / "tree.json").write_text(json.dumps({"tree": {"children": {}}}))
    (folder / "validation-report.json").write_text(json.dumps({"pluginReports": []}))
    (folder / "S.metadata.json").write_text(json.dumps({}))
    return folder


@pytest.mark.parametrize("link", ["manifest.json", "stage-manifest.json", "tree.json", "validation-report.json"])
def test_symlinks_out_of_the_assembly_are_refused(cli, tmp_path: Path, secret: Path, link: str):
    root = tmp_path / "in"
    stage = {"Stage": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "assembly-Stage"}}}
    out = assembly(root, {"Good": GOOD}, **(stage if link == "stage-manifest.json" else {}))
    if link == "stage-manifest.json":
        (out / "assembly-Stage").mkdir()
        os.symlink(secret / "manifest.json", out / "assembly-Stage" / "manifest.json")
    elif link == "manifest.json":
        (out / "manifest.json").unlink()
        os.symlink(secret / "manifest.json", out / "manifest.json")
    else:
        os.symlink(secret / link, out / link)
    with opened_files() as seen:
        asm = load_assembly(out)
        pipeline.check([asm], Settings(cfn_lint_rules=False))
    assert not _outside(seen, root), seen
    [error] = asm.errors
    assert "outside" in error.message and "refusing to read it" in error.message
    doc = scan(cli, out)
    assert any(f["slug"] == "assembly-error" and "outside" in f["message"] for f in doc["findings"])
    if link != "manifest.json":
        good_still_audited(doc)


def test_metadata_file_symlink_out_is_refused(tmp_path: Path, secret: Path):
    root = tmp_path / "in"
    out = assembly(root, {"Good": GOOD}, Good={"additionalMetadataFile": "Good.metadata.json"})
    os.symlink(secret / "S.metadata.json", out / "Good.metadata.json")
    with opened_files() as seen:
        asm = load_assembly(out)
    assert not _outside(seen, root), seen
    assert [s.name for s in asm.stacks] == ["Good"] and "outside" in asm.errors[0].message


def test_folder_scan_does_not_follow_file_symlinks_out_unless_asked(cli, tmp_path: Path, secret: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "own.json").write_text(json.dumps(GOOD))
    os.symlink(secret / "S.template.json", folder / "linked.template.json")
    os.symlink(folder / "own.json", folder / "alias.json")  # a link inside the folder is fine
    with opened_files() as seen:
        [asm] = load_paths([folder])
    assert not _outside(seen, folder), seen
    assert sorted(Path(s.name).name for s in asm.stacks) == ["alias.json", "own.json"]
    assert asm.skipped_links == (str(folder / "linked.template.json"),)
    doc = scan(cli, folder)
    assert any("--follow-symlinks" in n for n in doc.get("notes", [])), doc.get("notes")
    followed = scan(cli, folder, "--follow-symlinks")
    assert str(folder / "linked.template.json") in {f["template"] for f in followed["findings"]}


# --- template text is data, never markup (item 7), end to end ---------------------------------

EVIL = "\x1b[31m\x1b]8;;https://evil.test\x07[bold]`x`[/bold] </script><title>*y* [z](https://evil.test)\x00\x08"


def test_template_text_is_data_in_every_format(cli, tmp_path: Path):
    import re
    import xml.etree.ElementTree as ET

    from auditor.report import html

    folder = tmp_path / "<title>[bold]`x` <script>"  # whatever the scanned path is called
    folder.mkdir()
    queue = {"Type": "AWS::SQS::Queue", "Metadata": {"aws:cdk:path": f"S/{EVIL}/Resource"}}
    (folder / "t.json").write_text(json.dumps({"Resources": {"Q": queue}}))
    outs = {fmt: tmp_path / f"r.{fmt}" for fmt in ("junit", "markdown", "html", "sarif")}
    r = cli("scan", folder, "-q", "--fail-on", "never", *(a for f, p in outs.items() for a in ("--output", f"{f}={p}")))
    assert r.exit_code == 0, r.output
    assert "[bold]`x`[/bold]" in r.stdout and "\x1b" not in r.stdout and "\x00" not in r.stdout  # text: as written
    ET.fromstring(outs["junit"].read_text())
    page = outs["html"].read_text()
    assert re.sub(r'(<script id="report-data" type="application/json">).*?(</script>)', r"\1__DATA__\2", page,
                  flags=re.S) == html._template()  # fmt: skip
    md = outs["markdown"].read_text()
    assert "\x1b" not in md and "](https://evil.test)" in md
    assert all("evil.test" not in chunk for chunk in re.split(r"(`+)(?:(?!\1).)+\1", md)[::2])  # only in code spans
    json.loads(outs["sarif"].read_text())
