"""auditor.lint (the cfn-lint adapter) and auditor.pool: the speed-ups change nothing but speed,
and undo themselves."""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
from typing import Any

import cfnlint.context.context
import cfnlint.jsonschema.validators
from cfnlint.decode import decode_str
from cfnlint.template.template import Template

from auditor import lint, pool

TEMPLATE = {
    "Parameters": {"Env": {"Type": "String", "AllowedValues": ["prod", "dev"]}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "InUsEast": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
        "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "InUsEast"}]},
    },
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Condition": "IsProd"},
        "Fn": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Role": {"Fn::GetAtt": ["Bucket", "Arn"]},
                "Environment": {"Variables": {"B": {"Fn::Sub": "${Bucket}"}, "E": {"Fn::If": ["Both", "a", "b"]}}},
            },
        },
    },
}


def _decoded() -> dict[str, Any]:
    template, matches = decode_str(json.dumps(TEMPLATE, indent=1))
    assert not matches
    return template


def test_lazy_template_builds_what_template_builds() -> None:
    eager, lazy = Template(None, _decoded(), ["us-east-1"]), lint.LazyTemplate(None, _decoded(), ["us-east-1"])
    assert lazy.transform_pre == eager.transform_pre
    assert list(lazy.conditions._conditions) == list(eager.conditions._conditions)
    assert lazy.conditions.build_scenerios_on_region("InUsEast", "us-east-1") == [True]
    assert sorted(lazy.context.resources) == sorted(eager.context.resources)
    assert (lazy.graph is None) == (eager.graph is None)
    assert lazy.get_valid_getatts().json_schema("us-east-1") == eager.get_valid_getatts().json_schema("us-east-1")
    assert lazy.get_valid_getatts() is lazy.get_valid_getatts()


def test_condition_solver_is_shared_only_between_identical_sections() -> None:
    a, b = lint.LazyTemplate(None, _decoded()), lint.LazyTemplate(None, _decoded())
    assert a.conditions is b.conditions
    other = _decoded()
    other["Conditions"]["IsProd"] = {"Fn::Equals": [{"Ref": "Env"}, "dev"]}
    assert lint.LazyTemplate(None, other).conditions is not a.conditions


def test_fast_cfn_lint_undoes_itself() -> None:
    create = cfnlint.jsonschema.validators.create
    module_names = cfnlint.context.context.Context.__dict__["module_names"]
    refs = cfnlint.context.context.Context.__dict__["refs"]
    with lint.fast_cfn_lint():
        assert cfnlint.jsonschema.validators.Template is lint.LazyTemplate  # a validator's default template
        assert cfnlint.jsonschema.validators.create is not create
        assert cfnlint.context.context.fields is not dataclasses.fields
        assert cfnlint.context.context.Context.__dict__["refs"] is not refs
    assert cfnlint.jsonschema.validators.create is create
    assert cfnlint.jsonschema.validators.Template is Template
    assert cfnlint.context.context.fields is dataclasses.fields
    assert cfnlint.context.context.Context.__dict__["module_names"] is module_names
    assert cfnlint.context.context.Context.__dict__["refs"] is refs
    assert isinstance(module_names, functools.cached_property)


def test_pool_only_when_the_work_outweighs_it() -> None:
    assert pool.worth_parallel(10_000, 50, full=True, jobs=1) == 1
    assert pool.worth_parallel(20, 3, full=True, jobs=None) == 1  # a small app: no pool
    assert pool.worth_parallel(2_000, 1, full=True, jobs=None) == 1  # one template
    assert pool.worth_parallel(100, 5, full=False, jobs=3) == 3  # asked for explicitly


def test_map_indexed_keeps_order() -> None:
    items = list(range(7))
    assert pool.map_indexed(lambda x: x * x, items, 2, weights=[1, 9, 2, 8, 3, 7, 4]) == [x * x for x in items]


RDS_TEMPLATE = {
    "Resources": {
        "Db": {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {"Engine": "mysql", "DBInstanceClass": "db.nope.large", "AllocatedStorage": "20"},
        },
        "Box": {"Type": "AWS::EC2::Instance", "Properties": {"InstanceType": "t9.huge", "ImageId": "ami-12345678"}},
    }
}


def test_schema_files_are_read_on_first_use_with_plain_cfn_lints_matches() -> None:
    import cfnlint.api
    import cfnlint.helpers

    rules = lint.rule_set([], with_builtins=True)
    schema_module = sys.modules["cfnlint.rules.jsonschema.CfnLintJsonSchema"]
    assert schema_module.load_resource is cfnlint.helpers.load_resource  # put back after building the rules
    enum = rules.data["E3025"]  # RDS instance classes by region: 3.6 MB of JSON
    assert isinstance(vars(enum)["_schema"], lint._DeferredSchema)

    text = json.dumps(RDS_TEMPLATE, indent=1)
    template, _ = decode_str(text)
    config = lint.make_config(rules, regions=["us-east-1", "eu-west-1"], ignore=[], include=[], configure={})
    with lint.fast_cfn_lint():
        ours = {(m.rule.id, m.linenumber, m.message) for m in lint.lint_template(template, config, rules)}
    plain = {(m.rule.id, m.linenumber, m.message) for m in cfnlint.api.lint(text, regions=["us-east-1", "eu-west-1"])}
    assert ours == plain
    assert {"E3025", "E3628"} <= {rid for rid, _, _ in ours}  # the deferred tables were used
    assert isinstance(vars(enum)["_schema"], dict) and "us-east-1" in vars(enum)["_schema"]


def test_a_deferred_schema_no_guard_would_read_is_read_at_once() -> None:
    class FutureRule:  # a class of a later cfn-lint that keeps its schema under another name
        pass

    rule = FutureRule()
    vars(rule)["_table"] = lint._DeferredSchema("cfnlint.data.schemas.other.resources", "configuration.json")
    lint.load_unguarded_schemas(rule)
    assert isinstance(vars(rule)["_table"], dict)
