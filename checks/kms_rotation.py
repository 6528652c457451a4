"""W9202 kms-rotation: symmetric customer-managed KMS keys rotate their key material."""

from __future__ import annotations

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, as_int, index, is_true, literal, properties
from auditor.rule import AuditRule


class KmsRotation(AuditRule):
    """Symmetric customer-managed KMS keys have automatic key rotation on.

    ## What it does
    Reports every `AWS::KMS::Key` that can rotate automatically — `KeySpec` absent or
    `SYMMETRIC_DEFAULT`, `KeyUsage` absent or `ENCRYPT_DECRYPT`, key material generated
    by KMS (`Origin` absent or `AWS_KMS`) — without `EnableKeyRotation: true`, and
    rotating keys whose `RotationPeriodInDays` exceeds `max-rotation-days`. Asymmetric,
    HMAC and imported-material keys cannot rotate automatically and are skipped, as are
    values unknown at synth time.

    ## Why is this bad?
    A key that never rotates keeps encrypting new data with the same material for
    years, so one leaked or mishandled key version exposes everything. Compliance
    frameworks (PCI DSS, CIS AWS) require yearly rotation; KMS does it for free and
    transparently once it is switched on.

    ## Example
    ```python
    kms.Key(self, "SettlementKey")
    ```

    ## Use instead
    ```python
    kms.Key(self, "SettlementKey", enable_key_rotation=True)
    ```

    ## Options
    - `max-rotation-days` (integer, default 365): the longest `RotationPeriodInDays`
      (`rotation_period=`) allowed on a rotating key.

    ## References
    - https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_kms/Key.html
    """

    id = "W9202"
    slug = "kms-rotation"
    severity_level = "warning"
    shortdesc = "Symmetric customer-managed KMS keys rotate automatically"
    description = "AWS::KMS::Key resources that can rotate (symmetric, KMS-generated) need EnableKeyRotation: true."
    source_url = "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html"
    tags = ["kms", "security", "encryption"]
    remediation = "Pass enable_key_rotation=True to kms.Key."
    config_spec = {
        "max-rotation-days": {
            "type": "integer",
            "default": 365,
            "minimum": 90,
            "help": "the longest RotationPeriodInDays allowed on a rotating key",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        out: list[RuleMatch] = []
        for lid, res in index(cfn.template).of_type("AWS::KMS::Key"):
            props = properties(res)
            if is_cdk_helper(lid, res):
                continue
            spec, usage, origin = (literal(props.get(k)) for k in ("KeySpec", "KeyUsage", "Origin"))
            if UNKNOWN in (spec, usage, origin):
                continue
            if spec not in (None, "SYMMETRIC_DEFAULT") or usage not in (None, "ENCRYPT_DECRYPT"):
                continue  # asymmetric and HMAC keys cannot rotate automatically
            if origin not in (None, "AWS_KMS"):
                continue  # imported or external key material is rotated by hand
            here: list[str | int] = ["Resources", lid, "Properties"]
            rotation = props.get("EnableKeyRotation")
            if not is_true(rotation):
                if literal(rotation) is not UNKNOWN:
                    path = [*here, "EnableKeyRotation"] if rotation is not None else here
                    out.append(self.finding(path, "KMS key does not rotate; set enable_key_rotation=True"))
                continue
            days = as_int(props.get("RotationPeriodInDays"))
            if days is not None and days > self.config["max-rotation-days"]:
                out.append(self.finding([*here, "RotationPeriodInDays"],
                                        f"KMS key rotates every {days} days (max {self.config['max-rotation-days']}); "
                                        "shorten rotation_period"))
        return out
