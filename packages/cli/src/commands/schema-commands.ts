import { Command } from 'commander';
import type { SchemaStatus } from 'txbox';
import { schemaSqlFor, type SchemaDialect } from 'txbox/schema';
import { CliError, describeError, EXIT, usageError } from '../exit.js';
import { layoutOf, print, storeOptions, withStore, type StoreFlags } from './common.js';

const DIALECTS: Record<string, SchemaDialect> = { postgres: 'postgres', postgresql: 'postgres', pglite: 'postgres', mysql: 'mysql', mariadb: 'mysql', sqlite: 'sqlite' };

export function describeStatus(s: SchemaStatus): string {
  const found = s.found === null ? 'no version recorded' : `version ${s.found}`;
  const lines = [`${s.table}: ${s.state} (expected version ${s.expected}, found ${s.state === 'missing' ? 'no table' : found})`];
  if (s.missingColumns.length > 0) lines.push(`  missing columns: ${s.missingColumns.join(', ')}`);
  if (s.missingIndexes.length > 0) lines.push(`  missing indexes: ${s.missingIndexes.join(', ')}`);
  if (s.state === 'behind' || s.state === 'missing') lines.push('  run: txbox migrate <store>');
  if (s.state === 'ahead') lines.push('  a newer txbox made this table: upgrade txbox');
  return lines.join('\n');
}

async function statusOf(store: { schemaStatus?: () => Promise<SchemaStatus> }): Promise<SchemaStatus> {
  if (typeof store.schemaStatus !== 'function') throw new CliError('this store has no schemaStatus(): upgrade txbox');
  return store.schemaStatus();
}

export function migrateCommand(): Command {
  return storeOptions(new Command('migrate'))
    .description('create or upgrade the outbox table (add-only, idempotent, under the store\'s lock) and record its schema version')
    .argument('<store>', 'postgres://…, mysql://…, sqlite://<file> or a SQLite file path (created if missing)')
    .option('--json', 'print the resulting status as JSON')
    .action(async (url: string, flags: StoreFlags) => {
      await withStore(url, flags, async ({ store }) => {
        try {
          await store.migrate();
        } catch (error) {
          throw describeError(error, 'migrate: ');
        }
        const s = await statusOf(store);
        print(flags.json, s, () => `migrated ${s.table} to schema version ${s.expected}`);
      }, true);
    });
}

export function statusCommand(): Command {
  return storeOptions(new Command('status'))
    .description(`compare the table with what this txbox expects; exits ${EXIT.behind} when it is missing, behind, ahead or has drifted`)
    .argument('<store>', 'postgres://…, mysql://…, sqlite://<file> or a SQLite file path')
    .option('--json', 'print the status as JSON')
    .action(async (url: string, flags: StoreFlags) => {
      await withStore(url, flags, async ({ store }) => {
        const s = await statusOf(store);
        print(flags.json, s, () => describeStatus(s));
        if (!s.ok) process.exitCode = EXIT.behind;
      });
    });
}

export function schemaCommand(): Command {
  return storeOptions(new Command('schema'))
    .description('print the DDL migrate runs on a new database, for your own migration tool (no database connection)')
    .requiredOption('--dialect <dialect>', 'postgres, mysql (MariaDB too) or sqlite')
    .action((flags: StoreFlags & { dialect: string }) => {
      const dialect = DIALECTS[flags.dialect.toLowerCase()];
      if (!dialect) throw usageError(`--dialect: ${JSON.stringify(flags.dialect)} is not one of postgres, mysql, sqlite`);
      try {
        process.stdout.write(`${schemaSqlFor({ dialect, ...layoutOf(flags) })}\n`);
      } catch (error) {
        throw describeError(error);
      }
    });
}
