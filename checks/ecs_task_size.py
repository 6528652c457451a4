"""W9108 ecs-task-size: ECS tasks get at least the CPU and memory a service needs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, index, literal, properties, references
from auditor.rule import AuditRule

TASK = "AWS::ECS::TaskDefinition"
SERVICE = "AWS::ECS::Service"
#: ``"1 vCPU"``, ``"0.5 vcpu"``, ``"2 GB"``, ``"512 MiB"``: the unit forms ECS accepts besides plain numbers
_UNITS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(vcpu|gb|gib|mb|mib)?\s*$", re.IGNORECASE)
_PER_UNIT = {"vcpu": 1024, "gb": 1024, "gib": 1024, "mb": 1, "mib": 1, None: 1}


def task_units(value: Any) -> int | None:
    """CPU units or MiB of a task-level ``Cpu``/``Memory`` (``"256"``, ``"1 vCPU"``, ``"2 GB"``), else None."""
    v = literal(value)
    if v is UNKNOWN or v is None or isinstance(v, bool):
        return None
    m = _UNITS.match(str(v))
    if m is None:
        return None
    unit = m.group(2).lower() if m.group(2) else None
    return int(float(m.group(1)) * _PER_UNIT[unit])


def _sized_at_task_level(props: Mapping[str, Any]) -> bool:
    """Fargate tasks are always sized per task; EC2 ones only when they set task-level Cpu/Memory."""
    compat = literal(props.get("RequiresCompatibilities"))
    fargate = isinstance(compat, list) and any(str(c).upper() == "FARGATE" for c in compat)
    return fargate or "Cpu" in props or "Memory" in props


class EcsTaskSize(AuditRule):
    """ECS task definitions reserve at least `min-cpu` CPU units and `min-memory` MiB.

    ## What it does
    Reports an `AWS::ECS::TaskDefinition` sized at the task level — every Fargate task
    (`RequiresCompatibilities` has `FARGATE`), and EC2 tasks that set a task-level `Cpu`
    or `Memory` — whose `Cpu` is below `min-cpu` or whose `Memory` is below `min-memory`
    (plain numbers, or ECS's `"1 vCPU"` / `"2 GB"` forms). By default (`select =
    "services"`) only task definitions that an `AWS::ECS::Service` of the template runs are
    judged: a long-running service takes traffic and fails under load, while a task
    started by `RunTask`, a schedule or a pipeline just runs slower when small. EC2 tasks
    sized only per container, values unknown at synth time and CDK's own helpers are not
    judged.

    By default both minimums are 0 (off), and in the development profile too: without a
    profile cdk-audit cannot tell a production service from a batch job, a sidecar or a
    test stack, and Fargate's smallest size (256 CPU units, 512 MiB) is valid and right
    for many small workers. The production profile asks for 512 CPU units and 1024 MiB,
    a common floor for a service that takes traffic: room for its runtime, a burst of
    requests and a log-router sidecar. Set your own floor with the two options.

    ## Why is this bad?
    A quarter vCPU and half a gigabyte behind a production load balancer is the size
    that passes the demo and falls over at the first traffic peak: CPU is throttled, the
    health check times out, the load balancer drains the task, ECS replaces it, and the
    remaining tasks take the load and fail the same way. Memory below what the
    runtime needs ends in out-of-memory kills that look like random restarts.

    ## Example
    ```python
    ecs.FargateTaskDefinition(self, "Task", cpu=256, memory_limit_mib=512)
    ```

    ## Use instead
    ```python
    ecs.FargateTaskDefinition(self, "Task", cpu=512, memory_limit_mib=1024)
    ```

    ## Options
    - `min-cpu` (integer, default 0 = off; production profile 512): the fewest CPU units
      (1024 = 1 vCPU) a task may reserve.
    - `min-memory` (integer, default 0 = off; production profile 1024): the fewest MiB a
      task may reserve.
    - `select` (string, default `services`): `services` judges task definitions an ECS
      service runs; `all` judges every task definition (batch and scheduled tasks too).

    ## References
    - https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_ecs/FargateTaskDefinition.html
    """

    id = "W9108"
    slug = "ecs-task-size"
    severity_level = Severity.WARNING
    shortdesc = "ECS tasks reserve at least min-cpu CPU units and min-memory MiB"
    description = (
        "Fargate task definitions (and EC2 ones with task-level Cpu/Memory) that a service runs, below the "
        "configured minimum CPU and memory; off unless a minimum is set (the production profile sets 512/1024)."
    )
    source_url = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html"
    tags = ["ecs", "fargate", "compute", "capacity"]
    remediation = "Pass `cpu` and `memory_limit_mib` of at least the minimums to the ECS task definition."
    config_spec = {
        "min-cpu": {
            "type": "integer",
            "default": 0,
            "minimum": 0,
            "profiles": {"production": 512, "development": 0},
            "help": "the fewest CPU units a task may reserve (0: off)",
        },
        "min-memory": {
            "type": "integer",
            "default": 0,
            "minimum": 0,
            "profiles": {"production": 1024, "development": 0},
            "help": "the fewest MiB of memory a task may reserve (0: off)",
        },
        "select": {
            "type": "string",
            "default": "services",
            "choices": ["services", "all"],
            "help": "services: task definitions an ECS service runs; all: every task definition",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        min_cpu, min_memory = int(self.config["min-cpu"]), int(self.config["min-memory"])
        if min_cpu <= 0 and min_memory <= 0:
            return []
        idx = index(cfn.template)
        served = {t for _, res in idx.of_type(SERVICE) for t in references(properties(res).get("TaskDefinition"))}
        out: list[RuleMatch] = []
        for lid, res in idx.of_type(TASK):
            props = properties(res)
            if is_cdk_helper(lid, res) or not _sized_at_task_level(props):
                continue
            if self.config["select"] == "services" and lid not in served:
                continue  # a batch or scheduled task: small is often right, and it only runs slower
            cpu, memory = task_units(props.get("Cpu")), task_units(props.get("Memory"))
            low_cpu = cpu is not None and cpu < min_cpu
            low_memory = memory is not None and memory < min_memory
            if not (low_cpu or low_memory):
                continue
            size = f"{cpu if cpu is not None else '?'} CPU units / {memory if memory is not None else '?'} MiB"
            fix = ", ".join(
                f for f, low in ((f"`cpu={min_cpu}`", low_cpu), (f"`memory_limit_mib={min_memory}`", low_memory)) if low
            )
            at = "Cpu" if low_cpu else "Memory"
            out.append(self.finding(["Resources", lid, "Properties", at],
                                    f"Task size {size} is under the minimum {min_cpu} / {min_memory}; pass {fix}"))
        return out
