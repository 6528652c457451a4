#!/usr/bin/env node
// Which failure to build comes from `--context variant=…`. Each stack is required only
// when chosen, because ts-node type-checks a file when it is first required: the default
// (the compile errors) would otherwise break every variant.
import * as cdk from 'aws-cdk-lib';

const app = new cdk.App();
const variant: string | undefined = app.node.tryGetContext('variant');
if (variant === 'no-methods') {
  const { NoMethodsStack } = require('../lib/no-methods-stack');
  new NoMethodsStack(app, 'TsNoMethods');
} else if (variant === 'rotation') {
  const { RotationStack } = require('../lib/rotation-stack');
  new RotationStack(app, 'TsRotation');
} else {
  const { AuditLogsStack } = require('../lib/audit-logs-stack');
  new AuditLogsStack(app, 'TsAuditLogs');
}
app.synth();
