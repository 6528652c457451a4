// Compiles, but CDK throws while the RotationSchedule is constructed: neither
// `hostedRotation` nor `rotationLambda` is given.
import * as cdk from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export class RotationStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);
    const secret = new secretsmanager.Secret(this, 'PayoutsKey');
    secret.addRotationSchedule('Rotation', { automaticallyAfter: cdk.Duration.days(30) });
  }
}
