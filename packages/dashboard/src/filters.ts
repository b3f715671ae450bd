import type { FilterLike, MessageState } from './types.js';

export const CONSUMER_HEADER = 'txbox-consumer';
const STATES: readonly MessageState[] = ['pending', 'due', 'delayed', 'inFlight', 'dead'];
/** The filter fields of the messages page, as they appear in its address and forms. */
export const FILTER_FIELDS = ['state', 'topic', 'key', 'error', 'consumer', 'olderThanMin', 'newerThanMin'] as const;

export interface ParsedFilter {
  readonly filter: FilterLike & { state: MessageState };
  /** The fields as given (for the form and the hidden fields of actions). */
  readonly fields: Readonly<Record<(typeof FILTER_FIELDS)[number], string>>;
}

export class BadFilter extends Error {}

/** Reads a filter from query or form fields; ages are minutes before `now`. */
export function parseFilter(params: URLSearchParams, now: number, defaultState: MessageState = 'pending'): ParsedFilter {
  const get = (name: string) => (params.get(name) ?? '').trim();
  const fields = Object.fromEntries(FILTER_FIELDS.map((f) => [f, get(f)])) as Record<(typeof FILTER_FIELDS)[number], string>;
  const state = (fields.state || defaultState) as MessageState;
  if (!STATES.includes(state)) throw new BadFilter(`unknown state ${JSON.stringify(fields.state)}`);
  fields.state = state;
  const minutes = (name: 'olderThanMin' | 'newerThanMin') => {
    const v = fields[name];
    if (v === '') return undefined;
    const n = Number(v);
    if (!(Number.isFinite(n) && n >= 0)) throw new BadFilter(`${name} must be a number of minutes`);
    return new Date(now - n * 60_000);
  };
  const filter: FilterLike & { state: MessageState } = {
    state,
    ...(fields.topic ? { topic: fields.topic } : {}),
    ...(fields.key ? { key: fields.key } : {}),
    ...(fields.error ? { error: fields.error } : {}),
    ...(fields.consumer ? { header: { name: CONSUMER_HEADER, value: fields.consumer } } : {}),
    ...(fields.olderThanMin ? { createdBefore: minutes('olderThanMin') } : {}),
    ...(fields.newerThanMin ? { createdAfter: minutes('newerThanMin') } : {}),
  };
  return { filter, fields };
}

/** The address query of a filter (fields left empty are left out). */
export function filterQuery(fields: ParsedFilter['fields'], extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const f of FILTER_FIELDS) if (fields[f]) q.set(f, fields[f]);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
