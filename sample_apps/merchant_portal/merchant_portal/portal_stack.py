"""The merchant portal stack: network, database, web service and CloudFront."""

import aws_cdk as cdk
from constructs import Construct

from merchant_portal.database import MerchantDatabase
from merchant_portal.edge import PortalEdge
from merchant_portal.network import PortalNetwork
from merchant_portal.service import PortalService
from merchant_portal.variant import Variant


class MerchantPortalStack(cdk.Stack):
    """Merchant self-service portal."""

    def __init__(self, scope: Construct, construct_id: str, *, variant: Variant, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        network = PortalNetwork(self, "Network", variant=variant)
        database = MerchantDatabase(self, "Database", vpc=network.vpc, variant=variant)
        service = PortalService(self, "Web", vpc=network.vpc, variant=variant)
        database.instance.connections.allow_default_port_from(service.service, "portal to postgres")
        PortalEdge(self, "Edge", load_balancer=service.load_balancer, variant=variant)
        cdk.CfnOutput(self, "LoadBalancerDns", value=service.load_balancer.load_balancer_dns_name)
