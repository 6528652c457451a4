"""Suppression: the stage between the engine and the report that marks findings as
suppressed, with the reason someone gave. Suppressed findings stay in the report.

Where suppressions come from, in the order they are tried (the first match gives the
reason):

1. a resource's template metadata, written by ``auditor.cdk.suppress(construct, ...)``::

       "Metadata": {"cdk-audit": {"suppressions": [{"check": "s3-replication", "reason": "replica"}]}}

2. the stack template's top-level ``Metadata`` (same shape, each entry may carry a
   ``path``: a construct-path prefix or glob such as ``Payments/Ledger*``);
3. the configuration's ``[[tool.cdk-audit.suppress]]`` entries (``check``, ``reason``,
   optional ``path``);
4. cfn-lint's own ``Metadata: cfn-lint: config: ignore_checks`` on a resource (exact
   rule ids) or on the template (id prefixes, as cfn-lint reads them).

A check is named by slug or id. An in-code suppression without a reason still applies,
but the ``suppression-reason`` check reports it, so it cannot pass unexplained.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from auditor.assembly import Stack
from auditor.findings import Finding

METADATA_KEY = "cdk-audit"
CFN_LINT_REASON = "cfn-lint ignore_checks metadata"
NO_REASON = "(no reason given)"


@dataclass(frozen=True)
class Suppression:
    check: str  # slug or id
    reason: str = ""
    path: str | None = None  # construct-path prefix or glob; None: everything in scope
    #: for cfn-lint's template-level ignore_checks, which match rule-id prefixes
    prefix: bool = False

    def covers(self, f: Finding) -> bool:
        key = self.check.strip()
        if self.prefix:
            named = f.check_id.upper().startswith(key.upper())
        else:
            named = key.lower() == f.slug.lower() or key.upper() == f.check_id.upper()
        return named and (self.path is None or path_matches(self.path, f.construct_path))


def path_matches(pattern: str, construct_path: str | None) -> bool:
    """A plain prefix matches that construct and everything below it; a glob
    (``*?[``) matches the path or any of its ancestors' subtrees."""
    if not construct_path:
        return False
    pat = pattern.strip().strip("/")
    if any(c in pat for c in "*?["):
        return fnmatchcase(construct_path, pat) or fnmatchcase(construct_path, pat + "/*")
    return construct_path == pat or construct_path.startswith(pat + "/")


def declared(entries: Any) -> list[tuple[int, Any]]:
    """The raw entries of a ``{"suppressions": [...]}`` metadata value, with their index."""
    if not isinstance(entries, Mapping):
        return []
    items = entries.get("suppressions")
    return list(enumerate(items)) if isinstance(items, list) else []


def _parsed(entries: Any) -> list[Suppression]:
    out = []
    for _, e in declared(entries):
        if isinstance(e, Mapping) and isinstance(e.get("check"), str) and e["check"].strip():
            reason, path = e.get("reason"), e.get("path")
            out.append(
                Suppression(
                    e["check"],
                    reason.strip() if isinstance(reason, str) else "",
                    path if isinstance(path, str) and path else None,
                )
            )
    return out


def _metadata(node: Any) -> Mapping[str, Any]:
    meta = node.get("Metadata") if isinstance(node, Mapping) else None
    return meta if isinstance(meta, Mapping) else {}


def _cfn_lint_ignores(meta: Mapping[str, Any]) -> list[str]:
    cfg = meta.get("cfn-lint")
    cfg = cfg.get("config") if isinstance(cfg, Mapping) else None
    ids = cfg.get("ignore_checks") if isinstance(cfg, Mapping) else None
    return [i for i in ids if isinstance(i, str) and i] if isinstance(ids, list) else []


@dataclass
class _StackRules:
    by_resource: dict[str, list[Suppression]]
    stack_wide: list[Suppression]
    cfn_lint_resource: dict[str, list[Suppression]]
    cfn_lint_template: list[Suppression]


def _rules_of(stack: Stack) -> _StackRules:
    tpl = stack.template if isinstance(stack.template, Mapping) else {}
    by_resource: dict[str, list[Suppression]] = {}
    cfn_res: dict[str, list[Suppression]] = {}
    for lid, res in stack.resources.items():
        meta = _metadata(res)
        if ours := _parsed(meta.get(METADATA_KEY)):
            by_resource[str(lid)] = ours
        if ids := _cfn_lint_ignores(meta):
            cfn_res[str(lid)] = [Suppression(i, CFN_LINT_REASON) for i in ids]
    top = _metadata(tpl)
    return _StackRules(
        by_resource,
        _parsed(top.get(METADATA_KEY)),
        cfn_res,
        [Suppression(i, CFN_LINT_REASON, prefix=True) for i in _cfn_lint_ignores(top)],
    )


def _reason(f: Finding, rules: _StackRules | None, configured: Sequence[Suppression]) -> str | None:
    candidates: list[Suppression] = []
    if rules is not None:
        candidates += rules.by_resource.get(f.logical_id or "", [])
        candidates += rules.stack_wide
    candidates += configured
    if rules is not None:
        candidates += rules.cfn_lint_resource.get(f.logical_id or "", [])
        candidates += rules.cfn_lint_template
    for s in candidates:
        if s.covers(f):
            return s.reason or NO_REASON
    return None


def apply_suppressions(
    placed: Iterable[tuple[Stack | None, Finding]], configured: Sequence[Suppression] = ()
) -> list[Finding]:
    """The findings, each one a suppressed copy when a suppression covers it.

    Each finding comes with the stack it was found on (None: no stack, only the
    configured suppressions apply); findings already suppressed keep their reason.
    """
    cache: dict[int, _StackRules] = {}
    out = []
    for stack, f in placed:
        rules = None
        if stack is not None:
            rules = cache.get(id(stack)) or cache.setdefault(id(stack), _rules_of(stack))
        reason = None if f.suppressed else _reason(f, rules, configured)
        out.append(dataclasses.replace(f, suppressed=reason) if reason else f)
    return out
