"""Synth: the warnings it prints (the error a person sees is tests/test_synth_errors.py)."""

from __future__ import annotations

from auditor.synth import parse_warnings


def test_parse_warnings_joins_continuation_lines():
    err = (
        "[WARNING] aws-cdk-lib.aws_lambda.FunctionOptions#logRetention is deprecated.\n"
        "  use `logGroup` instead\n  This API will be removed in the next major release.\nother line\n"
    )
    assert parse_warnings(err) == [
        "aws-cdk-lib.aws_lambda.FunctionOptions#logRetention is deprecated. use `logGroup` instead "
        "This API will be removed in the next major release."
    ]
