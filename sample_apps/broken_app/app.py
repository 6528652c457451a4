#!/usr/bin/env python3
"""A settlement-reports app that cannot synthesize: ``s3`` is used but never imported.

cdk-audit's synth-failure reporting is tested against this app; do not fix it.
"""

import aws_cdk as cdk
from constructs import Construct


class SettlementReportsStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Bug on purpose: `from aws_cdk import aws_s3 as s3` is missing.
        s3.Bucket(self, "Reports", enforce_ssl=True)  # noqa: F821


app = cdk.App()
SettlementReportsStack(app, "SettlementReports")
app.synth()
