"""The base every template-scoped check derives from.

A check is a cfn-lint ``CloudFormationLintRule`` so that plain
``cfn-lint --append-rules checks/`` runs it too. On top of cfn-lint's attributes it
carries the metadata cdk-audit reports and documents: a slug, a severity, a one-line
remediation, and per-profile defaults for its configuration.

Configuration keys are kebab-case, exactly as users write them in
``[tool.cdk-audit.checks.<slug>]``; cfn-lint's ``--configure-rule ID:key=value``
takes the same keys. Each ``config_definition`` entry is cfn-lint's shape
(``type``, ``default``, ``itemtype`` for lists) plus an optional ``profiles`` map
(profile name -> default in that profile) and a ``help`` string.

Checks that need the whole cloud assembly (several stacks at once) also implement
``match_assembly(assembly)``; the engine calls it once per assembly. Standalone
cfn-lint only ever calls ``match``.

Settings reach a check once, when it is built: the engine constructs every rule with
its resolved configuration (``cls(config)``), so the per-template part (``match``) and
the cross-stack part (``match_assembly``) see the same values in every process.
cfn-lint's own ``configure()`` (which it calls per template with its rule
configuration, and which standalone ``--configure-rule`` feeds) gets the same values.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from auditor.findings import AssemblyMatch, Severity

if TYPE_CHECKING:
    from auditor.assembly import Assembly


class AuditRule(CloudFormationLintRule):
    """Base class of cdk-audit's template-scoped checks (and assembly checks)."""

    slug: ClassVar[str] = ""
    severity_level: ClassVar[Severity] = Severity.ERROR
    remediation: ClassVar[str] = ""
    #: the fix is one line for the whole app (``Tags.of(app).add``): report one finding per
    #: stack and message, listing every resource, instead of one per resource. Opt-in: a
    #: message repeated across resources usually still needs a fix at each construct.
    aggregate: ClassVar[bool] = False
    #: class-level definition; copied to the instance because cfn-lint resets it
    config_spec: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        """``config``: the resolved settings of this check (``Settings.rule_config``);
        None gives the defaults, as standalone cfn-lint builds rules."""
        super().__init__()
        self.config_definition = {k: dict(v) for k, v in self.config_spec.items()}
        self.configure(dict(config) if config is not None else None)
        if self.id and Severity(self.severity_level).letter != self.id[0]:
            raise ValueError(f"{self.id}: id letter must match severity {self.severity_level}")

    # -- what the engine and the docs read -------------------------------------------

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def defaults(cls, profile: str | None) -> dict[str, Any]:
        """The configuration in force before the user's own settings."""
        out: dict[str, Any] = {}
        for key, spec in cls.config_spec.items():
            profiles = spec.get("profiles", {})
            out[key] = profiles[profile] if profile in profiles else spec["default"]
        return out

    # -- helpers for subclasses ------------------------------------------------------

    def finding(self, path: list[str | int], message: str) -> RuleMatch:
        """A match at ``path``, e.g. ``["Resources", "Bucket", "Properties"]``."""
        return RuleMatch(path, message)

    def match_assembly(self, assembly: Assembly) -> list[AssemblyMatch]:
        """Cross-stack findings; most checks have none."""
        return []
