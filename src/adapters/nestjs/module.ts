import type { DynamicModule, Provider } from '@nestjs/common';
import { checkModuleOptions, type TxboxModuleAsyncOptions, type TxboxModuleOptions, type TxboxModuleSyncOptions } from './options.js';
import { Txbox } from './txbox.js';

const OPTIONS = Symbol.for('txbox.nestjs.options');

/**
 * `TxboxModule.forRoot(...)` / `forRootAsync(...)` provide `Txbox`. Built from factory providers,
 * with no decorator, so txbox loads no Nest code at run time and works with any Nest version,
 * from ESM or CommonJS.
 */
export class TxboxModule {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  static forRoot<Tx = any>(options: TxboxModuleSyncOptions<Tx>): DynamicModule {
    const { global, transactionHost, imports, ...moduleOptions } = options;
    return definition({ global, transactionHost, imports }, { provide: OPTIONS, useValue: moduleOptions });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  static forRootAsync<Tx = any>(options: TxboxModuleAsyncOptions<Tx>): DynamicModule {
    const { global, transactionHost, imports, useFactory, inject } = options;
    return definition({ global, transactionHost, imports }, { provide: OPTIONS, useFactory, inject: [...(inject ?? [])] });
  }
}

function definition(d: Omit<TxboxModuleAsyncOptions<unknown>, 'useFactory' | 'inject'>, options: Provider): DynamicModule {
  const txbox: Provider = {
    provide: Txbox,
    useFactory: (o: TxboxModuleOptions<unknown>, host?: never) => new Txbox(checkModuleOptions(o), host),
    inject: d.transactionHost === undefined ? [OPTIONS] : [OPTIONS, d.transactionHost],
  };
  return { module: TxboxModule, global: d.global ?? true, imports: d.imports ?? [], providers: [options, txbox], exports: [Txbox] };
}
