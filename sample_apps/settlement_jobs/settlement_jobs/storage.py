"""The settlement key, the bucket of settlement files, and the batch's cursor table."""

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from settlement_jobs.variant import Variant

#: where the cursor table keeps its cross-region replica (the good variant)
REPLICA_REGION = "us-west-2"


class SettlementStorage(Construct):
    """KMS key, settlement-file bucket, cursor table."""

    def __init__(self, scope: Construct, construct_id: str, *, variant: Variant) -> None:
        super().__init__(scope, construct_id)
        good = variant == "good"
        self.key = kms.Key(
            self,
            "SettlementKey",
            description="Encrypts settlement notices",
            enable_key_rotation=True if good else None,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.files = self._files_bucket(good)
        self._cursor_table(good)

    def _files_bucket(self, good: bool) -> s3.Bucket:
        if not good:
            # Nothing but defaults: no stated encryption, public access, TLS policy or versioning.
            return s3.Bucket(self, "SettlementFiles", removal_policy=cdk.RemovalPolicy.RETAIN)
        hardened = {
            "encryption": s3.BucketEncryption.S3_MANAGED,
            "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
            "enforce_ssl": True,
            "versioned": True,
            "removal_policy": cdk.RemovalPolicy.RETAIN,
        }
        replica = s3.Bucket(self, "SettlementFilesReplica", **hardened)
        return s3.Bucket(
            self,
            "SettlementFiles",
            replication_rules=[s3.ReplicationRule(destination=replica, priority=1)],
            **hardened,
        )

    def _cursor_table(self, good: bool) -> None:
        key = dynamodb.Attribute(name="batch_date", type=dynamodb.AttributeType.STRING)
        pitr = dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True)
        if not good:
            # Single-region: the configuration says this table must survive a region.
            dynamodb.Table(
                self,
                "SettlementCursor",
                partition_key=key,
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=pitr,
                deletion_protection=True,
                removal_policy=cdk.RemovalPolicy.RETAIN,
            )
            return
        dynamodb.TableV2(
            self,
            "SettlementCursor",
            partition_key=key,
            point_in_time_recovery_specification=pitr,
            deletion_protection=True,
            replicas=[dynamodb.ReplicaTableProps(region=REPLICA_REGION)],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
