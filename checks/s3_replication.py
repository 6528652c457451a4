"""E9001 s3-replication: buckets that hold data replicate to a bucket that exists."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.assembly import Assembly, Stack
from auditor.findings import AssemblyMatch, Severity
from auditor.incidental import construct_path, is_cdk_helper
from auditor.resolve import (
    UNKNOWN,
    TemplateIndex,
    index,
    is_true,
    literal,
    name_matches,
    properties,
    references,
    selected,
    sub_text,
    tags,
    target,
)
from auditor.rule import AuditRule

BUCKET = "AWS::S3::Bucket"
_ARN_NAME = re.compile(r"^arn:(?:[a-z-]+|\$\{AWS::Partition\}):s3:::([^/*$]+)$")
#: names of CDK's asset and staging buckets (bootstrap, app staging synthesizer), any qualifier
_CDK_ASSET_NAME = re.compile(r"^cdk-[a-z0-9-]+-(assets|staging)-")
#: construct-path segments / logical ids of those buckets when they are in the scanned templates
_CDK_ASSET_PATH = re.compile(r"(^|/)(CdkStagingBucket|StagingBucket)(/|$)")
_TRUSTSTORE_URI = re.compile(r"^s3://([^/]+)/")


def _destinations(props: Mapping[str, Any]) -> list[tuple[int, Any]]:
    """(rule index, Destination.Bucket value) of every rule in a ReplicationConfiguration."""
    config = props.get("ReplicationConfiguration")
    rules = config.get("Rules") if isinstance(config, Mapping) else None
    out = []
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        dest = rule.get("Destination") if isinstance(rule, Mapping) else None
        if isinstance(dest, Mapping) and "Bucket" in dest:
            out.append((i, dest["Bucket"]))
    return out


def _replication_targets(idx: TemplateIndex) -> set[str]:
    """Buckets whose bucket policy lets another account replicate into them: replicas."""
    out: set[str] = set()
    for _, res in idx.of_type("AWS::S3::BucketPolicy"):
        props = properties(res)
        bucket = target(props.get("Bucket"))
        doc = props.get("PolicyDocument")
        statements = doc.get("Statement") if isinstance(doc, Mapping) else None
        for st in statements if isinstance(statements, list) else [statements]:
            if not bucket or not isinstance(st, Mapping) or st.get("Effect") != "Allow":
                continue
            actions = st.get("Action")
            actions = actions if isinstance(actions, list) else [actions]
            if any(isinstance(a, str) and a.lower() in ("s3:replicateobject", "s3:replicate*") for a in actions):
                out.add(bucket)
    return out


def _truststores(idx: TemplateIndex) -> tuple[set[str], set[str]]:
    """Buckets an API Gateway custom domain's ``MutualTlsAuthentication.TruststoreUri`` points
    into: (logical ids, literal bucket names)."""
    ids: set[str] = set()
    names: set[str] = set()
    for _, res in idx.of_type("AWS::ApiGateway::DomainName", "AWS::ApiGatewayV2::DomainName"):
        mtls = properties(res).get("MutualTlsAuthentication")
        uri = mtls.get("TruststoreUri") if isinstance(mtls, Mapping) else None
        if uri is None:
            continue
        ids.update(t for t in references(uri) if idx.type_of(t) == BUCKET)
        text = sub_text(uri)
        m = _TRUSTSTORE_URI.match(text or "")
        if m and "${" not in m.group(1):
            names.add(m.group(1))
    return ids, names


def _cdk_asset_bucket(lid: str, res: Mapping[str, Any]) -> bool:
    """CDK's own asset or staging bucket (a bootstrap or staging stack scanned with the app)."""
    name = literal(properties(res).get("BucketName"))
    if isinstance(name, str) and _CDK_ASSET_NAME.match(name):
        return True
    path = construct_path(res)
    return bool(_CDK_ASSET_PATH.search(path)) if path else lid == "StagingBucket"


