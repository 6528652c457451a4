#!/usr/bin/env python3
"""Card-authorization API: a Lambda-backed REST API that card networks call over mTLS.

Synthesize with ``-c variant=bad`` (the default) or ``-c variant=good``.
"""

import aws_cdk as cdk
from card_gateway.gateway_stack import CardGatewayStack
from card_gateway.variant import variant_of

app = cdk.App()
variant = variant_of(app)
stack = CardGatewayStack(
    app,
    "CardGateway",
    variant=variant,
    description="Card authorization and capture API",
)
cdk.Tags.of(stack).add("service", "card-gateway")
# The organisation's required tags, once for the whole app (the bad variant forgot CostCenter).
REQUIRED_TAGS = {"Environment": "production", "Team": "card-payments", "CostCenter": "cc-4711"}
for key, value in REQUIRED_TAGS.items():
    if variant == "good" or key != "CostCenter":
        cdk.Tags.of(app).add(key, value)
app.synth()
