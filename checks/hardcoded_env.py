"""W9306 hardcoded-env: account ids and regions written as literals where AWS::AccountId/Region belong."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from cfnlint.helpers import REGIONS

from auditor.assembly import Assembly, Stack
from auditor.findings import AssemblyMatch, Severity
from auditor.incidental import is_cdk_helper, is_cdk_template
from auditor.resolve import sub_text
from auditor.rule import AuditRule

_ACCOUNT = re.compile(r"^\d{12}$")
_ACCOUNT_IN_TEXT = re.compile(r"(?<!\d)\d{12}(?!\d)")
_REGION_IN_TEXT = re.compile(
    r"(?<![a-z0-9-])(" + "|".join(re.escape(r) for r in sorted(REGIONS, key=len, reverse=True)) + r")(?![a-z0-9-])"
)
#: names of CDK's bootstrap resources (any qualifier): CDK writes them, the user does not
_BOOTSTRAP = re.compile(
    r"cdk-[a-z0-9]{9}-(assets|container-assets|deploy-role|cfn-exec-role|file-publishing-role"
    r"|image-publishing-role|lookup-role)"
)
#: policy keys under which a bare 12-digit string is an account id
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
_ACCOUNT_KEYS = frozenset({"Principal", "NotPrincipal", "Condition", "SourceAccount"})
_METADATA_CONDITION = "CDKMetadataAvailable"


def environment_of(stack: Stack) -> tuple[str | None, str | None]:
    """(account, region) from the manifest's ``aws://ACCOUNT/REGION``; None where env-agnostic."""
    m = re.fullmatch(r"aws://([^/]*)/(.*)", stack.environment or "")
    if not m:
        return None, None
    account, region = m.groups()
    return (account if _ACCOUNT.match(account) else None), (region if region in REGIONS else None)


def looks_env_explicit(template: Mapping[str, Any]) -> bool:
    """A loose CDK template (no manifest) synthesized with an explicit region.

    CDK guards its ``CDKMetadata`` resource with the ``CDKMetadataAvailable`` condition only
    when the region is unknown at synth time; without that condition the stack had an env.
    """
    if not is_cdk_template(template):
        return False
    conditions = template.get("Conditions")
    resources = template.get("Resources")
    has_metadata = isinstance(resources, Mapping) and any(
        isinstance(r, Mapping) and r.get("Type") == "AWS::CDK::Metadata" for r in resources.values()
    )
    return has_metadata and not (isinstance(conditions, Mapping) and _METADATA_CONDITION in conditions)


def _arn_literals(text: str) -> Iterator[tuple[str, str]]:
    """("account"|"region", value) written literally in an ARN's own fields."""
    parts = _PLACEHOLDER.sub("-", text).split(":", 5)  # ${AWS::Partition} holds colons of its own
    if len(parts) < 6:
        return
    if parts[3] in REGIONS:
        yield "region", parts[3]
    if _ACCOUNT.match(parts[4]):
        yield "account", parts[4]


def _text_literals(text: str) -> Iterator[tuple[str, str]]:
    for m in _ACCOUNT_IN_TEXT.finditer(text):
        yield "account", m.group(0)
    for m in _REGION_IN_TEXT.finditer(text):
        yield "region", m.group(1)


