"""The merchant database: PostgreSQL on RDS."""

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds
from constructs import Construct

from merchant_portal.variant import Variant


class MerchantDatabase(Construct):
    """Postgres for merchant accounts; reachable only from the portal service."""

    def __init__(self, scope: Construct, construct_id: str, *, vpc: ec2.IVpc, variant: Variant) -> None:
        super().__init__(scope, construct_id)
        # The bad variant put the database next to the app, in subnets with a NAT route out.
        subnet_type = (
            ec2.SubnetType.PRIVATE_ISOLATED if variant == "good" else ec2.SubnetType.PRIVATE_WITH_EGRESS
        )
        self.instance = rds.DatabaseInstance(
            self,
            "Postgres",
            engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_17_9),
            instance_type=ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=subnet_type),
            credentials=rds.Credentials.from_generated_secret("portal_admin"),
            database_name="merchants",
            multi_az=True,
            storage_encrypted=True,
            iam_authentication=True,
            deletion_protection=True,
            enable_performance_insights=True,
            backup_retention=cdk.Duration.days(35),
            removal_policy=cdk.RemovalPolicy.SNAPSHOT,
        )
        self.instance.add_rotation_single_user(automatically_after=cdk.Duration.days(30))
