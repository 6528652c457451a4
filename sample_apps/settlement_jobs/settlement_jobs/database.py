"""The settlement database: PostgreSQL in isolated subnets, credentials in Secrets Manager."""

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from constructs import Construct

from settlement_jobs.variant import Variant

#: the bad variant pins a PostgreSQL version that never existed
ENGINE_VERSION: dict[Variant, rds.PostgresEngineVersion] = {
    "bad": rds.PostgresEngineVersion.of("15.99", "15"),
    "good": rds.PostgresEngineVersion.VER_17_6,
}


class SettlementDatabase(Construct):
    """A VPC without internet egress and the settlement PostgreSQL instance inside it."""

    def __init__(self, scope: Construct, construct_id: str, *, variant: Variant) -> None:
        super().__init__(scope, construct_id)
        good = variant == "good"
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="Db", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
            ],
        )
        flow_logs = logs.LogGroup(
            self,
            "FlowLogs",
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.vpc.add_flow_log("FlowLog", destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs))
        isolated = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self.instance = rds.DatabaseInstance(
            self,
            "SettlementDb",
            engine=rds.DatabaseInstanceEngine.postgres(version=ENGINE_VERSION[variant]),
            instance_type=ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
            vpc=self.vpc,
            vpc_subnets=isolated,
            credentials=rds.Credentials.from_generated_secret("settlement_admin"),
            database_name="settlement",
            backup_retention=cdk.Duration.days(35),
            storage_encrypted=good,
            enable_performance_insights=good,
            deletion_protection=good,
            multi_az=good,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        # The generated credentials outlive the stack like the database they open
        # (``instance.secret`` is the attachment; the secret itself is the "Secret" child).
        secret = self.instance.node.find_child("Secret")
        assert isinstance(secret, cdk.Resource)
        secret.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        if good:
            # The rotation function runs in the isolated subnets: it reaches Secrets Manager
            # through an interface endpoint, not the internet.
            endpoint = self.vpc.add_interface_endpoint(
                "SecretsManager",
                service=ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
                subnets=isolated,
            )
            self.instance.add_rotation_single_user(
                automatically_after=cdk.Duration.days(30),
                vpc_subnets=isolated,
                endpoint=endpoint,
            )
