"""E9204 sqs-encryption: queues (and, when asked, SNS topics) encrypt messages at rest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, index, is_false, is_true, literal, properties
from auditor.rule import AuditRule


def _empty_key(props: Mapping[str, Any]) -> bool:
    """``KmsMasterKeyId: ""``: a key property that names no key, so no KMS encryption."""
    key = literal(props.get("KmsMasterKeyId"))
    return isinstance(key, str) and not key.strip()


class SqsEncryption(AuditRule):
    """SQS queues (and SNS topics, when the profile asks) encrypt messages at rest.

    ## What it does
    - `AWS::SQS::Queue`: reports `SqsManagedSseEnabled: false` without a `KmsMasterKeyId`
      (what `encryption=sqs.QueueEncryption.UNENCRYPTED` writes), an empty
      `KmsMasterKeyId: ""` (it names no key) unless `SqsManagedSseEnabled` is `true`, and, when
      `require-explicit` is on, queues that set neither `KmsMasterKeyId` nor
      `SqsManagedSseEnabled: true`.
    - `AWS::SNS::Topic`: reports topics without a `KmsMasterKeyId` (or with an empty one) when
      `require-sns-encryption` is on.

    CDK's own helper resources and values unknown at synth time are skipped.

    ## Why is this bad?
    Settlement jobs, notifications and payment events sit in queues and topics for
    minutes to days. SQS turns SQS-managed encryption on for new queues by default since
    2022, but a template that says nothing keeps no record of it and an `UNENCRYPTED`
    queue opts out; SNS topics are not encrypted at rest unless given a KMS key.

    ## Example
    ```python
    sqs.Queue(self, "SettlementJobs", encryption=sqs.QueueEncryption.UNENCRYPTED)
    sns.Topic(self, "SettlementNotices")
    ```

    ## Use instead
    ```python
    sqs.Queue(self, "SettlementJobs", encryption=sqs.QueueEncryption.SQS_MANAGED)
    sns.Topic(self, "SettlementNotices", master_key=key)
    ```

    ## Options
    - `require-explicit` (boolean, default true): report queues that rely on the SQS
      default instead of stating `SQS_MANAGED` or `KMS` encryption.
    - `require-sns-encryption` (boolean, default false; production profile true): report
      SNS topics without a KMS key.

    ## References
    - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html
    - https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html
    """

    id = "E9204"
    slug = "sqs-encryption"
    severity_level = Severity.ERROR
    shortdesc = "SQS queues and SNS topics encrypt messages at rest"
    description = (
        "Queues must not turn SQS-managed SSE off and (require-explicit) must state SSE-SQS or KMS; "
        "SNS topics need a KmsMasterKeyId when require-sns-encryption is on."
    )
    source_url = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html"
    tags = ["sqs", "sns", "security", "encryption"]
    remediation = (
        "Pass `encryption=sqs.QueueEncryption.SQS_MANAGED` (or KMS) to sqs.Queue, `master_key=key` to sns.Topic."
    )
    config_spec = {
        "require-explicit": {
            "type": "boolean",
            "default": True,
            "help": "report queues relying on the SQS default encryption instead of stating it",
        },
        "require-sns-encryption": {
            "type": "boolean",
            "default": False,
            "profiles": {"production": True},
            "help": "report SNS topics without a KMS key",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        out: list[RuleMatch] = []
        for lid, res in idx.of_type("AWS::SQS::Queue"):
            if is_cdk_helper(lid, res):
                continue
            props = properties(res)
            here: list[str | int] = ["Resources", lid, "Properties"]
            managed = props.get("SqsManagedSseEnabled")
            if _empty_key(props):
                if not is_true(managed) and literal(managed) is not UNKNOWN:
                    out.append(self.finding([*here, "KmsMasterKeyId"], "KmsMasterKeyId is empty: queue is unencrypted; "
                                                                       "pass a KMS key or `sqs.QueueEncryption."
                                                                       "SQS_MANAGED`"))
                continue
            if "KmsMasterKeyId" in props:
                continue
            if is_false(managed):
                out.append(self.finding([*here, "SqsManagedSseEnabled"],
                                        "Queue is unencrypted; set `encryption=sqs.QueueEncryption.SQS_MANAGED` "
                                        "or KMS"))
            elif managed is None and self.config["require-explicit"]:
                out.append(self.finding(here, "Queue does not state its encryption; set "
                                              "`encryption=sqs.QueueEncryption.SQS_MANAGED` or KMS"))
            elif managed is not None and not is_true(managed) and literal(managed) is not UNKNOWN:
                out.append(self.finding([*here, "SqsManagedSseEnabled"],
                                        "SqsManagedSseEnabled is not a boolean; set it to true"))
        if self.config["require-sns-encryption"]:
            for lid, res in idx.of_type("AWS::SNS::Topic"):
                props = properties(res)
                if not is_cdk_helper(lid, res) and ("KmsMasterKeyId" not in props or _empty_key(props)):
                    out.append(self.finding(["Resources", lid, "Properties"],
                                            "Topic is not encrypted at rest; pass `master_key=kms_key` to sns.Topic"))
        return out
