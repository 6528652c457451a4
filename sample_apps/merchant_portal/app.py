#!/usr/bin/env python3
"""Merchant portal: a Fargate web service behind an ALB and CloudFront, with a Postgres database.

Synthesize with ``-c variant=bad`` (the default) or ``-c variant=good``.
"""

import aws_cdk as cdk
from merchant_portal.portal_stack import MerchantPortalStack
from merchant_portal.variant import variant_of

app = cdk.App()
MerchantPortalStack(
    app,
    "MerchantPortal",
    variant=variant_of(app),
    description="Merchant self-service portal",
)
cdk.Tags.of(app).add("Environment", "production")
cdk.Tags.of(app).add("Team", "merchant-experience")
cdk.Tags.of(app).add("CostCenter", "cc-4410")
app.synth()
