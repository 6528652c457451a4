"""Big templates: the fast path of ``auditor.lint`` reports exactly what cfn-lint's public
API reports on them, and its work grows linearly with the template.

The templates are the benchmark's synthetic ones (``bench/run.py``: buckets, roles,
functions, log groups, subnets and routes wired with Ref, GetAtt, Join and Sub), big
enough for every lever to engage (mappings of 32+ keys, enums of 64+ values), plus
what those levers must leave to cfn-lint: a Ref, GetAtt or DependsOn to a missing
resource (its message lists every resource), a Ref to ``true``, a resource whose name
is a boolean word, parameters, and a finding on a whole resource.
"""

from __future__ import annotations

import functools
import importlib.util
import ipaddress
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cfnlint.decode.node
import cfnlint.jsonschema._keywords
import cfnlint.jsonschema._utils
import pytest
from cfnlint.decode import decode as cfn_lint_decode
from cfnlint.decode import decode_str
from cfnlint.runner import run_template_by_data

from auditor import lint
from auditor.config import Settings
from auditor.engine import load_checks
from tests.conftest import ROOT


@functools.cache
def _bench() -> Any:
    """``bench/run.py`` (not a package): its generator, so the benchmark's rows and these tests agree."""
    spec = importlib.util.spec_from_file_location("cdk_audit_bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def synthetic(n: int, edges: bool = False) -> dict[str, Any]:
    """The benchmark's template of ``n`` resources; ``edges``: plus the cases above."""
    template: dict[str, Any] = _bench().synthetic_template(n)
    if edges:
        res = template["Resources"]
        template["Parameters"] = {"Stage": {"Type": "String", "Default": "prod"}}
        template["Conditions"] = {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}}
        res["True"] = {"Type": "AWS::SNS::Topic"}  # a boolean word among the enum's values
        res["Edges"] = {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": {"Ref": "Missing"},
                "KmsMasterKeyId": {"Fn::GetAtt": ["Nowhere", "Arn"]},
                "DisplayName": {"Ref": "true"},
                "Tags": [{"Key": "stage", "Value": {"Ref": "Stage"}}, {"Key": "t", "Value": {"Ref": "True"}}],
            },
            "DependsOn": ["Missing", "True"],
        }
        res["NoType"] = {"Properties": {}}  # a finding on the resource itself
        # what the narrowed GetAtt and DependsOn (auditor.lint._narrowing) must leave to
        # cfn-lint, or must check as it does: a conditional target, itself, a bad attribute,
        # the string form, and a name under a SAM resource's prefix
        res["CondTopic"] = {"Type": "AWS::SNS::Topic", "Condition": "IsProd"}
        res["Sam"] = {"Type": "AWS::Serverless::Function", "Properties": {}}
        res["SamTopic"] = {"Type": "AWS::SNS::Topic"}  # under Sam's prefix: cfn-lint skips it
        res["Uses"] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": {"Fn::GetAtt": ["CondTopic", "TopicName"]},
                "KmsMasterKeyId": {"Fn::GetAtt": ["Bucket0", "NoSuchAttribute"]},
                "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": "Bucket0.Arn"}},
                "KmsDataKeyReusePeriodSeconds": {"Fn::GetAtt": ["SamRole", "Arn"]},
                "DelaySeconds": {"Fn::GetAtt": ["SamTopic", "NoSuchAttribute"]},
            },
            "DependsOn": ["Uses", "CondTopic", "Bucket0", "SamRole", "SamTopic"],
        }
        for i, name in enumerate(("/same", "/same", "true", "TRUE", "[x]", "[x]")):  # E3019: equal names
            res[f"Named{i}"] = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": name}}
        overlapping = {  # E3060: the same block as Subnet0, one holding many, under conditions, IPv6
            "Dup": {"CidrBlock": "10.0.0.0/24"},
            "Wide": {"CidrBlock": "10.0.0.0/16"},
            "If": {"CidrBlock": {"Fn::If": ["IsProd", "10.0.1.0/24", "10.200.0.0/24"]}},
            "Cond": {"CidrBlock": "10.0.2.0/24"},
            "V6": {"CidrBlock": "10.201.0.0/24", "Ipv6CidrBlock": "2001:db8::/64"},
            "V6Wide": {"CidrBlock": "10.202.0.0/24", "Ipv6CidrBlock": "2001:db8::/56"},
            "Inside": {"CidrBlock": "10.0.3.128/25"},
        }
        for name, props in overlapping.items():
            res[f"Subnet{name}"] = {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, **props}}
        res["SubnetCond"]["Condition"] = "IsProd"
    return template


def _key(m: Any) -> tuple[Any, ...]:
    return (m.rule.id, m.linenumber, m.columnnumber, m.linenumberend, m.columnnumberend, m.message,
            tuple(getattr(m, "path", None) or ()))  # fmt: skip


