// The retry decision: a pure function of the outcome, how many attempts the job has used and the
// schedule. Default schedule (seed 004): retry after 1 min, 5 min, 15 min, then dead; each delay
// jittered by ±10% so a burst of failures does not come back as a synchronized burst.
import type { Outcome } from './outcome.ts';

export interface RetryPolicy {
  /** Delay before retry n (index n-1), in ms; its length is the number of retries. */
  scheduleMs: number[];
  /** Fraction of each delay randomised either way (0.1 = ±10%). */
  jitter: number;
  /** Upper bound on a receiver's Retry-After. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  scheduleMs: [60_000, 300_000, 900_000],
  jitter: 0.1,
  maxRetryAfterMs: 3_600_000,
};

export type Decision = { status: 'SUCCESS' } | { status: 'RETRY'; delayMs: number } | { status: 'FAILED' };

/**
 * @param attemptsUsed attempts made so far in this job's budget, including the one just finished
 * @param random a source in [0, 1) so tests can pin the jitter
 */
export function decide(outcome: Outcome, attemptsUsed: number, policy: RetryPolicy, random: () => number = Math.random): Decision {
  if (outcome.kind === 'success') return { status: 'SUCCESS' };
  if (outcome.kind === 'permanent' || outcome.kind === 'gone') return { status: 'FAILED' };
  const retryIndex = attemptsUsed - 1;
  if (retryIndex >= policy.scheduleMs.length) return { status: 'FAILED' };
  const base = policy.scheduleMs[retryIndex];
  let delay = Math.round(base * (1 + policy.jitter * (2 * random() - 1)));
  if (outcome.kind === 'throttled' && outcome.retryAfterMs !== undefined) {
    // Honour Retry-After when it asks for more patience than the schedule, within bounds.
    delay = Math.max(delay, Math.min(outcome.retryAfterMs, policy.maxRetryAfterMs));
  }
  return { status: 'RETRY', delayMs: Math.max(0, delay) };
}
