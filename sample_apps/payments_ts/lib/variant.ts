import { Construct } from 'constructs';

/** Which twin to build: `bad` (production-readiness failures), `good` (fixed), `broken` (does not compile). */
export type Variant = 'bad' | 'good' | 'broken';

const VARIANTS: readonly Variant[] = ['bad', 'good', 'broken'];

/** Reads `-c variant=bad|good|broken` from CDK context; `bad` when unset. */
export function variantOf(scope: Construct): Variant {
  const value: unknown = scope.node.tryGetContext('variant') ?? 'bad';
  if (!VARIANTS.includes(value as Variant)) {
    throw new Error(`context 'variant' must be one of ${VARIANTS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as Variant;
}
