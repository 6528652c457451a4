"""W9202 kms-rotation: symmetric customer-managed KMS keys rotate their key material."""

from __future__ import annotations

from auditor.findings import Severity
from auditor.property_rule import Expect, PropertyRule, at_most, one_of


class KmsRotation(PropertyRule):
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
    severity_level = Severity.WARNING
    shortdesc = "Symmetric customer-managed KMS keys rotate automatically"
    description = "AWS::KMS::Key resources that can rotate (symmetric, KMS-generated) need EnableKeyRotation: true."
    source_url = "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html"
    tags = ["kms", "security", "encryption"]
    remediation = "Pass `enable_key_rotation=True` to kms.Key."
    config_spec = {
        "max-rotation-days": {
            "type": "integer",
            "default": 365,
            "minimum": 90,
            "help": "the longest RotationPeriodInDays allowed on a rotating key",
        },
    }

    resource_types = ("AWS::KMS::Key",)
    # asymmetric and HMAC keys cannot rotate automatically; imported or external key
    # material is rotated by hand
    applies_when = (
        Expect("Properties.KeySpec", one_of(None, "SYMMETRIC_DEFAULT")),
        Expect("Properties.KeyUsage", one_of(None, "ENCRYPT_DECRYPT")),
        Expect("Properties.Origin", one_of(None, "AWS_KMS")),
    )
    expects = (
        Expect("Properties.EnableKeyRotation", one_of(True), "KMS key does not rotate; set `enable_key_rotation=True`"),
        Expect(
            "Properties.RotationPeriodInDays",
            at_most("max-rotation-days"),
            "KMS key rotates every {value} days (max {config[max-rotation-days]}); shorten `rotation_period`",
        ),
    )
    first_failure_only = True  # a key that does not rotate has no period to judge
