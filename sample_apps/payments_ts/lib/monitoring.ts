import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface OnCallAlarmsProps {
  /** What pages on-call, by alarm id. */
  readonly metrics: Record<string, cloudwatch.IMetric>;
  readonly threshold?: number;
}

/** Pages the payments on-call rotation (an encrypted SNS topic) when a metric breaches. */
export class OnCallAlarms extends Construct {
  constructor(scope: Construct, id: string, props: OnCallAlarmsProps) {
    super(scope, id);
    const key = new kms.Key(this, 'TopicKey', { enableKeyRotation: true, description: 'payments on-call topic' });
    const topic = new sns.Topic(this, 'OnCall', { displayName: 'payments on-call', masterKey: key });
    for (const [alarmId, metric] of Object.entries(props.metrics)) {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: props.threshold ?? 5,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new actions.SnsAction(topic));
    }
    cdk.Tags.of(this).add('team', 'payments-on-call');
  }
}
