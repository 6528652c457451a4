#!/usr/bin/env python3
"""A small app that runs cdk-audit's checks inside `cdk synth` through AuditPlugin.

``--context variant=bad`` (the default) plants findings: a bucket without public-access
blocking or TLS enforcement, a log group kept one week, no cost tags. ``variant=good`` is
the fixed twin. In both, a scratch bucket's hardening finding is suppressed, with a reason.
"""

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from auditor.cdk import AuditPlugin, suppress

app = cdk.App()
cdk.Validations.of(app).add_plugins(AuditPlugin())  # the one line that adds cdk-audit
good = app.node.try_get_context("variant") == "good"
stack = cdk.Stack(app, "PluginDemo")

hardening = {"block_public_access": s3.BlockPublicAccess.BLOCK_ALL, "enforce_ssl": True} if good else {}
s3.Bucket(stack, "Statements", encryption=s3.BucketEncryption.S3_MANAGED, **hardening)
scratch = s3.Bucket(stack, "Scratch", encryption=s3.BucketEncryption.S3_MANAGED)
suppress(scratch, "s3-hardening", reason="scratch data, rebuilt nightly from the ledger")
logs.LogGroup(
    stack, "AuditLogs", retention=logs.RetentionDays.ONE_YEAR if good else logs.RetentionDays.ONE_WEEK
)
tags = {"Environment": "demo", "Team": "payments-platform", "CostCenter": "cc-1234"} if good else {}
for key, value in tags.items():
    cdk.Tags.of(app).add(key, value)

app.synth()
