"""Knowing CDK's own helper resources: the one place every check asks.

CDK adds resources no author chose: the log-retention function, the custom-resource
provider singletons (``Custom::…CustomResourceProvider``, ``AwsCustomResource``'s
``AWS679f53fac002430cb0da5b7982bd2287``), the provider framework's handlers,
``BucketDeployment``'s function, bucket-notification handlers. A check that reports
these reports CDK, not the user; so checks skip what ``is_cdk_helper`` says is CDK's.

The decision is made from the construct path (``aws:cdk:path`` metadata) when there is
one and from the logical id otherwise, the same evidence cfn-lint's own
``rules/metadata/_BaseContext.py`` uses.

It also knows the rest of what CDK writes on its own: the cfn-lint rules that fire on
CDK's output (``CDK_OUTPUT_RULES``, ``fires_on_cdk_output``) and the IAM policies a
construct writes for itself (``written_by_construct``, from the call in the policy's
creation stack); ``auditor.consolidate`` leaves those findings out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_HASH = r"[0-9a-fA-F]{32}"
#: BucketDeployment/ECR deployment singletons carry their memory size: ``…8756C512MiB``
_MEM = r"(?:\d+MiB)?"

#: construct-path segments of CDK's own helper constructs
_PATH_PATTERNS = re.compile(
    r"(^|/)("
    rf"LogRetention{_HASH}"
    r"|Custom::[A-Za-z0-9]+CustomResourceProvider"
    rf"|Custom::CDK(?:Bucket|ECR)Deployment{_HASH}{_MEM}"
    r"|AWS679f53fac002430cb0da5b7982bd2287|AWSb4cf1abd4e4f4bc699441af7ccd9ec37"
    rf"|BucketNotificationsHandler{_HASH}"
    r"|framework-onEvent|framework-isComplete|framework-onTimeout|waiter-state-machine"
    r"|CDKMetadata"
    r")(/|$)"
)

#: logical ids of the same helpers where no construct path is recorded
_ID_PATTERNS = re.compile(
    rf"^(LogRetention{_HASH}"
    r"|Custom[A-Za-z0-9]+CustomResourceProvider(Handler|Role)"
    rf"|CustomCDK(?:Bucket|ECR)Deployment{_HASH}"
    r"|AWS679f53fac002430cb0da5b7982bd2287|AWSb4cf1abd4e4f4bc699441af7ccd9ec37"
    rf"|BucketNotificationsHandler{_HASH}"
    r"|CDKMetadata)"
    r"|frameworkonEvent|frameworkisComplete|frameworkonTimeout|waiterstatemachine"
)

#: resource types that only CDK's helpers create
_HELPER_TYPES = frozenset({"AWS::CDK::Metadata", "Custom::LogRetention", "Custom::CDKBucketDeployment"})


def construct_path(resource: Any) -> str | None:
    """The ``aws:cdk:path`` of a resource, if the CLI recorded one."""
    if isinstance(resource, Mapping):
        meta = resource.get("Metadata")
        if isinstance(meta, Mapping) and isinstance(meta.get("aws:cdk:path"), str):
            return str(meta["aws:cdk:path"])
    return None


def is_cdk_helper(logical_id: str, resource: Any, path: str | None = None) -> bool:
    """True when the resource is one of CDK's own helpers, not the user's."""
    if isinstance(resource, Mapping) and isinstance(resource.get("Type"), str) and resource["Type"] in _HELPER_TYPES:
        return True
    path = path or construct_path(resource)
    if path:
        return bool(_PATH_PATTERNS.search(path))
    return bool(_ID_PATTERNS.search(logical_id))


def is_cdk_template(template: Any) -> bool:
    """Was the template synthesized by CDK (a CDKMetadata resource or construct paths)?"""
    resources = template.get("Resources") if isinstance(template, Mapping) else None
    if not isinstance(resources, Mapping):
        return False
    return any(
        isinstance(r, Mapping) and (r.get("Type") == "AWS::CDK::Metadata" or construct_path(r))
        for r in resources.values()
    )


# -- what cfn-lint's built-in rules report about CDK's own output -----------------------

#: cfn-lint rules (and the same ids in CDK's "CloudFormation Validate" plugin) that fire on
#: what CDK itself writes, found by surveying the synthesized corpus and every sample app's
#: fixed twin. On a CDK template their findings are CDK's, not the user's; on a hand-written
#: template they stay. Reviewed list: add a rule only with the evidence that CDK writes it.
CDK_OUTPUT_RULES: Mapping[str, str] = {
    "W3005": "CDK adds DependsOn entries (on a role's DefaultPolicy, a VPC's gateway attachment) "
    "that a Ref or GetAtt already implies; harmless, and not in the user's code",
    "E3049": "CDK's ECS load-balanced patterns leave a target group's HealthCheckPort unset, which "
    "defaults to traffic-port, exactly what the rule asks for (CDK's own plugin calls it I3049, info)",
}


def fires_on_cdk_output(rule_id: str, template: Any, logical_id: str | None) -> bool:
    """Whether a cfn-lint-style rule's finding on ``logical_id`` is about what CDK wrote."""
    rule = rule_id.upper()
    if rule not in CDK_OUTPUT_RULES or not is_cdk_template(template):
        return False
    if rule == "E3049":  # only the unset port: an explicit fixed port is the user's mistake
        resources = template.get("Resources") if isinstance(template, Mapping) else None
        res = resources.get(logical_id) if isinstance(resources, Mapping) and logical_id else None
        props = res.get("Properties") if isinstance(res, Mapping) else None
        return isinstance(props, Mapping) and "HealthCheckPort" not in props
    return True


