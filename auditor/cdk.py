"""cdk-audit inside a CDK app: suppressions next to the construct, and a policy
validation plugin that runs our checks during ``cdk synth``.

    from auditor.cdk import AuditPlugin, suppress

    app = cdk.App()
    cdk.Validations.of(app).add_plugins(AuditPlugin())
    suppress(replica_bucket, "s3-replication", reason="this is the replica")

Needs aws-cdk-lib (the ``cdk`` extra); the rest of cdk-audit does not import it.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    CfnResource,
    IPolicyValidationContextBeta1,
    IPolicyValidationPluginBeta1,
    PolicyValidationPluginReportBeta1,
    PolicyViolatingResourceBeta1,
    PolicyViolationBeta1,
    Stack,
)
from constructs import IConstruct

from auditor.suppress import METADATA_KEY

__all__ = ["AuditPlugin", "suppress"]


def _entry(check: str, reason: str, path: str | None) -> dict[str, str]:
    out = {"check": check, "reason": reason}
    if path:
        out["path"] = path
    return out


def _appended(existing: Any, entry: dict[str, str]) -> dict[str, Any]:
    value = dict(existing) if isinstance(existing, dict) else {}
    value["suppressions"] = [*(value.get("suppressions") or []), entry]
    return value


def suppress(scope: IConstruct, check: str, reason: str = "", *, path_prefix: str | None = None) -> None:
    """Suppress ``check`` (slug or id) on ``scope``, saying why in ``reason``.

    - a ``Stack``: every resource of the stack, or only those whose construct path
      starts with ``path_prefix`` (a prefix or glob, e.g. ``"Payments/Ledger*"``);
    - a CloudFormation resource (L1), or an L2 with one (``node.default_child``):
      that resource, in its template ``Metadata``;
    - any other construct: everything below its construct path, stack-wide.

    A suppression without a reason still applies, and the ``suppression-reason``
    check reports it.
    """
    if isinstance(scope, Stack):
        _suppress_in_stack(scope, _entry(check, reason, path_prefix))
        return
    if path_prefix is not None:
        raise ValueError("path_prefix applies to a Stack; pass the stack itself")
    resource = scope if isinstance(scope, CfnResource) else scope.node.default_child
    if isinstance(resource, CfnResource):
        resource.add_metadata(METADATA_KEY, _appended(resource.get_metadata(METADATA_KEY), _entry(check, reason, None)))
    else:  # no single resource: suppress by the construct's path in its stack
        _suppress_in_stack(Stack.of(scope), _entry(check, reason, scope.node.path))


def _suppress_in_stack(stack: Stack, entry: dict[str, str]) -> None:
    current = (stack.template_options.metadata or {}).get(METADATA_KEY)
    stack.add_metadata(METADATA_KEY, _appended(current, entry))


@jsii.implements(IPolicyValidationPluginBeta1)
class AuditPlugin:
    """A CDK policy validation plugin that runs cdk-audit's checks at ``cdk synth``.

    ``cdk.Validations.of(app).add_plugins(AuditPlugin())`` (or the deprecated
    ``App(policy_validation_beta1=[...])``). Reads configuration as the CLI
    does (``config`` or cdk-audit.toml / pyproject.toml in the app's folder); findings
    at or above ``fail_on`` make the report fail, and then ``cdk synth`` exits 1.
    Suppressed findings are left out.
    """

    def __init__(self, *, config: str | Path | None = None, fail_on: str = "error") -> None:
        from auditor.gate import FailOn

        if fail_on not in {f.value for f in FailOn}:
            raise ValueError(f"fail_on must be one of {', '.join(FailOn)}, got {fail_on!r}")
        self._config = Path(config) if config else None
        self._fail_on = FailOn(fail_on)

    @property
    def name(self) -> str:
        return "cdk-audit"

    @property
    def version(self) -> str | None:
        from auditor import __version__

        return __version__

    @property
    def rule_ids(self) -> list[str] | None:
        from auditor.registry import check_classes

        return [c.slug for c in check_classes()]

    def validate(self, context: IPolicyValidationContextBeta1) -> PolicyValidationPluginReportBeta1:
        from auditor import pipeline
        from auditor.assembly import load_paths
        from auditor.config import load_settings
        from auditor.gate import fails

        settings = load_settings(self._config, Path.cwd())  # synth runs the app in its folder
        assemblies = load_paths([Path(p) for p in context.template_paths])
        active = [f for f in pipeline.check(assemblies, settings).findings if not f.suppressed]
        grouped: dict[tuple[str, str], list[Any]] = defaultdict(list)
        for f in active:
            grouped[(f.slug, f.message)].append(f)
        violations = [
            PolicyViolationBeta1(
                rule_name=fs[0].slug,
                description=message,
                fix=fs[0].remediation or None,
                severity=str(fs[0].severity),
                rule_metadata={"id": fs[0].check_id},
                violating_resources=[
                    PolicyViolatingResourceBeta1(
                        resource_logical_id=lid or "",
                        template_path=f.template,
                        locations=[f"/Resources/{lid}" + (f"/{prop}" if prop else "")] if lid else [],
                    )
                    for f in fs
                    # an aggregated finding (required-tags) names each of its resources
                    for lid, prop in ([(r.logical_id, None) for r in f.resources] or [(f.logical_id, f.property_path)])
                ],
            )
            for (_, message), fs in sorted(grouped.items())
        ]
        failing = fails((f.severity for f in active), self._fail_on)
        return PolicyValidationPluginReportBeta1(success=not failing, violations=violations)
