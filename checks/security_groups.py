"""E9103 security-groups: no internet ingress beyond public ports, no VPC default security group."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import (
    UNKNOWN,
    TemplateIndex,
    as_int,
    getatt_attribute,
    index,
    literal,
    properties,
    resolved,
    target,
)
from auditor.rule import AuditRule

CIDR_KEYS = ("CidrIp", "CidrIpv6")
ALL_PROTOCOLS = ("-1", "all")
PORT_PROTOCOLS = ("tcp", "udp", "6", "17")
#: properties that carry a resource's security groups, at any depth of its Properties
SG_KEYS = ("SecurityGroups", "SecurityGroupIds", "VpcSecurityGroupIds", "VPCSecurityGroups")


def internet_cidr(value: Any) -> str | None:
    """The CIDR as written when it is the whole internet, else None.

    EC2 masks the address of any ``/0`` (``1.0.0.0/0``, ``::0/0``,
    ``0:0:0:0:0:0:0:0/0``) to the whole address family, so every ``/0`` is the internet.
    """
    cidr = literal(value)
    if not isinstance(cidr, str):
        return None
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None
    return cidr.strip() if network.prefixlen == 0 else None


def _alb_in_vpc(props: Mapping[str, Any]) -> bool:
    kind = literal(props.get("Type", "application"))
    return kind == "application" and ("Subnets" in props or "SubnetMappings" in props)


def _awsvpc_service(props: Mapping[str, Any]) -> bool:
    net = props.get("NetworkConfiguration")
    return isinstance(net, Mapping) and isinstance(net.get("AwsvpcConfiguration"), Mapping)


def _rds_in_vpc(props: Mapping[str, Any]) -> bool:
    # instances of a cluster take the cluster's groups
    return "DBSubnetGroupName" in props and "DBClusterIdentifier" not in props


def _instance_in_subnet(props: Mapping[str, Any]) -> bool:
    # a launch template or explicit network interfaces carry their own groups
    return "SubnetId" in props and not ({"NetworkInterfaces", "LaunchTemplate"} & set(props))


#: resource types that fall back to the VPC's default security group when given none,
#: with the test that they are in a VPC at all; NLBs, Lambda and the rest either
#: require groups or get none, so omission is not a default-group problem there
FALLS_BACK_TO_DEFAULT_SG = {
    "AWS::ElasticLoadBalancingV2::LoadBalancer": _alb_in_vpc,
    "AWS::ECS::Service": _awsvpc_service,
    "AWS::RDS::DBInstance": _rds_in_vpc,
    "AWS::RDS::DBCluster": _rds_in_vpc,
    "AWS::EC2::Instance": _instance_in_subnet,
}


def _sg_lists(value: Any, path: list[str | int]) -> Iterator[tuple[list[str | int], Any]]:
    """(path, value) of every security-group list inside ``value``."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k in SG_KEYS:
                yield [*path, str(k)], v
            else:
                yield from _sg_lists(v, [*path, str(k)])
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _sg_lists(v, [*path, i])