class S3Replication(AuditRule):
    """Buckets that hold data must replicate, enabled, to a destination bucket that exists.

    ## What it does
    For every selected `AWS::S3::Bucket` it checks that versioning is enabled and that
    a `ReplicationConfiguration` has a `Role` and at least one rule with `Status: Enabled`
    whose destination is a bucket of this template (`Ref`/`Fn::GetAtt`) or an ARN of one
    outside it (a literal, `Fn::Join`, `Fn::Sub` or `Fn::ImportValue`).

    Replicas are not asked to replicate again: a bucket that another bucket in the
    template replicates to, one whose bucket policy allows `s3:ReplicateObject` (the
    destination of a cross-account rule), or one marked as a replica (tag `replica-tag` = `true`, or a
    literal `BucketName` matching `replica-name-pattern`), is exempt, and so are CDK's
    own helper buckets. Across the whole cloud assembly, a bucket marked as a replica that
    no bucket in any stack replicates to is reported: it is a copy of nothing.

    The default selection, `versioned`, takes versioning as the author's statement that a
    bucket's objects matter, but versioning is also switched on for buckets that only
    serve the infrastructure, whose loss costs a redeploy, not data. So `versioned`
    selects a versioned bucket unless it is one of those: a trust store (an API Gateway
    domain's `MutualTlsAuthentication.TruststoreUri` points into it; API Gateway wants it
    versioned to pin the truststore version), a target of S3 server access logs or VPC
    flow logs (or `AccessControl: LogDeliveryWrite`), a replication destination (above),
    or a CDK asset/staging bucket (`cdk-<qualifier>-assets-…`, the app staging
    synthesizer's `CdkStagingBucket`). `all` keeps none of these exceptions but the
    replicas; `tagged` and `named` select exactly what they say.

    ## Why is this bad?
    A single-region bucket is lost with its region, its account, or one bad delete.
    Replication to another region or account is the recovery path for data that cannot
    be regenerated; a rule that is disabled, has no role or points at a bucket that
    does not exist replicates nothing while looking configured.

    ## Example
    ```python
    s3.Bucket(self, "Ledger", versioned=True)
    ```

    ## Use instead
    ```python
    replica = s3.Bucket(self, "LedgerReplica", versioned=True, bucket_name="ledger-replica")
    s3.Bucket(self, "Ledger", versioned=True,
              replication_rules=[s3.ReplicationRule(destination=replica, priority=1)])
    ```
    ```ts
    const replica = new s3.Bucket(this, 'LedgerReplica', { versioned: true, bucketName: 'ledger-replica' });
    new s3.Bucket(this, 'Ledger', { versioned: true,
      replicationRules: [{ destination: replica, priority: 1 }] });
    ```

    ## Options
    - `select` (string, default `versioned`): which buckets must replicate — `versioned`,
      `all`, `tagged` (tag `tag` = `true`) or `named` (literal name matches `name-pattern`).
    - `tag` (string, default `cdk-audit:replicate`): the tag `select = "tagged"` looks for.
    - `name-pattern` (string, default empty): regex for `select = "named"`.
    - `replica-tag` (string, default `cdk-audit:replica`): tag marking a bucket as a replica.
    - `replica-name-pattern` (string, default `(^|-)replica($|-)`): bucket names of replicas.

    ## References
    - https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_s3/ReplicationRule.html
    """

    id = "E9001"
    slug = "s3-replication"
    severity_level = Severity.ERROR
    shortdesc = "S3 buckets that hold data replicate to a bucket that exists"
    description = (
        "Selected buckets need versioning and an enabled replication rule with a role and an "
        "existing destination; replicas are exempt, and a replica nothing replicates to is reported."
    )
    source_url = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html"
    tags = ["s3", "resilience", "backup"]
    remediation = (
        "Pass `replication_rules=[s3.ReplicationRule(destination=replica, priority=1)]` and `versioned=True` "
        "to s3.Bucket."
    )
    config_spec = {
        "select": {
            "type": "string",
            "default": "versioned",
            "choices": ["versioned", "all", "tagged", "named"],
            "help": "which buckets must replicate: versioned, all, tagged or named",
        },
        "tag": {"type": "string", "default": "cdk-audit:replicate", "help": "tag (value true) for select=tagged"},
        "name-pattern": {"type": "string", "default": "", "help": "regex on the literal BucketName for select=named"},
        "replica-tag": {"type": "string", "default": "cdk-audit:replica", "help": "tag (value true) marking replicas"},
        "replica-name-pattern": {
            "type": "string",
            "default": "(^|-)replica($|-)",
            "help": "regex on the literal BucketName marking replicas",
        },
    }

    # -- shared by both scopes -----------------------------------------------------------

    def is_replica(self, resource: Mapping[str, Any]) -> bool:
        if is_true(tags(resource).get(self.config["replica-tag"])):
            return True
        return name_matches(properties(resource).get("BucketName"), self.config["replica-name-pattern"])

    def _selected(self, lid: str, res: Mapping[str, Any], infrastructure: set[str], names: set[str]) -> bool:
        props = properties(res)
        chosen = selected(res, self.config["select"], self.config["tag"], "BucketName", self.config["name-pattern"])
        if chosen is not None:
            return chosen
        # "versioned": a versioned bucket that holds data, not one that serves the infrastructure
        versioning = props.get("VersioningConfiguration")
        status = literal(versioning.get("Status")) if isinstance(versioning, Mapping) else None
        if status != "Enabled":
            return False
        name = literal(props.get("BucketName"))
        return (
            lid not in infrastructure
            and not (isinstance(name, str) and name in names)
            and literal(props.get("AccessControl")) != "LogDeliveryWrite"
            and not _cdk_asset_bucket(lid, res)
        )

    # -- template scope ------------------------------------------------------------------

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        buckets = list(idx.of_type(BUCKET))
        destinations = _replication_targets(idx)
        log_targets: set[str] = set()
        for _, res in buckets:
            props = properties(res)
            destinations.update(t for _, d in _destinations(props) if (t := target(d)))
            logging = props.get("LoggingConfiguration")
            if isinstance(logging, Mapping) and (t := target(logging.get("DestinationBucketName"))):
                log_targets.add(t)
        for _, res in idx.of_type("AWS::EC2::FlowLog"):
            log_targets.update(references(properties(res).get("LogDestination")))
        trust_ids, trust_names = _truststores(idx)
        out: list[RuleMatch] = []
        for lid, res in buckets:
            if is_cdk_helper(lid, res) or lid in destinations or self.is_replica(res):
                continue
            if self._selected(lid, res, log_targets | trust_ids, trust_names):
                out.extend(self._check_bucket(cfn, idx, lid, properties(res)))
        return out

    def _check_bucket(self, cfn: Template, idx: TemplateIndex, lid: str, props: Mapping[str, Any]) -> list[RuleMatch]:
        here: list[str | int] = ["Resources", lid]
        out: list[RuleMatch] = []
        versioning = props.get("VersioningConfiguration")
        status = literal(versioning.get("Status")) if isinstance(versioning, Mapping) else literal(versioning)
        if status is not UNKNOWN and status != "Enabled":
            out.append(self.finding([*here, "Properties", "VersioningConfiguration"] if versioning else here,
                                    "Bucket is not versioned, so it cannot replicate; set `versioned=True`"))
        config = props.get("ReplicationConfiguration")
        if config is None:
            out.append(self.finding(here, "Bucket does not replicate; pass `replication_rules=[s3.ReplicationRule("
                                          "destination=replica, priority=1)]`"))
            return out
        if not isinstance(config, Mapping):
            return out  # an intrinsic (Fn::If): unknown at synth time
        cpath: list[str | int] = [*here, "Properties", "ReplicationConfiguration"]
        if "Role" not in config:
            out.append(self.finding(cpath, "Replication has no role; pass `replication_role=role` (an IAM role S3 "
                                           "can assume)"))
        rules = config.get("Rules")
        if isinstance(rules, list | None):  # else an intrinsic in place of the list: unknown
            statuses = [literal(r.get("Status")) if isinstance(r, Mapping) else UNKNOWN for r in rules or []]
            if not any(s == "Enabled" or s is UNKNOWN for s in statuses):
                out.append(self.finding([*cpath, "Rules"] if rules else cpath,
                                        "No replication rule is enabled; set a rule's Status to Enabled"))
        for i, dest in _destinations(props):
            problem = self._missing_destination(cfn, idx, dest)
            if problem:
                path = [*cpath, "Rules", i, "Destination", "Bucket"]
                out.append(self.finding(path, f"Replication destination {problem}; point it at an existing bucket"))
        return out

    @staticmethod
    def _missing_destination(cfn: Template, idx: TemplateIndex, dest: Any) -> str | None:
        """Why ``dest`` names no bucket, or None when it does (or cannot be known)."""
        tgt = target(dest)
        if tgt is not None:
            if idx.type_of(tgt) == BUCKET:
                return None
            params = cfn.template.get("Parameters")
            if isinstance(params, Mapping) and tgt in params:
                return None  # a parameter: unknown at synth time
            kind = idx.type_of(tgt)
            return f"{tgt} is not a bucket but {kind}" if kind else f"{tgt} does not exist in this template"
        value = literal(dest)
        if isinstance(value, str) and not value.startswith("arn:"):
            return f"{value!r} is not a bucket ARN"
        return None  # an ARN, a Join/Sub/ImportValue: a bucket outside this template

    # -- assembly scope ------------------------------------------------------------------

    def match_assembly(self, assembly: Assembly) -> list[AssemblyMatch]:
        exports = assembly.exports()
        sources: set[tuple[str, ...]] = set()
        unresolved = False
        for stack in assembly.stacks:
            for _, res in index(stack.template or {}).of_type(BUCKET):
                for _, dest in _destinations(properties(res)):
                    keys = self._dest_keys(stack, dest, exports)
                    unresolved |= keys is None
                    sources.update(keys or ())
        out: list[AssemblyMatch] = []
        for stack in assembly.stacks:
            for lid, res in index(stack.template or {}).of_type(BUCKET):
                if is_cdk_helper(lid, res) or not self.is_replica(res):
                    continue
                name = literal(properties(res).get("BucketName"))
                keys = {("lid", stack.name, lid)} | ({("name", name)} if isinstance(name, str) else set())
                if keys & sources or unresolved:  # unresolved: it may be the one replicated to
                    continue
                out.append(AssemblyMatch(stack.name, ["Resources", lid],
                                         "Replica bucket has no source; make it a replication rule's "
                                         "`destination`, or unmark it"))
        return out

    def _dest_keys(self, stack: Stack, dest: Any, exports: dict[str, tuple[Stack, str, Any]],
                   depth: int = 0) -> set[tuple[str, ...]] | None:
        """What a destination names: ("lid", stack, id) and/or ("name", bucket name).

        Empty when it names no bucket; None when it cannot be known here (a parameter, an
        export from outside the assembly, a name built from the account id).
        """
        tgt = target(dest)
        if tgt is not None:
            res = stack.resources.get(tgt)
            if res is None:
                return None
            if not isinstance(res, Mapping) or res.get("Type") != BUCKET:
                return set()
            name = literal(properties(res).get("BucketName"))
            return {("lid", stack.name, tgt)} | ({("name", name)} if isinstance(name, str) else set())
        if isinstance(dest, Mapping) and len(dest) == 1 and "Fn::ImportValue" in dest and depth < 3:
            name = literal(dest["Fn::ImportValue"])
            export = exports.get(name) if isinstance(name, str) else None
            return self._dest_keys(export[0], export[2], exports, depth + 1) if export else None
        text = sub_text(dest)
        if text is None:
            return None
        bucket_ref = re.fullmatch(r"\$\{([A-Za-z0-9]+)\.Arn\}", text)
        if bucket_ref:
            return self._dest_keys(stack, {"Fn::GetAtt": [bucket_ref.group(1), "Arn"]}, exports, depth)
        m = _ARN_NAME.match(text)
        return {("name", m.group(1))} if m else None
