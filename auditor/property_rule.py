"""The declarative base for checks of the shape "property X of type T must be Y".

checkov writes most of its checks as declarations over a base class
(``BaseResourceValueCheck``); cfn-lint v1 moved many rules to schema fragments. This is
ours: a check names its resource types, when it applies, and what each property must
be, as JSONPath expressions below the resource (jsonpath-ng), and the base does the
walking, skips CDK's own helpers, stays silent on values unknown at synth time, and
points each finding at the property at fault (or its parent where it is missing).

    class KmsRotation(PropertyRule):
        resource_types = ("AWS::KMS::Key",)
        applies_when = (Expect("Properties.KeySpec", one_of(None, "SYMMETRIC_DEFAULT")),)
        expects = (Expect("Properties.EnableKeyRotation", one_of(True), "KMS key does not rotate"),)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

from cfnlint.rules import RuleMatch
from cfnlint.template import Template
from jsonpath_ng.jsonpath import Child, Fields, Index, JSONPath
from jsonpath_ng.parser import parse

from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, index, literal
from auditor.rule import AuditRule

#: a predicate on a property's literal value (None when absent) and the check's config
Test = Callable[[Any, Mapping[str, Any]], bool]


def _normal(value: Any) -> Any:
    """CloudFormation writes booleans and numbers as strings too: compare them as values."""
    if isinstance(value, str):
        low = value.lower()
        if low in ("true", "false"):
            return low == "true"
        if value.strip().lstrip("-").isdigit():
            return int(value)
    return value


def one_of(*allowed: Any) -> Test:
    """The value is one of ``allowed`` (``None`` allows the property to be absent)."""
    return lambda value, _config: _normal(value) in allowed


def at_most(config_key: str) -> Test:
    """Absent, or a number no larger than the configured ``config_key``."""
    def test(value: Any, config: Mapping[str, Any]) -> bool:
        v = _normal(value)
        return v is None or (isinstance(v, int) and not isinstance(v, bool) and v <= config[config_key])
    return test


@dataclass(frozen=True)
class Expect:
    """What the property at ``path`` (JSONPath below the resource) must satisfy.

    ``message`` is formatted with ``value`` and ``config`` (``{config[max-days]}``).
    """

    path: str
    test: Test
    message: str = ""


@cache
def _compiled(path: str) -> JSONPath:
    return parse(path)


def _steps(path: Any) -> list[str | int]:
    """jsonpath-ng's ``full_path`` as a cfn-lint path list."""
    if isinstance(path, Child):
        return [*_steps(path.left), *_steps(path.right)]
    if isinstance(path, Fields):
        return list(path.fields)
    if isinstance(path, Index):
        return list(path.indices)
    return []


class PropertyRule(AuditRule):
    """A check made of declarations; subclasses set the three attributes below."""

    resource_types: ClassVar[tuple[str, ...]] = ()
    #: every one must hold (on a known value) for the check to apply to a resource
    applies_when: ClassVar[tuple[Expect, ...]] = ()
    #: checked in order; ``first_failure_only`` stops at a resource's first failure
    expects: ClassVar[tuple[Expect, ...]] = ()
    first_failure_only: ClassVar[bool] = False

    def match(self, cfn: Template) -> list[RuleMatch]:
        out: list[RuleMatch] = []
        for lid, res in index(cfn.template).of_type(*self.resource_types):
            if is_cdk_helper(lid, res) or not all(self._holds(e, res) for e in self.applies_when):
                continue
            for expect in self.expects:
                failures = self._failures(expect, lid, res)
                out.extend(failures)
                if failures and self.first_failure_only:
                    break
        return out

    def _values(self, expect: Expect, res: Mapping[str, Any]) -> list[tuple[list[str | int], Any]]:
        """(path below the resource, literal value) of each match; the parent and None if absent."""
        found = _compiled(expect.path).find(res)
        if found:
            return [(_steps(m.full_path), literal(m.value)) for m in found]
        parent = expect.path.rsplit(".", 1)[0] if "." in expect.path else ""
        holder = _compiled(parent).find(res) if parent else []
        return [(_steps(holder[0].full_path) if holder else [], None)]

    def _holds(self, expect: Expect, res: Mapping[str, Any]) -> bool:
        return all(v is not UNKNOWN and expect.test(v, self.config) for _, v in self._values(expect, res))

    def _failures(self, expect: Expect, lid: str, res: Mapping[str, Any]) -> list[RuleMatch]:
        return [
            self.finding(["Resources", lid, *path], expect.message.format(value=value, config=self.config))
            for path, value in self._values(expect, res)
            if value is not UNKNOWN and not expect.test(value, self.config)
        ]
