"""E9307 iam-least-privilege: no wildcard actions, no write actions on every resource."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, TemplateIndex, index, literal, properties, sub_text, target
from auditor.rule import AuditRule

#: identity-policy holders and where their documents live
_IDENTITY_DOCS = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
_INLINE_HOLDERS = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")
#: resource policies: only wildcard actions are judged (their Resource is the resource itself)
_RESOURCE_DOCS = ("AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy")
_SERVICE_WILDCARD = re.compile(r"^([a-z0-9-]+:)?\*$", re.IGNORECASE)
#: every bucket (or every object in every bucket): ``arn:aws:s3:::*``, ``arn:${AWS::Partition}:s3:::*/*``
_EVERY_BUCKET = re.compile(r"^arn:(?:\$\{AWS::Partition\}|[^:]+):s3:::\*(/\*)?$")

Doc = tuple[list[str | int], Any, bool]  # (path to the document, document, identity policy?)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(doc: Any) -> Iterator[tuple[int | None, Mapping[str, Any]]]:
    stmts = doc.get("Statement") if isinstance(doc, Mapping) else None
    if isinstance(stmts, Mapping):
        yield None, stmts
    elif isinstance(stmts, list):
        for i, s in enumerate(stmts):
            if isinstance(s, Mapping):
                yield i, s


class IamLeastPrivilege(AuditRule):
    """IAM policies must not grant every action, or write actions on every resource.

    ## What it does
    Reads the identity policies of a template — `AWS::IAM::Policy`,
    `AWS::IAM::ManagedPolicy` and the inline `Policies` of roles, users and groups — and
    reports each `Allow` statement that

    - grants `Action: "*"`, a whole service (`"s3:*"`) or uses `NotAction`;
    - grants write actions on `Resource: "*"` (or uses `NotResource`), or on every S3
      bucket (`arn:aws:s3:::*`, `arn:aws:s3:::*/*`), without a `Condition` (conditions are
      how AWS scopes actions that take no ARN). An action is
      read-only when its name starts with one of `read-only-prefixes` (`Get`, `List`,
      `Describe`, …); everything else is write.

    Actions matching `allowed-actions` are accepted on `*`: the statements CDK itself
    generates for actions without resource-level permissions (X-Ray tracing, ENIs of a
    function in a VPC, `cloudwatch:PutMetricData`, vended log deliveries). It also
    reports roles, users and groups with an AWS managed policy of `broad-managed-policies`
    (`AdministratorAccess`), and wildcard actions in bucket, topic and queue policies.
    CDK's helper resources — and policies attached only to helper roles — are exempt, and
    so is a policy a CDK construct wrote for its own needs (e.g. `BastionHostLinux`'s
    `ssmmessages:*`): the policy's creation stack shows the construct, not one of your
    `add_to_policy`/`grant*` calls, created it (see `auditor.incidental`; a statement you
    later add to that same policy is then not judged either). Actions or resources
    unknown at synth time keep a statement silent.

    ## Why is this bad?
    A function that may do anything to anything turns one injection bug or leaked
    credential into an account takeover: it can read every secret, delete every table, and
    write new IAM users. Least privilege limits the blast radius to what the code needs.

    ## Example
    ```python
    fn.add_to_role_policy(iam.PolicyStatement(actions=["dynamodb:*"], resources=["*"]))
    ```

    ## Use instead
    ```python
    table.grant_read_write_data(fn)  # or: actions=["dynamodb:PutItem"], resources=[table.table_arn]
    ```

    ## Options
    - `allowed-actions` (list of strings, default: `xray:PutTraceSegments`,
      `xray:PutTelemetryRecords`, `ec2:CreateNetworkInterface`, `ec2:DeleteNetworkInterface`,
      `ec2:AssignPrivateIpAddresses`, `ec2:UnassignPrivateIpAddresses`,
      `cloudwatch:PutMetricData`, `ecs:DiscoverPollEndpoint`, `ecs:RegisterTaskDefinition`
      (ECS instance roles and CodePipeline ECS deploy actions), `logs:CreateLogStream`,
      `logs:PutLogEvents`, `logs:PutRetentionPolicy`, `logs:DeleteRetentionPolicy`,
      `logs:CreateLogDelivery`, `logs:UpdateLogDelivery`, `logs:DeleteLogDelivery`,
      `logs:PutResourcePolicy`): action patterns (`fnmatch`, case-insensitive) accepted on
      `Resource: "*"`.
    - `read-only-prefixes` (list of strings, default `Get`, `List`, `Describe`, `BatchGet`,
      `Query`, `Scan`, `Search`, `Lookup`, `View`, `Read`, `Detect`): action-name prefixes
      that are read-only.
    - `broad-managed-policies` (list of strings, default `AdministratorAccess`,
      `PowerUserAccess`, `IAMFullAccess`): AWS managed policy names reported when attached.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_iam/PolicyStatement.html
    """

    id = "E9307"
    slug = "iam-least-privilege"
    severity_level = Severity.ERROR
    shortdesc = "IAM policies grant named actions on named resources"
    description = (
        "Allow statements with wildcard actions (*, service:*, NotAction) or write actions on Resource *, "
        "beyond what CDK generates; broad AWS managed policies."
    )
    source_url = "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"
    tags = ["iam", "security"]
    remediation = (
        "Grant with `bucket.grant_read(fn)`, or `iam.PolicyStatement(actions=[...], resources=[...])` "
        "naming exact ARNs."
    )
    config_spec = {
        "allowed-actions": {
            "type": "list",
            "itemtype": "string",
            "default": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
                "cloudwatch:PutMetricData",
                "ecs:DiscoverPollEndpoint",
                "ecs:RegisterTaskDefinition",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:CreateLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:PutResourcePolicy",
            ],
            "help": "action patterns accepted on Resource *: what CDK generates for actions without ARNs",
        },
        "read-only-prefixes": {
            "type": "list",
            "itemtype": "string",
            "default": [
                "Get", "List", "Describe", "BatchGet", "Query", "Scan", "Search", "Lookup", "View", "Read", "Detect",
            ],
            "help": "action-name prefixes that only read",
        },
        "broad-managed-policies": {
            "type": "list",
            "itemtype": "string",
            "default": ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"],
            "help": "AWS managed policies reported when attached",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        out: list[RuleMatch] = []
        for lid, res in idx.resources.items():
            if is_cdk_helper(lid, res) or self._only_helpers(idx, res):
                continue
            for path, doc, identity in self._documents(lid, res):
                for i, stmt in _statements(doc):
                    problem = self._judge(stmt, identity)
                    if problem:
                        out.append(self.finding(path + (["Statement"] if i is None else ["Statement", i]), problem))
            if res.get("Type") in _INLINE_HOLDERS:
                out.extend(self._managed(lid, res))
        return out

    # -- what is judged ------------------------------------------------------------------

    @staticmethod
    def _only_helpers(idx: TemplateIndex, res: Mapping[str, Any]) -> bool:
        """A policy attached only to CDK helper roles (a helper's DefaultPolicy)."""
        if res.get("Type") not in _IDENTITY_DOCS:
            return False
        props = properties(res)
        holders = [target(h) for key in ("Roles", "Users", "Groups") for h in _as_list(props.get(key) or [])]
        return bool(holders) and all(
            h is not None and h in idx.resources and is_cdk_helper(h, idx.resources[h]) for h in holders
        )

    @staticmethod
    def _documents(lid: str, res: Mapping[str, Any]) -> Iterator[Doc]:
        rtype, props = res.get("Type"), properties(res)
        base: list[str | int] = ["Resources", lid, "Properties"]
        if rtype in _IDENTITY_DOCS:
            yield [*base, "PolicyDocument"], props.get("PolicyDocument"), True
        elif rtype in _RESOURCE_DOCS:
            yield [*base, "PolicyDocument"], props.get("PolicyDocument"), False
        elif rtype in _INLINE_HOLDERS and isinstance(props.get("Policies"), list):
            for j, pol in enumerate(props["Policies"]):
                if isinstance(pol, Mapping):
                    yield [*base, "Policies", j, "PolicyDocument"], pol.get("PolicyDocument"), True

    def _allowed(self, action: str) -> bool:
        return any(fnmatchcase(action.lower(), p.lower()) for p in self.config["allowed-actions"])

    def _read_only(self, action: str) -> bool:
        name = action.split(":", 1)[1] if ":" in action else action
        return any(name.lower().startswith(p.lower()) for p in self.config["read-only-prefixes"])

    def _judge(self, stmt: Mapping[str, Any], identity: bool) -> str | None:
        if literal(stmt.get("Effect")) != "Allow":
            return None
        if "NotAction" in stmt:
            return "Allow with NotAction grants every other action; list the actions needed"
        actions = literal(stmt.get("Action"))
        if actions is UNKNOWN:
            return None
        actions = [a for a in _as_list(actions) if isinstance(a, str)]
        wild = sorted({a for a in actions if _SERVICE_WILDCARD.match(a) and not self._allowed(a)})
        if wild:
            return f"Allows {', '.join(wild)} (every action); list the actions needed"
        if not identity:
            return None
        resources = literal(stmt.get("Resource"))
        every = "NotResource" in stmt or (resources is not UNKNOWN and "*" in _as_list(resources))
        buckets = not every and any(
            _EVERY_BUCKET.match(text) for r in _as_list(stmt.get("Resource")) if (text := sub_text(r)) is not None
        )
        if not (every or buckets):
            return None
        if "Condition" in stmt:
            return None  # how AWS scopes actions without resource ARNs (ecs:Poll on a cluster, iam:PassedToService)
        writes = sorted({a for a in actions if not self._read_only(a) and not self._allowed(a)})
        if not writes:
            return None
        shown = ", ".join(writes[:4]) + (f" (+{len(writes) - 4} more)" if len(writes) > 4 else "")
        if buckets:
            return f"Allows write actions {shown} on every S3 bucket; list the bucket ARNs in `resources=[...]`"
        return f"Allows write actions {shown} on every resource; list ARNs in `resources=[...]`"

    def _managed(self, lid: str, res: Mapping[str, Any]) -> list[RuleMatch]:
        arns = properties(res).get("ManagedPolicyArns")
        out: list[RuleMatch] = []
        for j, arn in enumerate(arns if isinstance(arns, list) else []):
            text = sub_text(arn) or ""
            name = text.rsplit(":policy/", 1)[-1] if ":iam::aws:policy/" in text else None
            if name in self.config["broad-managed-policies"]:
                out.append(self.finding(["Resources", lid, "Properties", "ManagedPolicyArns", j],
                                        f"Attaches the AWS managed policy {name}; grant only what is needed"))
        return out
