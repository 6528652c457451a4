#!/usr/bin/env python3
"""Card-authorization API: a Lambda-backed REST API that card networks call over mTLS.

Synthesize with ``-c variant=bad`` (the default) or ``-c variant=good``.
"""

import aws_cdk as cdk
from card_gateway.gateway_stack import CardGatewayStack
from card_gateway.variant import variant_of

app = cdk.App()
stack = CardGatewayStack(
    app,
    "CardGateway",
    variant=variant_of(app),
    description="Card authorization and capture API",
)
cdk.Tags.of(stack).add("service", "card-gateway")
cdk.Tags.of(stack).add("environment", "production")
app.synth()
