import type { DynamicModule, InjectionToken, OptionalFactoryDependency } from '@nestjs/common';
import { invalidOption } from '../../core/errors.js';
import type { OutboxOptions } from '../../core/outbox.js';
import type { RelayOptions } from '../../core/relay-options.js';
import type { OutboxStore } from '../../core/store.js';

/** One relay of the module: the module's store unless another is named. */
export type TxboxRelayOptions = Omit<RelayOptions, 'store'> & { store?: RelayOptions['store'] };

/**
 * What `@nestjs-cls/transactional`'s `TransactionHost` offers, declared structurally so txbox
 * does not depend on it: the active transaction (or the adapter's fallback) and whether one is on.
 */
export interface TransactionHostLike {
  readonly tx: unknown;
  isTransactionActive(): boolean;
}

// The store's transaction type is the caller's; `any` keeps `Txbox` injectable without naming it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface TxboxModuleOptions<Tx = any> {
  /** The outbox store `send()` writes to, e.g. `createPostgresStore({ pool })`. */
  store: OutboxStore<Tx>;
  /** Relays started on application bootstrap and drained on shutdown. None: this process only writes. */
  relays?: readonly TxboxRelayOptions[];
  traceContext?: OutboxOptions<Tx>['traceContext'];
  /**
   * Turns the ambient transaction (`TransactionHost.tx`) into the store's handle, for stacks
   * whose transaction is not the store's own (e.g. `(tx) => fromKysely(tx)`). Default: as is.
   */
  transactionHandle?: (tx: unknown) => Tx;
}

interface ModuleDefinition {
  /** Makes `Txbox` injectable in every module. Default true. */
  global?: boolean;
  /**
   * Token of the `TransactionHost` whose active transaction `txbox.send()` joins:
   * `TransactionHost`, or `getTransactionHostToken('name')` for a named connection.
   */
  transactionHost?: InjectionToken;
  imports?: DynamicModule['imports'];
}

export type TxboxModuleSyncOptions<Tx> = TxboxModuleOptions<Tx> & ModuleDefinition;

export interface TxboxModuleAsyncOptions<Tx> extends ModuleDefinition {
  useFactory: (...args: never[]) => TxboxModuleOptions<Tx> | Promise<TxboxModuleOptions<Tx>>;
  inject?: readonly (InjectionToken | OptionalFactoryDependency)[];
}

const MODULE_KEYS = new Set(['store', 'relays', 'traceContext', 'transactionHandle']);

/** Checks what the factory gave, when the module is instantiated: errors name the option and value. */
export function checkModuleOptions<Tx>(options: TxboxModuleOptions<Tx>): TxboxModuleOptions<Tx> {
  if (options === null || typeof options !== 'object') throw invalidOption('TxboxModule options', options, 'must be an object');
  for (const key of Object.keys(options)) {
    if (!MODULE_KEYS.has(key)) throw invalidOption(key, (options as unknown as Record<string, unknown>)[key], `is not a TxboxModule option (known: ${[...MODULE_KEYS].join(', ')})`);
  }
  if (options.relays !== undefined && !Array.isArray(options.relays)) throw invalidOption('relays', options.relays, 'must be an array of relay options');
  if (options.transactionHandle !== undefined && typeof options.transactionHandle !== 'function') {
    throw invalidOption('transactionHandle', options.transactionHandle, 'must be a function from the ambient transaction to the store handle');
  }
  return options;
}
