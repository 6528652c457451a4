"""Synth: the error a person sees when an app fails."""

from __future__ import annotations

from auditor.synth import parse_warnings, summarize_error

JSII_NOISE = """!!!!!!!!!!!!!!!!!!!!!!!!!!!
!!  Node 20 is end-of-life and not supported anymore by this software since 2026-10-30.  !!
!!!!!!!!!!!!!!!!!!!!!!!!!!!
Traceback (most recent call last):
  File "/app/app.py", line 9, in <module>
    PaymentsStack(app, "Payments")
  File "/app/stacks/payments.py", line 14, in __init__
    bucket = s3.Bucket(self, "Ledger")
             ^^
NameError: name 's3' is not defined
Subprocess exited with error 1
"""


def test_summarize_error_keeps_exception_and_location():
    msg = summarize_error(JSII_NOISE)
    assert msg.splitlines()[-1] == "NameError: name 's3' is not defined"
    assert 'File "/app/stacks/payments.py", line 14' in msg
    assert "Node 20" not in msg and "Subprocess" not in msg


def test_summarize_error_jsii_validation_error():
    text = (
        "jsii.errors.JavaScriptError: \n  @jsii/kernel.RuntimeError: ValidationError: bad\n"
        "    at Kernel._Kernel_create\n"
        "RuntimeError: ValidationError: Vpc must have at least one subnet\n"
    )
    assert summarize_error(text).endswith("RuntimeError: ValidationError: Vpc must have at least one subnet")


def test_summarize_error_falls_back_to_last_lines():
    assert summarize_error("npm ERR! x\nsomething odd happened\n\n") == "something odd happened"


def test_parse_warnings_joins_continuation_lines():
    err = (
        "[WARNING] aws-cdk-lib.aws_lambda.FunctionOptions#logRetention is deprecated.\n"
        "  use `logGroup` instead\n  This API will be removed in the next major release.\nother line\n"
    )
    assert parse_warnings(err) == [
        "aws-cdk-lib.aws_lambda.FunctionOptions#logRetention is deprecated. use `logGroup` instead "
        "This API will be removed in the next major release."
    ]
