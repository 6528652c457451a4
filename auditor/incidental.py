"""Knowing CDK's own helper resources: the one place every check asks.

CDK adds resources no author chose: the log-retention function, the custom-resource
provider singletons (``Custom::…CustomResourceProvider``, ``AwsCustomResource``'s
``AWS679f53fac002430cb0da5b7982bd2287``), the provider framework's handlers,
``BucketDeployment``'s function, bucket-notification handlers. A check that reports
these reports CDK, not the user; so checks skip what ``is_cdk_helper`` says is CDK's.

The decision is made from the construct path (``aws:cdk:path`` metadata) when there is
one and from the logical id otherwise, the same evidence cfn-lint's own
``rules/metadata/_BaseContext.py`` uses.
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
