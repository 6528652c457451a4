import * as cdk from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PaymentFunctions } from './functions';
import { PartnerDomain, PartnerTruststore } from './partner-domain';
import { Variant } from './variant';

export interface ApiStackProps extends cdk.StackProps {
  readonly variant: Variant;
  readonly settlementQueue: sqs.IQueue;
  readonly refundQueue: sqs.IQueue;
}

/** The partner API: acquirers authorize payments and request refunds, over mutual TLS. */
export class ApiStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const good = props.variant === 'good';
    const functions = new PaymentFunctions(this, 'Functions', props);
    const truststore = new PartnerTruststore(this, 'Truststore', { variant: props.variant });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
    const api = new apigw.RestApi(this, 'PartnerApi', {
      restApiName: 'payments-partner-api',
      description: 'Acquirer-facing payments API',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Left unset in the bad variant: the default execute-api endpoint accepts any client.
      disableExecuteApiEndpoint: good ? true : undefined,
      cloudWatchRole: true,
      deployOptions: {
        stageName: 'v1',
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.INFO,
        metricsEnabled: true,
        throttlingRateLimit: 200,
        throttlingBurstLimit: 100,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
    });
    // Marks the API for the apigw-mtls check (cdk-audit.toml: select = "tagged").
    cdk.Tags.of(api).add('cdk-audit:mtls', 'true');
    api.root.addResource('authorizations').addMethod('POST', new apigw.LambdaIntegration(functions.authorize));
    api.root.addResource('refunds').addMethod('POST', new apigw.LambdaIntegration(functions.refund));
    if (good) {
      new PartnerDomain(this, 'PartnerDomain', { restApi: api, truststore: truststore.bucket });
      // Pages the payments on-call (the platform's topic) when settlements stop draining.
      const onCall = sns.Topic.fromTopicArn(this, 'OnCall', cdk.Stack.of(this).formatArn({
        service: 'sns', resource: 'payments-on-call', arnFormat: cdk.ArnFormat.NO_RESOURCE_NAME,
      }));
      new cloudwatch.Alarm(this, 'SettlementBacklog', {
        alarmName: 'payments-settlement-backlog-age',
        metric: props.settlementQueue.metricApproximateAgeOfOldestMessage(),
        threshold: 900,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(new actions.SnsAction(onCall));
    }
  }
}
