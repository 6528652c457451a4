"""W9303 lambda-config: functions set timeout and memory, keep failed async events, trace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, TemplateIndex, index, literal, properties, target
from auditor.rule import AuditRule

FUNCTION = "AWS::Lambda::Function"


class LambdaConfig(AuditRule):
    """Lambda functions need a timeout, a memory size, a place for failed events and tracing.

    ## What it does
    For every `AWS::Lambda::Function` that is the user's (CDK's helper functions are
    exempt) it reports:

    - no explicit `Timeout` or no explicit `MemorySize`, when `require-size` is on (the
      production profile);
    - an asynchronous source but neither a dead-letter queue (`DeadLetterConfig.TargetArn`)
      nor an on-failure destination (an `AWS::Lambda::EventInvokeConfig` for the function
      with `DestinationConfig.OnFailure`). A source is asynchronous when an
      `AWS::Lambda::Permission` for the function names a principal of `async-principals`
      (S3, SNS, EventBridge by default), an `AWS::Events::Rule` targets the function, or an
      `AWS::SNS::Subscription` has it as endpoint. A function that only a scheduled
      EventBridge rule (`ScheduleExpression`, no `EventPattern`) invokes counts only when
      `scheduled-dlq` is on (the production profile): the next run retries the work, so a
      DLQ there is house style, not a lost event;
    - no active tracing (`TracingConfig.Mode: Active`) when `require-tracing` is on.

    Values unknown at synth time count as set.

    ## Why is this bad?
    The defaults — 3 seconds and 128 MB — were chosen for hello-world; they time out under
    the first slow dependency, and nobody decided them. Asynchronous invocations are
    retried twice and then dropped: without a DLQ or on-failure destination a failed S3 or
    EventBridge event is gone for good. Without tracing, a slow call chain in production
    cannot be taken apart.

    ## Example
    ```python
    fn = lambda_.Function(self, "Settle", runtime=lambda_.Runtime.PYTHON_3_13,
                          handler="index.handler", code=code)
    events.Rule(self, "Nightly", schedule=events.Schedule.cron(hour="2", minute="0"),
                targets=[targets.LambdaFunction(fn)])
    ```

    ## Use instead
    ```python
    fn = lambda_.Function(self, "Settle", runtime=lambda_.Runtime.PYTHON_3_13,
                          handler="index.handler", code=code,
                          timeout=Duration.seconds(30), memory_size=512,
                          dead_letter_queue_enabled=True, tracing=lambda_.Tracing.ACTIVE)
    ```

    ## Options
    - `require-size` (boolean, default `false`; production profile `true`): report
      functions without an explicit `timeout` and `memory_size`. Lambda's defaults work;
      choosing them is a production convention.
    - `scheduled-dlq` (boolean, default `false`; production profile `true`): also ask for a
      DLQ on functions that only a schedule invokes.
    - `require-tracing` (boolean, default `false`; production profile `true`): report
      functions without active X-Ray tracing.
    - `async-principals` (list of strings, default `["s3.amazonaws.com",
      "sns.amazonaws.com", "events.amazonaws.com"]`): permission principals that invoke
      asynchronously.

    ## References
    - https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
    - https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_lambda/Function.html
    """

    id = "W9303"
    slug = "lambda-config"
    severity_level = Severity.WARNING
    shortdesc = "Lambda functions set timeout and memory, keep failed async events, and trace"
    description = (
        "User functions without explicit Timeout/MemorySize, without a DLQ or on-failure destination "
        "when invoked asynchronously, or without active tracing where required."
    )
    source_url = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"
    tags = ["lambda", "resilience", "observability"]
    remediation = (
        "Set `timeout=Duration.seconds(N)`, `memory_size=N`, `dead_letter_queue_enabled=True`, "
        "`tracing=lambda_.Tracing.ACTIVE`."
    )
    config_spec = {
        "require-size": {
            "type": "boolean",
            "default": False,
            "profiles": {"production": True},
            "help": "report functions without explicit Timeout and MemorySize",
        },
        "scheduled-dlq": {
            "type": "boolean",
            "default": False,
            "profiles": {"production": True},
            "help": "ask for a DLQ on functions only a scheduled EventBridge rule invokes",
        },
        "require-tracing": {
            "type": "boolean",
            "default": False,
            "profiles": {"production": True},
            "help": "report functions without TracingConfig.Mode Active",
        },
        "async-principals": {
            "type": "list",
            "itemtype": "string",
            "default": ["s3.amazonaws.com", "sns.amazonaws.com", "events.amazonaws.com"],
            "help": "Lambda permission principals that invoke asynchronously",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        async_fns = self._async_targets(idx)
        on_failure = self._on_failure_configured(idx)
        out: list[RuleMatch] = []
        for lid, res in idx.of_type(FUNCTION):
            if is_cdk_helper(lid, res):
                continue
            props = properties(res)
            here: list[str | int] = ["Resources", lid, "Properties"]
            missing = [k for k in ("Timeout", "MemorySize") if k not in props and self.config["require-size"]]
            if missing:
                fixes = " and ".join({"Timeout": "`timeout=Duration.seconds(N)`",
                                     "MemorySize": "`memory_size=N`"}[k] for k in missing)
                out.append(self.finding(here, f"Function has no explicit {' or '.join(missing)}; set {fixes}"))
            if lid in async_fns and lid not in on_failure and not self._has_dlq(props):
                out.append(self.finding(here, "Function drops failed async events; set "
                                              "`dead_letter_queue_enabled=True` or `on_failure=destination`"))
            if self.config["require-tracing"]:
                tracing = props.get("TracingConfig")
                mode = literal(tracing.get("Mode")) if isinstance(tracing, Mapping) else literal(tracing)
                if mode is not UNKNOWN and mode != "Active":
                    out.append(self.finding(here, "Function is not traced; set `tracing=lambda_.Tracing.ACTIVE`"))
        return out

    @staticmethod
    def _has_dlq(props: Mapping[str, Any]) -> bool:
        dlq = props.get("DeadLetterConfig")
        return dlq is not None and (not isinstance(dlq, Mapping) or "TargetArn" in dlq)

    def _async_targets(self, idx: TemplateIndex) -> set[str]:
        """Functions of this template that something invokes asynchronously."""
        principals = set(self.config["async-principals"])
        # a schedule's next run redoes the work: its DLQ is production strictness
        schedules = set() if self.config["scheduled-dlq"] else {
            lid for lid, res in idx.of_type("AWS::Events::Rule")
            if "ScheduleExpression" in properties(res) and "EventPattern" not in properties(res)
        }
        found: set[str] = set()
        for _, res in idx.of_type("AWS::Lambda::Permission"):
            props = properties(res)
            fn = target(props.get("FunctionName"))
            if fn and literal(props.get("Principal")) in principals and target(props.get("SourceArn")) not in schedules:
                found.add(fn)
        for rule, res in idx.of_type("AWS::Events::Rule"):
            if rule in schedules:
                continue
            rule_targets = properties(res).get("Targets")
            for t in rule_targets if isinstance(rule_targets, list) else []:
                if isinstance(t, Mapping) and (fn := target(t.get("Arn"))):
                    found.add(fn)
        for _, res in idx.of_type("AWS::SNS::Subscription"):
            props = properties(res)
            if literal(props.get("Protocol")) == "lambda" and (fn := target(props.get("Endpoint"))):
                found.add(fn)
        return {fn for fn in found if idx.type_of(fn) == FUNCTION}

    @staticmethod
    def _on_failure_configured(idx: TemplateIndex) -> set[str]:
        found: set[str] = set()
        for _, res in idx.of_type("AWS::Lambda::EventInvokeConfig"):
            props = properties(res)
            dest = props.get("DestinationConfig")
            fn = target(props.get("FunctionName"))
            if fn and isinstance(dest, Mapping) and "OnFailure" in dest:
                found.add(fn)
        return found
