"""Fixed names shared across regions (cross-region references are not native to CDK)."""

ACCOUNT = "111111111111"
PRIMARY_REGION = "us-east-1"
REPLICA_REGION = "eu-west-1"

LEDGER_BUCKET_NAME = f"payments-ledger-{ACCOUNT}-use1"
REPLICA_BUCKET_NAME = f"payments-ledger-replica-{ACCOUNT}-euw1"
