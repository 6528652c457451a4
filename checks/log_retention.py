"""E9004 log-retention: log groups, and every Lambda function's logs, are kept long enough."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import TemplateIndex, as_int, index, properties, sub_text, target
from auditor.rule import AuditRule

LOG_GROUP = "AWS::Logs::LogGroup"
LOG_RETENTION = "Custom::LogRetention"  # what CDK's deprecated `log_retention=` writes
FUNCTION = "AWS::Lambda::Function"


def _group_names(lid: str, props: Mapping[str, Any]) -> set[str]:
    """The names (as ``Fn::Sub`` text) a function's default log group can be written as."""
    names = {f"/aws/lambda/${{{lid}}}"}
    fn_name = sub_text(props.get("FunctionName"))
    if fn_name is not None:
        names.add(f"/aws/lambda/{fn_name}")
    return names


class LogRetention(AuditRule):
    """Log groups keep logs for at least `min-days`, and every function's logs have a retention.

    ## What it does
    Reports an `AWS::Logs::LogGroup` whose `RetentionInDays` is below `min-days`. A group
    without `RetentionInDays` never expires, which is reported when `require-explicit` is
    on (the production profile's default).

    For each `AWS::Lambda::Function` you wrote (CDK's helpers — log retention, provider
    frameworks, `BucketDeployment`, bucket notifications, `AwsCustomResource` — are never
    reported) it looks for the group its logs go to: `LoggingConfig.LogGroup` pointing at a
    log group, a log group named `/aws/lambda/<FunctionName>` (the name resolved through
    `Ref`/`Fn::Join`/`Fn::Sub`), or a `Custom::LogRetention` for that name (CDK's deprecated
    `log_retention=`), whose `RetentionInDays` must also reach `min-days`. A function with
    no such group is reported when `require-log-group` is on (the production profile):
    Lambda then creates `/aws/lambda/<name>` on first invoke, outside the stack, with no
    retention decision at all (kept forever, never deleted). That is a defect only where a
    retention policy applies, so the default profile leaves it alone.

    ## Why is this bad?
    Logs kept too briefly are gone when the incident review, the audit or the customer
    dispute arrives; a function's implicit log group is created outside CloudFormation,
    so nobody decided how long it keeps data and `cdk destroy` leaves it behind.

    ## Example
    ```python
    _lambda.Function(self, "Handler", runtime=_lambda.Runtime.PYTHON_3_12, handler="index.handler",
                     code=code, log_retention=logs.RetentionDays.ONE_WEEK)
    ```

    ## Use instead
    ```python
    group = logs.LogGroup(self, "HandlerLogs", retention=logs.RetentionDays.ONE_YEAR)
    _lambda.Function(self, "Handler", runtime=_lambda.Runtime.PYTHON_3_12, handler="index.handler",
                     code=code, log_group=group)
    ```
    ```ts
    const group = new logs.LogGroup(this, 'HandlerLogs', { retention: logs.RetentionDays.ONE_YEAR });
    new lambda.Function(this, 'Handler', { runtime: lambda.Runtime.PYTHON_3_12, handler: 'index.handler',
      code, logGroup: group });
    ```

    ## Options
    - `min-days` (integer, default 365; development profile 30): the shortest retention allowed.
    - `require-log-group` (boolean, default false; production profile true): report
      functions without a log group of their own in the stack (Lambda's implicit group
      keeps logs forever).
    - `require-explicit` (boolean, default false; production profile true): also report
      log groups without `RetentionInDays`. Such a group keeps its logs forever: in
      production nobody decided that, it only grows the bill and the data kept.

    ## References
    - https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html#SettingLogRetention
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_lambda/Function.html
    """

    id = "E9004"
    slug = "log-retention"
    severity_level = Severity.ERROR
    shortdesc = "Log groups and Lambda function logs are retained for at least min-days"
    description = (
        "Log groups with RetentionInDays under min-days, and Lambda functions without a log group "
        "(or with a Custom::LogRetention) that keeps their logs at least that long."
    )
    source_url = (
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/"
        "Working-with-log-groups-and-streams.html#SettingLogRetention"
    )
    tags = ["logs", "lambda", "observability"]
    remediation = (
        "Pass `log_group=logs.LogGroup(self, \"Logs\", retention=logs.RetentionDays.ONE_YEAR)` to the function."
    )
    config_spec = {
        "min-days": {
            "type": "integer",
            "default": 365,
            "minimum": 1,
            "profiles": {"development": 30},
            "help": "the shortest log retention allowed, in days",
        },
        "require-log-group": {
            "type": "boolean",
            "default": False,
            "profiles": {"production": True},
            "help": "report functions without their own log group (Lambda's implicit one keeps logs forever)",
        },
        "require-explicit": {
            "type": "boolean",
            "default": False,
            "profiles": {"production": True},
            "help": "report log groups without RetentionInDays (never expire)",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        min_days = int(self.config["min-days"])
        out: list[RuleMatch] = []
        for lid, res in idx.of_type(LOG_GROUP):
            if is_cdk_helper(lid, res):
                continue
            retention = properties(res).get("RetentionInDays")
            days = as_int(retention)
            if retention is None and self.config["require-explicit"]:
                out.append(self.finding(["Resources", lid], "Log group keeps logs forever; set "
                                                            "`retention=logs.RetentionDays.ONE_YEAR`"))
            elif days is not None and days < min_days:
                out.append(self.finding(["Resources", lid, "Properties", "RetentionInDays"],
                                        f"Log group keeps logs {days} days, under {min_days}; raise `retention`"))

        owner: dict[str, str] = {}  # group name text -> function (helpers too: their groups are theirs)
        functions = list(idx.of_type(FUNCTION))
        for lid, res in functions:
            for name in _group_names(lid, properties(res)):
                owner[name] = lid
        groups: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}  # name text -> groups with that name
        unresolved = False  # a group name we cannot read may belong to any function
        for lid, res in idx.of_type(LOG_GROUP, LOG_RETENTION):
            group_name = properties(res).get("LogGroupName")
            text = sub_text(group_name) if group_name is not None else None
            if text is None:
                unresolved |= group_name is not None
                continue
            groups.setdefault(text, []).append((lid, res))

        retained: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}  # function -> its groups
        for text, found in groups.items():
            fn = owner.get(text)
            if fn is not None:
                retained.setdefault(fn, []).extend(found)
                continue
            for lid, res in found:  # a LogRetention for some other group: judged on its own
                if res.get("Type") == LOG_RETENTION:
                    out.extend(self._short(lid, ["Resources", lid, "Properties", "RetentionInDays"], res, min_days))

        for lid, res in functions:
            if is_cdk_helper(lid, res):
                continue
            own = retained.get(lid, [])
            for _, gres in own:
                if gres.get("Type") == LOG_RETENTION:  # a plain LogGroup was judged above
                    out.extend(self._short(lid, ["Resources", lid], gres, min_days))
            if own or unresolved or not self.config["require-log-group"]:
                continue
            if self._has_logging_group(idx, properties(res)):
                continue
            out.append(self.finding(["Resources", lid], "Function logs never expire; pass `log_group=logs."
                                                        "LogGroup(self, \"Logs\", retention=logs.RetentionDays."
                                                        "ONE_YEAR)`"))
        return out

    @staticmethod
    def _has_logging_group(idx: TemplateIndex, props: Mapping[str, Any]) -> bool:
        """``LoggingConfig.LogGroup`` names a group: one of ours, or one we cannot see."""
        config = props.get("LoggingConfig")
        group = config.get("LogGroup") if isinstance(config, Mapping) else None
        if group is None:
            return False
        tgt = target(group)
        if tgt is not None and idx.type_of(tgt) is not None:
            return idx.type_of(tgt) == LOG_GROUP
        return True  # a name, a parameter or an import: a group outside this template

    def _short(self, lid: str, path: list[str | int], res: Mapping[str, Any], min_days: int) -> list[RuleMatch]:
        days = as_int(properties(res).get("RetentionInDays"))
        if days is None or days >= min_days:
            return []
        return [self.finding(path, f"Function logs kept {days} days, under {min_days}; pass "
                                   "`log_group=logs.LogGroup(self, \"Logs\", retention=...)`")]
