"""The authorize and capture Lambda functions, and how their logs are kept."""

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from card_gateway.variant import Variant

HANDLER_CODE = """
import json


def handler(event, context):
    body = json.loads(event.get("body") or "{{}}")
    return {{"statusCode": 200, "body": json.dumps({{"operation": "{operation}", "id": body.get("id")}})}}
"""


class CardFunctions(Construct):
    """``authorize`` places a hold on the card; ``capture`` settles it."""

    def __init__(self, scope: Construct, construct_id: str, *, variant: Variant) -> None:
        super().__init__(scope, construct_id)
        if variant == "good":
            self.authorize = self._function("Authorize", "authorize", log_group=self._log_group("Authorize"))
            self.capture = self._function("Capture", "capture", log_group=self._log_group("Capture"))
        else:
            # Written before LogGroup props existed; keeps logs for a week through CDK's helper.
            self.authorize = self._function("Authorize", "authorize", log_retention=logs.RetentionDays.ONE_WEEK)
            self.capture = self._function(
                "Capture",
                "capture",
                log_group=self._log_group("Capture", retention=logs.RetentionDays.ONE_MONTH),
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
    ) -> lambda_.Function:
        return lambda_.Function(
            self,
            construct_id,
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_inline(HANDLER_CODE.format(operation=operation)),
            memory_size=256,
            timeout=cdk.Duration.seconds(10),
            description=f"Card {operation}",
            log_group=log_group,
            log_retention=log_retention,
        )
