"""The card gateway stack: functions, API and (in the good variant) the mTLS domain."""

import aws_cdk as cdk
from constructs import Construct

from card_gateway.api import CardApi
from card_gateway.functions import CardFunctions
from card_gateway.monitoring import CardAlarms
from card_gateway.mtls_domain import MtlsDomain
from card_gateway.variant import Variant


class CardGatewayStack(cdk.Stack):
    """Card authorization API."""

    def __init__(self, scope: Construct, construct_id: str, *, variant: Variant, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        functions = CardFunctions(self, "Functions", variant=variant)
        api = CardApi(
            self,
            "Api",
            authorize=functions.authorize,
            capture=functions.capture,
            # Left unset in the bad variant: the default execute-api endpoint stays reachable.
            disable_execute_api_endpoint=True if variant == "good" else None,
            operated=variant == "good",
        )
        CardAlarms(self, "Alarms", authorize=functions.authorize, variant=variant)
        if variant == "good":
            MtlsDomain(self, "MtlsDomain", rest_api=api.rest_api)
        else:
            # The platform team's review hook: flag APIs that go live without client certificates.
            cdk.Annotations.of(api.rest_api).add_warning_v2(
                "payments:mtls-missing",
                "card-gateway has no mTLS custom domain; card networks would call the public "
                "execute-api endpoint without client certificates",
            )
