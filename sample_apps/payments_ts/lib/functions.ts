import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Variant } from './variant';

const HANDLER = (operation: string): string => `
exports.handler = async (event) => {
  const body = JSON.parse(event.body || '{}');
  return { statusCode: 200, body: JSON.stringify({ operation: '${operation}', id: body.id }) };
};
`;

/** How a function's logs are kept: its own log group, CDK's deprecated helper, or nothing. */
type LogSetup = { kind: 'group'; retention: logs.RetentionDays } | { kind: 'helper'; retention: logs.RetentionDays } | { kind: 'none' };
const NO_LOGS: LogSetup = { kind: 'none' };
const WEEK_HELPER: LogSetup = { kind: 'helper', retention: logs.RetentionDays.ONE_WEEK };

export interface PaymentFunctionsProps {
  readonly variant: Variant;
  readonly settlementQueue: sqs.IQueue;
  readonly refundQueue: sqs.IQueue;
}

/** `authorize` answers the card networks; `settle` and `refund` drain their queues. */
export class PaymentFunctions extends Construct {
  public readonly authorize: lambda.Function;
  public readonly refund: lambda.Function;

  constructor(scope: Construct, id: string, props: PaymentFunctionsProps) {
    super(scope, id);
    const good = props.variant === 'good';
    const year: LogSetup = { kind: 'group', retention: logs.RetentionDays.ONE_YEAR };
    // The bad variant: authorize was added in a hurry (no log group at all); settle still
    // uses the deprecated logRetention helper, set to a week.
    this.authorize = new lambda.Function(this, 'Authorize', this.functionProps('Authorize', 'authorize', good ? year : NO_LOGS));
    const settle = new lambda.Function(this, 'Settle', this.functionProps('Settle', 'settle', good ? year : WEEK_HELPER));
    this.refund = new lambda.Function(this, 'Refund', this.functionProps('Refund', 'refund', year));
    const consumers: [lambda.Function, sqs.IQueue][] = [
      [settle, props.settlementQueue],
      [this.refund, props.refundQueue],
    ];
    consumers.forEach(([fn, queue]) => fn.addEventSource(new SqsEventSource(queue, { batchSize: 10 })));
  }

  /** What every payments function shares; `id` names its log group. */
  private functionProps(id: string, operation: string, logSetup: LogSetup): lambda.FunctionProps {
    return {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(HANDLER(operation)),
      description: `Payments ${operation}`,
      memorySize: 256,
      timeout: cdk.Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: logSetup.kind === 'group' ? this.logGroup(id, logSetup.retention) : undefined,
      // Spread, not `logRetention: undefined`: naming a deprecated prop at all prints its deprecation warning.
      ...(logSetup.kind === 'helper' ? { logRetention: logSetup.retention } : {}),
    };
  }

  private logGroup(id: string, retention: logs.RetentionDays): logs.LogGroup {
    return new logs.LogGroup(this, `${id}Logs`, { retention, removalPolicy: cdk.RemovalPolicy.RETAIN });
  }
}
