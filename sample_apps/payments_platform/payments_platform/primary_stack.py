"""us-east-1: the ledger archive plus the network and database nested stacks."""

import aws_cdk as cdk
from constructs import Construct

from payments_platform.database import DatabaseStack
from payments_platform.ledger_archive import LedgerArchive
from payments_platform.network import NetworkStack
from payments_platform.variant import Variant


class LedgerPrimaryStack(cdk.Stack):
    """The primary region of the payments ledger."""

    def __init__(self, scope: Construct, construct_id: str, *, variant: Variant, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.archive = LedgerArchive(self, "Archive", variant=variant)
        network = NetworkStack(self, "Network", variant=variant)
        DatabaseStack(
            self,
            "Database",
            variant=variant,
            vpc_id=network.vpc.ref,
            availability_zones=network.availability_zones_used,
            isolated_subnet_ids=network.isolated_subnet_ids,
            isolated_route_table_ids=network.isolated_route_table_ids,
        )
