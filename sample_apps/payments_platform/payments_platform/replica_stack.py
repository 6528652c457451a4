"""eu-west-1: the versioned bucket the ledger archive replicates into."""

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct

from payments_platform.naming import REPLICA_BUCKET_NAME


class LedgerReplicaStack(cdk.Stack):
    """Holds the replica of the ledger archive, named literally so the primary can point at it."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.bucket = s3.Bucket(
            self,
            "LedgerReplicaBucket",
            bucket_name=REPLICA_BUCKET_NAME,
            versioned=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
