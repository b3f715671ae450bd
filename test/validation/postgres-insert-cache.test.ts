/**
 * The PostgreSQL writer caches its INSERT text per chunk shape and row count. Unbounded, a
 * process writing chunks of every size from 1 to 500 kept about 95 MB of SQL text alive.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EncodedMessage } from '../../src/core/message.js';
import { insertBuilder } from '../../src/stores/postgres/insert.js';
import { resolveLayout } from '../../src/stores/shared/layout.js';
import { SQL_CACHE_MAX_CHARS } from '../../src/stores/shared/sql-cache.js';

const message = (shape: number): EncodedMessage => ({
  id: '01890000-0000-7000-8000-000000000000',
  topic: 't',
  key: null,
  payload: new Uint8Array(1),
  contentType: 'application/json',
  headers: shape & 1 ? { h: 'v' } : null,
  dedupKey: shape & 2 ? 'd' : null,
  availableAt: null,
  delayMs: shape & 4 ? 10 : 0,
});

describe('postgres insert statement cache', () => {
  it('stays bounded over every chunk size and shape', () => {
    const insert = insertBuilder(resolveLayout({}, 'txbox_outbox', '"'));
    let largest = 0;
    for (let rows = 1; rows <= 500; rows++) {
      for (let shape = 0; shape < 8; shape++) {
        insert(Array.from({ length: rows }, () => message(shape)));
        largest = Math.max(largest, insert.cachedChars());
      }
    }
    assert.ok(largest <= SQL_CACHE_MAX_CHARS, `the cache grew to ${largest} characters`);
  });

  it('still hands back the right statement for a shape seen before', () => {
    const insert = insertBuilder(resolveLayout({}, 'txbox_outbox', '"'));
    const first = insert([message(7), message(7)]).sql;
    for (let rows = 400; rows <= 500; rows++) insert(Array.from({ length: rows }, () => message(3)));
    const again = insert([message(7), message(7)]);
    assert.equal(again.sql, first);
    assert.equal(again.values.length, 2 * 9);
  });
});
