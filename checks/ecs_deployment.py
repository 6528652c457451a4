"""W9106 ecs-deployment: ECS services roll back bad deployments; tasks keep separate roles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, index, is_true, literal, properties, sub_text
from auditor.rule import AuditRule

#: deployment controllers that manage rollouts themselves; the circuit breaker does not apply
EXTERNAL_CONTROLLERS = ("CODE_DEPLOY", "EXTERNAL")


class EcsDeployment(AuditRule):
    """ECS services roll back failed deployments; tasks keep execution and task roles apart.

    ## What it does
    For `AWS::ECS::Service` (with the default `ECS` deployment controller):

    - no deployment circuit breaker with rollback
      (`DeploymentConfiguration.DeploymentCircuitBreaker: {Enable: true, Rollback: true}`);
      CloudWatch-alarm rollback (`DeploymentConfiguration.Alarms` with `Enable` and
      `Rollback`) is accepted instead;
    - a service behind a load balancer (`LoadBalancers` not empty) without
      `HealthCheckGracePeriodSeconds`.

    For `AWS::ECS::TaskDefinition`: `ExecutionRoleArn` and `TaskRoleArn` naming the same
    role (the same resource, or the same literal ARN). Values unknown at synth time are
    not reported.

    ## Why is this bad?
    Without a circuit breaker, a deployment whose tasks never become healthy keeps
    replacing tasks for hours, and the service never returns to the last good version
    on its own. Without a grace period, the load balancer's health checks kill tasks
    that are still starting. The execution role pulls images and reads secrets for the
    agent; sharing it with the application gives the application those rights too.

    ## Example
    ```python
    role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    task = ecs.FargateTaskDefinition(self, "Task", task_role=role, execution_role=role)
    ecs.FargateService(self, "Service", cluster=cluster, task_definition=task)
    ```

    ## Use instead
    ```python
    task = ecs.FargateTaskDefinition(self, "Task")  # CDK creates two roles
    ecs.FargateService(self, "Service", cluster=cluster, task_definition=task,
        circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
        health_check_grace_period=Duration.seconds(60))
    ```

    ## Options
    - `require-circuit-breaker` (boolean, default true): report services without rollback.
    - `require-grace-period` (boolean, default true): report load-balanced services
      without a health-check grace period.
    - `require-separate-roles` (boolean, default true): report task definitions whose
      execution role is their task role.

    ## References
    - https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
    - https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
    """

    id = "W9106"
    slug = "ecs-deployment"
    severity_level = Severity.WARNING
    shortdesc = "ECS services roll back failed deployments; task and execution roles differ"
    description = (
        "ECS services need a deployment circuit breaker with rollback and, behind a load balancer, a "
        "health-check grace period; task definitions need separate execution and task roles."
    )
    source_url = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html"
    tags = ["ecs", "deployment", "iam"]
    remediation = (
        "Set `circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True)` and `health_check_grace_period`; "
        "split the two roles."
    )
    config_spec = {
        "require-circuit-breaker": {
            "type": "boolean",
            "default": True,
            "help": "report services without a circuit breaker (or alarms) with rollback",
        },
        "require-grace-period": {
            "type": "boolean",
            "default": True,
            "help": "report load-balanced services without HealthCheckGracePeriodSeconds",
        },
        "require-separate-roles": {
            "type": "boolean",
            "default": True,
            "help": "report task definitions whose ExecutionRoleArn and TaskRoleArn are the same role",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        out: list[RuleMatch] = []
        for lid, res in idx.of_type("AWS::ECS::Service"):
            if not is_cdk_helper(lid, res):
                out.extend(self._service(lid, properties(res)))
        if self.config["require-separate-roles"]:
            for lid, res in idx.of_type("AWS::ECS::TaskDefinition"):
                props = properties(res)
                execution, task = props.get("ExecutionRoleArn"), props.get("TaskRoleArn")
                if execution is None or task is None or is_cdk_helper(lid, res):
                    continue
                same = sub_text(execution)
                if same is not None and same == sub_text(task):
                    out.append(self.finding(["Resources", lid, "Properties", "TaskRoleArn"],
                                            "Task role is also the execution role; give the task definition its "
                                            "own `task_role`"))
        return out

    def _service(self, lid: str, props: Mapping[str, Any]) -> list[RuleMatch]:
        here: list[str | int] = ["Resources", lid, "Properties"]
        controller = props.get("DeploymentController")
        kind = literal(controller.get("Type", "ECS")) if isinstance(controller, Mapping) else "ECS"
        out = []
        config = props.get("DeploymentConfiguration")
        config = config if isinstance(config, Mapping) else {}
        if self.config["require-circuit-breaker"] and kind == "ECS" and not (
            self._rolls_back(config.get("DeploymentCircuitBreaker")) or self._rolls_back(config.get("Alarms"))
        ):
            out.append(self.finding([*here, "DeploymentConfiguration"] if config else here,
                                    "Service deployments do not roll back; set `circuit_breaker="
                                    "ecs.DeploymentCircuitBreaker(rollback=True)`"))
        # a non-empty list, or an intrinsic (Fn::If) that may be one
        if self.config["require-grace-period"] and props.get("LoadBalancers") and (
            "HealthCheckGracePeriodSeconds" not in props
        ):
            out.append(self.finding([*here, "LoadBalancers"],
                                    "Service behind a load balancer has no health-check grace period; set "
                                    "`health_check_grace_period=Duration.seconds(60)`"))
        return out

    @staticmethod
    def _rolls_back(setting: Any) -> bool:
        """Enabled with rollback, or unknown at synth time (then not reported)."""
        if not isinstance(setting, Mapping):
            return literal(setting) is UNKNOWN and setting is not None
        enable, rollback = setting.get("Enable"), setting.get("Rollback")
        if literal(enable) is UNKNOWN or literal(rollback) is UNKNOWN:
            return True
        return is_true(enable) and is_true(rollback)
