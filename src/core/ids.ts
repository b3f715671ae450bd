import { getRandomValues } from 'node:crypto';

/**
 * UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids sort roughly by creation
 * time, which keeps B-tree inserts local, but ordering never relies on them: stores keep their
 * own position column for that.
 */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const pool = new Uint8Array(4096);
let poolOffset = pool.length;

function randomBytes(count: number): number {
  if (poolOffset + count > pool.length) {
    getRandomValues(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += count;
  return start;
}

export function uuidv7(nowMs: number = Date.now()): string {
  const r = randomBytes(10);
  const ms = Math.floor(nowMs);
  const high = Math.floor(ms / 0x10000);
  const low = ms & 0xffff;
  return (
    HEX[(high >>> 24) & 0xff]! + HEX[(high >>> 16) & 0xff]! + HEX[(high >>> 8) & 0xff]! + HEX[high & 0xff]! +
    '-' + HEX[(low >>> 8) & 0xff]! + HEX[low & 0xff]! +
    '-' + HEX[0x70 | (pool[r]! & 0x0f)]! + HEX[pool[r + 1]!]! +
    '-' + HEX[0x80 | (pool[r + 2]! & 0x3f)]! + HEX[pool[r + 3]!]! +
    '-' + HEX[pool[r + 4]!]! + HEX[pool[r + 5]!]! + HEX[pool[r + 6]!]! + HEX[pool[r + 7]!]! + HEX[pool[r + 8]!]! + HEX[pool[r + 9]!]!
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
