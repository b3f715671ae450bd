import { Command } from 'commander';
import type { DeadLetter, OutboxStore } from 'txbox';
import { parseDuration } from '../duration.js';
import { usageError } from '../exit.js';
import { print, storeOptions, withStore, type StoreFlags } from './common.js';

interface FilterFlags extends StoreFlags {
  topic?: string;
  key?: string;
  olderThan?: string;
  error?: string;
  limit?: string;
  after?: string;
  id?: string[];
  all?: boolean;
  atEnd?: boolean;
}

/**
 * The stores list dead letters in outbox order with a limit; filters and paging run here over at
 * most this many, so a filter never scans an unbounded table.
 */
const SCAN_LIMIT = 100_000;

function filterOf(flags: FilterFlags, now = Date.now()) {
  const olderThanMs = flags.olderThan === undefined ? undefined : parseDuration(flags.olderThan, '--older-than');
  const error = flags.error?.toLowerCase();
  return (d: DeadLetter) =>
    (flags.topic === undefined || d.topic === flags.topic) &&
    (flags.key === undefined || d.key === flags.key) &&
    (olderThanMs === undefined || d.deadAt.getTime() <= now - olderThanMs) &&
    (error === undefined || (d.error ?? '').toLowerCase().includes(error));
}

const hasFilter = (f: FilterFlags) => [f.topic, f.key, f.olderThan, f.error].some((v) => v !== undefined);

function limitOf(flags: FilterFlags): number {
  const limit = Number(flags.limit ?? 100);
  if (!Number.isInteger(limit) || limit < 1 || limit > SCAN_LIMIT) throw usageError(`--limit: ${flags.limit} must be an integer from 1 to ${SCAN_LIMIT}`);
  return limit;
}

/** Matching dead letters after `--after` (an id), at most `limit`. */
async function select(store: OutboxStore, flags: FilterFlags, limit: number): Promise<{ page: DeadLetter[]; more: boolean }> {
  let all = (await store.listDeadLetters({ limit: SCAN_LIMIT })).filter(filterOf(flags));
  if (flags.after !== undefined) {
    const at = all.findIndex((d) => d.id === flags.after);
    if (at < 0) throw usageError(`--after: no matching dead letter has id ${flags.after}`);
    all = all.slice(at + 1);
  }
  return { page: all.slice(0, limit), more: all.length > limit };
}

function view(d: DeadLetter) {
  return { id: d.id, topic: d.topic, key: d.key, attempts: d.attempts, deadAt: d.deadAt.toISOString(), error: d.error, headers: d.headers };
}

function filterOptions(command: Command): Command {
  return storeOptions(command)
    .argument('<store>', 'postgres://…, mysql://…, sqlite://<file> or a SQLite file path')
    .option('--topic <topic>', 'only this topic')
    .option('--key <key>', 'only this message key')
    .option('--older-than <duration>', 'only those dead for longer than this (30s, 15m, 2h, 7d)')
    .option('--error <text>', 'only those whose last error contains this text (case-insensitive)');
}

/** requeue and discard: by --id, or by filter (or --all), in pages of --limit. */
function changeCommand(name: 'requeue' | 'discard', description: string, apply: (store: OutboxStore, ids: string[], flags: FilterFlags) => Promise<number>): Command {
  const command = filterOptions(new Command(name)).description(description);
  if (name === 'requeue') command.option('--at-end', "give them new positions after every message written so far: their keys' pending messages go first (default: in their place, before them)");
  return command
    .option('--id <id...>', 'these dead letters (ids)')
    .option('--all', 'every dead letter (when no --id and no filter is given)')
    .option('--limit <n>', `most dead letters to change (default 100, at most ${SCAN_LIMIT})`)
    .option('--json', 'print the result as JSON')
    .action(async (url: string, flags: FilterFlags) => {
      if (!flags.id && !hasFilter(flags) && !flags.all) throw usageError(`${name}: give --id, a filter (--topic, --key, --older-than, --error) or --all`);
      if (flags.id && (hasFilter(flags) || flags.all)) throw usageError(`${name}: --id cannot be combined with filters or --all`);
      const limit = limitOf(flags);
      await withStore(url, flags, async ({ store }) => {
        const ids = flags.id ?? (await select(store, flags, limit)).page.map((d) => d.id);
        const changed = ids.length === 0 ? 0 : await apply(store, ids, flags);
        print(flags.json, { [name === 'requeue' ? 'requeued' : 'discarded']: changed, ids }, () => `${name === 'requeue' ? 'requeued' : 'discarded'} ${changed} of ${ids.length} dead letters`);
      });
    });
}

export function deadLettersCommand(): Command {
  const list = filterOptions(new Command('list'))
    .description('list dead letters in outbox order')
    .option('--limit <n>', 'page size (default 100)')
    .option('--after <id>', 'the page after this dead letter (its id)')
    .option('--json', 'print them as JSON')
    .action(async (url: string, flags: FilterFlags) => {
      const limit = limitOf(flags);
      await withStore(url, flags, async ({ store }) => {
        const { page, more } = await select(store, flags, limit);
        const next = more ? page[page.length - 1]!.id : null;
        print(flags.json, { deadLetters: page.map(view), next }, () =>
          [
            ...page.map((d) => `${d.id}  ${d.deadAt.toISOString()}  ${d.topic}${d.key === null ? '' : ` [${d.key}]`}  attempts ${d.attempts}  ${d.error ?? ''}`),
            page.length === 0 ? 'no dead letters' : more ? `more: --after ${next}` : `${page.length} dead letters`,
          ].join('\n'),
        );
      });
    });
  return new Command('dead-letters')
    .description('list, requeue or discard dead letters')
    .addCommand(list)
    .addCommand(changeCommand('requeue', 'put dead letters back to pending, attempts reset', (s, ids, flags) => s.requeueDeadLetters(ids, { position: flags.atEnd ? 'end' : 'keep' })))
    .addCommand(changeCommand('discard', 'delete dead letters for good', (s, ids) => s.discardDeadLetters(ids)));
}
