"""Fixes in the app's language: the code in a message or a remediation, rendered as the
app's author writes it.

Checks write their messages and remediations once, in one canonical form: prose with the
code marked by backticks, the code in CDK's Python form
(`` `log_group=logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_YEAR)` ``).
``render(text, "typescript")`` rewrites each code span into CDK's TypeScript form
(`` `logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR })` ``);
the Python form is the canonical text itself.

jsii derives the Python API from the TypeScript one mechanically, so the way back is too:

- keyword arguments are the properties of the props struct a constructor or method takes
  last: ``f(a, b_c=1)`` -> ``f(a, { bC: 1 })``;
- a class's constructor is called with ``new`` (``self`` -> ``this``), while a struct (a jsii
  data type, an interface in TypeScript) is an object literal: ``s3.ReplicationRule(priority=1)``
  -> ``{ priority: 1 }``. Structs are told from classes by ``STRUCTS`` (every one the pack
  names) and by the suffixes jsii's structs carry (``Props``, ``Options``, …);
- snake_case names (variables, methods, properties) become camelCase; CapWords (classes) and
  UPPER_CASE (enum members, constants) stay; module aliases (a name before a class:
  ``cw_actions.SnsAction``) stay, less jsii's underscores (``lambda_.Code`` -> ``lambda.Code``);
- ``True``/``False``/``None`` -> ``true``/``false``/``undefined``; strings take single quotes.

A span that is not such code (``0.0.0.0/0``, ``cdk synth``, ``AWS::S3::Bucket``, ``execute-api``)
is left as it is: only spans that parse as Python built from calls, names, attributes,
keywords, literals, lists and dicts are rewritten, and a span with anything else in it keeps
its canonical form whole rather than half translated.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Final

PYTHON: Final = "python"
TYPESCRIPT: Final = "typescript"

#: a code span: backticks around one line of text
CODE_SPAN = re.compile(r"`([^`\n]+)`")

#: jsii data types (TypeScript interfaces) the check pack calls like classes in Python
STRUCTS = frozenset(
    {
        "BackupProps",
        "DeadLetterQueue",
        "DeploymentCircuitBreaker",
        "DomainNameOptions",
        "Environment",
        "HealthCheck",
        "MTLSConfig",
        "PointInTimeRecoverySpecification",
        "ReplicaTableProps",
        "ReplicationRule",
        "SubnetConfiguration",
        "SubnetSelection",
    }
)
#: name endings only jsii data types have in aws-cdk-lib
_STRUCT_SUFFIXES = ("Props", "Options", "Attributes", "Config", "Configuration", "Specification", "Settings")

#: TypeScript names the mechanical rule cannot recover (jsii lower-cases a run of capitals)
CAMEL_EXCEPTIONS = {
    "memory_limit_mib": "memoryLimitMiB",
    "memory_reservation_mib": "memoryReservationMiB",
    "redirect_http": "redirectHTTP",
    "enforce_ssl": "enforceSSL",
}

_UPPER = re.compile(r"^[A-Z][A-Z0-9_]*$")


class _Unsupported(Exception):
    """Code the translator does not know: the span keeps its canonical form."""


def render(text: str, language: str | None) -> str:
    """``text`` with its code spans in ``language``'s form; canonical (Python) otherwise."""
    if language != TYPESCRIPT or "`" not in text:
        return text
    return CODE_SPAN.sub(lambda m: f"`{to_typescript(m.group(1))}`", text)


def code_spans(text: str) -> list[str]:
    return CODE_SPAN.findall(text)


def to_typescript(snippet: str) -> str:
    """One code span in TypeScript; the span itself when it is not code we translate."""
    try:
        return _TypeScript().snippet(snippet)
    except (_Unsupported, SyntaxError, ValueError, RecursionError):
        return snippet


def camel(name: str) -> str:
    """A Python name as TypeScript spells it: ``add_flow_log`` -> ``addFlowLog``,
    ``lambda_`` -> ``lambda``; ``ONE_YEAR`` and ``LogGroup`` unchanged."""
    if name in CAMEL_EXCEPTIONS:
        return CAMEL_EXCEPTIONS[name]
    if _UPPER.match(name):
        return name  # an enum member or a constant
    core = name.strip("_")
    if not core:
        return name
    if core[0].isupper():
        return core  # a class
    head, *rest = core.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def is_struct(class_name: str) -> bool:
    return class_name in STRUCTS or class_name.endswith(_STRUCT_SUFFIXES)


