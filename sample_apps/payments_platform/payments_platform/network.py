"""Nested stack: the ledger VPC, built from L1 constructs, with a NAT instance for egress."""

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from payments_platform.variant import Variant

VPC_CIDR = "10.40.0.0/16"
NAT_AMI = "ami-0c55b159cbfafe1f0"  # hardened NAT image published by the platform team
AZ_COUNT = 2


@dataclass(frozen=True)
class SubnetTier:
    name: str
    subnet_type: str  # value of the ``aws-cdk:subnet-type`` tag
    cidr_offset: int


TIERS = (
    SubnetTier("Public", "Public", 0),
    SubnetTier("Private", "Private", 10),
    SubnetTier("Isolated", "Isolated", 20),
)


class NetworkStack(cdk.NestedStack):
    """Public, private (egress via NAT instance) and isolated subnets across two AZs."""

    def __init__(self, scope: Construct, construct_id: str, *, variant: Variant) -> None:
        super().__init__(scope, construct_id, description="Payments ledger network")
        self.vpc = ec2.CfnVPC(
            self,
            "Vpc",
            cidr_block=VPC_CIDR,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=[cdk.CfnTag(key="Name", value="payments-ledger")],
        )
        self.availability_zones_used = [cdk.Fn.select(i, cdk.Fn.get_azs()) for i in range(AZ_COUNT)]
        route_tables = {tier.name: self._route_table(tier.name) for tier in TIERS}
        subnets = {
            tier.name: [self._subnet(tier, i, route_tables[tier.name]) for i in range(AZ_COUNT)] for tier in TIERS
        }
        self._internet_egress(route_tables["Public"])
        nat = self._nat_instance(subnets["Public"][0])
        if variant == "good":
            ec2.CfnRoute(
                self,
                "PrivateDefaultRoute",
                route_table_id=route_tables["Private"].ref,
                destination_cidr_block="0.0.0.0/0",
                instance_id=nat.ref,
            )
        if variant == "good":
            self._flow_log()
        self.isolated_subnet_ids = [subnet.ref for subnet in subnets["Isolated"]]
        self.isolated_route_table_ids = [route_tables["Isolated"].ref] * AZ_COUNT

    def _flow_log(self) -> None:
        """Every flow in the ledger VPC, kept a year for the PCI audit trail."""
        log_group = logs.LogGroup(
            self, "FlowLogs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=cdk.RemovalPolicy.RETAIN
        )
        vpc = ec2.Vpc.from_vpc_attributes(
            self, "LedgerVpc", vpc_id=self.vpc.ref, availability_zones=self.availability_zones_used
        )
        ec2.FlowLog(
            self,
            "FlowLog",
            resource_type=ec2.FlowLogResourceType.from_vpc(vpc),
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(log_group),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )

    def _route_table(self, tier: str) -> ec2.CfnRouteTable:
        return ec2.CfnRouteTable(
            self,
            f"{tier}RouteTable",
            vpc_id=self.vpc.ref,
            tags=[cdk.CfnTag(key="Name", value=f"payments-ledger-{tier.lower()}")],
        )

    def _subnet(self, tier: SubnetTier, index: int, route_table: ec2.CfnRouteTable) -> ec2.CfnSubnet:
        subnet = ec2.CfnSubnet(
            self,
            f"{tier.name}Subnet{index + 1}",
            vpc_id=self.vpc.ref,
            cidr_block=f"10.40.{tier.cidr_offset + index}.0/24",
            availability_zone=self.availability_zones_used[index],
            map_public_ip_on_launch=False,
            tags=[
                cdk.CfnTag(key="Name", value=f"payments-ledger-{tier.name.lower()}-{index + 1}"),
                cdk.CfnTag(key="aws-cdk:subnet-name", value=tier.name),
                cdk.CfnTag(key="aws-cdk:subnet-type", value=tier.subnet_type),
            ],
        )
        ec2.CfnSubnetRouteTableAssociation(
            self,
            f"{tier.name}Subnet{index + 1}RouteTableAssociation",
            subnet_id=subnet.ref,
            route_table_id=route_table.ref,
        )
        return subnet

    def _internet_egress(self, public_route_table: ec2.CfnRouteTable) -> None:
        igw = ec2.CfnInternetGateway(self, "InternetGateway")
        attachment = ec2.CfnVPCGatewayAttachment(
            self, "InternetGatewayAttachment", vpc_id=self.vpc.ref, internet_gateway_id=igw.ref
        )
        route = ec2.CfnRoute(
            self,
            "PublicDefaultRoute",
            route_table_id=public_route_table.ref,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.ref,
        )
        route.add_resource_dependency(attachment)

    def _nat_instance(self, public_subnet: ec2.CfnSubnet) -> ec2.CfnInstance:
        security_group = ec2.CfnSecurityGroup(
            self,
            "NatSecurityGroup",
            group_description="NAT instance: forwards traffic from inside the VPC",
            vpc_id=self.vpc.ref,
            security_group_ingress=[
                ec2.CfnSecurityGroup.IngressProperty(
                    ip_protocol="-1", cidr_ip=VPC_CIDR, description="from the ledger VPC"
                )
            ],
        )
        nat = ec2.CfnInstance(
            self,
            "NatInstance",
            image_id=NAT_AMI,
            instance_type="t4g.small",
            subnet_id=public_subnet.ref,
            security_group_ids=[security_group.attr_group_id],
            source_dest_check=False,
            metadata_options=ec2.CfnInstance.MetadataOptionsProperty(http_tokens="required"),
            tags=[cdk.CfnTag(key="Name", value="payments-ledger-nat")],
        )
        ec2.CfnEIP(self, "NatEip", domain="vpc", instance_id=nat.ref)
        return nat
