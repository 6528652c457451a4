"""W9301 alarms: CloudWatch alarms that say what they watch, act, and handle missing data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.assembly import Assembly, Stack
from auditor.findings import AssemblyMatch, Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, TemplateIndex, index, is_false, literal, properties, references, target
from auditor.rule import AuditRule

ALARM = "AWS::CloudWatch::Alarm"
COMPOSITE = "AWS::CloudWatch::CompositeAlarm"
#: what a stack runs that someone should be paged about, by the word its finding uses
MONITORED = {
    "AWS::Lambda::Function": "Lambda function",
    "AWS::Serverless::Function": "Lambda function",
    "AWS::ApiGateway::RestApi": "API",
    "AWS::ApiGatewayV2::Api": "API",
    "AWS::AppSync::GraphQLApi": "API",
    "AWS::Serverless::Api": "API",
    "AWS::Serverless::HttpApi": "API",
    "AWS::SQS::Queue": "queue",
}
#: referrers that say nothing about when a function runs (grants, permissions, its log group)
_NEUTRAL = frozenset({"AWS::IAM::Policy", "AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::Lambda::Permission",
                      "AWS::Logs::LogGroup", "AWS::Lambda::Version", "AWS::Lambda::Alias", "Custom::LogRetention"})
_ACTIONS = ("AlarmActions", "OKActions", "InsufficientDataActions")
#: splits "cardLatencyHigh" / "card-latency_high" into words
_WORDS = re.compile(r"\d+[xX]{2}|[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def topic_map(entries: list[str]) -> dict[str, tuple[str, ...]]:
    """``["storage=storage,disk"]`` -> ``{"storage": ("storage", "disk")}`` (lower case)."""
    out: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        word, _, fragments = entry.partition("=")
        frags = tuple(f.strip().lower() for f in fragments.split(",") if f.strip())
        if word.strip() and frags:
            out[word.strip().lower()] = frags
    return out


def has_action(props: Mapping[str, Any]) -> bool:
    """Any of the alarm's action lists is non-empty (an intrinsic in place of a list counts)."""
    for key in _ACTIONS:
        value = props.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or value:
            return True  # a non-empty list, or an intrinsic (unknown: give it the benefit)
    return False


def notifies(res: Mapping[str, Any]) -> bool:
    """An alarm or composite alarm that has an action and whose actions are not disabled."""
    props = properties(res)
    return has_action(props) and not is_false(props.get("ActionsEnabled"))


def _dimension_values(props: Mapping[str, Any]) -> list[Any]:
    values = []
    stats = [props] + [m.get("MetricStat", {}).get("Metric", {}) for m in props.get("Metrics") or []
                       if isinstance(m, Mapping) and isinstance(m.get("MetricStat"), Mapping)]
    for stat in stats:
        dims = stat.get("Dimensions") if isinstance(stat, Mapping) else None
        for dim in dims if isinstance(dims, list) else []:
            if isinstance(dim, Mapping):
                values.append(dim.get("Value"))
    return values


def watches_elsewhere(idx: TemplateIndex, lid: str, res: Mapping[str, Any]) -> bool:
    """A notifying alarm that may watch another stack's resources: one of its dimensions is not
    a resource of its own template (an import, a parameter, a literal name), it has none
    (an account-wide metric), or it is a composite alarm over alarms outside the template."""
    if not notifies(res):
        return False
    props = properties(res)
    if res.get("Type") == COMPOSITE:
        return not references(props.get("AlarmRule")) <= set(idx.resources)
    values = _dimension_values(props)
    return not values or any(target(v) not in idx.resources for v in values)


def deploy_time_only(idx: TemplateIndex, lid: str) -> bool:
    """A function only CloudFormation runs, at deploy time: what uses it is a custom resource
    (``ServiceToken``), a macro, or CDK's provider framework; nobody is paged for those."""
    users = [(u, r) for u, r in idx.referring(lid) if r.get("Type") not in _NEUTRAL]
    return bool(users) and all(_runs_at_deploy(lid, u, r) for u, r in users)


def _runs_at_deploy(lid: str, user: str, res: Mapping[str, Any]) -> bool:
    rtype = str(res.get("Type", ""))
    props = properties(res)
    if rtype == "Custom::AWS":
        return True  # AwsCustomResource: an API call made at deploy time (lambda:Invoke of a trigger)
    if rtype.startswith("Custom::") or rtype == "AWS::CloudFormation::CustomResource":
        # its provider (ServiceToken); a custom resource that passes the function on (S3 bucket
        # notifications) wires it for run time
        return lid in references(props.get("ServiceToken"))
    if rtype == "AWS::CloudFormation::Macro":
        return True
    return is_cdk_helper(user, res) and rtype == "AWS::Lambda::Function"  # CDK's provider framework


