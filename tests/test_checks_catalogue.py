"""Unit tests for the catalogue's shared pieces: resolver additions and check helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.assembly import Assembly, Stack
from auditor.checks.alarms import Alarms
from auditor.checks.ecs_task_size import task_units
from auditor.checks.security_groups import internet_cidr
from auditor.checks.stub_code import StubCode, _marker_pattern, node_stub, python_stub
from auditor.registry import find_check
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
        "GraphOn8183": {"Type": "AWS::Neptune::DBCluster", "Properties": {"DBPort": 8183}},
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
        ({"Fn::GetAtt": ["GraphOn8183", "Port"]}, 8183),
        ({"Fn::GetAtt": ["Docs", "Endpoint.Port"]}, UNKNOWN),  # not an attribute DocumentDB has
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


# -- stub-code: what counts as a stub ------------------------------------------------------

ROTATION_STUB = '''import logging
logger = logging.getLogger()
logger.setLevel(logging.INFO)


def lambda_handler(event, context):
    arn = event["SecretId"]
    token = event["ClientRequestToken"]
    step = event["Step"]
    logger.info("%s for %s", step, arn)
    if step == "createSecret":
        create_secret(arn, token)
    elif step == "setSecret":
        set_secret(arn, token)
    elif step == "testSecret":
        test_secret(arn, token)
    elif step == "finishSecret":
        finish_secret(arn, token)
    else:
        raise ValueError("Invalid step parameter %s" % step)


def create_secret(arn, token):
    logger.info("createSecret for %s", arn)


def set_secret(arn, token):
    pass


def test_secret(arn, token):
    """Nothing to test."""


def finish_secret(arn, token):
    logger.info("finishSecret: done")
'''


@pytest.mark.parametrize(
    ("code", "handler", "stub"),
    [
        ("def handler(event, context):\n    return {'statusCode': 200}\n", "handler", True),
        ("def main(event, context):\n    print(\"I'm running!\")\n", "main", True),
        ("import json\ndef h(e, c):\n    print(json.dumps(e))\n    return {'body': json.dumps('Hello')}\n", "h", True),
        ("def handler(event, context):\n    raise NotImplementedError\n", "handler", True),
        (ROTATION_STUB, "lambda_handler", True),
        ("def handler(e, c):\n    b = e['body']\n    # Add your business logic here\n    return b\n", "handler", True),
        ("import boto3\ndef handler(e, c):\n    # TODO\n    return boto3.client('s3').list_buckets()\n",
         "handler", True),
        ("def handler(e, c):\n    return {'statusCode': 501, 'body': 'Not implemented yet'}\n", "handler", True),
        # not stubs
        ("def main(event, context)\n  print('hello')\n", "main", False),  # does not parse
        ("import json\ndef handler(e, c):\n    b = json.loads(e['body'])\n    return {'id': b.get('id')}\n",
         "handler", False),  # echoes its input
        ("import boto3\ndef handler(e, c):\n    # TODO: paginate\n    return boto3.client('s3').list_buckets()\n",
         "handler", False),  # a to-do in real code
        ("import boto3\ndef handler(e, c):\n    if e['RequestType'] == 'Update':\n"
         "        raise ValueError('Update not implemented')\n    boto3.client('s3').create_bucket(Bucket='x')\n",
         "handler", False),  # an error path of real code
        ("import boto3\ndef handler(e, c):\n"
         "    return boto3.resource('dynamodb').Table('todo').get_item(Key={'id': 'todo'})\n",
         "handler", False),  # a to-do app
        ("import time\ndef handler(e, c):\n    print(e)\n    time.sleep(3)\n    return {'statusCode': 200}\n",
         "handler", False),
        ("from app import handler\n", "handler", False),  # defined elsewhere
        ("def handler(e, c):\n    return 1\nrun_migrations()\n", "handler", False),  # top-level work
        (ROTATION_STUB.replace("    pass\n", "    client.put_secret_value(SecretId=arn)\n"), "lambda_handler", False),
    ],
)
def test_python_stub(code: str, handler: str, stub: bool):
    markers = _marker_pattern(StubCode.config_spec["markers"]["default"])
    assert (python_stub(code, handler, markers) is not None) is stub


@pytest.mark.parametrize(
    ("code", "stub"),
    [
        ("exports.handler = async (event) => { console.log(event); return {'statusCode': 200, 'body': 'OK'}; }", True),
        ("exports.handler = async () => ({ statusCode: 200, body: JSON.stringify({ ok: true }) });", True),
        ("exports.handler = function(event, context, callback) {\n  callback(null, {statusCode: 200});\n};", True),
        ("export const handler = async (event) => {\n  return { statusCode: 200, body: `hello` };\n};", True),
        ("export async function handler(event) {\n  return [1, 2, 'three'];\n}", True),
        # not stubs
        ("exports.handler = async (e) => { const r = await fetch(e.url); return {statusCode: r.status}; }", False),
        ("export const handler = async (e) => {\n  return { statusCode: 200, body: `hi ${e.name}` };\n};", False),
        ("exports.handler = (event, context, callback) => {\n  callback(null, event.Records[0].cf.response);\n};",
         False),
        ("exports.handler = async (event) => { return {statusCode: 200} // TODO\n}", False),  # comments: not judged
        ("exports.main = async () => ({ ok: true });", False),  # not the configured handler
        ("exports.handler = async (event) => { return {statusCode: 200 ", False),  # does not parse
    ],
)
def test_node_stub(code: str, stub: bool):
    assert (node_stub(code, "handler") is not None) is stub


@pytest.mark.parametrize(
    ("value", "units"),
    [("256", 256), (512, 512), ("1 vCPU", 1024), ("0.25 vcpu", 256), ("2 GB", 2048), ("512 MiB", 512),
     ({"Ref": "Cpu"}, None), ("lots", None), (None, None)],
)
def test_ecs_task_units(value, units):
    assert task_units(value) == units


# -- the new checks document themselves like the others -----------------------------------

SECTIONS = ["What it does", "Why is this bad?", "Example", "Use instead", "Options", "References"]


@pytest.mark.parametrize("slug", ["stub-code", "ecs-task-size"])
def test_new_checks_are_registered_and_documented(slug: str):
    cls = find_check(slug)
    assert cls is not None, slug
    assert {"error": "E", "warning": "W", "info": "I"}[cls.severity_level] == cls.id[0]
    headings = [line[3:].strip() for line in cls.doc().splitlines() if line.startswith("## ")]
    assert headings == SECTIONS
    assert cls.remediation and "\n" not in cls.remediation and len(cls.remediation) < 120
    for key in cls.config_spec:
        assert f"`{key}`" in cls.doc(), f"{slug}: option {key} is not documented"


def test_ecs_task_size_defaults_by_profile():
    cls = find_check("ecs-task-size")
    assert cls is not None
    assert cls.defaults("production") == {"min-cpu": 512, "min-memory": 1024, "select": "services"}
    assert cls.defaults("development") == {"min-cpu": 0, "min-memory": 0, "select": "services"}
    assert cls.defaults("default") == {"min-cpu": 0, "min-memory": 0, "select": "services"}


def test_alarms_loose_templates_stand_alone():
    app = ("a.json", {"A": _fn()})
    other = ("b.json", {"BErrors": _alarm("some-function-name")})
    loose = _assembly(app, other)
    loose.directory = None  # loose templates of a scan: not one app
    assert [m.stack for m in Alarms().match_assembly(loose)] == ["a.json"]
