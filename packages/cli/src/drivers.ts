import { CliError } from './exit.js';

/** The drivers the CLI may load: database drivers for the stores, broker clients for the daemon's transports. */
export type DriverSpecifier = 'pg' | 'mysql2/promise' | 'better-sqlite3' | 'amqplib' | '@nats-io/transport-node' | '@nats-io/jetstream' | 'ioredis' | 'mqtt';

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/**
 * The CLI loads database and broker drivers itself, from the project it runs in, so that none is
 * a hard dependency: a missing one gets an install hint instead of a stack trace.
 */
export async function loadDriver<T>(specifier: DriverSpecifier, what: string): Promise<T> {
  const pkg = packageOf(specifier);
  try {
    const module = (await import(specifier)) as { default?: T } & T;
    return (module.default ?? module) as T;
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown };
    if ((e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') && String(e.message).includes(`'${pkg}'`)) {
      throw new CliError(`${what} needs the ${pkg} driver, which is not installed: npm install ${pkg}`);
    }
    throw error;
  }
}
