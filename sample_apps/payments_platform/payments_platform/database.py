"""Nested stack: the ledger's Aurora PostgreSQL cluster and its idempotency-key table."""

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds
from constructs import Construct

from payments_platform.variant import Variant

#: days of automated backups: what the bad variant shipped with vs. the production profile
BACKUP_DAYS: dict[Variant, int] = {"bad": 7, "good": 35}


class DatabaseStack(cdk.NestedStack):
    """Aurora in the isolated subnets; DynamoDB for payment idempotency keys."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        variant: Variant,
        vpc_id: str,
        availability_zones: Sequence[str],
        isolated_subnet_ids: Sequence[str],
        isolated_route_table_ids: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id, description="Payments ledger databases")
        vpc = ec2.Vpc.from_vpc_attributes(
            self,
            "LedgerVpc",
            vpc_id=vpc_id,
            availability_zones=list(availability_zones),
            isolated_subnet_ids=list(isolated_subnet_ids),
            isolated_subnet_route_table_ids=list(isolated_route_table_ids),
        )
        self.cluster = self._ledger_cluster(vpc, variant)
        self._rotate_credentials(vpc)
        self.idempotency_keys = self._idempotency_table(variant)

    def _ledger_cluster(self, vpc: ec2.IVpc, variant: Variant) -> rds.DatabaseCluster:
        instance_type = ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE)
        instance_props = {"instance_type": instance_type, "enable_performance_insights": True}
        return rds.DatabaseCluster(
            self,
            "LedgerCluster",
            engine=rds.DatabaseClusterEngine.aurora_postgres(version=rds.AuroraPostgresEngineVersion.VER_16_8),
            writer=rds.ClusterInstance.provisioned("Writer", **instance_props),
            readers=[rds.ClusterInstance.provisioned("Reader", **instance_props)],
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            credentials=rds.Credentials.from_generated_secret("ledger_admin"),
            default_database_name="ledger",
            storage_encrypted=True,
            iam_authentication=True,
            deletion_protection=True,
            backup=rds.BackupProps(
                retention=cdk.Duration.days(BACKUP_DAYS[variant]),
                preferred_window="03:00-04:00",
            ),
            removal_policy=cdk.RemovalPolicy.SNAPSHOT,
        )

    def _rotate_credentials(self, vpc: ec2.IVpc) -> None:
        """Rotate the admin secret monthly; the isolated subnets reach Secrets Manager via an endpoint."""
        isolated = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        rotation_sg = ec2.SecurityGroup(self, "RotationSg", vpc=vpc, description="Ledger secret rotation")
        endpoint = ec2.InterfaceVpcEndpoint(
            self,
            "SecretsManagerEndpoint",
            vpc=vpc,
            service=ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
            subnets=isolated,
            open=False,  # only the rotation function talks to it
        )
        endpoint.connections.allow_default_port_from(rotation_sg)
        self.cluster.add_rotation_single_user(
            automatically_after=cdk.Duration.days(30),
            security_group=rotation_sg,
            vpc_subnets=isolated,
            endpoint=endpoint,
        )

    def _idempotency_table(self, variant: Variant) -> dynamodb.Table:
        pitr = (
            dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True)
            if variant == "good"
            else None
        )
        return dynamodb.Table(
            self,
            "IdempotencyKeys",
            partition_key=dynamodb.Attribute(name="idempotency_key", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute="expires_at",
            deletion_protection=True,
            point_in_time_recovery_specification=pitr,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