class SecurityGroups(AuditRule):
    """No ingress from the whole internet except on public ports; no VPC default security group.

    ## What it does
    Reports ingress rules from the internet — inline in an
    `AWS::EC2::SecurityGroup`'s `SecurityGroupIngress` or a standalone
    `AWS::EC2::SecurityGroupIngress` — whose port range includes a port not in
    `public-ports`. The internet is any `/0` CIDR: EC2 masks `1.0.0.0/0`, `::0/0` or
    `0:0:0:0:0:0:0:0/0` to `0.0.0.0/0` / `::/0`. Protocol `-1` (all traffic) and a missing
    or `-1` port count as every port. A port written as a database's
    `Fn::GetAtt [Db, Endpoint.Port]` (or a DocumentDB/Neptune cluster's `Port`), which is
    what `db.connections.allow_default_port_from_any_ipv4()` writes, is the database's
    `Port` or its engine's default port (5432, 3306, 1433, 1521, 27017, 8182). ICMP and
    rules whose ports or sources are unknown at synth time are not reported.

    It also reports resources left on a VPC's default security group: any
    `SecurityGroups`, `SecurityGroupIds`, `VpcSecurityGroupIds` or `VPCSecurityGroups`
    (at any depth, e.g. an ECS service's `AwsvpcConfiguration`) holding
    `Fn::GetAtt [Vpc, DefaultSecurityGroup]`, and resources of the types that fall back
    to the default group when given none: application load balancers in subnets, ECS
    services with `awsvpc` networking, RDS instances (outside a cluster) and clusters
    with a subnet group, and EC2 instances in a subnet without network interfaces or a
    launch template.

    ## Why is this bad?
    SSH, RDP or a database port open to the internet is scanned within minutes. The
    default security group is shared by everything that forgot to ask for its own
    group, and allows all traffic between its members: one compromised task reaches
    every database left on it.

    ## Example
    ```python
    service.connections.allow_from_any_ipv4(ec2.Port.tcp(22), "ssh for debugging")
    ```

    ## Use instead
    ```python
    # reach tasks with ECS Exec instead of SSH; keep internet ingress to the load balancer
    ecs.FargateService(self, "Service", ..., enable_execute_command=True)
    alb.connections.allow_from_any_ipv4(ec2.Port.tcp(443))
    ```

    ## Options
    - `public-ports` (list of integers, default `[80, 443]`): ports that may be open to
      the internet.
    - `check-default-sg` (boolean, default true): also report resources on a VPC's
      default security group.

    ## References
    - https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html
    - https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html
    """

    id = "E9103"
    slug = "security-groups"
    severity_level = Severity.ERROR
    shortdesc = "No internet ingress beyond public ports; no VPC default security group"
    description = (
        "Ingress from 0.0.0.0/0 or ::/0 only on public-ports; load balancers, ECS services and other "
        "VPC resources use their own security group, not the VPC's default one."
    )
    source_url = "https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html"
    tags = ["ec2", "vpc", "security-groups", "networking"]
    remediation = (
        "Open only public ports to `ec2.Peer.any_ipv4()` (SSM, not SSH); give each resource its own "
        "`ec2.SecurityGroup`."
    )
    config_spec = {
        "public-ports": {
            "type": "list",
            "itemtype": "integer",
            "default": [80, 443],
            "help": "ports that may be open to 0.0.0.0/0 and ::/0",
        },
        "check-default-sg": {
            "type": "boolean",
            "default": True,
            "help": "also report resources on a VPC's default security group",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        out: list[RuleMatch] = []
        for lid, res in idx.of_type("AWS::EC2::SecurityGroup"):
            rules = properties(res).get("SecurityGroupIngress")
            if is_cdk_helper(lid, res) or not isinstance(rules, list):
                continue
            for i, rule in enumerate(rules):
                msg = self._open_rule(idx, rule)
                if msg:
                    out.append(self.finding(["Resources", lid, "Properties", "SecurityGroupIngress", i], msg))
        for lid, res in idx.of_type("AWS::EC2::SecurityGroupIngress"):
            msg = self._open_rule(idx, properties(res))
            if msg and not is_cdk_helper(lid, res):
                out.append(self.finding(["Resources", lid, "Properties"], msg))
        if self.config["check-default-sg"]:
            out.extend(self._default_sg(idx))
        return out

    def _open_rule(self, idx: TemplateIndex, rule: Any) -> str | None:
        """The message for an ingress rule open to the internet on a non-public port, else None."""
        if not isinstance(rule, Mapping):
            return None
        source = next((c for k in CIDR_KEYS if (c := internet_cidr(rule.get(k)))), None)
        if source is None:
            return None
        if source not in ("0.0.0.0/0", "::/0"):
            source = f"{source} (the whole internet)"
        protocol = literal(rule.get("IpProtocol"))
        if protocol is UNKNOWN or not isinstance(protocol, str | int):
            return None
        protocol = str(protocol).lower()
        if protocol in ALL_PROTOCOLS:
            return f"Ingress from {source} on all traffic; allow only ports {self._public()} from the internet"
        if protocol not in PORT_PROTOCOLS:
            return None  # ICMP and other protocols have no ports
        low, high = self._ports(idx, rule)
        if low is None or high is None:
            return None
        if low > high:
            return None
        public = {p for p in self.config["public-ports"] if low <= p <= high}
        if len(public) == high - low + 1:
            return None  # every port in the range is a public one
        exposed = f"port {low}" if low == high else f"ports {low}-{high}"
        if low <= 0 and high >= 65535:
            exposed = "all ports"
        return (f"Ingress from {source} on {protocol.upper()} {exposed}; only ports {self._public()} may be open "
                "to the internet")

    @staticmethod
    def _ports(idx: TemplateIndex, rule: Mapping[str, Any]) -> tuple[int | None, int | None]:
        """(from, to) of a rule; a missing or -1 port is the whole range; None when unknown.

        A database's port written as ``Fn::GetAtt [Db, Endpoint.Port]`` (what
        ``db.connections.allow_default_port_from_any_ipv4()`` writes) is resolved to the port
        the database listens on.
        """
        ports: list[int | None] = []
        for key in ("FromPort", "ToPort"):
            if key not in rule:
                ports.append(-1)
                continue
            ports.append(as_int(resolved(rule[key], idx)))
        low, high = ports
        if low == -1 or high == -1:
            return 0, 65535
        return low, high

    def _public(self) -> str:
        return "/".join(str(p) for p in self.config["public-ports"]) or "(none)"

    def _default_sg(self, idx: TemplateIndex) -> list[RuleMatch]:
        out = []
        for lid, res in idx.resources.items():
            if is_cdk_helper(lid, res):
                continue
            props = properties(res)
            found = False
            for path, groups in _sg_lists(props, ["Resources", lid, "Properties"]):
                items = groups if isinstance(groups, list) else [groups]
                if any(self._is_default_sg(idx, g) for g in items):
                    out.append(self.finding(path, "Uses the VPC's default security group; give it its own "
                                                  "ec2.SecurityGroup"))
                    found = True
            if found:
                continue
            in_vpc = FALLS_BACK_TO_DEFAULT_SG.get(str(res.get("Type")))
            if in_vpc and in_vpc(props) and not any(True for _ in _sg_lists(props, [])):
                out.append(self.finding(["Resources", lid, "Properties"],
                                        "No security groups: it falls back to the VPC's default security group; "
                                        "give it its own ec2.SecurityGroup"))
        return out

    @staticmethod
    def _is_default_sg(idx: TemplateIndex, value: Any) -> bool:
        return getatt_attribute(value) == "DefaultSecurityGroup" and idx.type_of(target(value)) == "AWS::EC2::VPC"
