"""The network and compute checks (E9101-W9106): real synth of the sample apps, the
nested-stack resolution of db-subnet-egress, and the data tables the checks rely on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor import pipeline
from auditor.assembly import load_assembly
from auditor.checks.alb_tls import elb_policy_floor
from auditor.checks.placeholder_image import parse_image
from auditor.config import Settings
from auditor.registry import find_check
from tests.conftest import SAMPLE_APPS, audited

PACK = {"alb-tls", "db-subnet-egress", "security-groups", "vpc-flow-logs", "placeholder-image", "ecs-deployment"}
SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Options", "References")


def _variant_apps() -> list[str]:
    """Every sample app with bad/good twins (a package with a variant.py)."""
    return sorted(d.name for d in SAMPLE_APPS.iterdir() if (d / "cdk.json").is_file() and any(d.glob("*/variant.py")))


def _pack_findings(synth_cache: Any, app: str, variant: str) -> list[tuple[str, str | None, str]]:
    result = synth_cache(app, variant)
    assert result.ok, f"{app} {variant}: synth failed: {result.error}"
    findings = audited(result, app)
    # E0002: a rule crashed (its message names the rule by id); E0000/E9900: input not read
    assert not [f for f in findings if f.check_id in ("E0000", "E0002", "E9900")]
    return sorted((f.slug, f.logical_id, f.message) for f in findings if f.slug in PACK)


@pytest.mark.synth
def test_merchant_portal_bad_variant_fires_every_check(synth_cache):
    fired = _pack_findings(synth_cache, "merchant_portal", "bad")
    by_slug: dict[str, set[str | None]] = {}
    for slug, lid, _ in fired:
        by_slug.setdefault(slug, set()).add(lid)
    assert set(by_slug) == PACK
    assert any(lid and lid.startswith("WebLoadBalancerHttp") for lid in by_slug["alb-tls"])
    assert any(lid and lid.startswith("EdgeDistribution") for lid in by_slug["alb-tls"])
    assert any(lid and lid.startswith("DatabasePostgresSubnetGroup") for lid in by_slug["db-subnet-egress"])
    assert any(lid and lid.startswith("WebServiceSecurityGroup") for lid in by_slug["security-groups"])
    assert any(lid and lid.startswith("NetworkVpc") for lid in by_slug["vpc-flow-logs"])
    messages = [m for s, _, m in fired if s == "placeholder-image"]
    assert any("nginx" in m for m in messages) and any("health check" in m for m in messages)
    messages = [m for s, _, m in fired if s == "ecs-deployment"]
    assert any("roll back" in m for m in messages) and any("execution role" in m for m in messages)


@pytest.mark.synth
def test_payments_platform_bad_variant_has_no_flow_log(synth_cache):
    fired = _pack_findings(synth_cache, "payments_platform", "bad")
    assert ("vpc-flow-logs", "Vpc") in {(s, lid) for s, lid, _ in fired}


@pytest.mark.synth
@pytest.mark.parametrize("app", _variant_apps())
def test_good_variants_are_silent(synth_cache, app: str):
    assert _pack_findings(synth_cache, app, "good") == []


# -- db-subnet-egress across nested stacks ------------------------------------------------


def _nested_assembly(tmp_path: Path, data_route: dict[str, Any] | None) -> Path:
    """A parent stack with a Network nested stack (its subnet an Output) and a Database
    nested stack that receives the subnet id as a parameter, as CDK writes them."""
    net_res: dict[str, Any] = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {"SubnetId": "subnet-public", "AllocationId": "x"}},
        "DataSubnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24"}},
        "DataTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "DataAssoc": {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"SubnetId": {"Ref": "DataSubnet"}, "RouteTableId": {"Ref": "DataTable"}},
        },
    }
    if data_route:
        net_res["DataDefault"] = {"Type": "AWS::EC2::Route", "Properties": {"RouteTableId": {"Ref": "DataTable"},
                                                                            **data_route}}
    network = {"Resources": net_res, "Outputs": {"AppNetworkDataSubnetRef": {"Value": {"Ref": "DataSubnet"}}}}
    param = "referencetoAppNetworkOutputsAppNetworkDataSubnetRef"
    database = {
        "Parameters": {param: {"Type": "String"}},
        "Resources": {
            "DbSubnets": {"Type": "AWS::RDS::DBSubnetGroup",
                          "Properties": {"DBSubnetGroupDescription": "db", "SubnetIds": [{"Ref": param}]}},
            "Db": {"Type": "AWS::RDS::DBInstance",
                   "Properties": {"DBInstanceClass": "db.t4g.medium", "Engine": "postgres",
                                  "DBSubnetGroupName": {"Ref": "DbSubnets"}}},
        },
    }
    parent = {"Resources": {
        "NetworkNested": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "https://x"},
                          "Metadata": {"aws:asset:path": "AppNetwork.nested.template.json"}},
        "DatabaseNested": {
            "Type": "AWS::CloudFormation::Stack",
            "Properties": {"TemplateURL": "https://x", "Parameters": {
                param: {"Fn::GetAtt": ["NetworkNested", "Outputs.AppNetworkDataSubnetRef"]}}},
            "Metadata": {"aws:asset:path": "AppDatabase.nested.template.json"},
        },
    }}
    for name, body in (("App.template.json", parent), ("AppNetwork.nested.template.json", network),
                       ("AppDatabase.nested.template.json", database)):
        (tmp_path / name).write_text(json.dumps(body))
    manifest = {"version": "55.0.0", "artifacts": {"App": {
        "type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
        "properties": {"templateFile": "App.template.json"}}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def _db_findings(directory: Path) -> list[tuple[str, str | None]]:
    findings = pipeline.check([load_assembly(directory)], Settings(cfn_lint_rules=False)).findings
    return [(f.stack, f.logical_id) for f in findings if f.slug == "db-subnet-egress"]


def test_db_subnet_egress_follows_nested_stack_parameters(tmp_path: Path):
    found = _db_findings(_nested_assembly(tmp_path, {"DestinationCidrBlock": "0.0.0.0/0",
                                                     "NatGatewayId": {"Ref": "Nat"}}))
    assert found == [("App/DatabaseNested", "DbSubnets")]


def test_db_subnet_egress_nested_isolated_subnet_is_silent(tmp_path: Path):
    assert _db_findings(_nested_assembly(tmp_path, None)) == []


# -- data the checks rely on -------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "floor"),
    [
        ("ELBSecurityPolicy-2016-08", "TLSv1.0"),
        ("ELBSecurityPolicy-TLS-1-0-2015-04", "TLSv1.0"),
        ("ELBSecurityPolicy-TLS-1-1-2017-01", "TLSv1.1"),
        ("ELBSecurityPolicy-TLS-1-2-Ext-2018-06", "TLSv1.2"),
        ("ELBSecurityPolicy-FS-1-2-Res-2020-10", "TLSv1.2"),
        ("ELBSecurityPolicy-TLS13-1-2-2021-06", "TLSv1.2"),
        ("ELBSecurityPolicy-TLS13-1-3-2021-06", "TLSv1.3"),
        ("ELBSecurityPolicy-TLS13-1-0-2021-06", "TLSv1.0"),
        ("SomeCustomPolicy", None),
    ],
)
def test_elb_policy_floor(policy: str, floor: str | None):
    assert elb_policy_floor(policy) == floor


@pytest.mark.parametrize(
    ("image", "repository", "tag"),
    [
        ("nginx", "nginx", ""),
        ("docker.io/library/nginx:1.27", "nginx", "1.27"),
        ("public.ecr.aws/docker/library/httpd:2.4", "httpd", "2.4"),
        ("localhost:5000/portal:3", "portal", "3"),
        ({"Fn::Join": ["", ["1.dkr.ecr.us-east-1.", {"Ref": "AWS::URLSuffix"}, "/portal:2.7.1"]]}, "portal", "2.7.1"),
        ({"Fn::Join": ["", [{"Fn::GetAtt": ["Repo", "RepositoryUri"]}, ":latest"]]}, None, "latest"),
        ({"Ref": "Image"}, None, None),
    ],
)
def test_parse_image(image: Any, repository: str | None, tag: str | None):
    ref = parse_image(image)
    assert ref is not None and (ref.repository, ref.tag) == (repository, tag)


@pytest.mark.parametrize("slug", sorted(PACK))
def test_docs_have_every_section(slug: str):
    cls = find_check(slug)
    assert cls is not None
    headings = [line[3:].strip() for line in cls.doc().splitlines() if line.startswith("## ")]
    assert headings == list(SECTIONS)
    assert cls.remediation and "\n" not in cls.remediation
    for key in cls.config_spec:
        assert f"`{key}`" in cls.doc(), f"{slug}: option {key} is not documented"
