"""The settlement stack: job queue and notices, encryption key and files, database."""

import aws_cdk as cdk
from constructs import Construct

from settlement_jobs.database import SettlementDatabase
from settlement_jobs.messaging import SettlementMessaging
from settlement_jobs.storage import SettlementStorage
from settlement_jobs.variant import Variant


class SettlementJobsStack(cdk.Stack):
    """Everything the nightly settlement batch needs in one region."""

    def __init__(self, scope: Construct, construct_id: str, *, variant: Variant, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        storage = SettlementStorage(self, "Storage", variant=variant)
        SettlementMessaging(self, "Messaging", variant=variant, key=storage.key)
        SettlementDatabase(self, "Database", variant=variant)
