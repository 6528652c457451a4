"""The declarative PropertyRule base: JSONPath properties, locations, unknown values."""

from __future__ import annotations

from typing import Any

from cfnlint.template import Template

from auditor.property_rule import Expect, PropertyRule, at_most, one_of


class _ListenerTls(PropertyRule):
    """Test double: every listener of a classic load balancer speaks HTTPS."""

    id = "W9990"
    slug = "test-listener-tls"
    severity_level = "warning"
    config_spec = {"max-idle": {"type": "integer", "default": 60}}
    resource_types = ("AWS::ElasticLoadBalancing::LoadBalancer",)
    applies_when = (Expect("Properties.Scheme", one_of(None, "internet-facing")),)
    expects = (
        Expect("Properties.Listeners[*].Protocol", one_of("HTTPS", "SSL"), "listener speaks {value}"),
        Expect("Properties.ConnectionSettings.IdleTimeout", at_most("max-idle"),
               "idle {value}s over {config[max-idle]}s"),
        Expect("Properties.CrossZone", one_of(True), "cross-zone off"),
    )


def _matches(resources: dict[str, Any]) -> list[tuple[list[Any], str]]:
    rule = _ListenerTls()
    rule.configure({"max-idle": 60})
    return [(m.path, m.message) for m in rule.match(Template("t.json", {"Resources": resources}))]


def test_list_elements_are_located_and_absent_properties_at_their_parent():
    found = _matches({"Lb": {"Type": "AWS::ElasticLoadBalancing::LoadBalancer", "Properties": {
        "Listeners": [{"Protocol": "HTTPS"}, {"Protocol": "HTTP"}],
        "ConnectionSettings": {"IdleTimeout": "120"},
    }}})
    assert found == [
        (["Resources", "Lb", "Properties", "Listeners", 1, "Protocol"], "listener speaks HTTP"),
        (["Resources", "Lb", "Properties", "ConnectionSettings", "IdleTimeout"], "idle 120s over 60s"),
        (["Resources", "Lb", "Properties"], "cross-zone off"),
    ]


def test_string_booleans_unknown_values_and_applies_when():
    good = {"Type": "AWS::ElasticLoadBalancing::LoadBalancer", "Properties": {
        "Listeners": [{"Protocol": {"Ref": "ProtocolParam"}}], "CrossZone": "true"}}
    internal = {"Type": "AWS::ElasticLoadBalancing::LoadBalancer", "Properties": {"Scheme": "internal"}}
    unknown_scheme = {"Type": "AWS::ElasticLoadBalancing::LoadBalancer", "Properties": {"Scheme": {"Ref": "S"}}}
    helper = {"Type": "AWS::ElasticLoadBalancing::LoadBalancer",
              "Metadata": {"aws:cdk:path": "S/AWS679f53fac002430cb0da5b7982bd2287/Resource"}}
    assert _matches({"A": good, "B": internal, "C": unknown_scheme, "D": helper}) == []
