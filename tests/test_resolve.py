"""The shared resolver and the CDK-helper module."""

from __future__ import annotations

from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, as_int, index, literal, references, tags, target


def test_target_and_references():
    assert target({"Ref": "Bucket"}) == "Bucket"
    assert target({"Ref": "AWS::Region"}) is None
    assert target({"Fn::GetAtt": ["Bucket", "Arn"]}) == "Bucket"
    assert target({"Fn::GetAtt": "Bucket.Arn"}) == "Bucket"
    value = {
        "Fn::Join": ["", ["/aws/lambda/", {"Ref": "Fn"}]],
        "X": {"Fn::Sub": "${Role.Arn}-${AWS::Region}"},
    }
    assert references(value) == {"Fn", "Role"}
    assert references({"Fn::Sub": ["${A}-${B}", {"A": {"Ref": "C"}}]}) == {"B", "C"}


def test_literal():
    assert literal({"Fn::Join": ["-", ["a", "b", 3]]}) == "a-b-3"
    assert literal({"Fn::Join": ["", ["a", {"Ref": "AWS::Region"}]]}) is UNKNOWN
    assert literal({"Fn::Sub": "plain"}) == "plain"
    assert literal({"Fn::Sub": "${AWS::Region}"}) is UNKNOWN
    assert literal({"Fn::If": ["C", 1, 2]}) is UNKNOWN
    assert literal({"A": [1, "x"]}) == {"A": [1, "x"]}
    assert as_int("35") == 35 and as_int(35) == 35 and as_int({"Ref": "P"}) is None and as_int(True) is None


def test_tags_and_index():
    tpl = {
        "Resources": {
            "B": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "Team", "Value": "pay"}]}},
            "P": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "B"}}},
        }
    }
    assert tags(tpl["Resources"]["B"]) == {"Team": "pay"}
    idx = index(tpl)
    assert idx is index(tpl)  # cached per template
    assert [lid for lid, _ in idx.referring("B", "AWS::S3::BucketPolicy")] == ["P"]
    assert [lid for lid, _ in idx.of_type("AWS::S3::Bucket")] == ["B"]


def test_cdk_helpers():
    fn = {"Type": "AWS::Lambda::Function"}
    assert is_cdk_helper("LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aFD4BFC8A", fn)
    assert is_cdk_helper(
        "X", {**fn, "Metadata": {"aws:cdk:path": "S/AWS679f53fac002430cb0da5b7982bd2287/Resource"}}
    )
    assert is_cdk_helper(
        "X",
        {**fn, "Metadata": {"aws:cdk:path": "S/Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler"}},
    )
    assert is_cdk_helper("X", {"Type": "Custom::LogRetention"})
    assert not is_cdk_helper("Authorize", {**fn, "Metadata": {"aws:cdk:path": "S/Authorize/Resource"}})
