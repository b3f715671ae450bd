/**
 * The per-key order rule, in one place for every store. A candidate with a key may be delivered
 * only if every older pending message of that key is in the same batch, ahead of it: otherwise
 * an older message is in backoff, delayed, or held by another relay, and overtaking it would
 * break the key's order.
 *
 * A claim applies it while it scans (`claimInKeyOrder`): the oldest claimable rows are read, the
 * rule drops the rows of keys that are blocked, and the scan goes on past them with those keys
 * excluded. So a blocked key holds back its own messages and nothing else, however deep its
 * backlog: other keys are claimed in the same call.
 */

export interface OrderCandidate<P> {
  readonly position: P;
  readonly key: string | null;
}

/**
 * The rule itself. `candidates` are in position order; `pendingHeads(key, n)` returns the
 * positions of the `n` oldest pending messages of `key` (whatever their state: leased, delayed,
 * in backoff). Returns the candidates that may go, in order.
 */
export function keepKeyOrder<P, T extends OrderCandidate<P>>(candidates: readonly T[], pendingHeads: (key: string, n: number) => readonly P[]): T[] {
  const byKey = groupByKey(candidates);
  const blocked = new Set<T>();
  for (const [key, group] of byKey) {
    const heads = pendingHeads(key, group.length);
    let i = 0;
    while (i < group.length && heads[i] === group[i]!.position) i++;
    for (; i < group.length; i++) blocked.add(group[i]!);
  }
  return blocked.size === 0 ? [...candidates] : candidates.filter((c) => !blocked.has(c));
}

/** What a store gives the claim loop. The synchronous twin serves drivers such as better-sqlite3. */
export interface KeyOrderScanner<P, T extends OrderCandidate<P>> {
  /**
   * Up to `limit` claimable rows in position order, held for this claim (locked or about to be
   * leased): all of them when `after` is null, else only rows after `after` whose key is not in
   * `excluded`.
   */
  scan(after: P | null, excluded: readonly string[], limit: number): Promise<readonly T[]>;
  /** For each key, the positions of its n oldest pending messages, in order. */
  heads(wanted: ReadonlyMap<string, number>): Promise<ReadonlyMap<string, readonly P[]>>;
  /** Optional shortcut for the first scan: true when no pending row older than a keyed candidate is missing from `rows`. */
  noneMissing?(rows: readonly T[]): Promise<boolean>;
}

export interface KeyOrderScannerSync<P, T extends OrderCandidate<P>> {
  scan(after: P | null, excluded: readonly string[], limit: number): readonly T[];
  heads(wanted: ReadonlyMap<string, number>): ReadonlyMap<string, readonly P[]>;
}

export interface KeyOrderClaim<T> {
  /** The rows that may go, in position order, at most `limit`. */
  readonly kept: readonly T[];
  /** Rows scanned and held back by the rule (a lease store must not lease them). */
  readonly dropped: readonly T[];
  /** The last scan was full: more may be claimable. */
  readonly hasMore: boolean;
}

/**
 * How many scans one claim makes at most. Each scan after the first excludes every key found
 * blocked so far, so a claim reaches past up to this many rounds of newly found blocked keys;
 * a claim that still finds too few rows says `hasMore` and the relay claims again.
 */
export const MAX_SCANS = 4;

export async function claimInKeyOrder<P, T extends OrderCandidate<P>>(s: KeyOrderScanner<P, T>, limit: number): Promise<KeyOrderClaim<T>> {
  const state = new ClaimState<P, T>(limit);
  for (let scan = 0; scan < MAX_SCANS && state.wantsMore(); scan++) {
    const rows = await s.scan(state.after, state.excluded(), state.room());
    if (state.takeScan(rows) && scan === 0 && s.noneMissing && (await s.noneMissing(rows))) state.keepAll(rows);
    else if (state.pendingKeys) state.applyHeads(await s.heads(state.pendingKeys));
  }
  return state.result();
}

export function claimInKeyOrderSync<P, T extends OrderCandidate<P>>(s: KeyOrderScannerSync<P, T>, limit: number): KeyOrderClaim<T> {
  const state = new ClaimState<P, T>(limit);
  for (let scan = 0; scan < MAX_SCANS && state.wantsMore(); scan++) {
    state.takeScan(s.scan(state.after, state.excluded(), state.room()));
    if (state.pendingKeys) state.applyHeads(s.heads(state.pendingKeys));
  }
  return state.result();
}

/** The loop's bookkeeping, shared by both loops so the rule is applied the same way. */
class ClaimState<P, T extends OrderCandidate<P>> {
  after: P | null = null;
  /** Keys of the newest scan whose heads must be looked up, with how many rows of each the batch holds. */
  pendingKeys: Map<string, number> | undefined;
  private kept: T[] = [];
  private fresh: T[] = [];
  private readonly dropped: T[] = [];
  private readonly blocked = new Set<string>();
  private lastFull = false;
  private done = false;

  constructor(private readonly limit: number) {}

  wantsMore = () => !this.done && this.kept.length < this.limit;
  room = () => this.limit - this.kept.length;
  excluded = () => [...this.blocked];

  /** Records a scan. True when it holds keyed rows (so the rule has work to do). */
  takeScan(rows: readonly T[]): boolean {
    this.lastFull = rows.length >= this.room();
    this.pendingKeys = undefined;
    if (rows.length === 0) {
      this.done = true;
      return false;
    }
    this.after = rows[rows.length - 1]!.position;
    const keys = new Set(rows.flatMap((r) => (r.key === null ? [] : [r.key])));
    this.fresh = [...rows];
    if (keys.size === 0) {
      this.keepAll(rows);
      return false;
    }
    this.pendingKeys = new Map([...keys].map((k) => [k, 0]));
    for (const r of [...this.kept, ...rows]) if (r.key !== null && keys.has(r.key)) this.pendingKeys.set(r.key, this.pendingKeys.get(r.key)! + 1);
    return true;
  }

  keepAll(rows: readonly T[]): void {
    this.kept.push(...rows);
    this.pendingKeys = undefined;
    this.finishScan(false);
  }

  /** Applies the rule to the keys of the newest scan, over every row of those keys in the batch. */
  applyHeads(heads: ReadonlyMap<string, readonly P[]>): void {
    const keys = this.pendingKeys!;
    const involved = [...this.kept, ...this.fresh].filter((r) => r.key !== null && keys.has(r.key));
    const ok = new Set(keepKeyOrder(involved, (key) => heads.get(key) ?? []));
    const before = this.kept.length + this.fresh.length;
    const survivors = [...this.kept, ...this.fresh].filter((r) => r.key === null || !keys.has(r.key) || ok.has(r));
    for (const r of involved) {
      if (ok.has(r)) continue;
      this.dropped.push(r);
      this.blocked.add(r.key!);
    }
    this.kept = survivors;
    this.pendingKeys = undefined;
    this.finishScan(survivors.length < before);
  }

  result(): KeyOrderClaim<T> {
    return { kept: this.kept, dropped: this.dropped, hasMore: this.lastFull };
  }

  /** Scans again only past rows the rule dropped: otherwise the batch is full or nothing more is claimable. */
  private finishScan(droppedSome: boolean): void {
    this.fresh = [];
    if (!droppedSome || !this.lastFull) this.done = true;
  }
}

function groupByKey<T extends { key: string | null }>(rows: readonly T[]): Map<string, T[]> {
  const byKey = new Map<string, T[]>();
  for (const r of rows) {
    if (r.key === null) continue;
    const group = byKey.get(r.key);
    if (group) group.push(r);
    else byKey.set(r.key, [r]);
  }
  return byKey;
}
