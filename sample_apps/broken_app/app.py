#!/usr/bin/env python3
"""A settlement-reports app that cannot synthesize.

By default ``s3`` is used but never imported (a ``NameError``). ``--context variant=…``
selects another real failure instead (see README.md). cdk-audit's synth-failure reporting
is tested against this app and its captured output; do not fix it.
"""

import aws_cdk as cdk
from constructs import Construct
from settlement.failures import VARIANTS


class SettlementReportsStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Bug on purpose: `from aws_cdk import aws_s3 as s3` is missing.
        s3.Bucket(self, "Reports", enforce_ssl=True)  # noqa: F821


app = cdk.App()
variant = app.node.try_get_context("variant")
if variant is None:
    SettlementReportsStack(app, "SettlementReports")
elif variant in VARIANTS:
    VARIANTS[variant](app, "SettlementReports")
else:
    raise ValueError(f"context 'variant' must be one of {sorted(VARIANTS)}, got {variant!r}")
app.synth()
