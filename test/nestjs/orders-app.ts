// The NestJS example of docs/adapters/nestjs.md, as a test runs it: a service writes an order and
// announces it in one @Transactional() method; TxboxModule relays the announcements.
import 'reflect-metadata';
import { Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { ClsPluginTransactional, Transactional, TransactionHost } from '@nestjs-cls/transactional';
import { ClsModule } from 'nestjs-cls';
import pg from 'pg';
import { pgTransactionalAdapter, Txbox, TxboxModule } from '../../src/adapters/nestjs/index.js';
import type { Producer } from '../../src/core/index.js';
import { createPostgresStore, type ClaimMode } from '../../src/stores/postgres/index.js';

export const PG_POOL = Symbol('PG_POOL');

export interface AppConfig {
  pgUrl: string;
  ordersTable: string;
  outboxTable: string;
  producer: Producer;
  claimMode?: ClaimMode;
  /** Lists TxboxModule before DatabaseModule: Nest then runs each shutdown hook of the pool's module first. */
  txboxFirst?: boolean;
}

const adapter = pgTransactionalAdapter({ connectionToken: PG_POOL });

@Injectable()
export class OrdersService {
  constructor(
    @Inject(TransactionHost) private readonly txHost: TransactionHost<typeof adapter>,
    @Inject(Txbox) private readonly txbox: Txbox,
    @Inject('APP_CONFIG') private readonly config: AppConfig,
  ) {}

  /** The order row and its announcement commit together, or neither does. */
  @Transactional()
  async place(orderId: string, options: { failAfterSend?: boolean } = {}): Promise<void> {
    await this.txHost.tx.query(`INSERT INTO ${this.config.ordersTable} (id) VALUES ($1)`, [orderId]);
    await this.txbox.send({ topic: 'order.placed', key: orderId, payload: { orderId } });
    if (options.failAfterSend) throw new Error('payment declined');
  }

  /** Not transactional: `send` is refused instead of committing on its own. */
  async announceWithoutTransaction(orderId: string): Promise<void> {
    await this.txbox.send({ topic: 'order.placed', key: orderId, payload: { orderId } });
  }
}

/** Creates the tables before any relay starts (onModuleInit runs before every bootstrap hook). */
@Injectable()
class Schema implements OnModuleInit {
  constructor(
    @Inject(Txbox) private readonly txbox: Txbox,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject('APP_CONFIG') private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${this.config.ordersTable} (id text PRIMARY KEY)`);
    await this.txbox.store.migrate();
  }
}

/** Owns the pool, and ends it in a shutdown hook, after txbox has drained its relays. */
@Module({})
class DatabaseModule implements BeforeApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  static forRoot(url: string): DynamicModule {
    return { module: DatabaseModule, global: true, providers: [{ provide: PG_POOL, useFactory: () => new pg.Pool({ connectionString: url, max: 4 }) }], exports: [PG_POOL] };
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    const database = DatabaseModule.forRoot(config.pgUrl);
    const cls = ClsModule.forRoot({ global: true, plugins: [new ClsPluginTransactional({ adapter })] });
    const txbox = TxboxModule.forRootAsync({
      inject: [PG_POOL],
      transactionHost: TransactionHost,
      useFactory: (pool: pg.Pool) => ({
        store: createPostgresStore({ pool, table: config.outboxTable, claimMode: config.claimMode ?? 'lock' }),
        relays: [{ producer: config.producer, pollIntervalMs: 50 }],
      }),
    });
    return {
      module: AppModule,
      imports: config.txboxFirst ? [txbox, database, cls] : [database, cls, txbox],
      providers: [{ provide: 'APP_CONFIG', useValue: config }, OrdersService, Schema],
    };
  }
}
