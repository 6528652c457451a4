"""E9002 nat-routes: private subnets route to a NAT, and every NAT is routed to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, TemplateIndex, index, is_false, literal, properties, references, tags, target
from auditor.rule import AuditRule

SUBNET_TYPE_TAG = "aws-cdk:subnet-type"
#: route targets that give a private subnet egress without exposing it
EGRESS_TARGETS = ("NatGatewayId", "InstanceId", "NetworkInterfaceId", "TransitGatewayId")


class NatRoutes(AuditRule):
    """Private subnets need a default route through a NAT, and a NAT needs a route to it.

    ## What it does
    Follows `AWS::EC2::SubnetRouteTableAssociation` from each private subnet to its route
    table and looks for a `0.0.0.0/0` route (`DestinationCidrBlock`) to a NAT gateway, a
    NAT instance, a network interface or a transit gateway. A subnet is private when CDK
    tagged it `aws-cdk:subnet-type = Private`, or, in templates without that tag, when
    no route of its route table goes to an internet gateway, `MapPublicIpOnLaunch` is
    not set, no tag says `Isolated`, and the template has a NAT at all (a hand-written
    VPC with no NAT anywhere is isolated by design, reached through VPC endpoints).
    `Isolated` subnets are exempt. It reports the subnet when the route is missing (or
    goes to an internet gateway) and when no route table is associated at all.

    It also reports NAT gateways and NAT instances (`AWS::EC2::Instance` with
    `SourceDestCheck: false`) that no route sends traffic to. Route targets unknown at
    synth time (a parameter) count as present.

    ## Why is this bad?
    Workloads in a private subnet without a NAT route cannot reach AWS APIs, package
    mirrors or third parties: deployments hang at the first `pip install` or API call,
    usually only in the environment that was wired by hand. A NAT gateway nothing routes
    to costs about $32 a month plus data for nothing, and often means a subnet meant to
    use it was wired to another AZ's NAT or none.

    ## Example
    ```python
    vpc = ec2.CfnVPC(self, "Vpc", cidr_block="10.0.0.0/16")
    app = ec2.CfnSubnet(self, "App", vpc_id=vpc.ref, cidr_block="10.0.1.0/24")
    # no route table association, no NAT route
    ```

    ## Use instead
    ```python
    vpc = ec2.Vpc(self, "Vpc", nat_gateways=1, subnet_configuration=[
        ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC),
        ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
    ])
    ```
    ```ts
    const vpc = new ec2.Vpc(this, 'Vpc', { natGateways: 1, subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    ] });
    ```

    ## Options
    - `check-unused-nat` (boolean, default true): also report NAT gateways and NAT
      instances that no route targets.
    - `infer-private` (boolean, default true): in subnets without CDK's subnet-type tag,
      treat a subnet with no internet-gateway route as private.

    ## References
    - https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_ec2/Vpc.html
    """

    id = "E9002"
    slug = "nat-routes"
    severity_level = Severity.ERROR
    shortdesc = "Private subnets route 0.0.0.0/0 through a NAT, and every NAT is routed to"
    description = (
        "Follows route-table associations from each private subnet to a default route via a NAT "
        "gateway, NAT instance, ENI or transit gateway; reports NATs no route targets."
    )
    source_url = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html"
    tags = ["ec2", "vpc", "networking"]
    remediation = (
        "Use `ec2.Vpc(self, \"Vpc\", nat_gateways=1)` with PRIVATE_WITH_EGRESS subnets, or route 0.0.0.0/0 to "
        "a NAT."
    )
    config_spec = {
        "check-unused-nat": {
            "type": "boolean",
            "default": True,
            "help": "report NAT gateways and NAT instances that no route targets",
        },
        "infer-private": {
            "type": "boolean",
            "default": True,
            "help": "without CDK's subnet-type tag, treat subnets with no internet-gateway route as private",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = self._idx = index(cfn.template)
        params = cfn.template.get("Parameters")
        self._params: set[str] = set(params) if isinstance(params, Mapping) else set()
        routes: dict[str, list[Mapping[str, Any]]] = {}  # route table -> route properties
        for _, res in idx.of_type("AWS::EC2::Route"):
            props = properties(res)
            table = target(props.get("RouteTableId"))
            if table:
                routes.setdefault(table, []).append(props)
        tables: dict[str, list[str | None]] = {}  # subnet -> route tables (None: unknown)
        unknown_association = False
        for _, res in idx.of_type("AWS::EC2::SubnetRouteTableAssociation"):
            props = properties(res)
            subnet, table = target(props.get("SubnetId")), target(props.get("RouteTableId"))
            if subnet is None:
                unknown_association = True  # it may be any subnet's association
            else:
                tables.setdefault(subnet, []).append(table if idx.type_of(table) == "AWS::EC2::RouteTable" else None)
        # a hand-written VPC without any NAT is isolated by design (endpoints only)
        self._has_nat = any(True for _ in idx.of_type("AWS::EC2::NatGateway")) or any(
            is_false(properties(r).get("SourceDestCheck")) for _, r in idx.of_type("AWS::EC2::Instance")
        )
        out = [
            m
            for lid, res in idx.of_type("AWS::EC2::Subnet")
            if not is_cdk_helper(lid, res)
            for m in self._check_subnet(lid, res, tables.get(lid), routes, unknown_association)
        ]
        if self.config["check-unused-nat"]:
            out.extend(self._unused_nats(idx, references(cfn.template.get("Outputs"))))
        return out

    def _check_subnet(
        self,
        lid: str,
        res: Mapping[str, Any],
        subnet_tables: list[str | None] | None,
        routes: dict[str, list[Mapping[str, Any]]],
        unknown_association: bool,
    ) -> list[RuleMatch]:
        here: list[str | int] = ["Resources", lid]
        kind = tags(res).get(SUBNET_TYPE_TAG)
        if kind is UNKNOWN or (kind is not None and kind != "Private"):
            return []  # Public or Isolated by CDK's own account
        if kind is None:
            if not self.config["infer-private"] or not self._has_nat or any(
                isinstance(v, str) and v.lower() == "isolated" for v in tags(res).values()
            ):
                return []
            if not is_false(properties(res).get("MapPublicIpOnLaunch", False)):
                return []  # public, or unknown
        if not subnet_tables:
            if unknown_association:
                return []  # an association we cannot resolve may be this subnet's
            # the VPC's main route table only routes inside the VPC
            return [self.finding(here, "Private subnet has no route table; associate one with a 0.0.0.0/0 "
                                       "route to a NAT gateway")]
        if None in subnet_tables:
            return []  # a route table outside this template
        default_routes = [
            r for t in subnet_tables for r in routes.get(str(t), [])
            if literal(r.get("DestinationCidrBlock")) in ("0.0.0.0/0", UNKNOWN)
        ]
        if kind is None and any(self._to_internet_gateway(r, unknown_is_igw=True)
                                for t in subnet_tables for r in routes.get(str(t), [])):
            return []  # a public subnet written by hand
        if any(self._egress(r) for r in default_routes):
            return []
        if any(self._to_internet_gateway(r) for r in default_routes):
            return [self.finding(here, "Private subnet sends 0.0.0.0/0 to an internet gateway; route it to a "
                                       "NAT gateway")]
        return [self.finding(here, "Private subnet has no 0.0.0.0/0 route to a NAT; add one to its route table")]

    def _egress(self, route: Mapping[str, Any]) -> bool:
        if any(k in route for k in EGRESS_TARGETS):
            return True
        gateway = route.get("GatewayId")
        return gateway is not None and self._unknown(gateway)

    def _to_internet_gateway(self, route: Mapping[str, Any], unknown_is_igw: bool = False) -> bool:
        gateway = route.get("GatewayId")
        if gateway is None:
            return False
        if self._unknown(gateway):
            return unknown_is_igw
        value = literal(gateway)
        return (isinstance(value, str) and value.startswith("igw-")) or self._idx.type_of(
            target(gateway)
        ) == "AWS::EC2::InternetGateway"

    def _unknown(self, value: Any) -> bool:
        """A route target whose resource cannot be known here: a parameter or an intrinsic."""
        tgt = target(value)
        if tgt is not None:
            return tgt in self._params
        return literal(value) is UNKNOWN

    def _unused_nats(self, idx: TemplateIndex, exported: set[str]) -> list[RuleMatch]:
        routed = set(exported)  # an exported NAT may be routed to from another stack
        for _, res in idx.of_type("AWS::EC2::Route"):
            routed.update(references(properties(res)))
        out = []
        for lid, res in idx.of_type("AWS::EC2::NatGateway"):
            if lid not in routed and not is_cdk_helper(lid, res):
                out.append(self.finding(["Resources", lid], "NAT gateway has no route to it; route a private "
                                                            "subnet's 0.0.0.0/0 to it or remove it"))
        for lid, res in idx.of_type("AWS::EC2::Instance"):
            props = properties(res)
            if not is_false(props.get("SourceDestCheck")) or is_cdk_helper(lid, res):
                continue
            enis = props.get("NetworkInterfaces")
            # a route may target the instance's network interface instead of the instance
            enis = enis if isinstance(enis, list) else []
            eni_ids = {target(e.get("NetworkInterfaceId")) for e in enis if isinstance(e, Mapping)}
            if lid not in routed and not (eni_ids & routed):
                out.append(self.finding(["Resources", lid], "NAT instance has no route to it; route a private "
                                                            "subnet's 0.0.0.0/0 to it or remove it"))
        return out
