import * as cdk from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { OnCallAlarms } from './monitoring';
import { Variant } from './variant';

/** The replica of the ledger archive, kept by the platform team in eu-west-1 (named literally). */
export const LEDGER_REPLICA_BUCKET = 'payments-ts-ledger-replica-euw1';

/** Days of automated Aurora backups: what the bad variant shipped with vs. the production profile. */
const BACKUP_DAYS: Record<Variant, number> = { bad: 7, broken: 7, good: 35 };

export interface DataStackProps extends cdk.StackProps {
  readonly variant: Variant;
  readonly vpc: ec2.IVpc;
}

/** The ledger: Aurora PostgreSQL, its archive bucket, and the settlement and refund queues. */
export class DataStack extends cdk.Stack {
  public readonly settlementQueue: sqs.Queue;
  public readonly refundQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { variant, vpc } = props;
    const cluster = this.ledgerCluster(vpc, variant);
    cluster.addRotationSingleUser({
      automaticallyAfter: cdk.Duration.days(30),
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    this.ledgerArchive(variant);
    const good = variant === 'good';
    const settlementDlq = this.deadLetterQueue('SettlementDlq');
    this.settlementQueue = new sqs.Queue(this, 'SettlementQueue', {
      // The bad variant turned encryption off "to debug the consumer" and never turned it back on.
      encryption: good ? sqs.QueueEncryption.SQS_MANAGED : sqs.QueueEncryption.UNENCRYPTED,
      visibilityTimeout: cdk.Duration.seconds(60),
      deadLetterQueue: { queue: settlementDlq, maxReceiveCount: 5 },
    });
    this.refundQueue = new sqs.Queue(this, 'RefundQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      visibilityTimeout: cdk.Duration.seconds(60),
      // Without a DLQ a refund that always fails is retried until retention drops it: the refund is lost.
      deadLetterQueue: good ? { queue: this.deadLetterQueue('RefundDlq'), maxReceiveCount: 5 } : undefined,
    });
    if (good) {
      new OnCallAlarms(this, 'Alarms', {
        metrics: { SettlementBacklog: this.settlementQueue.metricApproximateAgeOfOldestMessage() },
        threshold: 900,
      });
    }
  }

  private ledgerCluster(vpc: ec2.IVpc, variant: Variant): rds.DatabaseCluster {
    const instanceProps = {
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE),
      enablePerformanceInsights: true,
    };
    return new rds.DatabaseCluster(this, 'LedgerCluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_8 }),
      writer: rds.ClusterInstance.provisioned('Writer', instanceProps),
      readers: [rds.ClusterInstance.provisioned('Reader', instanceProps)],
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      credentials: rds.Credentials.fromGeneratedSecret('ledger_admin'),
      defaultDatabaseName: 'ledger',
      storageEncrypted: true,
      iamAuthentication: true,
      deletionProtection: true,
      backup: { retention: cdk.Duration.days(BACKUP_DAYS[variant]), preferredWindow: '03:00-04:00' },
      removalPolicy: cdk.RemovalPolicy.SNAPSHOT,
    });
  }

  /** Settled ledger entries, versioned; the good variant replicates them to eu-west-1. */
  private ledgerArchive(variant: Variant): s3.Bucket {
    const replicate = variant === 'good';
    return new s3.Bucket(this, 'LedgerArchive', {
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
      replicationRules: replicate
        ? [
            {
              destination: s3.Bucket.fromBucketName(this, 'LedgerReplica', LEDGER_REPLICA_BUCKET),
              priority: 1,
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              deleteMarkerReplication: true,
            },
          ]
        : undefined,
    });
  }

  private deadLetterQueue(id: string): sqs.Queue {
    return new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: cdk.Duration.days(14),
    });
  }
}
