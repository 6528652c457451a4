"""W9302 apigw-logging: API Gateway stages log access, log execution, emit metrics and throttle."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, TemplateIndex, index, is_true, literal, properties, target
from auditor.rule import AuditRule

REST_STAGE = "AWS::ApiGateway::Stage"
HTTP_STAGE = "AWS::ApiGatewayV2::Stage"
DEPLOYMENT = "AWS::ApiGateway::Deployment"
USAGE_PLAN = "AWS::ApiGateway::UsagePlan"
_THROTTLE_KEYS = ("ThrottlingRateLimit", "ThrottlingBurstLimit")


def _all_methods(setting: Mapping[str, Any]) -> bool:
    """A method setting that applies to every method: ``/*/*`` (or keys left to their default)."""
    path, method = literal(setting.get("ResourcePath", "/*")), literal(setting.get("HttpMethod", "*"))
    return path in ("/*", UNKNOWN) and method in ("*", UNKNOWN)


class ApigwLogging(AuditRule):
    """API Gateway stages need access logs, execution logs, metrics and throttling.

    ## What it does
    For every REST API stage — `AWS::ApiGateway::Stage`, and the inline stage of an
    `AWS::ApiGateway::Deployment` with `StageName`/`StageDescription` — it reports:

    - no access logs (`AccessLogSetting.DestinationArn`);
    - no execution logging: no `MethodSettings` entry for `/*/*` with `LoggingLevel` in
      `logging-levels` (`StageDescription.LoggingLevel` for the inline shape);
    - no CloudWatch metrics: that entry lacks `MetricsEnabled: true`;
    - no throttling: no method setting with `ThrottlingRateLimit`/`ThrottlingBurstLimit`,
      and no `AWS::ApiGateway::UsagePlan` with a `Throttle` whose `ApiStages` name this
      API and stage.

    For `AWS::ApiGatewayV2::Stage` (HTTP and WebSocket APIs) it reports missing access logs
    (`AccessLogSettings.DestinationArn`). Values unknown at synth time count as set.

    ## Why is this bad?
    Without access logs there is no record of who called what when a card network disputes
    a transaction; without execution logs and metrics, 5xx storms and latency are invisible
    until customers call; without throttling one misbehaving client exhausts the account's
    shared 10,000 rps and the backend's concurrency for everyone.

    ## Example
    ```python
    apigateway.RestApi(self, "Api", deploy_options=apigateway.StageOptions(stage_name="v1"))
    ```

    ## Use instead
    ```python
    apigateway.RestApi(self, "Api", cloud_watch_role=True, deploy_options=apigateway.StageOptions(
        stage_name="v1",
        access_log_destination=apigateway.LogGroupLogDestination(access_logs),
        access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(...),
        logging_level=apigateway.MethodLoggingLevel.INFO, metrics_enabled=True,
        throttling_rate_limit=100, throttling_burst_limit=50))
    ```

    ## Options
    - `require-access-logs` (boolean, default `true`)
    - `require-execution-logs` (boolean, default `true`)
    - `require-metrics` (boolean, default `true`)
    - `require-throttling` (boolean, default `true`)
    - `logging-levels` (list of strings, default `["INFO", "ERROR"]`): levels that count as
      execution logging.

    ## References
    - https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
    - https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
    """

    id = "W9302"
    slug = "apigw-logging"
    severity_level = Severity.WARNING
    shortdesc = "API Gateway stages have access logs, execution logs, metrics and throttling"
    description = (
        "REST API stages without access logs, execution logging, metrics or throttling; HTTP/WebSocket "
        "stages without access logs."
    )
    source_url = "https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html"
    tags = ["apigateway", "observability", "throttling"]
    remediation = (
        "Set access logs, `logging_level`, `metrics_enabled=True` and throttling in the RestApi's "
        "`deploy_options`."
    )
    config_spec = {
        "require-access-logs": {"type": "boolean", "default": True, "help": "report stages without access logs"},
        "require-execution-logs": {"type": "boolean", "default": True, "help": "report stages without them"},
        "require-metrics": {"type": "boolean", "default": True, "help": "report stages without metrics"},
        "require-throttling": {"type": "boolean", "default": True, "help": "report stages without throttling"},
        "logging-levels": {
            "type": "list",
            "itemtype": "string",
            "default": ["INFO", "ERROR"],
            "help": "LoggingLevel values that count as execution logging",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        out: list[RuleMatch] = []
        for lid, res in idx.of_type(REST_STAGE):
            if not is_cdk_helper(lid, res):
                props = properties(res)
                out.extend(self._rest_stage(idx, lid, ["Resources", lid, "Properties"], props, props, lid))
        for lid, res in idx.of_type(DEPLOYMENT):
            props = properties(res)
            desc = props.get("StageDescription")
            if is_cdk_helper(lid, res) or ("StageName" not in props and desc is None):
                continue  # a bare deployment: its stages are AWS::ApiGateway::Stage resources
            here: list[str | int] = ["Resources", lid, "Properties"]
            if desc is None:
                out.extend(self._rest_stage(idx, lid, here, {}, props, None))
            elif isinstance(desc, Mapping):
                out.extend(self._rest_stage(idx, lid, [*here, "StageDescription"], desc, props, None))
        if self.config["require-access-logs"]:
            for lid, res in idx.of_type(HTTP_STAGE):
                settings = properties(res).get("AccessLogSettings")
                if not is_cdk_helper(lid, res) and not self._has_destination(settings):
                    out.append(self.finding(["Resources", lid, "Properties"],
                                            "Stage has no access logs; set `access_log_settings`"))
        return out

    @staticmethod
    def _has_destination(setting: Any) -> bool:
        if setting is None:
            return False
        return not isinstance(setting, Mapping) or "DestinationArn" in setting  # an intrinsic: unknown

    def _rest_stage(
        self,
        idx: TemplateIndex,
        lid: str,
        here: list[str | int],
        stage: Mapping[str, Any],
        owner: Mapping[str, Any],
        stage_lid: str | None,
    ) -> list[RuleMatch]:
        """``stage``: Stage properties or a StageDescription; ``owner``: where RestApiId/StageName live."""
        out: list[RuleMatch] = []
        if self.config["require-access-logs"] and not self._has_destination(stage.get("AccessLogSetting")):
            out.append(self.finding(here, "Stage has no access logs; set `access_log_destination` in `deploy_options`"))
        settings = stage.get("MethodSettings", [])
        if not isinstance(settings, list):
            return out  # an intrinsic: unknown at synth time
        entries = [s for s in settings if isinstance(s, Mapping)]
        if len(entries) != len(settings):
            return out
        # the inline StageDescription shape carries the /*/* settings at its top level
        overall = [s for s in entries if _all_methods(s)]
        if stage is not owner:
            overall.insert(0, stage)
        levels = {lvl.upper() for lvl in self.config["logging-levels"]}
        if self.config["require-execution-logs"] and not any(
            (lv := literal(s.get("LoggingLevel"))) is UNKNOWN or (isinstance(lv, str) and lv.upper() in levels)
            for s in overall if "LoggingLevel" in s
        ):
            out.append(self.finding(here, "Stage has no execution logs; set "
                                          "`logging_level=apigw.MethodLoggingLevel.INFO`"))
        if self.config["require-metrics"] and not any(
            is_true(s.get("MetricsEnabled")) or literal(s.get("MetricsEnabled")) is UNKNOWN
            for s in overall if "MetricsEnabled" in s
        ):
            out.append(self.finding(here, "Stage has no CloudWatch metrics; set `metrics_enabled=True`"))
        throttled = any(k in s for s in [*overall, *entries] for k in _THROTTLE_KEYS)
        if self.config["require-throttling"] and not throttled and not self._usage_plan_throttles(
            idx, owner, stage_lid
        ):
            out.append(self.finding(here, "Stage has no throttling; set `throttling_rate_limit` and "
                                          "`throttling_burst_limit`"))
        return out

    @staticmethod
    def _usage_plan_throttles(idx: TemplateIndex, owner: Mapping[str, Any], stage_lid: str | None) -> bool:
        """A usage plan with a throttle names this stage's API (and stage, when it can be told)."""
        api = target(owner.get("RestApiId"))
        name = literal(owner.get("StageName"))
        for _, plan in idx.of_type(USAGE_PLAN):
            props = properties(plan)
            stages = props.get("ApiStages")
            if not isinstance(stages, list):
                continue
            for item in stages:
                if not isinstance(item, Mapping) or target(item.get("ApiId")) != api:
                    continue
                ref, stage_name = target(item.get("Stage")), literal(item.get("Stage"))
                same = ref == stage_lid if ref else UNKNOWN in (stage_name, name) or stage_name == name
                if same and ("Throttle" in props or "Throttle" in item):
                    return True
        return False
