"""Stacks that fail ``cdk synth`` for real, one per ``--context variant=…``.

Each mistake is one a person really makes; the comments say whether CDK rejects it
while the construct is built (a Python traceback through jsii) or only when the app
is synthesized (``ValidationFailedWithErrors``, which names construct paths only).
"""

from collections.abc import Callable

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from settlement.retention import retention_days


class RotationStack(cdk.Stack):
    """A rotation schedule with neither ``hosted_rotation`` nor ``rotation_lambda``:
    CDK raises while the RotationSchedule is constructed."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        secret = secretsmanager.Secret(self, "SftpPassword")
        secret.add_rotation_schedule("Rotation", automatically_after=cdk.Duration.days(30))


class HttpsListenerStack(cdk.Stack):
    """An HTTPS listener whose certificate list is empty: CDK accepts it at
    construction and fails validation at synth."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        vpc = ec2.Vpc(self, "Network", max_azs=2, nat_gateways=0)
        alb = elbv2.ApplicationLoadBalancer(self, "PortalAlb", vpc=vpc, internet_facing=True)
        listener = alb.add_listener("HttpsListener", protocol=elbv2.ApplicationProtocol.HTTPS, certificates=[])
        listener.add_action("Fixed", action=elbv2.ListenerAction.fixed_response(200, message_body="ok"))


class NoMethodsStack(cdk.Stack):
    """A REST API that never gets a method: CDK fails validation at synth."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        api = apigateway.RestApi(self, "ReportsApi", rest_api_name="settlement-reports")
        api.root.add_resource("reports")


class TwoValidationErrorsStack(cdk.Stack):
    """Both synth-time mistakes above in one stack: one line per error."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        vpc = ec2.Vpc(self, "EdgeNetwork", max_azs=2, nat_gateways=0)
        alb = elbv2.ApplicationLoadBalancer(self, "EdgeAlb", vpc=vpc, internet_facing=True)
        listener = alb.add_listener(
            "EdgeHttps",
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificates=[],
        )
        listener.add_action("Fixed", action=elbv2.ListenerAction.fixed_response(200, message_body="ok"))
        apigateway.RestApi(
            self,
            "EdgeApi",
        )


class RetentionStack(cdk.Stack):
    """The app's own configuration check raises a ValueError whose message has
    several lines."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.days = retention_days(scope.node.try_get_context("retention") or "45")


VARIANTS: dict[str, Callable[[Construct, str], cdk.Stack]] = {
    "rotation": RotationStack,
    "https-listener": HttpsListenerStack,
    "no-methods": NoMethodsStack,
    "two-validation-errors": TwoValidationErrorsStack,
    "multiline-message": RetentionStack,
}
