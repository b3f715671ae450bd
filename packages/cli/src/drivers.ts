import { CliError } from './exit.js';

/**
 * The CLI loads database and broker drivers itself, from the project it runs in, so that none is
 * a hard dependency: a missing one gets an install hint instead of a stack trace.
 */
export async function loadDriver<T>(specifier: 'pg' | 'mysql2/promise' | 'better-sqlite3' | 'amqplib', what: string): Promise<T> {
  const pkg = specifier.split('/')[0]!;
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
