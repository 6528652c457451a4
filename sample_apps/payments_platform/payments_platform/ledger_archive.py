"""The ledger archive bucket and (in the good variant) its cross-region replication."""

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from payments_platform.naming import LEDGER_BUCKET_NAME, REPLICA_BUCKET_NAME
from payments_platform.variant import Variant

REPLICA_BUCKET_ARN = f"arn:aws:s3:::{REPLICA_BUCKET_NAME}"


class LedgerArchive(Construct):
    """Versioned, encrypted archive of settled ledger entries."""

    def __init__(self, scope: Construct, construct_id: str, *, variant: Variant) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "LedgerBucket",
            bucket_name=LEDGER_BUCKET_NAME,
            versioned=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # The bad variant kept the development setting: the archive dies with the stack.
            removal_policy=cdk.RemovalPolicy.RETAIN if variant == "good" else cdk.RemovalPolicy.DESTROY,
        )
        if variant == "good":
            self._replicate_to_replica_region()

    def _replicate_to_replica_region(self) -> None:
        role = iam.Role(
            self,
            "ReplicationRole",
            assumed_by=iam.ServicePrincipal("s3.amazonaws.com"),
            description="Replicates the ledger archive to eu-west-1",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetReplicationConfiguration", "s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionTagging",
                ],
                resources=[self.bucket.arn_for_objects("*")],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                resources=[f"{REPLICA_BUCKET_ARN}/*"],
            )
        )
        cfn_bucket = self.bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.replication_configuration = s3.CfnBucket.ReplicationConfigurationProperty(
            role=role.role_arn,
            rules=[
                s3.CfnBucket.ReplicationRuleProperty(
                    id="LedgerToEuWest1",
                    status="Enabled",
                    priority=1,
                    filter=s3.CfnBucket.ReplicationRuleFilterProperty(prefix=""),
                    delete_marker_replication=s3.CfnBucket.DeleteMarkerReplicationProperty(status="Enabled"),
                    destination=s3.CfnBucket.ReplicationDestinationProperty(
                        bucket=REPLICA_BUCKET_ARN,
                        storage_class="STANDARD_IA",
                    ),
                )
            ],
        )
