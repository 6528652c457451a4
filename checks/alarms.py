"""W9301 alarms: CloudWatch alarms that say what they watch, act, and handle missing data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, index, literal, properties
from auditor.rule import AuditRule

ALARM = "AWS::CloudWatch::Alarm"
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
      absent or empty, unless another resource of the template uses the alarm (a composite
      alarm, a CodeDeploy deployment group);
    - a name or description that says one thing while the metric is another: the alarm's
      `AlarmName` and `AlarmDescription` are split into words, and each word that is a
      topic of `topic-metrics` (`storage`, `cpu`, `latency`, …) asks that at least one
      watched metric name contains one of the topic's fragments. An alarm named
      `db-storage-low` on `FreeableMemory` is reported. Metric-math alarms are judged by
      their `MetricStat` metric names; unknown names keep the check silent.

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
    - `require-actions` (boolean, default `true`): report alarms with no action.
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
        "different metric than the one watched."
    )
    source_url = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html"
    tags = ["cloudwatch", "observability"]
    remediation = (
        "Pass treat_missing_data=cloudwatch.TreatMissingData.BREACHING (or NOT_BREACHING), call "
        "alarm.add_alarm_action(cw_actions.SnsAction(topic)), and alarm on the metric the name says."
    )
    config_spec = {
        "require-treat-missing-data": {"type": "boolean", "default": True, "help": "report alarms without it"},
        "require-actions": {"type": "boolean", "default": True, "help": "report alarms with no action"},
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
                out.append(self.finding(here, "Alarm has no TreatMissingData; set treat_missing_data"))
            if self.config["require-actions"] and not self._has_action(props) and not idx.referrers.get(lid):
                out.append(self.finding(here, "Alarm has no action; add_alarm_action(SnsAction(topic))"))
            mismatch = self._mismatch(props, topics)
            if mismatch:
                out.append(self.finding([*here, "Metrics" if "Metrics" in props else "MetricName"], mismatch))
        return out

    @staticmethod
    def _has_action(props: Mapping[str, Any]) -> bool:
        for key in _ACTIONS:
            value = props.get(key)
            if value is None:
                continue
            if not isinstance(value, list) or value:
                return True  # a non-empty list, or an intrinsic (unknown: give it the benefit)
        return False

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
