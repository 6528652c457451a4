"""Which twin to build: ``bad`` (production-readiness failures) or ``good`` (fixed)."""

from typing import Literal

from constructs import Construct

Variant = Literal["bad", "good"]


def variant_of(scope: Construct) -> Variant:
    """Read ``-c variant=bad|good`` from CDK context; ``bad`` when unset."""
    value = scope.node.try_get_context("variant") or "bad"
    if value not in ("bad", "good"):
        raise ValueError(f"context 'variant' must be 'bad' or 'good', got {value!r}")
    return value
