"""The settlement team's log-retention setting, checked before any construct is built."""

# CloudWatch Logs accepts only these retention periods (days).
ALLOWED_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557)


def retention_days(value: str) -> int:
    days = int(value)
    if days not in ALLOWED_DAYS:
        allowed = ", ".join(str(d) for d in ALLOWED_DAYS)
        raise ValueError(
            f"log retention of {days} days is not a period CloudWatch Logs accepts\n"
            f"allowed periods (days): {allowed}\n"
            "set --context retention=<days> to one of them"
        )
    return days
