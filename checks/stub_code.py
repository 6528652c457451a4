"""E9107 stub-code: Lambda functions whose inline code is a placeholder that does nothing."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator, Mapping

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import construct_path, is_cdk_helper
from auditor.resolve import TemplateIndex, index, literal, properties, target
from auditor.rule import AuditRule

FUNCTION = "AWS::Lambda::Function"
#: construct-path segments of CDK's own functions that carry inline code (beyond is_cdk_helper)
_CDK_INLINE = re.compile(r"(^|/)(DrainECSHook|BucketNotificationsHandler[0-9a-fA-F]{32})(/|$)")
#: ``logger.info(...)``, ``logging.warning(...)``, ``log.debug(...)``: logging, not work
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
_MODULE_SETUP = _LOG_METHODS | {"setLevel", "basicConfig", "addHandler", "getLogger"}
#: calls that only format or read values; they may appear in a stub's log lines and bindings
_PURE_CALLS = frozenset({"str", "repr", "len", "dumps", "loads", "format", "get", "getLogger", "upper", "lower"})
#: a TODO that says the implementation is missing (bare, or "TODO: implement ..."); upper case,
#: so that a to-do app's strings and names ("todo", "Todo") are not placeholders
_TODO = r"(?-i:\b(?:TODO|FIXME)\b)(?:[\s:.,-]*$|[\s:.,-]+implement)"


def _marker_pattern(markers: list[str]) -> re.Pattern[str] | None:
    parts = [f"(?:{m})" for m in markers if m]
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


# -- Python --------------------------------------------------------------------------------


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_logging(node: ast.AST) -> bool:
    """``print(...)`` or ``<logger>.info(...)`` whose arguments only format values."""
    if not isinstance(node, ast.Call):
        return False
    name = _call_name(node)
    is_log = (isinstance(node.func, ast.Name) and name == "print") or (
        isinstance(node.func, ast.Attribute) and name in _LOG_METHODS
    )
    return is_log and all(_pure(a) for a in [*node.args, *(k.value for k in node.keywords)])


def _pure(node: ast.AST) -> bool:
    """An expression without effects: names, constants, subscripts, formatting, ``.get``."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and _call_name(sub) not in _PURE_CALLS:
            return False
        if isinstance(sub, ast.Await | ast.Yield | ast.YieldFrom | ast.NamedExpr | ast.Lambda):
            return False
    return True


def _constant(node: ast.AST | None) -> bool:
    """``None``, a literal, or literals wrapped in ``json.dumps``/``str`` (a canned response)."""
    if node is None:
        return True
    if isinstance(node, ast.Call):
        return _call_name(node) in ("dumps", "str") and all(_constant(a) for a in node.args) and not node.keywords
    if isinstance(node, ast.Dict):
        return all(k is not None and _constant(k) for k in node.keys) and all(_constant(v) for v in node.values)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return all(_constant(e) for e in node.elts)
    if isinstance(node, ast.UnaryOp):
        return _constant(node.operand)
    return isinstance(node, ast.Constant)


class _PythonModule:
    """What a Python module's functions do, judged from its syntax tree alone."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.functions = {
            n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        self._verdicts: dict[str, bool] = {}

    def inert_module(self) -> bool:
        """Top-level code that only sets up: imports, definitions, assignments, logging setup."""
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef
                         | ast.Assign | ast.AnnAssign | ast.Pass):
                continue
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # the module docstring
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and (
                _call_name(stmt.value) in _MODULE_SETUP or _is_logging(stmt.value)
            ):
                continue
            return False
        return True

    def does_nothing(self, name: str) -> bool:
        """The function only logs, binds values, branches, raises, calls other such functions
        of the module and returns nothing or a constant."""
        if name not in self._verdicts:
            self._verdicts[name] = False  # recursion: not proven idle
            self._verdicts[name] = self._idle_body(self.functions[name].body)
        return self._verdicts[name]

    def _idle_body(self, body: list[ast.stmt]) -> bool:
        return all(self._idle(stmt) for stmt in body)

    def _idle(self, stmt: ast.stmt) -> bool:
        if isinstance(stmt, ast.Pass):
            return True
        if isinstance(stmt, ast.Expr):
            value = stmt.value
            if isinstance(value, ast.Constant):
                return True  # a docstring or ``...``
            return _is_logging(value) or self._calls_idle_function(value)
        if isinstance(stmt, ast.Return):
            return _constant(stmt.value) or self._calls_idle_function(stmt.value)
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            return all(isinstance(t, ast.Name) for t in targets) and stmt.value is not None and _pure(stmt.value)
        if isinstance(stmt, ast.If):
            return _pure(stmt.test) and self._idle_body(stmt.body) and self._idle_body(stmt.orelse)
        if isinstance(stmt, ast.Raise):
            exc = stmt.exc
            if isinstance(exc, ast.Call) and (_call_name(exc) or "").endswith(("Error", "Exception")):
                return all(_pure(a) for a in exc.args)  # raising an error is not doing work
            return exc is None or _pure(exc)
        return False

    def _calls_idle_function(self, node: ast.AST | None) -> bool:
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            return False
        name = node.func.id
        args = [*node.args, *(k.value for k in node.keywords)]
        return name in self.functions and all(_pure(a) for a in args) and self.does_nothing(name)

    def said_strings(self) -> Iterator[str]:
        """Strings the code says rather than checks: docstrings, returned values, log lines."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Module):
                doc = ast.get_docstring(node)
                if doc:
                    yield doc
            elif (isinstance(node, ast.Return) and node.value is not None) or _is_logging(node):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        yield sub.value


