"""Finding quality (issue 12): CDK's own output is not the user's finding, one problem on one
resource is one finding whoever reported it, merged plugin rules have ids of their own, and
a fix that is one line for the whole app is reported once per stack.

Hand-written assemblies (manifest, template, validation-report.json shaped as aws-cdk-lib
2.275 writes them) through the real check stage: cfn-lint, our checks, the merge.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor import pipeline
from auditor.assembly import load_assembly, load_paths
from auditor.config import Settings, parse_settings
from auditor.findings import Finding, Reporter
from auditor.incidental import written_by_construct
from auditor.report.model import Report, tool_versions
from auditor.report.text import render
from auditor.source import locate
from tests.conftest import validated_report

CDK_META = {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:H4sI"}}


def _cdk(path: str) -> dict[str, Any]:
    return {"aws:cdk:path": path}


def _assembly(tmp_path: Path, resources: dict[str, Any], violations: list[dict[str, Any]] = ()) -> Path:
    out = tmp_path / "cdk.out"
    out.mkdir(parents=True)
    (out / "App.template.json").write_text(json.dumps({"Resources": resources}, indent=1))
    (out / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {"App": {
        "type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
        "properties": {"templateFile": "App.template.json"}}}}))
    if violations:
        report = {"version": "55.0.0", "title": "Validation Report", "pluginReports": [{
            "pluginName": "CloudFormation Validate", "pluginVersion": "1.12.1", "conclusion": "success",
            "violations": violations}]}
        (out / "validation-report.json").write_text(json.dumps(report))
    return out


def _violation(rule: str, lid: str, prop: str, path: str, text: str = "a problem") -> dict[str, Any]:
    return {"ruleName": rule, "description": text, "severity": "warning", "ruleMetadata": {"category": "Security"},
            "violatingConstructs": [{"constructPath": path, "cloudFormationResource": {
                "templatePath": "App.template.json", "logicalId": lid, "propertyPaths": [prop]}}]}


def _check(directory: Path, settings: Settings | None = None) -> list[Finding]:
    return list(pipeline.check([load_assembly(directory)], settings or Settings()).findings)


# -- item 11: cfn-lint's rules do not report what CDK wrote -------------------------------

FUNCTION = {
    "FnRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
    "Fn": {"Type": "AWS::Lambda::Function", "DependsOn": ["FnRole"], "Properties": {
        "Runtime": "python3.13", "Handler": "index.handler", "Code": {"ZipFile": "def handler(e, c): return 1"},
        "Role": {"Fn::GetAtt": ["FnRole", "Arn"]}}},
}


def test_w3005_on_cdk_dependson_is_dropped_and_kept_on_hand_written_templates(tmp_path: Path):
    cdk = {k: {**v, "Metadata": _cdk(f"App/{k}/Resource")} for k, v in FUNCTION.items()} | {"CDKMetadata": CDK_META}
    assert not [f for f in _check(_assembly(tmp_path, cdk)) if f.check_id == "W3005"]
    hand = tmp_path / "hand.json"
    hand.write_text(json.dumps({"Resources": FUNCTION}))
    found = pipeline.check(load_paths([hand]), Settings()).findings
    assert [f.logical_id for f in found if f.check_id == "W3005"] == ["Fn"]


def test_e3049_on_a_cdk_target_group_without_health_check_port_is_dropped(tmp_path: Path):
    resources = {
        "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [{
            "Name": "web", "Image": "nginx:1.27", "Memory": 256,
            "PortMappings": [{"ContainerPort": 80, "HostPort": 0, "Protocol": "tcp"}]}]}},
        "Group": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
            "Port": 80, "Protocol": "TCP", "TargetType": "instance", "VpcId": "vpc-1"}},
        "Service": {"Type": "AWS::ECS::Service", "Properties": {
            "Cluster": "c", "TaskDefinition": {"Ref": "Task"}, "LaunchType": "EC2",
            "LoadBalancers": [{"ContainerName": "web", "ContainerPort": 80, "TargetGroupArn": {"Ref": "Group"}}]}},
    }
    hand = tmp_path / "hand.json"
    hand.write_text(json.dumps({"Resources": resources}))
    assert "E3049" in {f.check_id for f in pipeline.check(load_paths([hand]), Settings()).findings}
    cdk = {k: {**v, "Metadata": _cdk(f"App/{k}/Resource")} for k, v in resources.items()} | {"CDKMetadata": CDK_META}
    assert "E3049" not in {f.check_id for f in _check(_assembly(tmp_path, cdk))}


# -- one finding per problem and resource ---------------------------------------------------

DATABASE = {
    "Db": {"Type": "AWS::RDS::DBInstance", "Metadata": _cdk("App/Db/Resource"), "Properties": {
        "Engine": "postgres", "EngineVersion": "15.99", "DBInstanceClass": "db.t4g.medium", "AllocatedStorage": "20",
        "MasterUsername": "admin", "ManageMasterUserPassword": True}},
    "CDKMetadata": CDK_META,
}
DB_VIOLATIONS = [
    _violation("E9006", "Db", "Properties.EngineVersion", "App/Db/Resource", "EngineVersion: '15.99' is not one of"),
    _violation("W9008", "Db", "Properties.StorageEncrypted", "App/Db/Resource", "should have StorageEncrypted"),
]


def test_the_same_problem_from_three_reporters_is_one_finding(tmp_path: Path):
    findings = _check(_assembly(tmp_path, DATABASE, DB_VIOLATIONS))
    on_version = [f for f in findings if (f.property_path or "").endswith("EngineVersion")]
    assert [(f.slug, f.reported_by) for f in on_version] == [("rds-engine-version", Reporter.CDK_AUDIT)]
    assert {(a.check_id, a.reported_by) for a in on_version[0].also_reported_by} == {
        ("E3691", Reporter.CFN_LINT), ("cfn-validate/E9006", Reporter.CDK)}
    [storage] = [f for f in findings if f.property_path == "Properties/StorageEncrypted"]
    assert storage.slug == "rds-hardening"
    assert [a.check_id for a in storage.also_reported_by] == ["cfn-validate/W9008"]
    assert not [f for f in findings if f.reported_by is Reporter.CDK]
    doc = validated_report(json.dumps(Report(app="t", findings=tuple(findings), tool=tool_versions()).to_dict()))
    [entry] = [f for f in doc["findings"] if f["slug"] == "rds-engine-version"]
    assert {a["reported_by"] for a in entry["also_reported_by"]} == {"cfn-lint", "cdk"}
    assert "also reported by cfn-lint E3691" in render(Report(app="t", findings=tuple(findings)), width=400)


def test_a_plugin_finding_nobody_else_reported_stays_under_its_own_id(tmp_path: Path):
    off = parse_settings({"ignore": ["rds-hardening"]})
    findings = _check(_assembly(tmp_path, DATABASE, DB_VIOLATIONS), off)
    assert [f.check_id for f in findings if f.reported_by is Reporter.CDK] == ["cfn-validate/W9008"]


# -- merged plugin rules: ids of their own, ignorable and suppressible ---------------------

BUCKET = {"Bucket": {"Type": "AWS::S3::Bucket", "Metadata": _cdk("App/Bucket/Resource"), "Properties": {}},
          "CDKMetadata": CDK_META}
# CDK's plugin names its rules like ours: "E9002" is nat-routes' id
NAT_LOOKALIKE = [_violation("E9002", "Bucket", "Properties.BucketName", "App/Bucket/Resource", "plugin rule")]


def test_merged_plugin_rules_have_ids_of_their_own(tmp_path: Path):
    findings = _check(_assembly(tmp_path, BUCKET, NAT_LOOKALIKE))
    [f] = [f for f in findings if f.reported_by is Reporter.CDK]
    assert (f.check_id, f.slug) == ("cfn-validate/E9002", "cfn-validate/E9002")
    assert f.property_path == "Properties/BucketName"
    assert not [f for f in findings if f.check_id == "E9002"]


def test_merged_plugin_rules_can_be_ignored_and_suppressed(tmp_path: Path):
    out = _assembly(tmp_path, BUCKET, NAT_LOOKALIKE)
    for ignore in (["cfn-validate/E9002"], ["cfn-validate"]):
        assert not [f for f in _check(out, parse_settings({"ignore": ignore})) if f.reported_by is Reporter.CDK]
    # ignoring nat-routes does not drop the plugin's rule of the same name
    assert [f for f in _check(out, parse_settings({"ignore": ["E9002"]})) if f.reported_by is Reporter.CDK]
    cfg = parse_settings({"suppress": [{"check": "cfn-validate/E9002", "reason": "bucket name set by the platform"}]})
    [f] = [f for f in _check(out, cfg) if f.reported_by is Reporter.CDK]
    assert f.suppressed == "bucket name set by the platform"


# -- item 10: one finding per stack and missing tag set -------------------------------------

TAGS = parse_settings({"checks": {"required-tags": {"tags": ["Team", "CostCenter"]}}})


def _buckets(n: int, suppressed: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"CDKMetadata": CDK_META}
    for i in range(n):
        meta: dict[str, Any] = _cdk(f"App/Bucket{i}/Resource")
        if i == suppressed:
            meta["cdk-audit"] = {"suppressions": [{"check": "required-tags", "reason": "scratch bucket"}]}
        out[f"Bucket{i}"] = {"Type": "AWS::S3::Bucket", "Metadata": meta,
                             "Properties": {"Tags": [{"Key": "Team", "Value": "pay"}]}}
    out["Queue"] = {"Type": "AWS::SQS::Queue", "Metadata": _cdk("App/Queue/Resource"), "Properties": {}}
    return out


def _tags(directory: Path) -> list[Finding]:
    return [f for f in _check(directory, TAGS) if f.slug == "required-tags"]


def test_required_tags_is_one_finding_per_stack_and_missing_tag_set(tmp_path: Path):
    findings = [f for f in _tags(_assembly(tmp_path / "a", _buckets(4))) if f.active]
    by_count = sorted((f.count, f.message) for f in findings)
    assert [c for c, _ in by_count] == [1, 4]  # the queue misses both tags, the buckets one
    [buckets] = [f for f in findings if f.count == 4]
    assert [r.logical_id for r in buckets.resources] == [f"Bucket{i}" for i in range(4)]
    assert "(4 resources)" in buckets.message
    text = render(Report(app="t", findings=(buckets,)), width=400)
    assert "also App/Bucket1/Resource, App/Bucket2/Resource, App/Bucket3/Resource" in text
    doc = validated_report(json.dumps(Report(app="t", findings=(buckets,), tool=tool_versions()).to_dict()))
    assert doc["findings"][0]["count"] == 4 and len(doc["findings"][0]["resources"]) == 4


def test_aggregate_fingerprint_survives_resources_added_and_a_suppression_leaves_it(tmp_path: Path):
    four = [f for f in _tags(_assembly(tmp_path / "a", _buckets(4))) if f.count == 4]
    five = [f for f in _tags(_assembly(tmp_path / "b", _buckets(5))) if f.count == 5]
    assert four[0].fingerprint == five[0].fingerprint
    with_suppressed = _tags(_assembly(tmp_path / "c", _buckets(4, suppressed=2)))
    [agg] = [f for f in with_suppressed if f.active and f.count == 3]
    assert "Bucket2" not in {r.logical_id for r in agg.resources}
    [gone] = [f for f in with_suppressed if f.suppressed]
    assert gone.logical_id == "Bucket2" and gone.suppressed == "scratch bucket"


# -- CDK-written IAM: who created the policy -----------------------------------------------


def test_written_by_construct_tells_a_construct_from_the_users_policy_calls():
    assert written_by_construct("new BastionHostLinux2")  # TypeScript: CDK's own marker
    assert written_by_construct("self.bastion = ec2.BastionHostLinux(")  # Python: the user's line
    assert written_by_construct("task.add_container(")
    for users in ("Function.addToRolePolicy", "Table2.grantReadData", "new Policy2", "new CfnPolicy",
                  "fn.add_to_role_policy(iam.PolicyStatement(actions=['s3:*']))", "bucket.grant_write(fn)",
                  "_lambda.Function(self, 'Fn', initial_policy=[stmt])", None, ""):
        assert not written_by_construct(users), users


def test_locate_keeps_the_call_the_user_made_into_cdk(tmp_path: Path):
    ts = ["...new BastionHostLinux2 in aws-cdk-lib...", f"new NetworkStack ({tmp_path}/lib/net.ts:12:5)"]
    loc = locate(ts, tmp_path)
    assert loc is not None and loc.via == "new BastionHostLinux2"
    (tmp_path / "net.py").write_text("x = 1\n        fn.add_to_role_policy(stmt)\n")
    py = ["...aws-cdk-lib, jsii runtime, node internals...", "(no user code in 100 frames)",
          f"__init__ ({tmp_path}/net.py:2)"]
    loc = locate(py, tmp_path)
    assert loc is not None and loc.via == "fn.add_to_role_policy(stmt)"
