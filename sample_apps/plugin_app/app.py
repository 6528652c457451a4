#!/usr/bin/env python3
"""A small app that runs cdk-audit's checks inside `cdk synth` through AuditPlugin.

Findings are planted: a bucket without public-access blocking or TLS enforcement,
and a log group kept one week. A scratch bucket's hardening finding is suppressed, with a reason.
"""

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from auditor.cdk import AuditPlugin, suppress

app = cdk.App(policy_validation_beta1=[AuditPlugin()])  # the one line that adds cdk-audit
stack = cdk.Stack(app, "PluginDemo")

s3.Bucket(stack, "Statements", encryption=s3.BucketEncryption.S3_MANAGED)
scratch = s3.Bucket(stack, "Scratch", encryption=s3.BucketEncryption.S3_MANAGED)
suppress(scratch, "s3-hardening", reason="scratch data, rebuilt nightly from the ledger")
logs.LogGroup(stack, "AuditLogs", retention=logs.RetentionDays.ONE_WEEK)

app.synth()
