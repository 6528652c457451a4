"""cdk-audit: audits the CloudFormation that AWS CDK synthesizes."""

__version__ = "0.1.0"
