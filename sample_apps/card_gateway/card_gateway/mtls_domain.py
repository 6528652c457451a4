"""The custom domain the card networks call, with mutual TLS against our truststore."""

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_s3 as s3
from constructs import Construct

DOMAIN_NAME = "authorize.cards.payments.example.com"
#: the ACM certificate of DOMAIN_NAME, issued in each account and region the gateway runs in
CERTIFICATE_ID = "3f1c2a9e-8b7d-4c6e-9a51-2d0f7e4b6c18"
TRUSTSTORE_KEY = "truststore.pem"


class MtlsDomain(Construct):
    """Regional custom domain, TLS 1.2, client certificates checked against the truststore."""

    def __init__(self, scope: Construct, construct_id: str, *, rest_api: apigateway.IRestApi) -> None:
        super().__init__(scope, construct_id)
        truststore = s3.Bucket(
            self,
            "Truststore",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.domain = apigateway.DomainName(
            self,
            "Domain",
            domain_name=DOMAIN_NAME,
            certificate=acm.Certificate.from_certificate_arn(
                self,
                "Certificate",
                # the stack's own account and region, not literals: the stack is environment-agnostic
                cdk.Stack.of(self).format_arn(service="acm", resource="certificate", resource_name=CERTIFICATE_ID),
            ),
            endpoint_type=apigateway.EndpointType.REGIONAL,
            security_policy=apigateway.SecurityPolicy.TLS_1_2,
            mtls=apigateway.MTLSConfig(bucket=truststore, key=TRUSTSTORE_KEY),
        )
        apigateway.BasePathMapping(self, "Mapping", domain_name=self.domain, rest_api=rest_api)
