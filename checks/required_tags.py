"""W9304 required-tags: every taggable resource carries the organisation's required tags."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import index, literal, properties
from auditor.rule import AuditRule

#: the region whose provider schemas decide taggability (types are the same everywhere
#: that matters; a type missing there is simply not judged)
_SCHEMA_REGION = "us-east-1"


@cache
def tag_property(resource_type: str) -> str | None:
    """The property that holds a type's tags (``Tags``, ``UserPoolTags``…), or None if untaggable.

    Read from the CloudFormation provider schemas cfn-lint ships: ``tagging.taggable``
    and ``tagging.tagProperty``; older schemas without a ``tagging`` block count as
    taggable when they have a ``Tags`` property.
    """
    if not resource_type.startswith("AWS::"):
        return None
    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(_SCHEMA_REGION, resource_type).schema
    except Exception:  # cfn-lint raises its own ResourceNotFoundError for unknown types
        return None
    props = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
    tagging = schema.get("tagging")
    if isinstance(tagging, Mapping):
        if not tagging.get("taggable", True):
            return None
        prop = str(tagging.get("tagProperty") or "/properties/Tags").removeprefix("/properties/")
        return prop if "/" not in prop and prop in props else None
    return "Tags" if "Tags" in props else None


def tag_keys(value: Any) -> set[str] | None:
    """The tag keys of a tag property (``Key``/``Value`` list or map), None when unknown."""
    if value is None:
        return set()
    if isinstance(value, list):
        keys: set[str] = set()
        for item in value:
            key = literal(item.get("Key")) if isinstance(item, Mapping) else None
            if not isinstance(key, str):
                return None  # an Fn::If item or a key from a parameter
            keys.add(key)
        return keys
    if isinstance(value, Mapping):
        if len(value) == 1 and next(iter(value)).startswith("Fn::"):
            return None
        return {str(k) for k in value}
    return None


class RequiredTags(AuditRule):
    """Every taggable resource must carry the tags your organisation requires (off until you name them).

    ## What it does
    Silent until you configure `tags`, in every profile: which tags an organisation requires
    is its own policy, and a default list would only report tag names the app never chose.
    Once configured, for each resource whose CloudFormation provider schema (as shipped
    with cfn-lint) says
    it takes tags, it reports the required tags (`tags`) missing from its tag property
    (`Tags`, or the type's own, e.g. `UserPoolTags`; lists of `Key`/`Value` and maps both
    count). Only the resource's own tags count: `Tags.of(stack)` and `Tags.of(app)` land
    there in the template, while stack-level tags passed to `cdk deploy --tags` do not
    appear in a template. CDK's helper resources are never reported, and tag lists that
    depend on a condition or parameter keep the check silent.

    The fix is one line for the whole app, so it is reported once per stack and missing
    tag set: the message counts the resources, the text report names a few, and the JSON
    report lists every one (`resources`). A suppression on one resource takes it out of the
    count (it stays in the report, suppressed).

    ## Why is this bad?
    Untagged resources fall out of cost allocation, ownership lookups and tag-based access
    control: nobody knows whom to page for an orphaned cluster, and the bill cannot be split
    by team.

    ## Example
    ```python
    app = cdk.App()
    CardGatewayStack(app, "CardGateway")
    cdk.Tags.of(app).add("Environment", "production")
    ```

    ## Use instead
    ```python
    for key, value in {"Environment": "production", "Team": "payments", "CostCenter": "cc-1234"}.items():
        cdk.Tags.of(app).add(key, value)
    ```

    ## Options
    - `tags` (list of strings, default `[]`: the check is off, in every profile): tag keys
      every taggable resource must carry (case-sensitive). Turn it on in `cdk-audit.toml`
      (or `[tool.cdk-audit.checks.required-tags]` in pyproject.toml):

      ```toml
      [tool.cdk-audit.checks.required-tags]
      tags = ["Environment", "Team", "CostCenter"]
      ```

      or for one run: `--set 'required-tags.tags=["Environment", "Team"]'`.

    ## References
    - https://docs.aws.amazon.com/cdk/v2/guide/tagging.html
    - https://docs.aws.amazon.com/whitepapers/latest/tagging-best-practices/tagging-best-practices.html
    """

    id = "W9304"
    slug = "required-tags"
    severity_level = Severity.WARNING
    shortdesc = "Taggable resources carry every required tag"
    description = "Resources whose type takes tags (per the CloudFormation schemas) missing a required tag."
    source_url = "https://docs.aws.amazon.com/cdk/v2/guide/tagging.html"
    tags = ["tags", "governance", "cost"]
    remediation = "Add the missing tags once for the whole app: `cdk.Tags.of(app).add(key, value)`."
    aggregate = True
    config_spec = {
        "tags": {
            "type": "list",
            "itemtype": "string",
            "default": [],
            "help": "tag keys every taggable resource must carry (none: the check is off)",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        required = list(self.config["tags"])
        if not required:
            return []
        out: list[RuleMatch] = []
        for lid, res in index(cfn.template).resources.items():
            rtype = res.get("Type")
            if not isinstance(rtype, str) or is_cdk_helper(lid, res):
                continue
            prop = tag_property(rtype)
            if prop is None:
                continue
            props = properties(res)
            keys = tag_keys(props.get(prop))
            if keys is None:
                continue
            missing = [t for t in required if t not in keys]
            if missing:
                path: list[str | int] = ["Resources", lid, "Properties", prop] if prop in props else [
                    "Resources", lid]
                out.append(self.finding(path, f"Missing required tag(s) {', '.join(missing)}; add them with "
                                              "`cdk.Tags.of(app).add(key, value)`"))
        return out