def _class_name(func: ast.expr) -> str | None:
    """The class a call constructs (``s3.Bucket`` -> ``Bucket``); None for a function or method."""
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    return name if name and name[0].isupper() and not _UPPER.match(name) else None


class _TypeScript:
    def snippet(self, text: str) -> str:
        text = text.strip()
        try:
            node = ast.parse(text, mode="eval").body
        except SyntaxError:
            pass
        else:
            if isinstance(node, ast.Tuple) and not text.startswith("("):  # `a, b`: two names, not a tuple
                return ", ".join(self.expr(e) for e in node.elts)
            return self.expr(node)
        # keyword fragments: `log_group=logs.LogGroup(...)`, `a=1, b=2`, `cpu, memory_limit_mib`
        call = ast.parse(f"_({text})", mode="eval").body
        assert isinstance(call, ast.Call)
        parts = [self.expr(a) for a in call.args] + [self.keyword(k) for k in call.keywords]
        return ", ".join(parts)

    def keyword(self, k: ast.keyword) -> str:
        if k.arg is None:
            raise _Unsupported("**kwargs")
        return f"{camel(k.arg)}: {self.expr(k.value)}"

    def props(self, keywords: list[ast.keyword]) -> str:
        return "{ " + ", ".join(self.keyword(k) for k in keywords) + " }" if keywords else "{}"

    def expr(self, node: ast.expr) -> str:
        handler: Callable[[ast.expr], str] | None = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            raise _Unsupported(type(node).__name__)
        return handler(node)

    def _Constant(self, node: ast.expr) -> str:
        assert isinstance(node, ast.Constant)
        value = node.value
        if value is True or value is False:
            return "true" if value else "false"
        if value is None:
            return "undefined"
        if value is Ellipsis:
            return "..."
        if isinstance(value, str):
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        if isinstance(value, int | float):
            return repr(value)
        raise _Unsupported(repr(value))

    def _Name(self, node: ast.expr) -> str:
        assert isinstance(node, ast.Name)
        return "this" if node.id == "self" else camel(node.id)

    def _Attribute(self, node: ast.expr) -> str:
        assert isinstance(node, ast.Attribute)
        if isinstance(node.value, ast.Name) and node.attr[:1].isupper():
            # `cw_actions.SnsAction`, `lambda_.Code`: a module alias, named as in the import
            return f"{node.value.id.strip('_') or node.value.id}.{node.attr}"
        return f"{self.expr(node.value)}.{camel(node.attr)}"

    def _Call(self, node: ast.expr) -> str:
        assert isinstance(node, ast.Call)
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise _Unsupported("*args")
        args = [self.expr(a) for a in node.args]
        cls = _class_name(node.func)
        if cls is not None and is_struct(cls):
            if args:
                raise _Unsupported(f"{cls} takes no positional arguments")
            return self.props(node.keywords)
        if node.keywords:
            args.append(self.props(node.keywords))
        call = f"{self.expr(node.func)}({', '.join(args)})"
        return f"new {call}" if cls is not None else call

    def _List(self, node: ast.expr) -> str:
        assert isinstance(node, ast.List | ast.Tuple)
        return "[" + ", ".join(self.expr(e) for e in node.elts) + "]"

    _Tuple = _List

    def _Dict(self, node: ast.expr) -> str:
        assert isinstance(node, ast.Dict)
        items = []
        for k, v in zip(node.keys, node.values, strict=True):
            if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                raise _Unsupported("a dict key that is not a string")
            key = k.value if k.value.isidentifier() else self.expr(k)
            items.append(f"{key}: {self.expr(v)}")
        return "{ " + ", ".join(items) + " }" if items else "{}"

    def _UnaryOp(self, node: ast.expr) -> str:
        assert isinstance(node, ast.UnaryOp)
        if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            return "-" + self.expr(node.operand)
        raise _Unsupported("operator")
