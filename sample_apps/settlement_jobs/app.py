#!/usr/bin/env python3
"""Nightly card-settlement batch: a job queue, a settlement database and the files it writes.

Synthesize with ``-c variant=bad`` (the default) or ``-c variant=good``.
"""

import aws_cdk as cdk
from settlement_jobs.settlement_stack import SettlementJobsStack
from settlement_jobs.variant import variant_of

app = cdk.App()
SettlementJobsStack(
    app,
    "SettlementJobs",
    variant=variant_of(app),
    # Region only, no account: table replicas need a region, and without an account the
    # VPC needs no availability-zone lookup (synth works without credentials).
    env=cdk.Environment(region="us-east-1"),
    description="Nightly card settlement batch",
)
cdk.Tags.of(app).add("Environment", "production")
cdk.Tags.of(app).add("Team", "settlement")
cdk.Tags.of(app).add("CostCenter", "cc-4410")
app.synth()
