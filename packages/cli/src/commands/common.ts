import type { Command } from 'commander';
import { openStore, type OpenedStore } from '../open-store.js';

export interface StoreFlags {
  table?: string;
  schema?: string;
  json?: boolean;
}

/** `--table`, `--schema`: the same names the store factories take. */
export function storeOptions(command: Command): Command {
  return command
    .option('--table <name>', 'outbox table name (default txbox_outbox)')
    .option('--schema <name>', 'PostgreSQL schema or MySQL database of the table (default: the connection\'s)');
}

export function layoutOf(flags: StoreFlags): Record<string, unknown> {
  return { ...(flags.table !== undefined ? { table: flags.table } : {}), ...(flags.schema !== undefined ? { schema: flags.schema } : {}) };
}

/** Runs `fn` with the store open and always closes it. */
export async function withStore<T>(url: string, flags: StoreFlags, fn: (opened: OpenedStore) => Promise<T>, create = false): Promise<T> {
  const opened = await openStore(url, { options: layoutOf(flags), create, field: 'store' });
  try {
    return await fn(opened);
  } finally {
    await opened.close();
  }
}

export function print(json: boolean | undefined, data: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text()}\n`);
}
