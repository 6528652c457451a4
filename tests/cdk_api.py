"""aws-cdk-lib's real API, from its jsii assembly, to hold the pack's code spans to it.

The jsii assembly (``.jsii``) describes every class, struct, enum and method of aws-cdk-lib
in TypeScript's names; aws-cdk-lib's Python package ships it. ``problems(snippet)`` walks a
canonical (Python) code span with the translator's own naming (``auditor.fixes.camel``,
``is_struct``) and reports what does not exist in TypeScript: a class, a struct property,
a keyword that is no property of the props struct, a method, an enum member, a struct
written as a class (or the other way round). So it proves the Python form (jsii's Python
names are derived from these) and the TypeScript form at once.
"""

from __future__ import annotations

import ast
import gzip
import importlib.util
import json
import tarfile
from functools import cache
from pathlib import Path
from typing import Any

from auditor.fixes import camel, is_struct

LIB = "aws-cdk-lib"
#: the module aliases the pack writes -> aws-cdk-lib submodules (None: the root, `cdk.`)
MODULES = {
    "apigw": "aws_apigateway",
    "backup": "aws_backup",
    "cdk": None,
    "cloudfront": "aws_cloudfront",
    "cloudwatch": "aws_cloudwatch",
    "cw_actions": "aws_cloudwatch_actions",
    "docdb": "aws_docdb",
    "dynamodb": "aws_dynamodb",
    "ec2": "aws_ec2",
    "ecs": "aws_ecs",
    "elbv2": "aws_elasticloadbalancingv2",
    "iam": "aws_iam",
    "kms": "aws_kms",
    "lambda_": "aws_lambda",
    "logs": "aws_logs",
    "rds": "aws_rds",
    "s3": "aws_s3",
    "secretsmanager": "aws_secretsmanager",
    "sns": "aws_sns",
    "sqs": "aws_sqs",
}
#: variables the pack's snippets call methods on, and the type each stands for
VARIABLES = {
    "alarm": "aws_cloudwatch.Alarm",
    "alb": "aws_elasticloadbalancingv2.ApplicationLoadBalancer",
    "bucket": "aws_s3.Bucket",
    "db": "aws_rds.DatabaseInstance",
    "secret": "aws_secretsmanager.Secret",
    "vpc": "aws_ec2.Vpc",
}


def _jsii_gz() -> bytes:
    spec = importlib.util.find_spec("aws_cdk")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("aws-cdk-lib (Python) is not installed: run `make setup`")
    folder = Path(next(iter(spec.submodule_search_locations))) / "_jsii"
    tgz = next(folder.glob("aws-cdk-lib@*.jsii.tgz"))
    with tarfile.open(tgz) as tar:
        member = tar.extractfile("package/.jsii.gz")
        assert member is not None
        return member.read()


@cache
def types() -> dict[str, Any]:
    return dict(json.loads(gzip.decompress(_jsii_gz()))["types"])


@cache
def struct_properties() -> frozenset[str]:
    """Every property name of every jsii struct: what a bare keyword can be."""
    return frozenset(p["name"] for t in types().values() if t.get("datatype") for p in t.get("properties", []))


def _props(fqn: str) -> set[str]:
    t = types().get(fqn) or {}
    out = {p["name"] for p in t.get("properties", [])}
    for base in t.get("interfaces", []):
        out |= _props(base)
    return out


def _members(fqn: str) -> dict[str, Any]:
    """Methods by name, its bases' too."""
    t = types().get(fqn) or {}
    out = {}
    for base in [t.get("base"), *t.get("interfaces", [])]:
        if base:
            out.update(_members(base))
    out.update({m["name"]: m for m in t.get("methods", [])})
    return out


