"""The portal VPC: public, private-with-egress (one NAT) and isolated subnets in two AZs."""

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from merchant_portal.variant import Variant


class PortalNetwork(Construct):
    """Two AZs without an account/region (no AZ lookup at synth), one NAT gateway to save cost."""

    def __init__(self, scope: Construct, construct_id: str, *, variant: Variant) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.60.0.0/16"),
            max_azs=2,
            nat_gateways=1,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22),
                ec2.SubnetConfiguration(name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24),
            ],
        )
        # Operators reach the database through Session Manager on this host, never SSH.
        # latest_amazon_linux() is deprecated (it picks Amazon Linux 1 by default); the good
        # variant names the generation it runs.
        image = (
            ec2.MachineImage.latest_amazon_linux2023()
            if variant == "good"
            else ec2.MachineImage.latest_amazon_linux()
        )
        self.bastion = ec2.BastionHostLinux(
            self,
            "Bastion",
            vpc=self.vpc,
            subnet_selection=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            machine_image=image,
        )
        if variant == "good":
            # Kept a year: the PCI review asks who talked to the database, long after the fact.
            flow_logs = logs.LogGroup(
                self,
                "FlowLogs",
                retention=logs.RetentionDays.ONE_YEAR,
                removal_policy=cdk.RemovalPolicy.RETAIN,
            )
            self.vpc.add_flow_log(
                "FlowLog",
                destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
                traffic_type=ec2.FlowLogTrafficType.ALL,
            )
