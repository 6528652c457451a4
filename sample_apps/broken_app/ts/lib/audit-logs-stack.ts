// Does not compile on purpose (cdk-audit's tests use the errors ts-node prints):
// RetentionDays has no THIRTY_DAYS member (it is ONE_MONTH), and Bucket's
// property is `versioned`, not `versioning`.
import * as cdk from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export class AuditLogsStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);
    new logs.LogGroup(this, 'AuditTrail', {
      retention: logs.RetentionDays.THIRTY_DAYS,
    });
    new s3.Bucket(this, 'AuditArchive', { versioning: true });
  }
}
