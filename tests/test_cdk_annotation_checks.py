"""cdk-warning, cdk-error and cdk-deprecation on hand-made cloud assemblies."""

from __future__ import annotations

import json
from pathlib import Path

from auditor import pipeline
from auditor.assembly import load_assembly
from auditor.config import Settings


def _assembly(tmp_path: Path, annotations: list[dict], tree: dict | None = None) -> Path:
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {
        "Ledger": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Ledger.template.json"},
                   "metadata": {"/Ledger/Queue/Resource": [{"type": "aws:cdk:logicalId", "data": "QueueABC"}],
                                "/Ledger/Queue": annotations}}}}))
    (out / "Ledger.template.json").write_text(json.dumps({"Resources": {"QueueABC": {
        "Type": "AWS::SQS::Queue", "Metadata": {"aws:cdk:path": "Ledger/Queue/Resource"}}}}))
    if tree is not None:
        (out / "tree.json").write_text(json.dumps({"version": "tree-0.1", "tree": tree}))
    return out


def _ours(out: Path, warnings: list[str] | None = None) -> list:
    asm = load_assembly(out, synth_warnings=warnings or [])
    settings = Settings(cfn_lint_rules=False)
    return [f for f in pipeline.check([asm], settings).findings if f.slug.startswith("cdk-")]


def test_error_and_warning_annotations_are_located(tmp_path: Path):
    out = _assembly(tmp_path, [{"type": "aws:cdk:error", "data": "queue has no DLQ and cannot deploy"},
                               {"type": "aws:cdk:warning", "data": "review retention [ack: x]"},
                               {"type": "aws:cdk:info", "data": "fyi"}])
    found = {(f.slug, f.severity, f.logical_id, f.construct_path) for f in _ours(out)}
    assert found == {("cdk-error", "error", "QueueABC", "Ledger/Queue"),
                     ("cdk-warning", "warning", "QueueABC", "Ledger/Queue")}


def test_deprecation_is_located_through_tree_json(tmp_path: Path):
    tree = {"id": "App", "path": "", "constructInfo": {"fqn": "aws-cdk-lib.App"}, "children": {
        "Ledger": {"id": "Ledger", "path": "Ledger", "children": {
            "Queue": {"id": "Queue", "path": "Ledger/Queue", "constructInfo": {"fqn": "aws-cdk-lib.aws_sqs.Queue"},
                      "children": {"Resource": {"id": "Resource", "path": "Ledger/Queue/Resource"}}}}}}}
    out = _assembly(tmp_path, [], tree)
    warning = "aws-cdk-lib.aws_sqs.QueueProps#retentionPeriod is deprecated. use x instead"
    [f] = _ours(out, [warning, warning])  # printed twice, reported once
    assert (f.slug, f.stack, f.logical_id) == ("cdk-deprecation", "Ledger", "QueueABC")
    assert f.construct_path == "Ledger/Queue"


def test_deprecation_of_an_app_prop_is_reported_for_the_app(tmp_path: Path):
    tree = {"id": "App", "path": "", "constructInfo": {"fqn": "aws-cdk-lib.App"}, "children": {}}
    out = _assembly(tmp_path, [], tree)
    [f] = _ours(out, ["aws-cdk-lib.AppProps#policyValidationBeta1 is deprecated, and will be removed"])
    assert (f.slug, f.stack, f.construct_path) == ("cdk-deprecation", "", None)
    assert f.template.endswith("manifest.json")
