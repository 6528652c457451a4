"""E9201 s3-hardening: buckets are encrypted, block public access, demand TLS, and version."""

from __future__ import annotations

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
      `Bool` `aws:SecureTransport` = `false` (what `enforce_ssl=True` writes);
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
        "aws:SecureTransport=false, and versioning where they replicate or the profile requires it."
    )
    source_url = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html"
    tags = ["s3", "security", "encryption"]
    remediation = (
        "Pass encryption=s3.BucketEncryption.S3_MANAGED, block_public_access=s3.BlockPublicAccess.BLOCK_ALL, "
        "enforce_ssl=True and versioned=True to s3.Bucket."
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
        secured = self._tls_only_buckets(idx)
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
            if lid not in secured and not self._named_in(secured, props):
                out.append(self.finding(["Resources", lid], "Bucket accepts plain HTTP; set enforce_ssl=True"))
            out.extend(self._versioning(here, props))
        return out

    def _encryption(self, here: list[str | int], props: Mapping[str, Any], is_log_target: bool) -> list[RuleMatch]:
        if "BucketEncryption" not in props:
            if self.config["require-explicit-encryption"]:
                return [self.finding(here, "Bucket has no default encryption; set encryption=s3.BucketEncryption."
                                           "S3_MANAGED or KMS")]
            return []
        algorithms = _algorithms(props)
        path = [*here, "BucketEncryption"]
        if UNKNOWN in algorithms:
            return []
        if not any(a in _SSE for a in algorithms):
            return [self.finding(path, "Bucket default encryption names no known algorithm; use S3_MANAGED or KMS")]
        kms = any(str(a).startswith("aws:kms") for a in algorithms)
        if self.config["kms-required"] and not is_log_target and not kms:
            return [self.finding(path, "Bucket uses SSE-S3 where KMS is required; use s3.BucketEncryption.KMS")]
        return []

    def _public_access(self, here: list[str | int], props: Mapping[str, Any]) -> list[RuleMatch]:
        pab = props.get("PublicAccessBlockConfiguration")
        if pab is None:
            if self.config["require-explicit-public-access-block"]:
                return [self.finding(here, "Bucket does not block public access; set "
                                           "block_public_access=s3.BlockPublicAccess.BLOCK_ALL")]
            return []
        if not isinstance(pab, Mapping):
            return []  # an intrinsic: unknown at synth time
        open_keys = [k for k in _PAB_KEYS if literal(pab.get(k)) is not UNKNOWN and not is_true(pab.get(k))]
        if open_keys:
            return [self.finding([*here, "PublicAccessBlockConfiguration"],
                                 f"Public access block leaves {', '.join(open_keys)} off; use BLOCK_ALL")]
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
        return [self.finding(path, f"Bucket is not versioned but {why}; set versioned=True")]

    @staticmethod
    def _tls_only_buckets(idx: TemplateIndex) -> set[str]:
        """Logical ids (and literal names, as 'name:X') of buckets whose policy denies plain HTTP."""
        out: set[str] = set()
        for _, res in idx.of_type(POLICY):
            props = properties(res)
            doc = props.get("PolicyDocument")
            statements = doc.get("Statement") if isinstance(doc, Mapping) else None
            statements = statements if isinstance(statements, list) else [statements]
            if not any(_denies_plain_http(s) for s in statements):
                continue
            bucket = props.get("Bucket")
            if (t := target(bucket)) is not None:
                out.add(t)
            elif (name := sub_text(bucket)) is not None:
                # a name, literal or built (Fn::Sub "${AppName}-${AWS::Region}"), the same text as BucketName
                out.add(f"name:{name}")
        return out

    @staticmethod
    def _named_in(secured: set[str], props: Mapping[str, Any]) -> bool:
        name = sub_text(props.get("BucketName")) if "BucketName" in props else None
        return name is not None and f"name:{name}" in secured
