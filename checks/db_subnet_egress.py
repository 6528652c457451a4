"""E9102 db-subnet-egress: databases live in isolated subnets and are not publicly accessible."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.assembly import Assembly, Stack
from auditor.findings import AssemblyMatch, Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import TemplateIndex, getatt_attribute, index, is_true, literal, properties, target
from auditor.rule import AuditRule

#: subnet-group resource types whose ``SubnetIds`` place a database or cache
SUBNET_GROUP_TYPES = (
    "AWS::RDS::DBSubnetGroup",
    "AWS::ElastiCache::SubnetGroup",
    "AWS::Redshift::ClusterSubnetGroup",
    "AWS::DocDB::DBSubnetGroup",
    "AWS::Neptune::DBSubnetGroup",
    "AWS::MemoryDB::SubnetGroup",
    "AWS::DAX::SubnetGroup",
)
#: database types, to name the database in the message (they refer to the subnet group)
DATABASE_TYPES = (
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::ElastiCache::CacheCluster",
    "AWS::Redshift::Cluster",
    "AWS::DocDB::DBCluster",
    "AWS::Neptune::DBCluster",
    "AWS::MemoryDB::Cluster",
    "AWS::DAX::Cluster",
)
#: database types with a ``PubliclyAccessible`` property
PUBLIC_ACCESS_TYPES = ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::Redshift::Cluster")
#: config name of an egress kind -> the ``AWS::EC2::Route`` properties that target it
EGRESS_KINDS: dict[str, tuple[str, ...]] = {
    "nat-gateway": ("NatGatewayId",),
    "nat-instance": ("InstanceId", "NetworkInterfaceId"),
    "internet-gateway": ("GatewayId",),
    "egress-only-internet-gateway": ("EgressOnlyInternetGatewayId",),
}
_SHOWN = {"nat-gateway": "NAT gateway", "nat-instance": "NAT instance", "internet-gateway": "internet gateway",
          "egress-only-internet-gateway": "egress-only internet gateway"}
DEFAULT_DESTINATIONS = {"DestinationCidrBlock": "0.0.0.0/0", "DestinationIpv6CidrBlock": "::/0"}


def default_egress(idx: TemplateIndex, subnet: str, kinds: list[str]) -> str | None:
    """How ``subnet`` (a logical id in ``idx``) reaches the internet, e.g. ``NAT gateway Nat1``.

    Follows ``SubnetRouteTableAssociation`` to the route table and looks for a default
    route (``0.0.0.0/0`` or ``::/0``) to one of the egress ``kinds``. None when there is
    none, or when the route table or route target cannot be known here.
    """
    tables = {
        target(properties(a).get("RouteTableId"))
        for _, a in idx.of_type("AWS::EC2::SubnetRouteTableAssociation")
        if target(properties(a).get("SubnetId")) == subnet
    } - {None}
    for _, route in idx.of_type("AWS::EC2::Route"):
        props = properties(route)
        if target(props.get("RouteTableId")) not in tables:
            continue
        if not any(literal(props.get(k)) == v for k, v in DEFAULT_DESTINATIONS.items()):
            continue
        for kind in kinds:
            for key in EGRESS_KINDS.get(kind, ()):
                if key not in props:
                    continue
                value, tgt = props[key], target(props[key])
                if key == "GatewayId":  # also carries virtual private gateways: only an IGW counts
                    lit = literal(value)
                    if not (idx.type_of(tgt) == "AWS::EC2::InternetGateway"
                            or (isinstance(lit, str) and lit.startswith("igw-"))):
                        continue
                return f"{_SHOWN.get(kind, kind)} {tgt or literal(value)}"
    return None


class DbSubnetEgress(AuditRule):
    """Databases sit in isolated subnets (no default route out) and are not publicly accessible.

    ## What it does
    For each subnet group (`AWS::RDS::DBSubnetGroup`, `AWS::ElastiCache::SubnetGroup`,
    `AWS::Redshift::ClusterSubnetGroup`, DocumentDB, Neptune, MemoryDB and DAX subnet
    groups) it follows every subnet through its `AWS::EC2::SubnetRouteTableAssociation`
    to the route table, and reports the group when a subnet has a default route
    (`0.0.0.0/0` or `::/0`) to a NAT gateway, NAT instance, internet gateway or
    egress-only internet gateway. It also reports RDS instances and clusters and
    Redshift clusters with `PubliclyAccessible: true`.

    Subnets that arrive as parameters are unknown to a single template and not judged
    there; across the cloud assembly the check follows a nested stack's parameters to
    the parent's `Fn::GetAtt [Sibling, Outputs.X]` and on to the sibling nested stack's
    subnet (how CDK passes a VPC from one nested stack to another). Subnet ids written
    as literals or imported from other apps stay unknown.

    ## Why is this bad?
    A database in a subnet with a route to the internet is one security-group mistake
    away from being reachable, and a compromised database can exfiltrate straight out
    through the NAT. Isolated subnets make "the database cannot talk to the internet" a
    property of the network rather than of every rule staying right.

    ## Example
    ```python
    rds.DatabaseInstance(self, "Db", engine=engine, vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS))
    ```

    ## Use instead
    ```python
    rds.DatabaseInstance(self, "Db", engine=engine, vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED))
    ```

    ## Options
    - `egress-kinds` (list of strings, default `["nat-gateway", "nat-instance",
      "internet-gateway", "egress-only-internet-gateway"]`): which default-route
      targets make a subnet unfit for a database.
    - `check-public-access` (boolean, default true): also report `PubliclyAccessible: true`.

    ## References
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_ec2/SubnetType.html
    """

    id = "E9102"
    slug = "db-subnet-egress"
    severity_level = Severity.ERROR
    shortdesc = "Databases are in isolated subnets and not publicly accessible"
    description = (
        "Subnet groups of RDS, ElastiCache, Redshift, DocumentDB and Neptune must not include subnets with a "
        "default route to a NAT or internet gateway; databases must not be publicly accessible."
    )
    source_url = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html"
    tags = ["rds", "elasticache", "redshift", "vpc", "networking"]
    remediation = (
        "Place the database in isolated subnets: `vpc_subnets=ec2.SubnetSelection("
        "subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)`."
    )
    config_spec = {
        "egress-kinds": {
            "type": "list",
            "itemtype": "string",
            "default": list(EGRESS_KINDS),
            "help": "default-route targets that make a subnet unfit for a database: " + ", ".join(EGRESS_KINDS),
        },
        "check-public-access": {
            "type": "boolean",
            "default": True,
            "help": "also report databases with PubliclyAccessible: true",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        out: list[RuleMatch] = []
        for lid, res in idx.of_type(*SUBNET_GROUP_TYPES):
            if is_cdk_helper(lid, res):
                continue
            subnets = properties(res).get("SubnetIds")
            for subnet in subnets if isinstance(subnets, list) else []:
                sid = target(subnet)
                if idx.type_of(sid) != "AWS::EC2::Subnet":
                    continue  # a parameter, a literal id or an import: unknown here
                how = default_egress(idx, str(sid), self.config["egress-kinds"])
                if how:
                    out.append(self.finding(["Resources", lid, "Properties", "SubnetIds"],
                                            self._message(idx, lid, str(sid), how)))
                    break
        if self.config["check-public-access"]:
            for lid, res in idx.of_type(*PUBLIC_ACCESS_TYPES):
                if not is_cdk_helper(lid, res) and is_true(properties(res).get("PubliclyAccessible")):
                    out.append(self.finding(["Resources", lid, "Properties", "PubliclyAccessible"],
                                            "Database is publicly accessible; drop `publicly_accessible=True` "
                                            "and reach it from inside the VPC"))
        return out

    @staticmethod
    def _message(idx: TemplateIndex, group: str, subnet: str, how: str) -> str:
        users = [lid for lid, _ in idx.referring(group, *DATABASE_TYPES)]
        who = f" (used by {', '.join(users)})" if users else ""
        return (f"Subnet group{who} includes subnet {subnet} with a default route to {how}; "
                "use PRIVATE_ISOLATED subnets")

    # -- across nested stacks -----------------------------------------------------------------

    def match_assembly(self, assembly: Assembly) -> list[AssemblyMatch]:
        """Subnet groups whose subnets are parameters of a nested stack, resolved through the parent."""
        out = []
        for stack in assembly.stacks:
            parent = assembly.stack(stack.parent) if stack.parent else None
            if parent is None or stack.template is None:
                continue
            passed = properties(parent.resources.get(stack.name[len(parent.name) + 1:])).get("Parameters")
            if not isinstance(passed, Mapping):
                continue
            idx = index(stack.template)
            for lid, res in idx.of_type(*SUBNET_GROUP_TYPES):
                subnets = properties(res).get("SubnetIds")
                if is_cdk_helper(lid, res) or not isinstance(subnets, list):
                    continue
                for subnet in subnets:
                    param = target(subnet)
                    if param is None or param in idx.resources or param not in passed:
                        continue
                    found = self._resolve_subnet(assembly, parent, passed[param])
                    how = found and default_egress(index(found[0].template or {}), found[1],
                                                   self.config["egress-kinds"])
                    if found and how:
                        msg = self._message(idx, lid, f"{found[0].name}/{found[1]}", how)
                        out.append(AssemblyMatch(stack.name, ["Resources", lid, "Properties", "SubnetIds"], msg))
                        break
        return out

    @staticmethod
    def _resolve_subnet(assembly: Assembly, parent: Stack, value: Any) -> tuple[Stack, str] | None:
        """The stack and logical id of the subnet a parent passes as a nested-stack parameter."""
        tgt = target(value)
        if tgt is None:
            return None
        pidx = index(parent.template or {})
        if pidx.type_of(tgt) == "AWS::EC2::Subnet":
            return parent, tgt
        attr = getatt_attribute(value) or ""
        sibling = assembly.stack(f"{parent.name}/{tgt}")
        if not attr.startswith("Outputs.") or sibling is None or not isinstance(sibling.template, Mapping):
            return None
        outputs = sibling.template.get("Outputs")
        output = outputs.get(attr[len("Outputs."):]) if isinstance(outputs, Mapping) else None
        subnet = target(output.get("Value")) if isinstance(output, Mapping) else None
        if subnet and index(sibling.template).type_of(subnet) == "AWS::EC2::Subnet":
            return sibling, subnet
        return None
