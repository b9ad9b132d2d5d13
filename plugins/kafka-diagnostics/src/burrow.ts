// Burrow's consumer-lag evaluation over a window's samples, per partition and per group.
// Without commit timestamps (only __consumer_offsets has them), a committed offset that never
// moved is STOP when the group has no live members (or they are unknown) and STALL when members
// are connected but not progressing.

export type BurrowStatus = 'OK' | 'WARN' | 'STALL' | 'STOP' | 'REWIND';

export interface OffsetSample {
  /** ms since epoch */
  t: number;
  committed: number;
  latest: number;
}

export const lagOf = (s: OffsetSample): number => Math.max(0, s.latest - s.committed);

const RANK: Record<BurrowStatus, number> = { OK: 0, WARN: 1, STALL: 2, STOP: 2, REWIND: 2 };
export const isCritical = (s: BurrowStatus): boolean => RANK[s] >= 2;

/** Evaluates one partition; `membersActive` is true/false when the group state is known, undefined otherwise. */
export function evaluatePartition(samples: readonly OffsetSample[], allowance = 0, membersActive?: boolean): BurrowStatus {
  if (samples.length < 2) return 'OK';
  // Burrow's order: REWIND first — a committed offset that went back is a reset, even when lag
  // touched zero in the window (a group reset to the end, then further back, reads caught up).
  for (let i = 1; i < samples.length; i++) if (samples[i]!.committed < samples[i - 1]!.committed) return 'REWIND';
  // Then a zero lag (here: within the allowance) in any sample means the consumer caught up.
  if (samples.some((s) => lagOf(s) <= allowance)) return 'OK';
  const moved = samples.some((s) => s.committed !== samples[0]!.committed);
  if (!moved) return membersActive === true ? 'STALL' : 'STOP';
  let decreased = false;
  for (let i = 1; i < samples.length; i++) if (lagOf(samples[i]!) < lagOf(samples[i - 1]!)) decreased = true;
  return decreased ? 'OK' : 'WARN';
}

/** A group is as bad as its worst partition. */
export function worstStatus(statuses: readonly BurrowStatus[]): BurrowStatus {
  let worst: BurrowStatus = 'OK';
  for (const s of statuses) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}
