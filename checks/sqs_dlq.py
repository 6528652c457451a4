"""W9203 sqs-dlq: queues hand poison messages to a dead-letter queue."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import construct_path, is_cdk_helper
from auditor.resolve import UNKNOWN, TemplateIndex, index, literal, properties, references
from auditor.rule import AuditRule

QUEUE = "AWS::SQS::Queue"
#: property names under which any service names its dead-letter (or on-failure) target
_DLQ_KEYS = frozenset({"deadLetterTargetArn", "DeadLetterConfig", "DeadLetterTargetArn", "OnFailure"})


def redrive_policy(props: Mapping[str, Any]) -> Any:
    """The queue's RedrivePolicy as a map (templates may hold it as a JSON string)."""
    policy = props.get("RedrivePolicy")
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except (ValueError, RecursionError):  # not JSON, or nested too deeply to read
            return UNKNOWN
    return policy


def _is_intrinsic(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and str(next(iter(value))).startswith("Fn::")


def _dlq_targets(value: Any, found: set[str]) -> None:
    """Every logical id referenced under a dead-letter/on-failure key, at any depth."""
    if isinstance(value, Mapping):
        for key, sub in value.items():
            if key in _DLQ_KEYS:
                found.update(references(sub))
            else:
                _dlq_targets(sub, found)
    elif isinstance(value, list):
        for sub in value:
            _dlq_targets(sub, found)


def _leaving(template: Mapping[str, Any], idx: TemplateIndex) -> set[str]:
    """Resources whose identity leaves the template: referred to by an ``Output``, a nested
    stack's ``Parameters`` or an SSM parameter that publishes it to other apps."""
    found: set[str] = set()
    outputs = template.get("Outputs")
    if isinstance(outputs, Mapping):
        found.update(references(list(outputs.values())))
    for _, res in idx.of_type("AWS::CloudFormation::Stack", "AWS::SSM::Parameter"):
        found.update(references(properties(res)))
    return found


class SqsDlq(AuditRule):
    """Queues have a redrive policy to a dead-letter queue.

    ## What it does
    Reports every `AWS::SQS::Queue` (standard or FIFO) without a `RedrivePolicy` that
    names a `deadLetterTargetArn`. Dead-letter queues themselves are exempt, and a queue
    is one because it is used as one, not because of its name: a queue that a resource of
    the template names as its dead-letter or on-failure target (another queue's
    `RedrivePolicy`, an SNS subscription's, a Lambda `DeadLetterConfig`, an EventBridge
    target's `DeadLetterConfig`, an event source mapping's or event invoke config's
    `OnFailure`), or a queue with a `RedriveAllowPolicy`. A queue *named* like a DLQ that
    nothing here uses as one is reported (it is a queue nobody drains), unless it leaves
    the template — an `Output`, a nested stack's parameter or an SSM parameter refers to
    it — where its user cannot be seen and the name (`dlq-name-pattern`) is taken at its
    word. CDK's own helper queues are skipped.

    ## Why is this bad?
    A message a consumer cannot process comes back after every visibility timeout until
    its retention period ends: it blocks FIFO groups, burns consumer time, and is then
    silently deleted. A dead-letter queue keeps it after `max_receive_count` tries, where
    an alarm and a redrive can deal with it.

    ## Example
    ```python
    sqs.Queue(self, "SettlementJobs")
    ```

    ## Use instead
    ```python
    dlq = sqs.Queue(self, "SettlementJobsDlq", retention_period=Duration.days(14))
    sqs.Queue(self, "SettlementJobs",
              dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=5))
    ```

    ## Options
    - `dlq-name-pattern` (string, default `(?i)(dlq|dead-?letter)`): regex on a queue's
      literal `QueueName`, construct path or logical id marking it as a dead-letter queue
      for a user outside the template (it applies only to queues that leave the template).

    ## References
    - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_sqs/DeadLetterQueue.html
    """

    id = "W9203"
    slug = "sqs-dlq"
    severity_level = Severity.WARNING
    shortdesc = "SQS queues have a dead-letter queue"
    description = "AWS::SQS::Queue resources need a RedrivePolicy with a deadLetterTargetArn; DLQs are exempt."
    source_url = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html"
    tags = ["sqs", "resilience"]
    remediation = "Pass `dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=5)` to sqs.Queue."
    config_spec = {
        "dlq-name-pattern": {
            "type": "string",
            "default": "(?i)(dlq|dead-?letter)",
            "help": "regex on QueueName, construct path or logical id marking exported dead-letter queues",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        dlqs = self._dead_letter_targets(idx)
        leaving = _leaving(cfn.template, idx)
        out: list[RuleMatch] = []
        for lid, res in idx.of_type(QUEUE):
            props = properties(res)
            if is_cdk_helper(lid, res) or lid in dlqs or "RedriveAllowPolicy" in props:
                continue
            if lid in leaving and self._named_dlq(lid, res):
                continue  # its user is outside this template, where a name is all we can see
            policy = redrive_policy(props)
            if policy is UNKNOWN or not isinstance(policy, Mapping | None) or _is_intrinsic(policy):
                continue  # an intrinsic (Fn::If) or unparsable: unknown at synth time
            if policy is not None and "deadLetterTargetArn" in policy:
                continue
            path: list[str | int] = ["Resources", lid, "Properties"]
            if policy is not None:
                path.append("RedrivePolicy")
            out.append(self.finding(path, "Queue has no dead-letter queue; pass `dead_letter_queue="
                                          "sqs.DeadLetterQueue(queue=dlq, max_receive_count=5)`"))
        return out

    @staticmethod
    def _dead_letter_targets(idx: TemplateIndex) -> set[str]:
        found: set[str] = set()
        for res in idx.resources.values():
            _dlq_targets(properties(res), found)
            if res.get("Type") == QUEUE:
                policy = redrive_policy(properties(res))
                if isinstance(policy, Mapping):
                    found.update(references(policy.get("deadLetterTargetArn")))
        return found

    def _named_dlq(self, lid: str, res: Mapping[str, Any]) -> bool:
        pattern = self.config["dlq-name-pattern"]
        if not pattern:
            return False
        name = literal(properties(res).get("QueueName"))
        # the construct path without its stack, so a stack named "DlqStack" does not exempt everything
        path = (construct_path(res) or "").split("/", 1)[-1]
        candidates = [lid, path, name if isinstance(name, str) else ""]
        return any(re.search(pattern, c) for c in candidates if c)
