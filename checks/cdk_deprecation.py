"""Deprecated CDK APIs the app used during synth (jsii's ``[WARNING] … is deprecated``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from auditor.assembly import Assembly
from auditor.findings import AssemblyMatch, Severity
from auditor.rule import AuditRule

#: ``aws-cdk-lib.aws_lambda.FunctionOptions#logRetention is deprecated``
_API = re.compile(r"(?P<lib>[\w@/-]+)\.(?:(?P<module>\w+)\.)?(?P<type>\w+)(?:#(?P<member>\w+))?\s+is deprecated")


def _tree_nodes(assembly: Assembly) -> Iterator[tuple[str, dict[str, Any]]]:
    tree = assembly.directory / "tree.json" if assembly.directory else None
    if tree is None or not tree.is_file():
        return
    try:
        root = json.loads(tree.read_text(encoding="utf-8")).get("tree", {})
    except (OSError, ValueError):
        return
    stack = [root]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        yield str(node.get("path", "")), node
        children = node.get("children")
        if isinstance(children, dict):
            stack.extend(children.values())


def _constructs_using(assembly: Assembly, module: str | None, type_name: str, member: str | None) -> list[str]:
    """Construct paths that most likely used the deprecated API.

    ``FunctionOptions#logRetention`` is a prop of ``Function``: the candidates are the
    constructs of that class; those with a child named after the member (CDK creates
    ``LogRetention`` for ``logRetention``) are preferred.
    """
    cls = re.sub(r"(Props|Options|Attributes)$", "", type_name)
    fqn = f"aws-cdk-lib.{module}.{cls}" if module else f"aws-cdk-lib.{cls}"
    candidates = [
        (p, n) for p, n in _tree_nodes(assembly) if (n.get("constructInfo") or {}).get("fqn") == fqn
    ]
    if member:
        child = member[:1].upper() + member[1:]
        with_child = [p for p, n in candidates if child in (n.get("children") or {})]
        if with_child:
            return sorted(with_child)
    return sorted(p for p, _ in candidates) if len(candidates) == 1 else []


class CdkDeprecation(AuditRule):
    """The app used a deprecated CDK API during synth.

    ## What it does
    Turns each `[WARNING] … is deprecated` line that `cdk synth` printed into a finding,
    located at the construct that used the API where the cloud assembly's `tree.json`
    says which one (for example the function whose `log_retention` created a
    `LogRetention` child); otherwise it is reported for the app as a whole.

    ## Why is this bad?
    Deprecated APIs are removed in the next major release and often have a better
    replacement today: `log_retention` creates an extra Lambda function and a custom
    resource per stack, where `log_group` is a plain, owned log group.

    ## Example
    ```python
    lambda_.Function(self, "Authorize", ..., log_retention=logs.RetentionDays.ONE_WEEK)
    ```

    ## Use instead
    ```python
    group = logs.LogGroup(self, "AuthorizeLogs", retention=logs.RetentionDays.ONE_YEAR)
    lambda_.Function(self, "Authorize", ..., log_group=group)
    ```

    ## Options
    None. Only `cdk-audit run` sees synth's output; `scan` has no synth to read.

    ## References
    - https://docs.aws.amazon.com/cdk/v2/guide/deprecated-apis.html
    """

    id = "W9903"
    slug = "cdk-deprecation"
    severity_level = Severity.WARNING
    shortdesc = "A deprecated CDK API was used during synth"
    description = "jsii deprecation warnings printed by cdk synth, located at the construct where possible."
    source_url = "https://docs.aws.amazon.com/cdk/v2/guide/deprecated-apis.html"
    tags = ["cdk", "deprecation"]
    remediation = "Move to the replacement the warning names (e.g. `log_group` instead of `log_retention`)."

    def match_assembly(self, assembly: Assembly) -> list[AssemblyMatch]:
        out: list[AssemblyMatch] = []
        for warning in dict.fromkeys(assembly.synth_warnings):
            if "deprecated" not in warning:
                continue
            m = _API.search(warning)
            paths = _constructs_using(assembly, m["module"], m["type"], m["member"]) if m else []
            found = 0
            for cpath in paths:
                located = assembly.locate(cpath) if cpath else None  # "" is the App itself
                if located is None:
                    continue
                stack, lid = located
                out.append(AssemblyMatch(stack.name, ["Resources", lid] if lid else [], warning, cpath))
                found += 1
            if not found:  # about the app as a whole, or no construct can be tied to it
                out.append(AssemblyMatch("", [], warning))
        return out
