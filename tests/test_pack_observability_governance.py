"""The observability and governance checks (W9301-E9307) against the real synth of the sample apps."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.assembly import Assembly, Stack
from auditor.checks.hardcoded_env import HardcodedEnv
from tests.conftest import SAMPLE_APPS, audited

PACK = {
    "alarms",
    "apigw-logging",
    "lambda-config",
    "required-tags",
    "removal-policy",
    "hardcoded-env",
    "iam-least-privilege",
}
#: where each bad variant carries its failures (see the apps' README)
EXPECTED_BAD = {
    "card_gateway": {
        ("alarms", "AlarmsAuthorizeLatency"),
        ("apigw-logging", "ApiRestApiDeploymentStagev1"),
        ("lambda-config", "FunctionsCapture"),
        ("required-tags", "FunctionsAuthorize"),
        ("hardcoded-env", "FunctionsAuthorizeServiceRoleDefaultPolicy"),
        ("iam-least-privilege", "FunctionsAuthorizeServiceRoleDefaultPolicy"),
    },
    "payments_platform": {
        ("required-tags", "ArchiveLedgerBucket"),
        ("removal-policy", "ArchiveLedgerBucket"),
    },
}
GOOD_APPS = [p.name for p in sorted(SAMPLE_APPS.iterdir()) if (p / "cdk.json").is_file() and p.name != "broken_app"]


def _pack_findings(synth_cache, app: str, variant: str) -> list:
    result = synth_cache(app, variant)
    assert result.ok, f"{app} {variant}: synth failed: {result.error}"
    findings = audited(result, app)
    assert not [f for f in findings if f.check_id in ("E0000", "E0002", "E9900")]
    return [f for f in findings if f.slug in PACK]


@pytest.mark.synth
@pytest.mark.parametrize("app", sorted(EXPECTED_BAD))
def test_bad_variant_fires_where_the_failures_are(synth_cache, app: str):
    fired = {(f.slug, f.logical_id or "") for f in _pack_findings(synth_cache, app, "bad")}
    for slug, prefix in EXPECTED_BAD[app]:
        assert any(s == slug and lid.startswith(prefix) for s, lid in fired), (slug, prefix, sorted(fired))
    # the literal replica ARN of payments_platform is a cross-region destination, never reported
    assert not {s for s, _ in fired} - {s for s, _ in EXPECTED_BAD[app]} - {"required-tags"}


@pytest.mark.synth
@pytest.mark.parametrize("app", GOOD_APPS)
def test_good_variant_is_silent(synth_cache, app: str):
    found = _pack_findings(synth_cache, app, "good")
    assert not found, [(f.slug, f.stack, f.logical_id, f.message) for f in found]


def _stack(name: str, env: str, resource: str) -> Stack:
    template = {
        "Resources": {
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {"PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage",
                                                                 "Resource": resource}]}},
            }
        }
    }
    return Stack(name=name, template_path=Path(f"{name}.template.json"), template=template, environment=env)


def test_hardcoded_env_follows_the_manifest_environments():
    arn = "arn:aws:sqs:eu-west-1:111111111111:orders"
    rule = HardcodedEnv()
    explicit = Assembly(Path("cdk.out"), [_stack("Primary", "aws://111111111111/us-east-1", arn)])
    assert rule.match_assembly(explicit) == []  # an env-explicit stack: CDK's literals, cross-region refs
    agnostic = Assembly(Path("cdk.out"), [_stack("Api", "aws://unknown-account/unknown-region", arn)])
    [m] = rule.match_assembly(agnostic)
    assert "111111111111" in m.message and "eu-west-1" in m.message
    sibling = Assembly(Path("cdk.out"), [*agnostic.stacks, _stack("Replica", "aws://111111111111/eu-west-1", "*")])
    assert rule.match_assembly(sibling) == []  # the app's own environments: a reference to a sibling stack
    rule.configure({"allowed-accounts": ["222222222222"]})
    partner = Assembly(Path("cdk.out"), [_stack("P", "aws://111111111111/us-east-1", arn.replace("1" * 12, "3" * 12))])
    [held] = rule.match_assembly(partner)  # with a list set, explicit stacks are held to it
    assert "account 333333333333" in held.message and "region" not in held.message
