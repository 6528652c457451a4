"""The REST API in front of the card functions."""

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct


class CardApi(Construct):
    """POST /authorizations and POST /captures, with access logs kept for a year."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        authorize: lambda_.IFunction,
        capture: lambda_.IFunction,
        disable_execute_api_endpoint: bool | None,
        operated: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.rest_api = apigateway.RestApi(
            self,
            "RestApi",
            rest_api_name="card-gateway",
            description="Card authorization API for the card networks",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            disable_execute_api_endpoint=disable_execute_api_endpoint,
            cloud_watch_role=True,
            deploy_options=apigateway.StageOptions(
                stage_name="v1",
                tracing_enabled=True,
                # ``operated``: execution logs, metrics and a throttle the card networks cannot exceed
                logging_level=apigateway.MethodLoggingLevel.INFO if operated else None,
                metrics_enabled=True if operated else None,
                throttling_rate_limit=200 if operated else None,
                throttling_burst_limit=100 if operated else None,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        root = self.rest_api.root
        root.add_resource("authorizations").add_method("POST", apigateway.LambdaIntegration(authorize))
        root.add_resource("captures").add_method("POST", apigateway.LambdaIntegration(capture))
