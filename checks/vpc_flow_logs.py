"""W9104 vpc-flow-logs: every VPC has a flow log."""

from __future__ import annotations

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, index, literal, properties, target
from auditor.rule import AuditRule


class VpcFlowLogs(AuditRule):
    """Every VPC has a flow log.

    ## What it does
    Reports each `AWS::EC2::VPC` that no `AWS::EC2::FlowLog` with `ResourceType: VPC`
    refers to (`ResourceId: {"Ref": Vpc}`), or whose flow logs all capture a traffic type
    outside `traffic-types`. A flow log whose `ResourceId` or `ResourceType` is unknown at
    synth time (a condition, a parameter) may be the VPC's, so then nothing is reported.
    Flow logs on subnets or network interfaces do not count: they leave the rest of the
    VPC unrecorded. A flow log defined in another stack is not seen.

    ## Why is this bad?
    Without flow logs there is no record of which address talked to which, on what
    port: incident response cannot tell whether the database was reached from outside,
    and PCI DSS 10 and most security baselines (Security Hub EC2.6) require them.

    ## Example
    ```python
    vpc = ec2.Vpc(self, "Vpc", max_azs=2)
    ```

    ## Use instead
    ```python
    vpc = ec2.Vpc(self, "Vpc", max_azs=2)
    vpc.add_flow_log("FlowLog", destination=ec2.FlowLogDestination.to_cloud_watch_logs(
        logs.LogGroup(self, "FlowLogs", retention=logs.RetentionDays.ONE_YEAR)))
    ```

    ## Options
    - `traffic-types` (list of strings, default `["ALL", "REJECT", "ACCEPT"]`): the
      `TrafficType` values a flow log must capture to count (`["ALL"]` demands both
      accepted and rejected traffic).

    ## References
    - https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html
    - https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-6
    """

    id = "W9104"
    slug = "vpc-flow-logs"
    severity_level = Severity.WARNING
    shortdesc = "Every VPC has a flow log"
    description = "An AWS::EC2::VPC with no AWS::EC2::FlowLog (ResourceType VPC) referring to it."
    source_url = "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html"
    tags = ["ec2", "vpc", "logging", "networking"]
    remediation = (
        "Call `vpc.add_flow_log(\"FlowLog\", destination=ec2.FlowLogDestination.to_cloud_watch_logs(group))`."
    )
    config_spec = {
        "traffic-types": {
            "type": "list",
            "itemtype": "string",
            "default": ["ALL", "REJECT", "ACCEPT"],
            "help": "TrafficType values a flow log must capture to count",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        logged: set[str] = set()
        for _, res in idx.of_type("AWS::EC2::FlowLog"):
            props = properties(res)
            kind, traffic = literal(props.get("ResourceType")), literal(props.get("TrafficType", "ALL"))
            vpc = target(props.get("ResourceId"))
            if kind is UNKNOWN or traffic is UNKNOWN or (vpc is None and literal(props.get("ResourceId")) is UNKNOWN):
                return []  # this flow log may be any VPC's
            if kind == "VPC" and vpc and traffic in self.config["traffic-types"]:
                logged.add(vpc)
        return [
            self.finding(["Resources", lid], "VPC has no flow log; call `vpc.add_flow_log(\"FlowLog\")`")
            for lid, res in idx.of_type("AWS::EC2::VPC")
            if lid not in logged and not is_cdk_helper(lid, res)
        ]
