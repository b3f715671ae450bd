/**
 * How one claim's time is shared. The store's `claimTimeoutMs` must hold the claim query, the
 * relay's produce deadline (the longest handler timeout plus time to commit), the relay's grace
 * for a late answer and the acknowledgement. A handler timeout close to the claim timeout left
 * the relay a window of 1 ms between claiming and producing, so nearly every claim expired.
 */

/** What a claim must keep beyond the longest handler timeout. */
export const CLAIM_MARGIN_MS = 1000;

/** At most this much of the margin goes to a handler's commit after its timeout; the rest stays with the claim. */
const COMMIT_SLACK_MS = 1000;

/**
 * The relay's produce deadline: the longest handler timeout plus half the margin left (at most
 * 1 s), so the claim keeps at least half of `CLAIM_MARGIN_MS` for claiming and acknowledging.
 */
export function produceDeadlineMs(longestTimeoutMs: number, claimTimeoutMs: number): number {
  const margin = claimTimeoutMs - longestTimeoutMs;
  return longestTimeoutMs + Math.min(COMMIT_SLACK_MS, Math.floor(margin / 2));
}