@pytest.mark.parametrize(("n", "edges"), [(400, False), (150, True)])
def test_fast_path_reports_what_cfn_lint_reports(tmp_path: Path, n: int, edges: bool) -> None:
    """Every match (rule, position, message, path) of cfn-lint's built-ins and our checks."""
    assert lint.FAST_PATH
    path = tmp_path / "big.template.json"
    path.write_text(json.dumps(synthetic(n, edges), indent=1), encoding="utf-8")
    checks = load_checks(Settings())
    plain_template, plain_errors = cfn_lint_decode(str(path))
    assert not plain_errors
    plain = Counter(_key(m) for m in run_template_by_data(plain_template, checks.config, checks.rules))
    template, errors = lint.decode(path)
    assert not errors
    with lint.fast_cfn_lint():
        fast = Counter(_key(m) for m in lint.lint_template(template, checks.config, checks.rules))
    assert plain, "cfn-lint found nothing: the comparison would prove nothing"
    if edges:  # a Ref, a GetAtt and a DependsOn to a missing resource; no Type; names used twice
        assert {"E1020", "E1010", "E3005", "E3001", "E3019", "E3060"} <= {k[0] for k in plain}
    assert any(len(k[6]) == 2 for k in plain), "no match on a whole resource"
    assert sorted(fast - plain) == [], "fast path only"
    assert sorted(plain - fast) == [], "cfn-lint only"


# -- decoding -------------------------------------------------------------------------------

_MANY = "\n".join(f"  K{i}: {i}" for i in range(40))
YAML_CASES = {
    "plain": f"Resources:\n{_MANY}\n",
    "duplicate key": f"Resources:\n{_MANY}\n  K7: again\n  K9: again\n",
    "null key": f"Resources:\n{_MANY}\n  ~: x\n",
    "merge key": f"Base: &base\n  A: 1\nResources:\n  <<: *base\n{_MANY}\n",
    "merge and duplicate": f"Base: &base\n  K1: 1\nResources:\n  <<: *base\n{_MANY}\n",
    "unhashable key": f"Resources:\n{_MANY}\n  ? [a, b]\n  : x\n",
    "int and bool keys": f"Resources:\n{_MANY}\n  1: one\n  true: yes\n  '1': str\n",
    "equal numbers": f"Resources:\n{_MANY}\n  1: one\n  1.0: float\n",
}


def _shape(value: Any) -> Any:
    """A decoded value with every position (of keys too) spelled out."""

    def mark(v: Any) -> Any:
        s, e = getattr(v, "start_mark", None), getattr(v, "end_mark", None)
        return (type(v).__name__, s and (s.line, s.column), e and (e.line, e.column))

    if isinstance(value, dict):
        return (mark(value), [(repr(k), mark(k), _shape(v)) for k, v in value.items()])
    if isinstance(value, list):
        return (mark(value), [_shape(v) for v in value])
    return (mark(value), repr(value))


def _decoded(decode: Callable[[], tuple[Any, Any]]) -> Any:
    template, matches = decode()
    return _shape(template), [(m.message, m.linenumber, m.columnnumber, m.rule.id) for m in matches or []]


