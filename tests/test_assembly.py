"""Loading cloud assemblies: untrusted manifests, stages, nested stacks, metadata."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.assembly import load_assembly, load_paths


def _assembly(tmp_path: Path, artifacts: dict, files: dict[str, str] | None = None) -> Path:
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": artifacts}))
    for name, body in (files or {}).items():
        (out / name).write_text(body)
    return out


TEMPLATE = json.dumps(
    {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Metadata": {"aws:cdk:path": "S/Q/Resource"}}}}
)


def test_template_path_escaping_the_assembly_is_refused(tmp_path: Path):
    secret = tmp_path / "secret.template.json"
    secret.write_text(TEMPLATE)
    out = _assembly(
        tmp_path,
        {
            "S": {
                "type": "aws:cloudformation:stack",
                "properties": {"templateFile": "../secret.template.json"},
            }
        },
    )
    asm = load_assembly(out)
    assert asm.stacks == []
    assert len(asm.errors) == 1 and "outside the assembly" in asm.errors[0].message
    assert asm.errors[0].file.endswith("manifest.json")


def test_absolute_template_path_is_refused(tmp_path: Path):
    out = _assembly(
        tmp_path, {"S": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "/etc/passwd"}}}
    )
    asm = load_assembly(out)
    assert asm.stacks == [] and "outside the assembly" in asm.errors[0].message


def test_missing_template_and_malformed_manifest(tmp_path: Path):
    out = _assembly(
        tmp_path,
        {
            "S": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"}},
            "T": "not an object",
        },
    )
    asm = load_assembly(out)
    messages = " | ".join(e.message for e in asm.errors)
    assert "missing from the assembly" in messages and "is not an object" in messages
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "manifest.json").write_text("{not json")
    asm = load_assembly(bad)
    assert asm.errors and "not valid JSON" in asm.errors[0].message


def test_nested_assembly_and_metadata_file(tmp_path: Path):
    out = _assembly(
        tmp_path, {"Stage": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "assembly-Stage"}}}
    )
    stage = out / "assembly-Stage"
    stage.mkdir()
    (stage / "manifest.json").write_text(
        json.dumps(
            {
                "version": "55.0.0",
                "artifacts": {
                    "StageS": {
                        "type": "aws:cloudformation:stack",
                        "displayName": "Stage/S",
                        "properties": {"templateFile": "StageS.template.json"},
                        "additionalMetadataFile": "StageS.metadata.json",
                    }
                },
            }
        )
    )
    (stage / "StageS.template.json").write_text(json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}))
    (stage / "StageS.metadata.json").write_text(
        json.dumps(
            {
                "/Stage/S/Q/Resource": [{"type": "aws:cdk:logicalId", "data": "Q"}],
                "/Stage/S/Q": [{"type": "aws:cdk:warning", "data": "check this [ack: x]"}],
            }
        )
    )
    asm = load_assembly(out)
    [stack] = asm.stacks
    assert stack.name == "Stage/S"
    assert stack.construct_paths == {"Q": "Stage/S/Q/Resource"}
    assert [(a.level, a.construct_path) for a in stack.annotations] == [("warning", "Stage/S/Q")]


def test_nested_stack_escaping_is_refused(tmp_path: Path):
    parent = {
        "Resources": {
            "N": {
                "Type": "AWS::CloudFormation::Stack",
                "Metadata": {"aws:asset:path": "../../x.nested.template.json"},
            }
        }
    }
    out = _assembly(
        tmp_path,
        {"P": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "P.template.json"}}},
        {"P.template.json": json.dumps(parent)},
    )
    asm = load_assembly(out)
    assert [s.name for s in asm.stacks] == ["P"]
    assert "outside the assembly" in asm.errors[0].message


def test_folder_scan_finds_assemblies_and_templates_not_other_json(tmp_path: Path):
    _assembly(
        tmp_path,
        {"S": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"}}},
        {"S.template.json": TEMPLATE},
    )
    (tmp_path / "loose.yaml").write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    (tmp_path / "package.json").write_text(json.dumps({"name": "x", "version": "1.0.0"}))
    (tmp_path / "broken.template").write_text("Resources:\n  Q: [unclosed\n")
    assemblies = load_paths([tmp_path])
    names = sorted(s.name for a in assemblies for s in a.stacks)
    assert names == sorted(["S", str(tmp_path / "broken.template"), str(tmp_path / "loose.yaml")])
    broken = next(s for a in assemblies for s in a.stacks if s.name.endswith("broken.template"))
    assert broken.parse_errors and broken.template is None
