import { Command } from 'commander';
import type { SchemaStatus } from 'txbox';
import { inboxSchemaSqlFor, schedulesSchemaSqlFor, schemaSqlFor, type SchemaDialect } from 'txbox/schema';
import { CliError, describeError, EXIT, usageError } from '../exit.js';
import type { OpenedStore } from '../open-store.js';
import { layoutOf, print, storeOptions, withStore, type StoreFlags } from './common.js';

const DIALECTS: Record<string, SchemaDialect> = { postgres: 'postgres', postgresql: 'postgres', pglite: 'postgres', mysql: 'mysql', mariadb: 'mysql', sqlite: 'sqlite' };

/** `--inbox` alone means the default table name; `--inbox name` names it. */
interface TableFlags extends StoreFlags {
  inbox?: string | true;
  schedules?: string | true;
}

/** One versioned table the command covers. */
interface VersionedTable {
  migrate(): Promise<void>;
  schemaStatus?(): Promise<SchemaStatus>;
}

/** `--inbox [table]`, `--schedules [table]`: the other txbox tables, in the outbox's schema. */
function tableOptions(command: Command): Command {
  return storeOptions(command)
    .option('--inbox [table]', 'the inbox table too (default name txbox_inbox)')
    .option('--schedules [table]', 'the schedules table of txbox/consumers too (default name txbox_schedules)');
}

const nameOf = (flag: string | true) => (flag === true ? undefined : flag);

/** The outbox, then the inbox and schedules tables when asked for. */
function tablesOf({ store, tables }: OpenedStore, flags: TableFlags): VersionedTable[] {
  return [store, ...(flags.inbox !== undefined ? [tables.inbox(nameOf(flags.inbox))] : []), ...(flags.schedules !== undefined ? [tables.schedules(nameOf(flags.schedules))] : [])];
}

function migrateHint(s: SchemaStatus): string {
  return `  run: txbox migrate <store>${s.kind === 'outbox' ? '' : ` --${s.kind}`}`;
}

export function describeStatus(s: SchemaStatus): string {
  const found = s.found === null ? 'no version recorded' : `version ${s.found}`;
  const lines = [`${s.kind} ${s.table}: ${s.state} (expected version ${s.expected}, found ${s.state === 'missing' ? 'no table' : found})`];
  if (s.missingColumns.length > 0) lines.push(`  missing columns: ${s.missingColumns.join(', ')}`);
  if (s.missingIndexes.length > 0) lines.push(`  missing indexes: ${s.missingIndexes.join(', ')}`);
  for (const t of s.wrongTypes) lines.push(`  column ${t.column}: expected type ${t.expected}, found ${t.found}`);
  if (s.state === 'behind' || s.state === 'missing') lines.push(migrateHint(s));
  if (s.state === 'ahead') lines.push('  a newer txbox made this table: upgrade txbox');
  return lines.join('\n');
}

async function statusOf(table: VersionedTable): Promise<SchemaStatus> {
  if (typeof table.schemaStatus !== 'function') throw new CliError('this store has no schemaStatus(): upgrade txbox');
  return table.schemaStatus();
}

const report = (statuses: SchemaStatus[]) => ({ ok: statuses.every((s) => s.ok), tables: statuses });

export function migrateCommand(): Command {
  return tableOptions(new Command('migrate'))
    .description('create or upgrade the outbox table (and --inbox, --schedules) add-only, idempotent, under the store\'s lock, and record each one\'s schema version')
    .argument('<store>', 'postgres://…, mysql://…, sqlite://<file> or a SQLite file path (created if missing)')
    .option('--json', 'print the resulting status as JSON')
    .action(async (url: string, flags: TableFlags) => {
      await withStore(url, flags, async (opened) => {
        const tables = tablesOf(opened, flags);
        // A table a newer txbox made goes first: its migrate() refuses (SCHEMA_TOO_NEW) before any other table changes.
        const before = await Promise.all(tables.map(statusOf));
        const order = tables.map((table, i) => ({ table, ahead: before[i]!.state === 'ahead' })).sort((a, b) => Number(b.ahead) - Number(a.ahead));
        for (const { table } of order) {
          try {
            await table.migrate();
          } catch (error) {
            throw describeError(error, 'migrate: ');
          }
        }
        const after = await Promise.all(tables.map(statusOf));
        print(flags.json, report(after), () => after.map((s) => `migrated ${s.kind} ${s.table} to schema version ${s.expected}`).join('\n'));
      }, true);
    });
}

export function statusCommand(): Command {
  return tableOptions(new Command('status'))
    .description(`compare the tables with what this txbox expects (versions, columns and their types, indexes); exits ${EXIT.behind} when one is missing, behind, ahead or has drifted`)
    .argument('<store>', 'postgres://…, mysql://…, sqlite://<file> or a SQLite file path')
    .option('--json', 'print the status as JSON: { ok, tables: [...] }')
    .action(async (url: string, flags: TableFlags) => {
      await withStore(url, flags, async (opened) => {
        const statuses = await Promise.all(tablesOf(opened, flags).map(statusOf));
        print(flags.json, report(statuses), () => statuses.map(describeStatus).join('\n'));
        if (!statuses.every((s) => s.ok)) process.exitCode = EXIT.behind;
      });
    });
}

export function schemaCommand(): Command {
  return tableOptions(new Command('schema'))
    .description('print the DDL migrate runs on a new database, for your own migration tool (no database connection)')
    .requiredOption('--dialect <dialect>', 'postgres, mysql (MariaDB too) or sqlite')
    .action((flags: TableFlags & { dialect: string }) => {
      const dialect = DIALECTS[flags.dialect.toLowerCase()];
      if (!dialect) throw usageError(`--dialect: ${JSON.stringify(flags.dialect)} is not one of postgres, mysql, sqlite`);
      const place = (flag: string | true) => ({ dialect, ...(flags.schema !== undefined ? { schema: flags.schema } : {}), ...(flag === true ? {} : { table: flag }) });
      try {
        const scripts = [schemaSqlFor({ dialect, ...layoutOf(flags) })];
        if (flags.inbox !== undefined) scripts.push(inboxSchemaSqlFor(place(flags.inbox)));
        if (flags.schedules !== undefined) scripts.push(schedulesSchemaSqlFor(place(flags.schedules)));
        process.stdout.write(`${scripts.join('\n\n')}\n`);
      } catch (error) {
        throw describeError(error);
      }
    });
}
