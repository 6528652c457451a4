"""The authorize and capture Lambda functions, and how their logs are kept."""

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from card_gateway.variant import Variant

#: the card networks' signing keys, kept in Secrets Manager by the platform team
NETWORK_KEYS_SECRET = "card-gateway/network-keys"
#: how the bad variant wrote its ARN: bound to one account and region
NETWORK_KEYS_ARN_LITERAL = f"arn:aws:secretsmanager:us-east-1:111111111111:secret:{NETWORK_KEYS_SECRET}"

HANDLER_CODE = """
import json


def handler(event, context):
    body = json.loads(event.get("body") or "{{}}")
    return {{"statusCode": 200, "body": json.dumps({{"operation": "{operation}", "id": body.get("id")}})}}
"""
#: the bad variant's capture was never written: it logs the request, answers 200 and settles nothing
CAPTURE_STUB_CODE = """
import json


def handler(event, context):
    print(json.dumps(event))
    return {"statusCode": 200, "body": json.dumps({"operation": "capture", "status": "captured"})}
"""


class CardFunctions(Construct):
    """``authorize`` places a hold on the card; ``capture`` settles it."""

    def __init__(self, scope: Construct, construct_id: str, *, variant: Variant) -> None:
        super().__init__(scope, construct_id)
        if variant == "good":
            self.authorize = self._function(
                "Authorize", "authorize", log_group=self._log_group("Authorize"), tracing=lambda_.Tracing.ACTIVE
            )
            # The sweep below invokes capture asynchronously: failed events go to a DLQ.
            self.capture = self._function(
                "Capture",
                "capture",
                log_group=self._log_group("Capture"),
                tracing=lambda_.Tracing.ACTIVE,
                dead_letter_queue=sqs.Queue(
                    self,
                    "CaptureDlq",
                    encryption=sqs.QueueEncryption.SQS_MANAGED,
                    retention_period=cdk.Duration.days(14),
                ),
            )
            secret_arn = cdk.Stack.of(self).format_arn(
                service="secretsmanager",
                resource="secret",
                resource_name=f"{NETWORK_KEYS_SECRET}-*",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
            key_access = iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[secret_arn])
        else:
            # Written before LogGroup props existed; keeps logs for a week through CDK's helper.
            self.authorize = self._function("Authorize", "authorize", log_retention=logs.RetentionDays.ONE_WEEK)
            # Timeout and memory left to Lambda's defaults (3 s, 128 MB); no DLQ for the sweep.
            # And the capture itself is still the placeholder from the first sprint.
            self.capture = self._function(
                "Capture",
                "capture",
                log_group=self._log_group("Capture", retention=logs.RetentionDays.ONE_MONTH),
                sized=False,
                code=CAPTURE_STUB_CODE,
            )
            key_access = iam.PolicyStatement(actions=["secretsmanager:*"], resources=[NETWORK_KEYS_ARN_LITERAL])
        self.authorize.add_to_role_policy(key_access)
        # Captures holds that the card network never confirmed, every 15 minutes (asynchronous).
        events.Rule(
            self,
            "ExpiredHoldsSweep",
            schedule=events.Schedule.rate(cdk.Duration.minutes(15)),
            targets=[targets.LambdaFunction(self.capture)],
        )

    def _log_group(self, name: str, retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR) -> logs.LogGroup:
        return logs.LogGroup(
            self,
            f"{name}Logs",
            retention=retention,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

    def _function(
        self,
        construct_id: str,
        operation: str,
        *,
        log_group: logs.ILogGroup | None = None,
        log_retention: logs.RetentionDays | None = None,
        tracing: lambda_.Tracing | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        sized: bool = True,
        code: str | None = None,
    ) -> lambda_.Function:
        return lambda_.Function(
            self,
            construct_id,
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_inline(code or HANDLER_CODE.format(operation=operation)),
            memory_size=256 if sized else None,
            timeout=cdk.Duration.seconds(10) if sized else None,
            description=f"Card {operation}",
            log_group=log_group,
            log_retention=log_retention,
            tracing=tracing,
            dead_letter_queue=dead_letter_queue,
        )