def _comments(code: str) -> Iterator[str]:
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.COMMENT:
                yield tok.string.lstrip("#").strip()
    except (tokenize.TokenError, SyntaxError):
        return


def python_stub(code: str, handler: str | None, markers: re.Pattern[str] | None) -> str | None:
    """Why ``code`` (a Python module) is a stub, or None. Code that does not parse is not judged."""
    try:
        module = _PythonModule(ast.parse(code))
    except (SyntaxError, ValueError):
        return None
    if markers is not None:
        for text in [*_comments(code), *module.said_strings()]:
            for line in text.splitlines():
                m = markers.search(line.strip())
                if m:
                    return f"placeholder {m.group(0).strip()!r}"
    names = [handler] if handler else list(module.functions)
    if not names or any(n not in module.functions for n in names) or not module.inert_module():
        return None  # the handler comes from elsewhere (an import, a factory): cannot be judged
    if all(module.does_nothing(n) for n in names):
        return "only logs and returns a constant"
    return None


# -- Node.js -------------------------------------------------------------------------------


class _JsLiteral:
    """A recursive-descent reader of a JavaScript literal: objects, arrays, strings (no
    interpolation), numbers, booleans, null, and ``JSON.stringify(<literal>)``."""

    _NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
    _IDENT = re.compile(r"[A-Za-z_$][\w$]*")

    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def read(self) -> bool:
        """True when the whole text is one literal."""
        try:
            self._value()
            self._space()
            return self.pos == len(self.text)
        except ValueError:
            return False

    def _space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _eat(self, token: str) -> bool:
        self._space()
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def _value(self) -> None:
        self._space()
        if self.pos >= len(self.text):
            raise ValueError("end")
        ch = self.text[self.pos]
        if ch == "{":
            self._sequence("{", "}", keyed=True)
        elif ch == "[":
            self._sequence("[", "]", keyed=False)
        elif ch in "'\"`":
            self._string()
        elif self._eat("JSON.stringify("):
            self._value()
            if not self._eat(")"):
                raise ValueError("call")
        elif m := self._NUMBER.match(self.text, self.pos):
            self.pos = m.end()
        elif m := self._IDENT.match(self.text, self.pos):
            if m.group(0) not in ("true", "false", "null", "undefined"):
                raise ValueError("identifier")
            self.pos = m.end()
        else:
            raise ValueError(ch)

    def _sequence(self, open_: str, close: str, keyed: bool) -> None:
        self._eat(open_)
        while not self._eat(close):
            if keyed:
                self._space()
                if self.pos < len(self.text) and self.text[self.pos] in "'\"":
                    self._string()
                elif m := self._IDENT.match(self.text, self.pos):
                    self.pos = m.end()
                else:
                    raise ValueError("key")
                if not self._eat(":"):
                    raise ValueError("colon")
            self._value()
            if not self._eat(",") and not self.text.startswith(close, self._peek()):
                raise ValueError("separator")

    def _peek(self) -> int:
        self._space()
        return self.pos

    def _string(self) -> None:
        quote = self.text[self.pos]
        end = self.pos + 1
        while end < len(self.text) and self.text[end] != quote:
            if self.text[end] == "\\":
                end += 1
            elif quote == "`" and self.text.startswith("${", end):
                raise ValueError("interpolation")
            end += 1
        if end >= len(self.text):
            raise ValueError("unterminated")
        self.pos = end + 1


