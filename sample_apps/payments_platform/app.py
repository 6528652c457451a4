#!/usr/bin/env python3
"""Payments ledger platform: one production Stage across a primary and a replica region.

Synthesize with ``-c variant=bad`` (the default) or ``-c variant=good``.
"""

import aws_cdk as cdk
from payments_platform.naming import ACCOUNT
from payments_platform.stage import PaymentsStage
from payments_platform.variant import variant_of

app = cdk.App()
PaymentsStage(app, "PaymentsProd", account=ACCOUNT, variant=variant_of(app))
app.synth()
