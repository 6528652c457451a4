"""Deprecated CDK APIs the app used during synth (jsii's ``[WARNING] … is deprecated``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from auditor.assembly import Assembly
from auditor.findings import AssemblyMatch, Severity
from auditor.jsonfile import JsonFileError, read_json
from auditor.rule import AuditRule
from auditor.source import Frame, SourceLocation

#: how much of the user's code the search for a deprecated call reads
MAX_FILES, MAX_FILE_BYTES = 500, 1024 * 1024
_COMMENT = ("#", "//", "*", "/*")

#: ``aws-cdk-lib.aws_lambda.FunctionOptions#logRetention is deprecated``
_API = re.compile(r"(?P<lib>[\w@/-]+)\.(?:(?P<module>\w+)\.)?(?P<type>\w+)(?:#(?P<member>\w+))?\s+is deprecated")


def _tree_nodes(assembly: Assembly) -> Iterator[tuple[str, dict[str, Any]]]:
    if assembly.directory is None:
        return
    try:  # never outside the assembly (the loader reports a tree.json that links out)
        data = read_json(assembly.directory / "tree.json", root=assembly.directory)
    except (OSError, JsonFileError):
        return
    stack = [data.get("tree") if isinstance(data, dict) else None]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        yield str(node.get("path", "")), node
        children = node.get("children")
        if isinstance(children, dict):
            stack.extend(children.values())


def _fqn(node: dict[str, Any]) -> Any:
    info = node.get("constructInfo")
    return info.get("fqn") if isinstance(info, dict) else None


def _constructs_using(assembly: Assembly, module: str | None, type_name: str, member: str | None) -> list[str]:
    """Construct paths that most likely used the deprecated API.

    ``FunctionOptions#logRetention`` is a prop of ``Function``: the candidates are the
    constructs of that class; those with a child named after the member (CDK creates
    ``LogRetention`` for ``logRetention``) are preferred.
    """
    cls = re.sub(r"(Props|Options|Attributes)$", "", type_name)
    fqn = f"aws-cdk-lib.{module}.{cls}" if module else f"aws-cdk-lib.{cls}"
    candidates = [(p, n) for p, n in _tree_nodes(assembly) if _fqn(n) == fqn]
    if member:
        child = member[:1].upper() + member[1:]
        with_child = [p for p, n in candidates if isinstance(n.get("children"), dict) and child in n["children"]]
        if with_child:
            return sorted(with_child)
    return sorted(p for p, _ in candidates) if len(candidates) == 1 else []


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def use_pattern(type_name: str, member: str | None) -> re.Pattern[str]:
    """How the deprecated API is written in the user's code, in Python's and TypeScript's
    spelling: ``MachineImage.latest_amazon_linux`` / ``MachineImage.latestAmazonLinux``, a
    prop as a keyword (``log_retention=``) or a key (``logRetention:``), a class by its call."""
    if member is None:
        return re.compile(rf"\b{re.escape(type_name)}\s*\(")
    names = "|".join(sorted({re.escape(member), re.escape(_snake(member))}))
    if re.search(r"(Props|Options|Attributes)$", type_name):
        return re.compile(rf"\b(?:{names})\s*[=:](?!=)")
    return re.compile(rf"\b{re.escape(type_name)}\s*\.\s*(?:{names})\b")


def _source_uses(assembly: Assembly, type_name: str, member: str | None) -> list[SourceLocation]:
    """Each line of the user's code that writes the deprecated API. Only the files CDK's
    creation stacks pass through are read: they are the app's own code (no dependency, no
    test, no docs that merely mention the API), and a bounded set."""
    root = assembly.sources.root
    if root is None:
        return []
    pattern = use_pattern(type_name, member)
    out: dict[tuple[str, int], SourceLocation] = {}
    for rel in assembly.sources.files()[:MAX_FILES]:
        path = root / rel
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            m = pattern.search(line)
            if m and not line.lstrip().startswith(_COMMENT) and (rel, number) not in out:
                frame = Frame(rel, number, m.start() + 1, None)
                out[(rel, number)] = SourceLocation(rel, number, m.start() + 1, (frame,), line.strip())
    return list(out.values())


class CdkDeprecation(AuditRule):
    """The app used a deprecated CDK API during synth.

    ## What it does
    Turns each `[WARNING] … is deprecated` line that `cdk synth` printed into a finding,
    located at the construct that used the API where the cloud assembly's `tree.json`
    says which one (for example the function whose `log_retention` created a
    `LogRetention` child). A deprecated call no construct can be tied to (a static method
    whose result is passed as a prop, such as `MachineImage.latest_amazon_linux()`) is
    looked for in your own code — the files CDK's creation stacks pass through, so no
    dependency, test or commented-out line — in Python's and TypeScript's spelling, and
    reported at each line that uses it; found nowhere, it is reported for the app as a whole.

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
            if not found and m:  # a call outside any construct: find it in the user's code
                for loc in _source_uses(assembly, m["type"], m["member"]):
                    out.append(AssemblyMatch("", [], warning, source=loc))
                    found += 1
            if not found:  # about the app as a whole, or no construct can be tied to it
                out.append(AssemblyMatch("", [], warning))
        return out
