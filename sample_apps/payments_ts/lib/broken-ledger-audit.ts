import * as cdk from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * Loaded only by `-c variant=broken` (bin/payments.ts requires it at run time): the enum
 * member below does not exist (it is ONE_MONTH), so ts-node refuses to compile this file.
 */
export function addLedgerAuditLog(scope: Construct): logs.LogGroup {
  return new logs.LogGroup(scope, 'LedgerAuditLog', {
    retention: logs.RetentionDays.THIRTY_DAYS,
    removalPolicy: cdk.RemovalPolicy.RETAIN,
  });
}
