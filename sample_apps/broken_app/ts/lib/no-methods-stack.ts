// Compiles, but fails CDK's validation at synth: a REST API with no methods.
import * as cdk from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';

export class NoMethodsStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);
    const api = new apigateway.RestApi(this, 'PayoutsApi', { restApiName: 'payouts' });
    api.root.addResource('payouts');
  }
}