def _fqn(module: str | None, name: str) -> str:
    return f"{LIB}.{module}.{name}" if module else f"{LIB}.{name}"


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def say(self, text: str) -> None:
        self.problems.append(text)

    # -- what an expression is: ("module", alias) | ("type", fqn) | ("value", fqn or None)
    def kind(self, node: ast.expr) -> tuple[str, str | None]:
        if isinstance(node, ast.Name):
            if node.id in MODULES:
                return "module", node.id
            if node.id[:1].isupper() and _fqn(None, node.id) in types():
                return "type", _fqn(None, node.id)
            if node.id in VARIABLES:
                return "value", f"{LIB}.{VARIABLES[node.id]}"
            return "value", None
        if isinstance(node, ast.Attribute):
            base, what = self.kind(node.value)
            if base == "module":
                fqn = _fqn(MODULES[str(what)], node.attr)
                if fqn not in types():
                    self.say(f"{ast.unparse(node)}: no {fqn}")
                    return "value", None
                return "type", fqn
            if base == "type" and what is not None:
                t = types()[what]
                if t["kind"] == "enum":
                    if node.attr not in {m["name"] for m in t.get("members", [])}:
                        self.say(f"{ast.unparse(node)}: no member {node.attr} in {what}")
                    return "value", None
                name = camel(node.attr)
                static = {p["name"]: p for p in t.get("properties", []) if p.get("static")}
                if name in static:
                    return "value", static[name]["type"].get("fqn")
                if name not in _members(what) and f"{what}.{node.attr}" not in types():
                    self.say(f"{ast.unparse(node)}: no static {name} on {what}")
                return "value", None
            if base == "value" and what is not None:
                name = camel(node.attr)
                props = {p["name"]: p for p in types().get(what, {}).get("properties", [])}
                for b in [types()[what].get("base"), *types()[what].get("interfaces", [])]:
                    props.update({p["name"]: p for p in (types().get(b or "") or {}).get("properties", [])})
                if name in props:
                    return "value", props[name]["type"].get("fqn")
                if name not in _members(what):
                    self.say(f"{ast.unparse(node)}: no {name} on {what}")
            return "value", None
        if isinstance(node, ast.Call):
            return self.call(node)
        self.visit_values(node)
        return "value", None

    def visit_values(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.kind(child)

    def keywords(self, keywords: list[ast.keyword], props_fqn: str | None, where: str) -> None:
        allowed = _props(props_fqn) if props_fqn else set()
        for k in keywords:
            self.kind(k.value)
            if k.arg is None:
                continue
            if props_fqn is None:
                self.say(f"{where}: takes no props, but {k.arg}= was given")
            elif camel(k.arg) not in allowed:
                self.say(f"{where}: {camel(k.arg)} is not a property of {props_fqn}")

    @staticmethod
    def _last_struct(params: list[dict[str, Any]]) -> str | None:
        if not params:
            return None
        fqn = params[-1].get("type", {}).get("fqn")
        return fqn if fqn and types().get(fqn, {}).get("datatype") else None

    def call(self, node: ast.Call) -> tuple[str, str | None]:
        where = ast.unparse(node)
        for a in node.args:
            self.kind(a)
        if (isinstance(node.func, ast.Attribute) and self.kind(node.func.value)[0] == "module") or (
            isinstance(node.func, ast.Name) and node.func.id[:1].isupper()
        ):
            kind, fqn = self.kind(node.func)
            if kind != "type" or fqn is None:
                return "value", None
            t = types()[fqn]
            if is_struct(fqn.rsplit(".", 1)[1]) != bool(t.get("datatype")):
                self.say(f"{where}: {fqn} is {'a struct' if t.get('datatype') else 'a class'}, rendered otherwise")
            if t.get("datatype"):
                self.keywords(node.keywords, fqn, where)
                return "value", fqn
            params = (t.get("initializer") or {}).get("parameters", [])
            self.keywords(node.keywords, self._last_struct(params), where)
            return "value", fqn
        if isinstance(node.func, ast.Attribute):
            kind, owner = self.kind(node.func.value)
            if owner is None or kind == "module":
                self.keywords(node.keywords, None, where) if node.keywords else None
                return "value", None
            method = _members(owner).get(camel(node.func.attr))
            if method is None:
                self.say(f"{where}: no method {camel(node.func.attr)} on {owner}")
                return "value", None
            params = method.get("parameters", [])
            if len(node.args) > len(params):
                self.say(f"{where}: {len(node.args)} arguments, {owner}.{method['name']} takes {len(params)}")
            self.keywords(node.keywords, self._last_struct(params), where) if node.keywords else None
            return "value", (method.get("returns") or {}).get("type", {}).get("fqn")
        self.visit_values(node)
        return "value", None


def problems(snippet: str) -> list[str]:
    """What in one canonical code span is not aws-cdk-lib's API (empty when all of it is)."""
    checker = _Checker()
    text = snippet.strip()
    try:
        node = ast.parse(text, mode="eval").body
        parts: list[ast.expr | ast.keyword] = list(node.elts) if isinstance(node, ast.Tuple) else [node]
    except SyntaxError:
        try:
            call = ast.parse(f"_({text})", mode="eval").body
        except SyntaxError:
            return []  # not code: prose, a CLI command, a CloudFormation name
        assert isinstance(call, ast.Call)
        parts = [*call.args, *call.keywords]
    for part in parts:
        if isinstance(part, ast.keyword):  # `log_group=...`: a property of some struct
            if part.arg and camel(part.arg) not in struct_properties():
                checker.say(f"{snippet}: {camel(part.arg)} is no property of any aws-cdk-lib struct")
            checker.kind(part.value)
        elif (isinstance(part, ast.Name) and part.id not in MODULES and "_" in part.id) or (
            isinstance(part, ast.Name) and part.id.islower() and len(part.id) > 2
        ):
            if camel(part.id) not in struct_properties():  # a bare property name: `retention`
                checker.say(f"{snippet}: {camel(part.id)} is no property of any aws-cdk-lib struct")
        else:
            checker.kind(part)
    return checker.problems
