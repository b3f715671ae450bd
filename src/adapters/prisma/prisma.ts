import { TxboxError } from '../../core/errors.js';
import type { MysqlTransactionQuery } from '../../stores/mysql/driver.js';
import type { PgTransactionQuery } from '../../stores/postgres/driver.js';

/**
 * The client that `prisma.$transaction(async (tx) => ...)` (an interactive transaction) gives,
 * as far as txbox uses it. Prisma leaves `$connect`, `$disconnect`, `$on` and `$extends` out of
 * it; a PrismaClient has them, and on it each statement commits on its own. `$disconnect?: never`
 * makes passing a PrismaClient a type error; the same tell refuses it at run time.
 */
export interface PrismaTransactionClient {
  // Prisma's PrismaPromise<T> and its `any[]` values, as the generated client declares them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  $queryRawUnsafe<T = unknown>(query: string, ...values: any[]): PromiseLike<T>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  $executeRawUnsafe(query: string, ...values: any[]): PromiseLike<number>;
  readonly $disconnect?: never;
}

/** The handle `send()` takes on PostgreSQL, with the interactive transaction's client (for a handler's own writes). */
export interface PrismaPgTransaction<C extends PrismaTransactionClient = PrismaTransactionClient> extends PgTransactionQuery {
  readonly prisma: C;
}

/** The handle `send()` takes on MySQL or MariaDB, with the interactive transaction's client. */
export interface PrismaMysqlTransaction<C extends PrismaTransactionClient = PrismaTransactionClient> extends MysqlTransactionQuery {
  readonly prisma: C;
}

/** Prisma 7 on PostgreSQL (`@prisma/adapter-pg`): every statement is a raw query; its rows are the answer. */
export function fromPrisma<C extends PrismaTransactionClient>(tx: C): PrismaPgTransaction<C> {
  const client = transactionClient(tx, 'postgresql', 'fromPrisma');
  return {
    inTransaction: true,
    prisma: tx,
    query: (text, values = []) =>
      translated('postgresql', async () => ({ rows: await client.$queryRawUnsafe<unknown[]>(text, ...values) })),
  };
}

/**
 * Prisma 7 on MySQL or MariaDB (`@prisma/adapter-mariadb`), answering the mysql2 way: a SELECT
 * gives its rows, any other statement a result header with the count Prisma reports, which
 * txbox reads to learn whether a debounce replaced a row.
 */
export function fromPrismaMysql<C extends PrismaTransactionClient>(tx: C): PrismaMysqlTransaction<C> {
  const client = transactionClient(tx, 'mysql', 'fromPrismaMysql');
  return {
    inTransaction: true,
    prisma: tx,
    query: (sql, values = []) =>
      translated('mysql', async () => (/^\s*(SELECT|WITH)\b/i.test(sql) ? [await client.$queryRawUnsafe(sql, ...values)] : [{ affectedRows: await client.$executeRawUnsafe(sql, ...values) }])),
  };
}

function transactionClient(tx: PrismaTransactionClient, provider: 'postgresql' | 'mysql', fn: string): PrismaTransactionClient {
  const t = tx as Partial<PrismaTransactionClient> & { $disconnect?: unknown; _activeProvider?: unknown } | null | undefined;
  if (typeof t?.$queryRawUnsafe !== 'function' || typeof t.$executeRawUnsafe !== 'function') {
    throw refused(tx, `the client of an interactive transaction, got ${what(tx)}`);
  }
  if (typeof t.$disconnect === 'function') {
    throw refused(tx, `the client of an interactive transaction, got a PrismaClient outside $transaction, on which each statement commits on its own`);
  }
  // Prisma's own record of its provider, when it has one: the wrong dialect's SQL would fail late.
  if (typeof t._activeProvider === 'string' && t._activeProvider !== provider) {
    const other = provider === 'postgresql' ? 'fromPrismaMysql' : 'fromPrisma';
    throw refused(tx, `a client on ${provider === 'postgresql' ? 'PostgreSQL' : 'MySQL or MariaDB'} for ${fn}, got one on ${JSON.stringify(t._activeProvider)} (see ${other})`);
  }
  return tx;
}

/**
 * Prisma's errors, in the shape the stores read: its P2028 on a client kept past its
 * transaction becomes the typed refusal (nothing was written); a server error Prisma wraps
 * (P2010 with the driver's code) becomes an error with that code, so a dedup hit, a duplicate
 * id or a missing table are told apart as they are on the raw driver.
 */
async function translated<T>(dialect: 'postgresql' | 'mysql', run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const e = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; originalMessage?: unknown } } } } | null;
    if (e?.code === 'P2028') {
      throw new TxboxError('INVALID_ARGUMENT', 'tx is a Prisma transaction that is no longer open (it ended or timed out): send() must run inside prisma.$transaction(async (tx) => ...)', { field: 'tx', cause: error });
    }
    const server = e?.meta?.driverAdapterError?.cause;
    if (typeof server?.originalCode !== 'string') throw error;
    throw new PrismaServerError(dialect, server.originalCode, String(server.originalMessage), error);
  }
}

/** A server error raised through Prisma, with the driver's fields: `code` (pg), `errno` and `sqlMessage` (mysql2). */
class PrismaServerError extends Error {
  readonly code: string;
  readonly errno: number | undefined;
  readonly sqlMessage: string | undefined;

  constructor(dialect: 'postgresql' | 'mysql', code: string, message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'PrismaServerError';
    this.code = code;
    this.errno = dialect === 'mysql' ? Number(code) : undefined;
    this.sqlMessage = dialect === 'mysql' ? message : undefined;
  }
}

function refused(value: unknown, expected: string): TxboxError {
  return new TxboxError('INVALID_ARGUMENT', `tx must be ${expected}; pass the tx that prisma.$transaction(async (tx) => ...) gives`, { field: 'tx', value });
}

function what(value: unknown): string {
  const name = (value as { constructor?: { name?: unknown } } | null | undefined)?.constructor?.name;
  return typeof name === 'string' && name !== 'Object' ? `a ${name}` : String(value === null || typeof value !== 'object' ? value : 'an object');
}
