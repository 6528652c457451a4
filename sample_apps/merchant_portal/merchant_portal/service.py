"""The portal web service: Fargate tasks behind an Application Load Balancer."""

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from merchant_portal.variant import Variant

#: the platform's own ECR repository and the release the good variant pins
PORTAL_REPOSITORY_ARN = "arn:aws:ecr:us-east-1:111111111111:repository/merchant-portal"
PORTAL_RELEASE = "2.7.1"
#: the portal's TLS certificate, issued in ACM by the platform team
CERTIFICATE_ARN = "arn:aws:acm:us-east-1:111111111111:certificate/4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
CONTAINER_PORT = 8080


class PortalService(Construct):
    """The web tier: an internet-facing ALB forwarding to the portal's Fargate service."""

    def __init__(self, scope: Construct, construct_id: str, *, vpc: ec2.IVpc, variant: Variant) -> None:
        super().__init__(scope, construct_id)
        cluster = ecs.Cluster(
            self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
        )
        task = self._task_definition(variant)
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=cluster,
            task_definition=task,
            desired_count=2,
            min_healthy_percent=100,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            # Bad variant: a broken image rolls on forever, replacing healthy tasks.
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True) if variant == "good" else None,
            health_check_grace_period=cdk.Duration.seconds(60),
        )
        if variant == "bad":
            # "Temporary" SSH for debugging a task, opened to the whole internet.
            self.service.connections.allow_from_any_ipv4(ec2.Port.tcp(22), "ssh for debugging")
        self.load_balancer = elbv2.ApplicationLoadBalancer(self, "LoadBalancer", vpc=vpc, internet_facing=True)
        if variant == "good":
            https = self.load_balancer.add_listener(
                "Https",
                port=443,
                certificates=[elbv2.ListenerCertificate.from_arn(CERTIFICATE_ARN)],
                ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
            )
            self.load_balancer.add_redirect(source_port=80, target_port=443)
            self._forward(https, 443)
        else:
            # Card-holder and merchant sessions over plain HTTP: no certificate, no redirect.
            self._forward(self.load_balancer.add_listener("Http", port=80, open=True), 80)

    def _forward(self, listener: elbv2.ApplicationListener, port: int) -> None:
        listener.add_targets(
            "Portal",
            port=CONTAINER_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.service],
            health_check=elbv2.HealthCheck(path="/healthz", healthy_http_codes="200"),
        )

    def _task_definition(self, variant: Variant) -> ecs.FargateTaskDefinition:
        if variant == "good":
            task = ecs.FargateTaskDefinition(self, "Task", cpu=512, memory_limit_mib=1024)
            repository = ecr.Repository.from_repository_arn(self, "Repository", PORTAL_REPOSITORY_ARN)
            # from_ecr_repository also grants the execution role the pull rights
            image = ecs.ContainerImage.from_ecr_repository(repository, tag=PORTAL_RELEASE)
            health_check = ecs.HealthCheck(
                command=["CMD-SHELL", f"curl -fsS http://localhost:{CONTAINER_PORT}/healthz || exit 1"],
                interval=cdk.Duration.seconds(30),
                retries=3,
                start_period=cdk.Duration.seconds(30),
            )
        else:
            # One role for pulling the image and for the app itself: the app gets ECR and logs rights.
            # Sized like the demo: a quarter vCPU and half a GiB behind the production load balancer.
            role = iam.Role(self, "TaskRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
            task = ecs.FargateTaskDefinition(
                self, "Task", cpu=256, memory_limit_mib=512, task_role=role, execution_role=role
            )
            image = ecs.ContainerImage.from_registry("nginx:latest")
            health_check = None
        log_group = logs.LogGroup(
            self, "PortalLogs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=cdk.RemovalPolicy.RETAIN
        )
        task.add_container(
            "Portal",
            image=image,
            essential=True,
            port_mappings=[ecs.PortMapping(container_port=CONTAINER_PORT)],
            logging=ecs.LogDrivers.aws_logs(stream_prefix="portal", log_group=log_group),
            health_check=health_check,
        )
        return task
