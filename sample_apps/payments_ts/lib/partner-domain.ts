import * as cdk from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { Variant } from './variant';

export const PARTNER_DOMAIN = 'partners.pay.example.com';
/** The ACM certificate of PARTNER_DOMAIN, issued in each account and region the API runs in. */
const CERTIFICATE_ID = '7b0e52c4-1f9d-4a3e-8c61-5d2a9f0b3e47';
const TRUSTSTORE_KEY = 'truststore.pem';
/** The acquirers' client-certificate CA bundle, published by the PKI team (a placeholder here). */
const TRUSTSTORE_PEM = '-----BEGIN CERTIFICATE-----\nMIIBpartnerCAplaceholder\n-----END CERTIFICATE-----\n';

/** The truststore bucket for partner client certificates, and the bundle deployed into it. */
export class PartnerTruststore extends Construct {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: { readonly variant: Variant }) {
    super(scope, id);
    const good = props.variant === 'good';
    this.bucket = new s3.Bucket(this, 'Bucket', {
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // The bad variant kept the sandbox settings: the bucket and its versions die with the stack.
      removalPolicy: good ? cdk.RemovalPolicy.RETAIN : cdk.RemovalPolicy.DESTROY,
      autoDeleteObjects: !good,
    });
    (this.bucket.node.defaultChild as cdk.CfnResource).addMetadata('cdk-audit', {
      suppressions: [
        {
          check: 's3-replication',
          reason: 'truststore.pem is published from the PKI repository on every deploy; a replica adds nothing',
        },
      ],
    });
    new s3deploy.BucketDeployment(this, 'Bundle', {
      sources: [s3deploy.Source.data(TRUSTSTORE_KEY, TRUSTSTORE_PEM)],
      destinationBucket: this.bucket,
      prune: false,
    });
  }
}

/** The regional custom domain partners call: TLS 1.2 and client certificates checked against the truststore. */
export class PartnerDomain extends Construct {
  constructor(scope: Construct, id: string, props: { readonly restApi: apigw.IRestApi; readonly truststore: s3.IBucket }) {
    super(scope, id);
    const certificateArn = cdk.Stack.of(this).formatArn({
      service: 'acm',
      resource: 'certificate',
      resourceName: CERTIFICATE_ID,
    });
    const domain = new apigw.DomainName(this, 'Domain', {
      domainName: PARTNER_DOMAIN,
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', certificateArn),
      endpointType: apigw.EndpointType.REGIONAL,
      securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      mtls: { bucket: props.truststore, key: TRUSTSTORE_KEY },
    });
    new apigw.BasePathMapping(this, 'Mapping', { domainName: domain, restApi: props.restApi });
  }
}
