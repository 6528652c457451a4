"""Unit tests for the catalogue's shared pieces: resolver additions and check helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
from auditor.checks.alarms import Alarms
from auditor.checks.security_groups import internet_cidr

from auditor.assembly import Assembly, Stack
from auditor.resolve import UNKNOWN, engine_default_port, index, resolved

DATABASES = {
    "Resources": {
        "Pg": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "postgres"}},
        "Aurora": {"Type": "AWS::RDS::DBCluster", "Properties": {"Engine": "aurora-mysql", "Port": "3307"}},
        "Member": {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {"Engine": "aurora-mysql", "DBClusterIdentifier": {"Ref": "Aurora"}},
        },
        "Sql": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "sqlserver-se"}},
        "Param": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "mysql", "Port": {"Ref": "DbPort"}}},
        "Docs": {"Type": "AWS::DocDB::DBCluster", "Properties": {}},
        "Graph": {"Type": "AWS::Neptune::DBCluster", "Properties": {}},
        "Bucket": {"Type": "AWS::S3::Bucket"},
    }
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Fn::GetAtt": ["Pg", "Endpoint.Port"]}, 5432),
        ({"Fn::GetAtt": "Aurora.Endpoint.Port"}, 3307),
        ({"Fn::GetAtt": ["Member", "Endpoint.Port"]}, 3307),  # a member listens on its cluster's port
        ({"Fn::GetAtt": ["Sql", "Endpoint.Port"]}, 1433),
        ({"Fn::GetAtt": ["Docs", "Port"]}, 27017),
        ({"Fn::GetAtt": ["Graph", "Port"]}, 8182),
        ({"Fn::GetAtt": ["Param", "Endpoint.Port"]}, UNKNOWN),  # a parameter: unknown at synth time
        ({"Fn::GetAtt": ["Pg", "Endpoint.Address"]}, UNKNOWN),
        ({"Fn::GetAtt": ["Bucket", "Arn"]}, UNKNOWN),
        ({"Fn::GetAtt": ["Missing", "Endpoint.Port"]}, UNKNOWN),
        ({"Fn::Join": ["", ["a", "b"]]}, "ab"),  # everything else is literal()
    ],
)
def test_resolved_knows_database_ports(value, expected):
    assert resolved(value, index(DATABASES)) is expected or resolved(value, index(DATABASES)) == expected


def test_engine_default_ports():
    assert engine_default_port("aurora-postgresql") == 5432
    assert engine_default_port("aurora") == 3306
    assert engine_default_port("mariadb") == 3306
    assert engine_default_port("oracle-se2-cdb") == 1521
    assert engine_default_port("db2-se") is None
    assert engine_default_port({"Ref": "Engine"}) is None


@pytest.mark.parametrize(
    ("cidr", "internet"),
    [
        ("0.0.0.0/0", True),
        ("1.0.0.0/0", True),
        ("::/0", True),
        ("::0/0", True),
        ("0:0:0:0:0:0:0:0/0", True),
        (" 0.0.0.0/0 ", True),
        ("0.0.0.0/1", False),
        ("10.0.0.0/8", False),
        ("not-a-cidr", False),
        ({"Ref": "Cidr"}, False),
    ],
)
def test_internet_cidr(cidr, internet):
    assert (internet_cidr(cidr) is not None) is internet


# -- alarms: the stack-level test sees the whole assembly ---------------------------------


def _fn() -> dict:
    return {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.13", "Handler": "index.handler"}}


def _alarm(dimension: object) -> dict:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "MetricName": "Errors",
            "Namespace": "AWS/Lambda",
            "Dimensions": [{"Name": "FunctionName", "Value": dimension}],
            "AlarmActions": ["arn:aws:sns:us-east-1:111111111111:on-call"],
        },
    }


def _assembly(*stacks: tuple[str, dict]) -> Assembly:
    return Assembly(
        Path("cdk.out"),
        [Stack(name=n, template_path=Path(f"{n}.template.json"), template={"Resources": r}) for n, r in stacks],
    )


def test_alarms_reports_each_unwatched_stack_once():
    rule = Alarms()
    app = ("App", {"A": _fn(), "B": _fn(), "Q": {"Type": "AWS::SQS::Queue", "Properties": {}}})
    [m] = rule.match_assembly(_assembly(app))
    assert m.stack == "App" and m.path == ["Resources"]
    assert "2 Lambda functions, 1 queue" in m.message and len(m.message) < 120
    own = ("Own", {"F": _fn(), "FErrors": _alarm({"Ref": "F"})})
    assert [x.stack for x in rule.match_assembly(_assembly(app, own))] == ["App"]  # Own watches only itself


def test_alarms_a_monitoring_stack_covers_the_app():
    rule = Alarms()
    app = ("App", {"A": _fn()})
    monitoring = ("Monitoring", {"AErrors": _alarm({"Fn::ImportValue": "App:FunctionName"})})
    assert rule.match_assembly(_assembly(app, monitoring)) == []
    disabled = _alarm({"Fn::ImportValue": "App:FunctionName"})
    disabled["Properties"]["ActionsEnabled"] = False  # notifies nobody: watches nothing for anyone
    assert [m.stack for m in rule.match_assembly(_assembly(app, ("Monitoring", {"AErrors": disabled})))] == ["App"]