def _fragments(value: Any) -> Iterator[str]:
    """The literal strings a value is built from (``Fn::Join`` parts, ``Fn::Sub`` text), not
    the logical ids of its references: for outputs that ``sub_text`` cannot render whole."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _fragments(v)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if k not in ("Ref", "Fn::GetAtt", "Fn::ImportValue", "Condition"):
                yield from _fragments(v)


def _output_fix(found: list[tuple[str, str]]) -> str:
    kinds = {k for k, _ in found}
    fixes = [f for k, f in (("region", "`Stack.of(self).region` (`Aws.REGION`)"),
                            ("account", "`Stack.of(self).account` (`Aws.ACCOUNT_ID`)")) if k in kinds]
    return " / ".join(fixes)


def scan_value(value: Any, in_policy: bool = False) -> Iterator[tuple[str, str]]:
    """Literal accounts/regions in ARNs (plain, ``Fn::Join`` or ``Fn::Sub``) and policy principals."""
    if isinstance(value, Mapping):
        text = sub_text(value) if len(value) == 1 and next(iter(value)) in ("Fn::Join", "Fn::Sub") else None
        if text is not None:
            yield from scan_value(text, in_policy)
            return
        for k, v in value.items():
            yield from scan_value(v, in_policy or k in _ACCOUNT_KEYS)
    elif isinstance(value, list):
        for v in value:
            yield from scan_value(v, in_policy)
    elif isinstance(value, str) and not _BOOTSTRAP.search(value):
        if value.startswith("arn:"):
            yield from _arn_literals(value)
        elif in_policy and _ACCOUNT.match(value):
            yield "account", value
        elif in_policy and value.endswith(".amazonaws.com"):  # a regional service principal
            yield from (("region", m.group(1)) for m in _REGION_IN_TEXT.finditer(value))


class HardcodedEnv(AuditRule):
    """Account ids and regions written as literals instead of `AWS::AccountId` / `AWS::Region`.

    ## What it does
    Looks for 12-digit account ids and region names (cfn-lint's region list) written as
    literals in ARNs (strings starting with `arn:`, also assembled by `Fn::Join`/`Fn::Sub`),
    in IAM and resource policy principals and conditions, and anywhere in the value of an
    `Output` (a console or dashboard URL with `us-east-1` written in it, also when the
    value joins literals with an import or another intrinsic).

    It is assembly-scoped, because whether a literal is wrong depends on the stack's
    environment, which the manifest knows and the template does not:

    - A stack synthesized with an explicit `env` gets literals from CDK itself
      (`Stack.of(self).account` renders as the account), and the other literals it holds are
      references to other accounts and regions that can only be literals (a cross-region
      replication destination, a partner's topic). It is judged only against
      `allowed-accounts`/`allowed-regions` when those lists are set.
    - An environment-agnostic stack should not know its account or region: every literal is
      reported, except the accounts and regions of the app's own explicit stacks (a
      reference to a sibling stack) and the allowed lists.

    CDK's bootstrap names (`cdk-hnb659fds-…`), CDK helper resources and template
    `Metadata` are ignored. A loose template scanned without its manifest is treated as
    env-explicit when it is a CDK template whose `CDKMetadata` is not guarded by the
    `CDKMetadataAvailable` condition (CDK only adds it when the region is unknown).
    Standalone cfn-lint does not run this check (no manifest, no environment).

    ## Why is this bad?
    A template with the account or region baked in deploys to a second account or region
    and silently points at the first one: the staging stack writes to production's queue,
    the DR region reads the primary's key. `AWS::AccountId`/`AWS::Region` (what
    `Aws.ACCOUNT_ID`, `Stack.of(self).format_arn(...)` and the L2 `grant*` methods produce)
    follow the stack wherever it goes.

    ## Example
    ```python
    fn.add_to_role_policy(iam.PolicyStatement(
        actions=["secretsmanager:GetSecretValue"],
        resources=["arn:aws:secretsmanager:us-east-1:111111111111:secret:card-keys"]))
    CfnOutput(self, "DashboardUrl", value="https://us-east-1.console.aws.amazon.com/cloudwatch/home"
              f"?region=us-east-1#dashboards:name={dashboard.dashboard_name}")
    ```

    ## Use instead
    ```python
    arn = Stack.of(self).format_arn(service="secretsmanager", resource="secret",
                                    resource_name="card-keys", arn_format=ArnFormat.COLON_RESOURCE_NAME)
    fn.add_to_role_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[arn]))
    # or give the stack an explicit env=cdk.Environment(account=..., region=...)
    region = Stack.of(self).region  # Aws.REGION: outputs follow the stack too
    CfnOutput(self, "DashboardUrl", value=f"https://{region}.console.aws.amazon.com/cloudwatch/home"
              f"?region={region}#dashboards:name={dashboard.dashboard_name}")
    ```

    ## Options
    - `allowed-accounts` (list of strings, default `[]`): accounts that may appear as
      literals (partners, a central logging account). When set, env-explicit stacks are
      held to it too.
    - `allowed-regions` (list of strings, default `[]`): regions that may appear as literals
      (e.g. `us-east-1` for CloudFront certificates). When set, env-explicit stacks are held
      to it too.

    ## References
    - https://docs.aws.amazon.com/cdk/v2/guide/environments.html
    - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
    """

    id = "W9306"
    slug = "hardcoded-env"
    severity_level = Severity.WARNING
    shortdesc = "No literal account ids or regions where AWS::AccountId / AWS::Region belong"
    description = (
        "Literal 12-digit account ids and region names in ARNs, policies and outputs of stacks that "
        "do not own that environment."
    )
    source_url = "https://docs.aws.amazon.com/cdk/v2/guide/environments.html"
    tags = ["portability", "environments"]
    remediation = (
        "Build ARNs with `Stack.of(self).format_arn(...)` or `Aws.ACCOUNT_ID`/`Aws.REGION`, or give the "
        "stack an `env`."
    )
    config_spec = {
        "allowed-accounts": {
            "type": "list",
            "itemtype": "string",
            "default": [],
            "help": "account ids that may be written literally",
        },
        "allowed-regions": {
            "type": "list",
            "itemtype": "string",
            "default": [],
            "help": "regions that may be written literally",
        },
    }

    def match_assembly(self, assembly: Assembly) -> list[AssemblyMatch]:
        allowed = {
            "account": set(self.config["allowed-accounts"]),
            "region": set(self.config["allowed-regions"]),
        }
        app_envs: dict[str, set[str]] = {"account": set(), "region": set()}
        for st in assembly.stacks:
            account, region = environment_of(st)
            app_envs["account"].update([account] if account else [])
            app_envs["region"].update([region] if region else [])
        out: list[AssemblyMatch] = []
        for st in assembly.stacks:
            if not isinstance(st.template, Mapping):
                continue
            account, region = environment_of(st)
            explicit = bool(account or region) or (assembly.directory is None and looks_env_explicit(st.template))
            # an env-explicit stack is held only to lists the user set (see the docstring)
            judged = {k for k in allowed if allowed[k] or not explicit}
            if judged:
                own = {"account": {account} if account else set(), "region": {region} if region else set()}
                ok = {k: allowed[k] | app_envs[k] | own[k] for k in allowed}
                out.extend(self._stack_matches(st, judged, ok))
        return out

    def _stack_matches(self, st: Stack, judged: set[str], ok: dict[str, set[str]]) -> list[AssemblyMatch]:
        assert isinstance(st.template, Mapping)
        out: list[AssemblyMatch] = []

        def report(path: list[str | int], found: Iterator[tuple[str, str]], output: bool = False) -> None:
            bad = sorted({(k, v) for k, v in found if k in judged and v not in ok[k]})
            if bad:
                what = ", ".join(f"{k} {v}" for k, v in bad)
                fix = _output_fix(bad) if output else "`Stack.of(self).format_arn(...)` or `Aws.ACCOUNT_ID`"
                out.append(AssemblyMatch(st.name, path, f"Literal {what}; use {fix}, or allow-list it"))

        for lid, res in st.resources.items():
            if not isinstance(res, Mapping) or not isinstance(res.get("Type"), str) or is_cdk_helper(str(lid), res):
                continue
            props = res.get("Properties")
            if isinstance(props, Mapping):
                for key, value in props.items():
                    report(["Resources", str(lid), "Properties", str(key)], scan_value(value, key in _ACCOUNT_KEYS))
        outputs = st.template.get("Outputs")
        for oid, o in (outputs.items() if isinstance(outputs, Mapping) else []):
            value = o.get("Value") if isinstance(o, Mapping) else None
            text = sub_text(value)
            texts = [text] if text is not None else list(_fragments(value))
            found = [hit for t in texts if not _BOOTSTRAP.search(t) for hit in _text_literals(t)]
            report(["Outputs", str(oid), "Value"], iter(found), output=True)
        return out
