"""The AWS regions cfn-lint knows, for checking the settings before synth without
importing cfn-lint (a second of start-up that ``run`` overlaps with synth instead).

A copy of ``cfnlint.helpers.REGIONS`` (cfn-lint 1.58), plus ``ALL_REGIONS``: a region
here passes the quick check; any other is looked up in the installed cfn-lint, and the
check stage looks every region up there again (``auditor.config``).
``tests/test_config.py`` holds this list to the installed cfn-lint's.
"""

KNOWN: frozenset[str] = frozenset(
    {
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
        "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1",
        "ca-central-1", "cn-north-1", "cn-northwest-1", "eu-central-1", "eu-central-2", "eu-north-1",
        "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1",
        "me-south-1", "me-central-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2",
        "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2", "us-iso-east-1",
        "us-iso-west-1", "us-isob-east-1", "us-isob-west-1", "us-isof-east-1", "us-isof-south-1",
        "eu-isoe-west-1", "eusc-de-east-1", "ALL_REGIONS",
    }
)  # fmt: skip
