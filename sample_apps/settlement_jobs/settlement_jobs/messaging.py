"""The queue of settlement jobs (with its dead-letter queue) and the settlement notices topic."""

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from settlement_jobs.variant import Variant


class SettlementMessaging(Construct):
    """Jobs queue, dead-letter queue and its alarm, notices topic."""

    def __init__(self, scope: Construct, construct_id: str, *, variant: Variant, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        good = variant == "good"
        self.notices = sns.Topic(
            self,
            "SettlementNotices",
            display_name="Card settlement notices",
            master_key=key if good else None,
        )
        if not good:
            # Unencrypted, and a job that keeps failing is retried until it silently expires.
            self.jobs = sqs.Queue(
                self,
                "SettlementJobQueue",
                encryption=sqs.QueueEncryption.UNENCRYPTED,
                visibility_timeout=cdk.Duration.minutes(15),
                removal_policy=cdk.RemovalPolicy.RETAIN,
            )
            return
        dlq = sqs.Queue(
            self,
            "SettlementJobDlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            retention_period=cdk.Duration.days(14),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.jobs = sqs.Queue(
            self,
            "SettlementJobQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            visibility_timeout=cdk.Duration.minutes(15),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=5),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        alarm = cloudwatch.Alarm(
            self,
            "FailedJobsAlarm",
            alarm_description="Settlement jobs landed in the dead-letter queue",
            metric=dlq.metric_approximate_number_of_messages_visible(period=cdk.Duration.minutes(5)),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.notices))
