"""The on-call alarm on card authorizations."""

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from card_gateway.variant import Variant


class CardAlarms(Construct):
    """Pages on-call when authorizations fail: card networks decline what we cannot answer."""

    def __init__(self, scope: Construct, construct_id: str, *, authorize: lambda_.Function, variant: Variant) -> None:
        super().__init__(scope, construct_id)
        errors = authorize.metric_errors(period=cdk.Duration.minutes(1))
        if variant == "good":
            on_call = sns.Topic(self, "OnCall", display_name="card-gateway on-call")
            alarm = cloudwatch.Alarm(
                self,
                "AuthorizeErrors",
                alarm_name="card-gateway-authorize-errors",
                alarm_description="Authorize errors: card networks are being declined",
                metric=errors,
                threshold=5,
                evaluation_periods=3,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(cw_actions.SnsAction(on_call))
        else:
            # Copied from the latency alarm's runbook entry but wired to the error metric;
            # no TreatMissingData and nobody is notified.
            cloudwatch.Alarm(
                self,
                "AuthorizeLatency",
                alarm_name="card-gateway-authorize-latency",
                alarm_description="Authorize latency above the card networks' 2 s budget",
                metric=errors,
                threshold=5,
                evaluation_periods=3,
            )
