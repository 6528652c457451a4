"""The production stage: ledger replica first (eu-west-1), then the primary (us-east-1)."""

import aws_cdk as cdk
from constructs import Construct

from payments_platform.naming import PRIMARY_REGION, REPLICA_REGION
from payments_platform.primary_stack import LedgerPrimaryStack
from payments_platform.replica_stack import LedgerReplicaStack
from payments_platform.variant import Variant


class PaymentsStage(cdk.Stage):
    """Everything the payments ledger needs in production."""

    def __init__(self, scope: Construct, construct_id: str, *, account: str, variant: Variant) -> None:
        super().__init__(scope, construct_id)
        replica = LedgerReplicaStack(
            self,
            "LedgerReplica",
            env=cdk.Environment(account=account, region=REPLICA_REGION),
            description="Payments ledger: cross-region replica of the ledger archive",
        )
        primary = LedgerPrimaryStack(
            self,
            "LedgerPrimary",
            variant=variant,
            env=cdk.Environment(account=account, region=PRIMARY_REGION),
            description="Payments ledger: archive, network and databases",
        )
        # The replica bucket must exist before the primary replicates into it.
        primary.add_stack_dependency(replica)
        # The organisation's required tags (the bad variant forgot CostCenter).
        required = {"Environment": "production", "Team": "payments-ledger", "CostCenter": "cc-2040"}
        for stack in (replica, primary):
            cdk.Tags.of(stack).add("service", "payments-ledger")
            for key, value in required.items():
                if variant == "good" or key != "CostCenter":
                    cdk.Tags.of(stack).add(key, value)