def metric_names(props: Mapping[str, Any]) -> list[str] | None:
    """Every metric name an alarm watches (``MetricName`` or metric math ``MetricStat``s).

    None when any of them is unknown at synth time or the alarm is pure expressions
    (``SEARCH``, anomaly bands): then nothing can be said about what it watches.
    """
    if "MetricName" in props:
        name = literal(props["MetricName"])
        return [name] if isinstance(name, str) else None
    metrics = props.get("Metrics")
    if not isinstance(metrics, list):
        return None
    names: list[str] = []
    for item in metrics:
        if not isinstance(item, Mapping):
            return None
        stat = item.get("MetricStat")
        if stat is None:
            continue  # an expression over the other entries
        metric = stat.get("Metric") if isinstance(stat, Mapping) else None
        name = literal(metric.get("MetricName")) if isinstance(metric, Mapping) else UNKNOWN
        if not isinstance(name, str):
            return None
        names.append(name)
    return names or None


class Alarms(AuditRule):
    """CloudWatch alarms must handle missing data, notify someone, and watch what they say.

    ## What it does
    For every `AWS::CloudWatch::Alarm` (CDK's own helpers excepted) it reports:

    - no `TreatMissingData` (CloudWatch then treats gaps as `missing`, so an alarm on a
      metric that stops reporting sits in `INSUFFICIENT_DATA` instead of firing or clearing);
    - no action at all: `AlarmActions`, `OKActions` and `InsufficientDataActions` all
      absent or empty, or actions switched off with `ActionsEnabled: false`, unless another
      resource of the template uses the alarm (a composite alarm, a CodeDeploy deployment
      group);
    - a name or description that says one thing while the metric is another: the alarm's
      `AlarmName` and `AlarmDescription` are split into words, and each word that is a
      topic of `topic-metrics` (`storage`, `cpu`, `latency`, …) asks that at least one
      watched metric name contains one of the topic's fragments. An alarm named
      `db-storage-low` on `FreeableMemory` is reported. Metric-math alarms are judged by
      their `MetricStat` metric names; unknown names keep the check silent.

    Once per stack (not per resource), it reports a stack that runs Lambda functions,
    APIs (REST, HTTP/WebSocket, AppSync) or SQS queues — CDK's own helpers and functions
    that only back custom resources or macros (run at deploy time) aside — and
    has no alarm that notifies anyone: no `AWS::CloudWatch::Alarm` or `CompositeAlarm`
    with an action whose actions are enabled. (A stack whose alarms are all reported
    above for having no action or disabled actions is not reported again: fixing them
    fixes it.) A stack is not reported when another alarm
    of the cloud assembly may watch it: a notifying alarm whose dimensions are not all
    resources of its own stack (an imported name, a parameter, a literal, or no dimension
    at all), i.e. a separate monitoring stack. Loose templates scanned without a
    manifest are judged one by one. This test needs the whole cloud assembly, so
    standalone cfn-lint does not run it.

    ## Why is this bad?
    An alarm without an action pages nobody; one without `TreatMissingData` goes quiet
    exactly when the thing it watches dies; an alarm whose name promises "disk full" but
    watches memory sends on-call to the wrong dashboard at 3 a.m. and misses the real
    outage.

    ## Example
    ```python
    cloudwatch.Alarm(self, "StorageAlarm", alarm_name="ledger-db-storage-low",
                     metric=cluster.metric_freeable_memory(), threshold=1e9, evaluation_periods=3)
    ```

    ## Use instead
    ```python
    alarm = cloudwatch.Alarm(self, "StorageAlarm", alarm_name="ledger-db-storage-low",
                             metric=cluster.metric_free_local_storage(), threshold=1e9,
                             evaluation_periods=3,
                             treat_missing_data=cloudwatch.TreatMissingData.BREACHING)
    alarm.add_alarm_action(cw_actions.SnsAction(oncall_topic))
    ```

    ## Options
    - `require-treat-missing-data` (boolean, default `true`): report alarms without
      `TreatMissingData`.
    - `require-actions` (boolean, default `true`): report alarms with no action (or with
      actions disabled).
    - `require-stack-alarm` (boolean, default `true`): report stacks with functions, APIs
      or queues and no alarm that notifies.
    - `topic-metrics` (list of strings, default: `storage`, `disk`, `cpu`, `memory`,
      `latency`, `error`, `fault`, `throttle`, `5xx`, `4xx` mapped to metric-name
      fragments): entries `word=fragment,fragment`; a name word that starts with `word`
      requires a metric name containing one of the fragments (case-insensitive).
      Replace the list to add topics; an empty list turns the mismatch test off.

    ## References
    - https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_cloudwatch/Alarm.html
    """

    id = "W9301"
    slug = "alarms"
    severity_level = Severity.WARNING
    shortdesc = "CloudWatch alarms handle missing data, have an action and watch what they say"
    description = (
        "Alarms without TreatMissingData, without any action, or whose name/description names a "
        "different metric than the one watched; stacks with functions, APIs or queues and no alarm."
    )
    source_url = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html"
    tags = ["cloudwatch", "observability"]
    remediation = (
        "Set `treat_missing_data`, call `alarm.add_alarm_action(cw_actions.SnsAction(topic))`, watch the metric "
        "named."
    )
    config_spec = {
        "require-treat-missing-data": {"type": "boolean", "default": True, "help": "report alarms without it"},
        "require-actions": {"type": "boolean", "default": True, "help": "report alarms with no action"},
        "require-stack-alarm": {
            "type": "boolean",
            "default": True,
            "help": "report stacks with functions, APIs or queues and no alarm that notifies",
        },
        "topic-metrics": {
            "type": "list",
            "itemtype": "string",
            "default": [
                "storage=storage,disk,bytes,volume",
                "disk=disk,storage,volume,bytes",
                "cpu=cpu",
                "memory=memory,mem_,swap",
                "latency=latency,duration,responsetime,response_time,time",
                "error=error,fault,fail,5xx,4xx",
                "fault=fault,error,5xx",
                "throttl=throttl",
                "5xx=5xx,error,fault",
                "4xx=4xx,error",
            ],
            "help": "word=fragment,fragment: a name word asks for a metric name with a fragment",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        topics = topic_map(self.config["topic-metrics"])
        out: list[RuleMatch] = []
        for lid, res in idx.of_type(ALARM):
            if is_cdk_helper(lid, res):
                continue
            props = properties(res)
            here: list[str | int] = ["Resources", lid, "Properties"]
            if self.config["require-treat-missing-data"] and "TreatMissingData" not in props:
                out.append(self.finding(here, "Alarm has no TreatMissingData; set `treat_missing_data="
                                              "cloudwatch.TreatMissingData.BREACHING` (or NOT_BREACHING)"))
            if self.config["require-actions"] and not idx.referrers.get(lid):
                if not has_action(props):
                    out.append(self.finding(here, "Alarm has no action; call "
                                                      "`alarm.add_alarm_action(cw_actions.SnsAction(topic))`"))
                elif is_false(props.get("ActionsEnabled")):
                    out.append(self.finding([*here, "ActionsEnabled"], "Alarm's actions are disabled, so it notifies "
                                                                       "nobody; set `actions_enabled=True`"))
            mismatch = self._mismatch(props, topics)
            if mismatch:
                out.append(self.finding([*here, "Metrics" if "Metrics" in props else "MetricName"], mismatch))
        return out

    def match_assembly(self, assembly: Assembly) -> list[AssemblyMatch]:
        """Stacks that run functions, APIs or queues with no alarm that notifies anyone."""
        if not self.config["require-stack-alarm"]:
            return []
        indexed = [(st, index(st.template)) for st in assembly.stacks if isinstance(st.template, Mapping)]
        # an alarm that may watch another stack (a monitoring stack) covers the whole app; loose
        # templates scanned without a manifest are no app, so each one stands alone
        if assembly.directory is not None and any(
            watches_elsewhere(idx, lid, res) for _, idx in indexed for lid, res in idx.of_type(ALARM, COMPOSITE)
            if not is_cdk_helper(lid, res)
        ):
            return []
        return [m for st, idx in indexed if (m := self._unwatched(st, idx))]

    def _unwatched(self, st: Stack, idx: TemplateIndex) -> AssemblyMatch | None:
        alarms = [(lid, res) for lid, res in idx.of_type(ALARM, COMPOSITE) if not is_cdk_helper(lid, res)]
        if any(notifies(res) for _, res in alarms):
            return None
        if self.config["require-actions"] and any(
            res.get("Type") == ALARM and not idx.referrers.get(lid) for lid, res in alarms
        ):
            return None  # each of its alarms is already reported for notifying nobody: one fix, one finding
        counts: dict[str, int] = {}
        for lid, res in idx.of_type(*MONITORED):
            if not is_cdk_helper(lid, res) and not deploy_time_only(idx, lid):
                word = MONITORED[str(res["Type"])]
                counts[word] = counts.get(word, 0) + 1
        if not counts:
            return None
        what = ", ".join(f"{n} {word}{'s' if n > 1 else ''}" for word, n in counts.items())
        return AssemblyMatch(st.name, ["Resources"], f"Stack has {what} and no alarm that notifies; add a "
                                                     "`cloudwatch.Alarm` with an SnsAction")

    @staticmethod
    def _mismatch(props: Mapping[str, Any], topics: dict[str, tuple[str, ...]]) -> str | None:
        if not topics:
            return None
        text = " ".join(
            v for v in (literal(props.get("AlarmName")), literal(props.get("AlarmDescription"))) if isinstance(v, str)
        )
        words = {w.lower() for w in _WORDS.findall(text)}
        said = sorted({topic for topic in topics for w in words if w.startswith(topic)})
        if not said:
            return None
        names = metric_names(props)
        if names is None:
            return None
        wanted = {frag for topic in said for frag in topics[topic]}
        if any(frag in name.lower() for name in names for frag in wanted):
            return None
        return (
            f"Alarm name/description says {', '.join(said)} but it watches {', '.join(names)}; "
            "alarm on the matching metric or rename it"
        )
