"""CloudFront in front of the load balancer."""

from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from merchant_portal.variant import Variant

PORTAL_DOMAIN = "merchants.example.com"
#: CloudFront certificates live in us-east-1
EDGE_CERTIFICATE_ARN = "arn:aws:acm:us-east-1:111111111111:certificate/9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"


class PortalEdge(Construct):
    """The public entry point of the portal."""

    def __init__(
        self, scope: Construct, construct_id: str, *, load_balancer: elbv2.IApplicationLoadBalancer, variant: Variant
    ) -> None:
        super().__init__(scope, construct_id)
        if variant == "good":
            origin = origins.LoadBalancerV2Origin(
                load_balancer, protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY
            )
            self.distribution = cloudfront.Distribution(
                self,
                "Distribution",
                default_behavior=cloudfront.BehaviorOptions(
                    origin=origin, viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS
                ),
                domain_names=[PORTAL_DOMAIN],
                certificate=acm.Certificate.from_certificate_arn(self, "Certificate", EDGE_CERTIFICATE_ARN),
                minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            )
        else:
            origin = origins.LoadBalancerV2Origin(
                load_balancer, protocol_policy=cloudfront.OriginProtocolPolicy.HTTP_ONLY
            )
            self.distribution = cloudfront.Distribution(
                self,
                "Distribution",
                default_behavior=cloudfront.BehaviorOptions(
                    origin=origin, viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.ALLOW_ALL
                ),
                domain_names=[PORTAL_DOMAIN],
                certificate=acm.Certificate.from_certificate_arn(self, "Certificate", EDGE_CERTIFICATE_ARN),
                minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2016,
            )
