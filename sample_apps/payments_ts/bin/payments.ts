#!/usr/bin/env node
// Payments platform: network, ledger data and the partner API, as three stacks.
// Synthesize with `-c variant=bad` (the default), `-c variant=good` or `-c variant=broken`.
import * as cdk from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ApiStack } from '../lib/api-stack';
import { DataStack } from '../lib/data-stack';
import { NetworkStack } from '../lib/network-stack';
import { variantOf } from '../lib/variant';

/** The organisation's required tags, on every taggable resource. */
const REQUIRED_TAGS: Record<string, string> = { Environment: 'production', Team: 'payments', CostCenter: 'cc-3120' };

const app = new cdk.App();
const variant = variantOf(app);
const network = new NetworkStack(app, 'PaymentsNetwork', { variant, description: 'Payments VPC' });
const data = new DataStack(app, 'PaymentsData', { variant, vpc: network.vpc, description: 'Payments ledger data' });
new ApiStack(app, 'PaymentsApi', {
  variant,
  settlementQueue: data.settlementQueue,
  refundQueue: data.refundQueue,
  description: 'Payments partner API',
});
if (variant === 'broken') {
  // A plain require, not an import: the bad and good variants never compile this file.
  const broken = require('../lib/broken-ledger-audit') as { addLedgerAuditLog(scope: Construct): unknown };
  broken.addLedgerAuditLog(data);
}
for (const [key, value] of Object.entries(REQUIRED_TAGS)) {
  cdk.Tags.of(app).add(key, value);
}
app.synth();
