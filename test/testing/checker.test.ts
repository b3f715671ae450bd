import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDelivery } from '../../src/testing/index.js';

const m = (key: string, seq: number) => ({ key, seq });

describe('checkDelivery', () => {
  it('passes an exact, ordered delivery', () => {
    assert.deepEqual(checkDelivery([m('a', 1), m('a', 2), m('b', 1)], [m('b', 1), m('a', 1), m('a', 2)]), { lost: 0, duplicates: 0, phantoms: 0, outOfOrder: 0 });
  });

  it('counts redelivery after a crash as duplicates, not disorder', () => {
    const got = [m('a', 1), m('a', 2), m('a', 3), m('a', 2), m('a', 3), m('a', 4)];
    assert.deepEqual(checkDelivery([1, 2, 3, 4].map((s) => m('a', s)), got), { lost: 0, duplicates: 2, phantoms: 0, outOfOrder: 0 });
  });

  it('finds lost, phantom and overtaking messages', () => {
    const result = checkDelivery([m('a', 1), m('a', 2), m('a', 3), m('b', 1)], [m('a', 2), m('a', 1), m('c', 9)]);
    assert.deepEqual(result, { lost: 2, duplicates: 0, phantoms: 1, outOfOrder: 1 });
  });
});