# -- IAM statements CDK's constructs write -----------------------------------------------

#: calls by which the user writes a policy statement (lower case, underscores removed, so
#: Python's and TypeScript's spellings match): add_to_role_policy, addToPrincipalPolicy, …
_USER_POLICY_CALLS = frozenset(
    {
        "addtopolicy",
        "addtorolepolicy",
        "addtoprincipalpolicy",
        "addtoresourcepolicy",
        "addstatements",
        "attachinlinepolicy",
        "addmanagedpolicy",
        "addtoprincipalorresource",
    }
)
#: constructs whose statements are the user's: IAM's own, and functions (``initial_policy``)
_USER_POLICY_CONSTRUCTS = frozenset(
    {
        "policy",
        "managedpolicy",
        "role",
        "user",
        "group",
        "policydocument",
        "policystatement",
        "function",
        "singletonfunction",
        "nodejsfunction",
        "pythonfunction",
        "dockerimagefunction",
    }
)
_CALL = re.compile(r"(?:\bnew\s+)?([A-Za-z_$][\w$]*)\s*\(")


def _names(via: str) -> list[str]:
    """The functions a call text names, outermost first: from CDK's marker (``new Bucket2``,
    ``Function.addToRolePolicy``) or from a line of the user's code."""
    if "(" not in via:  # a marker
        return [re.sub(r"\d+$", "", via.removeprefix("new ").rsplit(".", 1)[-1])]
    return [m[1] for m in _CALL.finditer(via)]


def _is_user_call(name: str) -> bool:
    key = name.replace("_", "").lower()
    return (
        key in _USER_POLICY_CALLS
        or key.startswith("grant")
        or key in _USER_POLICY_CONSTRUCTS
        or (key.startswith("cfn"))
    )


def written_by_construct(via: str | None) -> bool:
    """Whether an IAM policy was written by a CDK construct for its own needs, judged from the
    call that created it (``SourceLocation.via``): a construct (``BastionHostLinux``) or a
    method (``add_container``) that is not one of the user's policy calls (``add_to_policy``,
    ``grant*``, IAM constructs, ``Cfn*``). Unknown: the user's."""
    if not via:
        return False
    names = _names(via)
    return bool(names) and not any(_is_user_call(n) for n in names)
