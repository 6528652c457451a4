"""Finding quality on real `cdk synth` output (issue 12): what CDK wrote is not reported as
the user's, annotations and deprecations land where the user can act, a one-line fix is one
finding, and every fixed twin is silent on every check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE_APPS, audited

#: every sample app with bad/good variants (the TypeScript one once `make ts-apps` ran)
GOOD_APPS = sorted(
    d.name
    for d in SAMPLE_APPS.iterdir()
    if (d / "cdk.json").is_file()
    and d.name != "broken_app"
    and (not (d / "package.json").is_file() or (d / "node_modules").is_dir())
)


@pytest.mark.synth
@pytest.mark.parametrize("app", GOOD_APPS)
def test_good_variants_are_silent_on_every_check(synth_cache, app: str):
    """cfn-lint's W3005 on CDK's DependsOn included: nothing is left for the user to fix."""
    result = synth_cache(app, "good")
    assert result.ok, result.error
    assert [(f.slug, f.logical_id, f.message) for f in audited(result, app)] == []


@pytest.mark.synth
def test_cdk_written_policy_is_not_the_users_but_add_to_role_policy_is(synth_cache):
    for variant in ("bad", "good"):
        findings = audited(synth_cache("merchant_portal", variant), "merchant_portal")
        bastion = [f for f in findings if f.slug == "iam-least-privilege" and "Bastion" in (f.construct_path or "")]
        assert bastion == [], variant  # BastionHostLinux's own ssmmessages:* / ec2messages:*
    card = audited(synth_cache("card_gateway", "bad"), "card_gateway")
    [own] = [f for f in card if f.slug == "iam-least-privilege"]
    assert "secretsmanager:*" in own.message and own.source is not None  # the app's add_to_role_policy


@pytest.mark.synth
def test_annotation_about_a_service_is_on_the_service(synth_cache):
    findings = audited(synth_cache("merchant_portal", "bad"), "merchant_portal")
    [warning] = [f for f in findings if f.slug == "cdk-warning" and "circuitBreaker" in f.message]
    assert warning.construct_path == "MerchantPortal/Web/Service"
    assert warning.logical_id and warning.logical_id.startswith("WebService")
    assert "SecurityGroup" not in warning.logical_id


@pytest.mark.synth
def test_deprecated_call_passed_as_a_prop_is_reported_at_its_line(synth_cache):
    result = synth_cache("merchant_portal", "bad")
    assert any("MachineImage#latestAmazonLinux" in w for w in result.warnings)
    [dep] = [f for f in audited(result, "merchant_portal") if f.slug == "cdk-deprecation"]
    assert dep.source is not None
    assert dep.source.file == "sample_apps/merchant_portal/merchant_portal/network.py"
    line = (ROOT / dep.source.file).read_text().splitlines()[dep.source.line - 1]
    assert "MachineImage.latest_amazon_linux()" in line
    good = synth_cache("merchant_portal", "good")
    assert not any("deprecated" in w for w in good.warnings)


@pytest.mark.synth
def test_required_tags_is_one_finding_per_stack(synth_cache):
    findings = [f for f in audited(synth_cache("payments_platform", "bad"), "payments_platform")
                if f.slug == "required-tags"]
    stacks = [f.stack for f in findings]
    assert len(stacks) == len(set(stacks)), stacks  # one per stack (one missing tag set: CostCenter)
    assert sum(f.count for f in findings) > len(findings)
    assert all(f.resources and "CostCenter" in f.message for f in findings)


def test_good_apps_cover_every_python_sample_app():
    python_apps = {d.name for d in SAMPLE_APPS.iterdir() if (d / "app.py").is_file() and d.name != "broken_app"}
    assert python_apps <= set(GOOD_APPS), Path(SAMPLE_APPS)
