// An ESM application: import() every entry point and check instanceof against the CommonJS copy.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createOutbox, PermanentFailure, TxboxError } from 'txbox';

const require = createRequire(import.meta.url);
const cjs = require('txbox');
for (const subpath of JSON.parse(process.env.TXBOX_SUBPATHS)) assert.equal(typeof (await import(subpath)), 'object', subpath);
assert.notEqual(cjs.TxboxError, TxboxError, 'two copies are loaded');
let thrown;
try {
  cjs.createOutbox({});
} catch (error) {
  thrown = error;
}
assert.ok(thrown instanceof TxboxError && thrown.code === 'INVALID_OPTION', 'a CommonJS TxboxError is an ESM TxboxError');
assert.ok(new PermanentFailure('no') instanceof cjs.PermanentFailure && new cjs.PermanentFailure('no') instanceof TxboxError);
assert.throws(() => createOutbox({}), cjs.TxboxError);
console.log(JSON.stringify({ ok: true, node: process.version }));
