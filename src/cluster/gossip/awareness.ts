/**
 * Lifeguard's local health awareness: a score in [0, max - 1] that rises when this member itself
 * seems unhealthy (its probes fail without the nacks it expected, it had to refute a suspicion of
 * itself) and falls with each successful probe. Timeouts are scaled by `score + 1`, so a member that
 * is slow to process packets probes less often and waits longer before it suspects others, instead
 * of flooding the cluster with false suspicions.
 */
export class Awareness {
  private value = 0;

  constructor(private readonly max: number) {}

  /** Adds `delta` (may be negative), clamped to [0, max - 1]. Returns the new score. */
  apply(delta: number): number {
    this.value = Math.min(this.max - 1, Math.max(0, this.value + delta));
    return this.value;
  }

  score(): number {
    return this.value;
  }

  /** `ms` scaled by how unhealthy we are: `ms * (score + 1)`. */
  scale(ms: number): number {
    return ms * (this.value + 1);
  }
}