@pytest.mark.parametrize("case", sorted(YAML_CASES))
def test_decoding_big_mappings_is_cfn_lint_decoding(tmp_path: Path, case: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(YAML_CASES[case], encoding="utf-8")
    ours = _decoded(lambda: lint.decode(path))
    assert ours == _decoded(lambda: cfn_lint_decode(str(path)))
    if case in ("duplicate key", "null key", "unhashable key"):
        assert ours[1], "cfn-lint reports a parse error here"


# -- linear work ------------------------------------------------------------------------------


@contextmanager
def _counting() -> Iterator[tuple[Counter[str], list[str]]]:
    """Counts what grew quadratically, by phase: keys compared while decoding
    (``str_node.__eq__``: cfn-lint's duplicate-key search), keys compared while locating
    matches (``get_location_yaml``, and how many lookups), values compared by the
    ``enum`` keyword (cfn-lint's ``equal``), mappings compared by cfn-lint's ``equal``
    (E3019 compares every pair of same-type resources). Yields the counts and the phase
    to set."""
    counts: Counter[str] = Counter()
    phase = ["decode"]
    node_cls, keywords, located = cfnlint.decode.node.str_node, cfnlint.jsonschema._keywords, lint.LazyTemplate
    str_eq, equal, locate = str.__eq__, keywords.equal, located.get_location_yaml
    utils = cfnlint.jsonschema._utils
    mapping_equal = utils._mapping_equal
    networks, overlaps = ipaddress._BaseNetwork, ipaddress._BaseNetwork.overlaps

    def counted_overlaps(a: Any, b: Any) -> bool:
        counts["subnet pairs"] += 1
        return bool(overlaps(a, b))

    def counted_mapping_equal(a: Any, b: Any) -> bool:
        counts["mappings"] += 1
        return bool(mapping_equal(a, b))

    def counted_eq(a: str, b: object) -> Any:
        counts[f"{phase[0]} keys"] += 1
        return str_eq(a, b)

    def counted_equal(a: Any, b: Any) -> bool:
        counts["enum values"] += 1
        return bool(equal(a, b))

    def counted_locate(self: Any, text: Any, path: Any) -> Any:
        outer = phase[0] != "locate"
        counts["lookups"] += outer
        phase[0] = "locate"
        try:
            return locate(self, text, path)
        finally:
            if outer:
                phase[0] = "lint"

    own = vars(located).get("get_location_yaml")  # None: inherited from cfn-lint's Template
    node_cls.__eq__ = counted_eq  # type: ignore[method-assign,assignment]
    keywords.equal = counted_equal  # type: ignore[attr-defined]
    located.get_location_yaml = counted_locate  # type: ignore[method-assign]
    utils._mapping_equal = counted_mapping_equal
    networks.overlaps = counted_overlaps  # type: ignore[method-assign]
    try:
        yield counts, phase
    finally:
        del node_cls.__eq__
        keywords.equal = equal  # type: ignore[attr-defined]
        utils._mapping_equal = mapping_equal
        networks.overlaps = overlaps  # type: ignore[method-assign]
        if own is None:
            del located.get_location_yaml
        else:
            located.get_location_yaml = own  # type: ignore[method-assign]


def _work(tmp_path: Path, n: int) -> Counter[str]:
    path = tmp_path / f"synthetic-{n}.template.json"
    path.write_text(json.dumps(synthetic(n), indent=1), encoding="utf-8")
    checks = load_checks(Settings())
    with _counting() as (counts, phase):
        template, _ = lint.decode(path)
        phase[0] = "lint"
        with lint.fast_cfn_lint():
            counts["matches"] = len(list(lint.lint_template(template, checks.config, checks.rules)))
    return counts


def test_work_grows_linearly_with_the_template(tmp_path: Path) -> None:
    """Twice the resources: the same work per resource (per located match), where
    cfn-lint's own code does twice as much per resource (quadratic in all)."""
    small, big = _work(tmp_path, 150), _work(tmp_path, 300)
    assert big["lookups"] > small["lookups"] > 50  # matches located (required-tags is off by default)
    per = {
        "decode keys": (150, 300),
        "enum values": (150, 300),
        "mappings": (150, 300),
        "subnet pairs": (150, 300),
        "locate keys": (small["lookups"], big["lookups"]),
    }
    for what, (unit_small, unit_big) in per.items():
        rate_small, rate_big = small[what] / unit_small, big[what] / unit_big
        assert rate_big <= 1.2 * rate_small + 0.5, (what, small, big)


def test_getatt_and_depends_on_are_narrowed_only_while_linting(tmp_path: Path) -> None:
    """The narrowing of E1010 and E3005 runs (or the parity test above proves nothing of
    it) and is undone after each template."""
    rules = load_checks(Settings()).rules
    classes = {rid: type(rules.data[rid]) for rid in ("E1010", "E3005")}
    before = {rid: (vars(c).get("_resolve_getatt"), vars(c).get("validate")) for rid, c in classes.items()}
    calls: Counter[str] = Counter()
    original = lint._narrowing

    def counted(method: Any, name: str) -> Any:
        inner = original(method, name)

        def wrapper(*args: Any) -> Any:
            calls[name] += 1
            return inner(*args)

        return wrapper

    lint._narrowing = counted  # type: ignore[assignment]
    try:
        with lint._narrowed_lookups(rules):
            assert vars(classes["E1010"])["_resolve_getatt"] is not before["E1010"][0]
            assert vars(classes["E3005"])["validate"] is not before["E3005"][1]
            path = tmp_path / "t.json"
            path.write_text(json.dumps(synthetic(150, True)), encoding="utf-8")
            template, _ = lint.decode(path)
            checks = load_checks(Settings())
            with lint.fast_cfn_lint():
                list(lint.lint_template(template, checks.config, rules))
    finally:
        lint._narrowing = original  # type: ignore[assignment]
    assert calls["_resolve_getatt"] > 50 and calls["validate"] > 5, calls
    assert {rid: (vars(c).get("_resolve_getatt"), vars(c).get("validate")) for rid, c in classes.items()} == before


def test_e1101_finds_its_child_rules_by_keyword_only_while_linting(tmp_path: Path) -> None:
    """E1101's keyword index names the rules cfn-lint's nested loop would visit, in its
    order and as often; it runs (or the parity test above proves nothing of it), follows
    a change of the children, and is undone after each template."""
    checks = load_checks(Settings())
    rule = checks.rules.data["E1101"]
    cls = type(rule)
    before = vars(cls)["cfnLint"]
    calls: Counter[str] = Counter()
    original = lint._by_keyword

    def counted(r: Any) -> Any:
        calls["index"] += 1
        return original(r)

    lint._by_keyword = counted  # type: ignore[assignment]
    try:
        path = tmp_path / "t.json"
        path.write_text(json.dumps(synthetic(150, True)), encoding="utf-8")
        template, _ = lint.decode(path)
        with lint.fast_cfn_lint():
            list(lint.lint_template(template, checks.config, checks.rules))
            assert vars(cls)["cfnLint"] is before  # patched only inside a template's run
    finally:
        lint._by_keyword = original  # type: ignore[assignment]
    assert calls["index"] > 100, calls
    assert vars(cls)["cfnLint"] is before

    def nested(keyword: str) -> list[Any]:  # cfn-lint's loop, as CfnLint.cfnLint writes it
        return [r for r in rule.child_rules.values() if r is not None and r.id
                for k in r.keywords if k == keyword]  # fmt: skip

    keywords = {k for r in rule.child_rules.values() if r is not None for k in r.keywords}  # linked by the run
    assert len(keywords) > 20
    index = lint._by_keyword(rule)
    assert {k: index.get(k, []) for k in keywords} == {k: nested(k) for k in keywords}
    first = sorted(keywords)[0]
    dropped = next(key for key, r in rule.child_rules.items() if r is not None and first in r.keywords)
    kept = rule.child_rules[dropped]
    rule.child_rules[dropped] = None
    try:
        assert lint._by_keyword(rule).get(first, []) == nested(first) != index[first]
    finally:
        rule.child_rules[dropped] = kept


def test_decoding_pauses_the_garbage_collector_only_while_it_runs(tmp_path: Path) -> None:
    """No collection during a decode (cfn-lint's own decode of the same text has dozens;
    ours, at most the one its first allocation after the pause starts), and the
    collector is left as it was found."""
    import gc

    path = tmp_path / "t.json"
    path.write_text(json.dumps(synthetic(200)), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    collections: list[int] = []
    gc.callbacks.append(lambda phase, info: collections.append(info["generation"]) if phase == "start" else None)
    try:
        assert gc.isenabled()
        decode_str(text)
        plain, collections[:] = len(collections), []
        lint.decode(path)
        lint.decode_text(text)
        assert len(collections) <= 2 < plain and gc.isenabled(), (collections, plain)
        gc.disable()
        lint.decode(path)
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.callbacks.pop()
    assert lint.decode(path)[0] == cfn_lint_decode(str(path))[0]


def test_counting_is_undone() -> None:
    before = (lint.LazyTemplate.get_location_yaml, cfnlint.jsonschema._keywords.equal)
    with _counting():
        pass
    template, _ = decode_str("A: b\n")
    assert "__eq__" not in vars(cfnlint.decode.node.str_node) and template["A"] == "b"
    assert (lint.LazyTemplate.get_location_yaml, cfnlint.jsonschema._keywords.equal) == before


# -- E3019's comparisons ---------------------------------------------------------------------

_VALUES: list[Any] = [
    "a", "b", "", "true", "True", "FALSE", "false", "yes", "1", "1.0", "[x]", "['a']", "{'a': 'b'}", "{",
    1, 1.0, 0, True, False, None, [], {}, ["a"], ("a",), ["a", "b"], ["b", "a"], {"a": "b"}, {"a": "c"},
    {"a": ["b"]}, {"a": {"Fn::Sub": "/aws/lambda/${Fn}"}}, {"a": {"Fn::Sub": "/aws/lambda/${Fn}"}, "b": "x"},
    {1: "a"}, {True: "a"}, {"a": "true"}, {"a": "false"}, {"a": True}, {"a": 1}, {"a": "1"}, {"a": {"x"}},
]  # fmt: skip


def _node(value: Any) -> Any:
    """``value`` as cfn-lint's decoder makes it (str_node, dict_node, list_node)."""
    node = cfnlint.decode.node
    if isinstance(value, str):
        return node.str_node(value, None, None)
    if isinstance(value, dict):
        return node.dict_node({k: _node(v) for k, v in value.items()}, None, None)
    if isinstance(value, list):
        return node.list_node([_node(v) for v in value], None, None)
    return value


def test_canonical_equal_is_cfn_lints_equal() -> None:
    equal, cache = cfnlint.jsonschema._utils.equal, dict[int, tuple[Any, Any]]()
    values = _VALUES + [_node(v) for v in _VALUES]
    for one in values:
        for two in values:
            assert lint._canonical_equal(cache, one, two) == bool(equal(one, two)), (one, two)
    assert cache, "nothing was compared by canonical form"
