"""E9201 s3-hardening: buckets are encrypted, block public access, demand TLS, and version."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import (
    UNKNOWN,
    TemplateIndex,
    index,
    is_false,
    is_true,
    literal,
    properties,
    sub_text,
    target,
)
from auditor.rule import AuditRule

BUCKET = "AWS::S3::Bucket"
POLICY = "AWS::S3::BucketPolicy"
_PAB_KEYS = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
_SSE = {"AES256", "aws:kms", "aws:kms:dsse"}


def _algorithms(props: Mapping[str, Any]) -> list[Any]:
    """The SSEAlgorithm of every default-encryption rule (UNKNOWN where not literal)."""
    enc = props.get("BucketEncryption")
    rules = enc.get("ServerSideEncryptionConfiguration") if isinstance(enc, Mapping) else UNKNOWN
    if not isinstance(rules, list):
        return [UNKNOWN]
    out = []
    for rule in rules:
        default = rule.get("ServerSideEncryptionByDefault") if isinstance(rule, Mapping) else None
        out.append(literal(default.get("SSEAlgorithm")) if isinstance(default, Mapping) else UNKNOWN)
    return out


def _denies_plain_http(statement: Any) -> bool:
    """A Deny statement conditioned on aws:SecureTransport = false (CDK's enforce_ssl shape)."""
    if not isinstance(statement, Mapping) or literal(statement.get("Effect")) != "Deny":
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    for operator, tests in condition.items():
        if str(operator).removesuffix("IfExists") != "Bool" or not isinstance(tests, Mapping):
            continue
        for key, value in tests.items():
            values = value if isinstance(value, list) else [value]
            if str(key).lower() == "aws:securetransport" and any(is_false(v) for v in values):
                return True
    return False


def _items(value: Any) -> list[Any] | None:
    """A policy element as a list of literals; None when unknown at synth time."""
    v = literal(value)
    if v is UNKNOWN:
        return None
    return v if isinstance(v, list) else [v]


def _covers_actions(statement: Mapping[str, Any]) -> bool:
    if "Action" not in statement:
        return False  # NotAction: every action but some
    actions = _items(statement.get("Action"))
    return actions is None or any(isinstance(a, str) and a.lower() in ("*", "s3:*") for a in actions)


def _covers_principals(statement: Mapping[str, Any]) -> bool:
    if "Principal" not in statement:
        return False  # NotPrincipal: everyone but some
    principal = literal(statement.get("Principal"))
    if principal is UNKNOWN or principal == "*":
        return True
    aws = principal.get("AWS") if isinstance(principal, Mapping) else None
    return aws == "*" or (isinstance(aws, list) and "*" in aws)


_PARTITION_ARN = re.compile(r"^arn:(?:aws|aws-cn|aws-us-gov|\$\{AWS::Partition\})?:s3:::")
_BUCKET_ARN_ATT = re.compile(r"\$\{([A-Za-z0-9]+)\.Arn\}")


def _arn_text(value: Any) -> str | None:
    """An S3 ARN as one normal text: ``${B.Arn}`` and any partition become ``arn:${AWS::Partition}:s3:::${B}``."""
    text = sub_text(value)
    if text is None:
        return None
    text = _BUCKET_ARN_ATT.sub(lambda m: "arn:${AWS::Partition}:s3:::${" + m.group(1) + "}", text)
    return _PARTITION_ARN.sub("arn:${AWS::Partition}:s3:::", text)


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z")


def _covered(resources: list[str | None], arns: set[str]) -> tuple[bool, bool]:
    """(bucket covered, every object covered) by a statement's resources, for a bucket known by ``arns``.

    An unknown resource (None) covers both: it cannot be judged at synth time.
    """
    if any(r is None for r in resources):
        return True, True
    patterns = [_glob(str(r)) for r in resources]
    bucket = any(p.match(a) for p in patterns for a in arns)
    objects = any(p.match(a + "/*") for p in patterns for a in arns)
    return bucket, objects


def tls_gaps(statement: Any, arns: set[str]) -> list[str] | None:
    """What a TLS-only statement leaves uncovered (empty: nothing), or None if it is not one."""
    if not _denies_plain_http(statement):
        return None
    gaps = []
    if not _covers_actions(statement):
        gaps.append("every S3 action")
    if not _covers_principals(statement):
        gaps.append("every principal")
    raw = statement.get("Resource") if "Resource" in statement else []
    resources = raw if isinstance(raw, list) else [raw]
    bucket, objects = _covered([_arn_text(r) for r in resources], arns)
    if not bucket:
        gaps.append("the bucket ARN")
    if not objects:
        gaps.append("every object (arn/*)")
    return gaps


class S3Hardening(AuditRule):
    """Buckets are encrypted, block all public access, refuse plain HTTP, and version when they must.

    ## What it does
    For every `AWS::S3::Bucket` that is not one of CDK's own helper buckets it reports:
    - no default encryption (`BucketEncryption`) when `require-explicit-encryption` is on,
      or SSE-S3 (`AES256`) where `kms-required` asks for `aws:kms` (server-access-log
      targets are exempt: S3 cannot deliver logs to SSE-KMS buckets);
    - a `PublicAccessBlockConfiguration` with any of its four settings not `true`, or none
      at all when `require-explicit-public-access-block` is on;
    - no `AWS::S3::BucketPolicy` on the bucket with a `Deny` statement conditioned on
      `Bool` `aws:SecureTransport` = `false` that covers every S3 action (`s3:*` or `*`),
      every principal (`*` or `{"AWS": "*"}`), and both the bucket ARN and its objects
      (`arn/*`; wildcards count) — what `enforce_ssl=True` writes. A statement that
      leaves a gap (only `s3:GetObject`, one account, only the objects) is reported
      with the gap; resources unknown at synth time are given the benefit of the doubt;
    - no enabled versioning where a `ReplicationConfiguration` is present or
      `require-versioning` is on.

    ## Why is this bad?
    S3 encrypts new objects with SSE-S3 and blocks public access on new buckets by
    default, but only a template that says so keeps saying so after someone changes the
    bucket in the console. Without a TLS-only policy, clients may read and write over
    plain HTTP. Without versioning an overwrite or delete is final, and replication does
    not work at all.

    ## Example
    ```python
    s3.Bucket(self, "SettlementFiles")
    ```

    ## Use instead
    ```python
    s3.Bucket(self, "SettlementFiles",
              encryption=s3.BucketEncryption.S3_MANAGED,
              block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
              enforce_ssl=True, versioned=True)
    ```

    ## Options
    - `require-explicit-encryption` (boolean, default true): report buckets without a
      `BucketEncryption` even though S3 applies SSE-S3 by default.
    - `kms-required` (boolean, default false; production profile false): demand
      `aws:kms` (or `aws:kms:dsse`) rather than SSE-S3.
    - `require-explicit-public-access-block` (boolean, default true): report buckets
      without a `PublicAccessBlockConfiguration` even though S3 blocks public access on
      new buckets by default.
    - `require-versioning` (boolean, default false; production profile true): every
      bucket must be versioned, not only those that replicate.

    ## References
    - https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_s3/Bucket.html
    """

    id = "E9201"
    slug = "s3-hardening"
    severity_level = Severity.ERROR
    shortdesc = "S3 buckets are encrypted, block public access, demand TLS and version"
    description = (
        "Buckets need default encryption, all four public-access-block settings, a policy denying "
        "aws:SecureTransport=false for s3:* to every principal on the bucket and its objects, and "
        "versioning where they replicate or the profile requires it."
    )
    source_url = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html"
    tags = ["s3", "security", "encryption"]
    remediation = (
        "Set `block_public_access=s3.BlockPublicAccess.BLOCK_ALL`, `enforce_ssl=True`, `versioned=True` and "
        "an `encryption`."
    )
    config_spec = {
        "require-explicit-encryption": {
            "type": "boolean",
            "default": True,
            "help": "report buckets without BucketEncryption (S3 applies SSE-S3 by default)",
        },
        "kms-required": {
            "type": "boolean",
            "default": False,
            "profiles": {"production": False},
            "help": "demand aws:kms default encryption rather than SSE-S3",
        },
        "require-explicit-public-access-block": {
            "type": "boolean",
            "default": True,
            "help": "report buckets without PublicAccessBlockConfiguration (S3 blocks by default)",
        },
        "require-versioning": {
            "type": "boolean",
            "default": False,
            "profiles": {"production": True},
            "help": "every bucket must be versioned, not only replicating ones",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        secured, partial = self._tls_only_buckets(idx)
        log_targets: set[str] = set()
        for _, res in idx.of_type(BUCKET):
            logging = properties(res).get("LoggingConfiguration")
            if isinstance(logging, Mapping) and (t := target(logging.get("DestinationBucketName"))):
                log_targets.add(t)
        out: list[RuleMatch] = []
        for lid, res in idx.of_type(BUCKET):
            if is_cdk_helper(lid, res):
                continue
            props = properties(res)
            here: list[str | int] = ["Resources", lid, "Properties"]
            is_log_target = lid in log_targets or literal(props.get("AccessControl")) == "LogDeliveryWrite"
            out.extend(self._encryption(here, props, is_log_target))
            out.extend(self._public_access(here, props))
            keys = self._keys(lid, props)
            if not keys & secured:
                gaps = next((partial[k] for k in sorted(keys) if k in partial), None)
                out.append(self.finding(["Resources", lid], f"TLS-only policy does not cover {', '.join(gaps)}; "
                                                            "set `enforce_ssl=True`" if gaps else
                                                            "Bucket accepts plain HTTP; set `enforce_ssl=True`"))
            out.extend(self._versioning(here, props))
        return out

    def _encryption(self, here: list[str | int], props: Mapping[str, Any], is_log_target: bool) -> list[RuleMatch]:
        if "BucketEncryption" not in props:
            if self.config["require-explicit-encryption"]:
                return [self.finding(here, "Bucket has no default encryption; set `encryption=s3.BucketEncryption."
                                           "S3_MANAGED` or KMS")]
            return []
        algorithms = _algorithms(props)
        path = [*here, "BucketEncryption"]
        if UNKNOWN in algorithms:
            return []
        if not any(a in _SSE for a in algorithms):
            return [self.finding(path, "Bucket encryption names no known algorithm; set "
                                       "`encryption=s3.BucketEncryption.S3_MANAGED` or KMS")]
        kms = any(str(a).startswith("aws:kms") for a in algorithms)
        if self.config["kms-required"] and not is_log_target and not kms:
            return [self.finding(path, "Bucket uses SSE-S3 where KMS is required; set "
                                       "`encryption=s3.BucketEncryption.KMS`")]
        return []

    def _public_access(self, here: list[str | int], props: Mapping[str, Any]) -> list[RuleMatch]:
        pab = props.get("PublicAccessBlockConfiguration")
        if pab is None:
            if self.config["require-explicit-public-access-block"]:
                return [self.finding(here, "Bucket does not block public access; set "
                                           "`block_public_access=s3.BlockPublicAccess.BLOCK_ALL`")]
            return []
        if not isinstance(pab, Mapping):
            return []  # an intrinsic: unknown at synth time
        open_keys = [k for k in _PAB_KEYS if literal(pab.get(k)) is not UNKNOWN and not is_true(pab.get(k))]
        if open_keys:
            return [self.finding([*here, "PublicAccessBlockConfiguration"],
                                 f"Public access block leaves {', '.join(open_keys)} off; use "
                                 "`s3.BlockPublicAccess.BLOCK_ALL`")]
        return []

    def _versioning(self, here: list[str | int], props: Mapping[str, Any]) -> list[RuleMatch]:
        replicates = "ReplicationConfiguration" in props
        if not (replicates or self.config["require-versioning"]):
            return []
        versioning = props.get("VersioningConfiguration")
        status = literal(versioning.get("Status")) if isinstance(versioning, Mapping) else literal(versioning)
        if status is UNKNOWN or status == "Enabled":
            return []
        why = "it replicates" if replicates else "the profile requires it"
        path = [*here, "VersioningConfiguration"] if versioning is not None else here
        return [self.finding(path, f"Bucket is not versioned but {why}; set `versioned=True`")]

    @staticmethod
    def _keys(lid: str, props: Mapping[str, Any]) -> set[str]:
        """How a bucket policy can name this bucket: its logical id, or 'name:X' for its name."""
        name = sub_text(props.get("BucketName")) if "BucketName" in props else None
        return {lid} | ({f"name:{name}"} if name is not None else set())

    @staticmethod
    def _tls_only_buckets(idx: TemplateIndex) -> tuple[set[str], dict[str, list[str]]]:
        """Buckets (by ``_keys``) whose policy denies plain HTTP for every action, principal and
        object, and what the TLS-only statements of the other policies leave uncovered."""
        secured: set[str] = set()
        partial: dict[str, list[str]] = {}
        for _, res in idx.of_type(POLICY):
            props = properties(res)
            bucket = props.get("Bucket")
            if (t := target(bucket)) is not None:
                key, arns = t, {f"arn:${{AWS::Partition}}:s3:::${{{t}}}"}
                name = sub_text(properties(idx.resources.get(t)).get("BucketName"))
                arns |= {f"arn:${{AWS::Partition}}:s3:::{name}"} if name is not None else set()
            elif (name := sub_text(bucket)) is not None:
                # a name, literal or built (Fn::Sub "${AppName}-${AWS::Region}"), the same text as BucketName
                key, arns = f"name:{name}", {f"arn:${{AWS::Partition}}:s3:::{name}"}
            else:
                continue
            doc = props.get("PolicyDocument")
            statements = doc.get("Statement") if isinstance(doc, Mapping) else None
            statements = statements if isinstance(statements, list) else [statements]
            found = [g for st in statements if (g := tls_gaps(st, arns)) is not None]
            if any(not g for g in found):
                secured.add(key)
            elif found:
                partial[key] = min(found, key=len)
        return secured, partial