def _js_block(text: str, start: int) -> str | None:
    """The text between the brace at ``start`` and its partner (strings and comments skipped)."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch in "'\"`":
            i += 1
            while i < len(text) and text[i] != ch:
                i += 2 if text[i] == "\\" else 1
        elif text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                return None
        elif text.startswith("/*", i):
            i = text.find("*/", i)
            if i < 0:
                return None
            i += 1
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
        i += 1
    return None


_JS_LOG = re.compile(r"^console\.(?:log|info|warn|error|debug)\((?P<args>.*)\)$", re.DOTALL)
_JS_RETURN = re.compile(r"^return\s*(?P<value>.+)$", re.DOTALL)
_JS_CALLBACK = re.compile(r"^callback\(\s*null\s*,(?P<value>.+)\)$", re.DOTALL)


def _js_statements(body: str) -> list[str] | None:
    """The top-level statements of a function body split at ``;`` and line ends, or None when
    it holds anything but simple statements (blocks, comments, template strings)."""
    if re.search(r"//|/\*|\$\{", body):
        return None
    out, depth, current = [], 0, ""
    quote = ""
    for ch in body:
        if quote:
            current += ch
            quote = "" if ch == quote and not current.endswith("\\" + ch) else quote
            continue
        if ch in "'\"`":
            quote = ch
        elif ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        if depth == 0 and ch in ";\n":
            if current.strip():
                out.append(current.strip())
            current = ""
            continue
        current += ch
    if current.strip():
        out.append(current.strip())
    return out


def node_stub(code: str, handler: str | None) -> str | None:
    """Why the exported handler of ``code`` (Node.js) is a stub: it only logs and returns a constant."""
    name = re.escape(handler or "handler")
    header = re.search(
        rf"(?:(?:module\.)?exports\.{name}|export\s+const\s+{name})\s*=\s*(?:async\s*)?"
        rf"(?:function\s*\w*\s*\([^)]*\)|\([^)]*\)\s*=>|\w+\s*=>)\s*"
        rf"|export\s+(?:async\s+)?function\s+{name}\s*\([^)]*\)\s*",
        code,
    )
    if header is None:
        return None
    rest = code[header.end():]
    if not rest.startswith("{"):  # an arrow with an expression body: ``=> ({statusCode: 200})``
        expr = rest.split(";", 1)[0].strip()
        if expr.startswith("(") and expr.endswith(")"):
            expr = expr[1:-1]
        return "handler returns a constant" if _JsLiteral(expr).read() else None
    body = _js_block(code, header.end())
    statements = _js_statements(body) if body is not None else None
    if not statements:
        return None
    returned = False
    for st in statements:
        if _JS_LOG.match(st):
            continue
        m = _JS_RETURN.match(st) or _JS_CALLBACK.match(st)
        if m and _JsLiteral(m.group("value")).read():
            returned = True
            continue
        return None
    return "handler returns a constant" if returned else None


# -- the check -----------------------------------------------------------------------------


class StubCode(AuditRule):
    """Lambda functions whose inline code is a stub: it does nothing but log and answer a constant.

    ## What it does
    Reads the inline code of every `AWS::Lambda::Function` (`lambda_.Code.from_inline(...)`,
    i.e. `Code.ZipFile`, a literal or an `Fn::Join` of literals) and reports it when it is
    a stub:

    - Python runtimes, parsed with `ast`: the handler named by `Handler` (`index.handler`),
      and every module function it calls, only logs (`print`, `logger.info`), binds or
      tests values, raises, and returns nothing or a constant (`return {"statusCode": 200}`,
      also wrapped in `json.dumps`), with no other top-level work than imports,
      assignments and logging setup. This covers a secret-rotation function whose
      `createSecret`/`setSecret`/`testSecret`/`finishSecret` steps do nothing. Code that
      says it is a placeholder is reported whatever it does: a match of
      `markers` in a comment, a docstring, a returned value or a log line (a string in a
      `raise` is an error path of real code, and does not count).
    - Node.js runtimes, without a JavaScript parser: only an exported handler
      (`exports.handler = async (event) => {...}`) whose body is nothing but `console`
      calls and `return <literal>` (or `callback(null, <literal>)`).

    Code that does not parse, a handler the module does not define itself (an import, a
    factory), other runtimes and code in assets are not judged. CDK's own functions
    (`auditor.incidental.is_cdk_helper`, and the inline handlers CDK writes itself, such
    as the S3 bucket-notifications handler) are never reported.

    ## Why is this bad?
    A stub deploys, passes every health check that only asks whether the function runs,
    and does nothing: the API answers `200` to every card authorization, the queue is
    drained into the void, the secret "rotates" every 30 days and keeps its password
    forever. Nothing fails until someone relies on it.

    ## Example
    ```python
    lambda_.Function(self, "Refunds", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler",
                     code=lambda_.Code.from_inline(
                         "def handler(event, context):\\n    # TODO\\n    return {'statusCode': 200}\\n"))
    ```

    ## Use instead
    ```python
    lambda_.Function(self, "Refunds", runtime=lambda_.Runtime.PYTHON_3_13, handler="refunds.handler",
                     code=lambda_.Code.from_asset("src/refunds"))  # the real, tested handler
    ```

    ## Options
    - `markers` (list of strings, default: a bare `TODO`/`FIXME` or `TODO: implement …`
      in upper case, `add your … here`, `your code here`, `not (yet) implemented`,
      `implement me`, `replace this with`): regular expressions (case-insensitive, unless
      they say otherwise) that mark code as a placeholder. An empty list turns markers off.

    ## References
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_lambda/Code.html#aws_cdk.aws_lambda.Code.from_inline
    - https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html
    """

    id = "E9107"
    slug = "stub-code"
    severity_level = Severity.ERROR
    shortdesc = "Lambda functions do not ship inline stub code"
    description = (
        "Inline Lambda code (Code.ZipFile) whose handler only logs and returns a constant, or that "
        "says it is a placeholder (TODO, 'add your code here', 'not implemented')."
    )
    source_url = "https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_lambda/Code.html"
    tags = ["lambda", "compute", "readiness"]
    remediation = "Replace the inline stub with the real handler, e.g. `lambda_.Code.from_asset(\"src/handler\")`."
    config_spec = {
        "markers": {
            "type": "list",
            "itemtype": "string",
            "default": [
                _TODO,
                r"\badd your\b.{0,40}\bhere\b",
                r"\byour code (?:goes )?here\b",
                r"\bnot (?:yet )?implemented\b",
                r"\bimplement me\b",
                r"\breplace (?:this|me) with\b",
            ],
            "help": "regexes (case-insensitive) marking code as a placeholder; empty: off",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        markers = _marker_pattern(list(self.config["markers"]))
        rotators = _rotation_functions(idx)
        out: list[RuleMatch] = []
        for lid, res in idx.of_type(FUNCTION):
            path = construct_path(res) or ""
            if is_cdk_helper(lid, res) or _CDK_INLINE.search(path):
                continue
            props = properties(res)
            code = props.get("Code")
            inline = literal(code.get("ZipFile")) if isinstance(code, Mapping) else None
            runtime = literal(props.get("Runtime"))
            if not isinstance(inline, str) or not isinstance(runtime, str):
                continue
            handler = literal(props.get("Handler"))
            name = handler.rsplit(".", 1)[-1] if isinstance(handler, str) and "." in handler else None
            if runtime.startswith("python"):
                why = python_stub(inline, name, markers)
            elif runtime.startswith("nodejs"):
                why = node_stub(inline, name)
            else:
                continue
            if why is None:
                continue
            at: list[str | int] = ["Resources", lid, "Properties", "Code", "ZipFile"]
            if lid in rotators:
                out.append(self.finding(at, f"Rotation function is a stub ({why}), so the secret never "
                                            "rotates; write its steps"))
            else:
                out.append(self.finding(at, f"Inline code is a stub ({why}); ship the real handler "
                                            "(`lambda_.Code.from_asset(\"src/handler\")`)"))
        return out


def _rotation_functions(idx: TemplateIndex) -> set[str]:
    """Functions a Secrets Manager rotation schedule invokes."""
    return {
        t
        for _, res in idx.of_type("AWS::SecretsManager::RotationSchedule")
        if (t := target(properties(res).get("RotationLambdaARN")))
    }
