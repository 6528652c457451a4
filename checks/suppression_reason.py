"""A cdk-audit suppression in a template that does not say why (or cannot be read)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.assembly import Assembly
from auditor.findings import AssemblyMatch, Severity
from auditor.rule import AuditRule
from auditor.suppress import METADATA_KEY, declared


def _problem(entry: Any) -> str | None:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("check"), str) or not entry["check"].strip():
        return "Suppression names no check; give it the check's id or slug"
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        return f"Suppression of {entry['check']} gives no reason; say why the finding does not apply"
    return None


def _metadata(node: Any) -> Any:
    meta = node.get("Metadata") if isinstance(node, Mapping) else None
    return meta.get(METADATA_KEY) if isinstance(meta, Mapping) else None


class SuppressionReason(AuditRule):
    """A suppression without a reason.

    ## What it does
    Reports every cdk-audit suppression in a template's metadata — on a resource or on
    the whole stack, as `auditor.cdk.suppress(...)` writes them — that gives no reason
    or names no check.

    ## Why is this bad?
    A suppression turns a finding off for good. Without a reason, the next reader
    cannot tell an accepted risk from a silenced alarm, and nobody knows when it may be
    lifted. The suppression still applies; this finding makes the gate fail until the
    reason is written down.

    ## Example
    ```python
    suppress(replica_bucket, "s3-replication")
    ```

    ## Use instead
    ```python
    from auditor.cdk import suppress

    suppress(replica_bucket, "s3-replication", reason="replica of LedgerBucket; replicating it again loops")
    ```

    ## Options
    None. Suppressions in `[[tool.cdk-audit.suppress]]` must carry a `reason` too: a
    missing one there is a configuration error (exit 3).

    ## References
    - https://github.com/cdklabs/cdk-nag#suppressing-a-rule
    """

    id = "E9904"
    slug = "suppression-reason"
    severity_level = Severity.ERROR
    shortdesc = "A suppression does not say why"
    description = "cdk-audit suppressions in template metadata without a reason or a check."
    source_url = "https://github.com/cdklabs/cdk-nag#suppressing-a-rule"
    tags = ["cdk-audit", "suppressions"]
    remediation = 'Give every suppression a "reason" that says why the finding does not apply.'

    def match_assembly(self, assembly: Assembly) -> list[AssemblyMatch]:
        out = []
        for stack in assembly.stacks:
            places: list[tuple[list[str | int], Any]] = [(["Metadata", METADATA_KEY], _metadata(stack.template))]
            places += [
                (["Resources", str(lid), "Metadata", METADATA_KEY], _metadata(res))
                for lid, res in stack.resources.items()
            ]
            for path, value in places:
                if value is None:
                    continue
                entries = declared(value)
                if not entries:
                    out.append(AssemblyMatch(stack.name, path, 'cdk-audit metadata has no "suppressions" list; '
                                                               "add one or remove the metadata"))
                for i, entry in entries:
                    problem = _problem(entry)
                    if problem:
                        out.append(AssemblyMatch(stack.name, [*path, "suppressions", i], problem))
        return out
