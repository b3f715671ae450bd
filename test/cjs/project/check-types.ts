// Compiled by tsc with a NestJS project's tsconfig: the types of every entry point resolve.
import { createOutbox, TxboxError, type Outbox } from 'txbox';
import { createPostgresStore, type PgClientLike } from 'txbox/postgres';
import { Txbox, TxboxModule } from 'txbox/nestjs';
import { createMemoryStore } from 'txbox/testing';

declare const pool: import('txbox/postgres').PgPoolLike;
const outbox: Outbox<PgClientLike> = createOutbox({ store: createPostgresStore({ pool }) });
export const module = TxboxModule.forRoot({ store: createMemoryStore() });
export const sendInTx = (txbox: Txbox) => txbox.send({ topic: 't', payload: 1 });
export const isTxbox = (e: unknown): boolean => e instanceof TxboxError && e.code === 'INVALID_ARGUMENT';
// @ts-expect-error a number is no store: fails to compile if the types were `any`
createOutbox({ store: 1 });
export { outbox };
