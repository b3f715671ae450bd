#!/usr/bin/env node
import { run } from './program.js';

const code = await run(process.argv.slice(2));
process.exitCode = code;
// Everything the command opened is closed by now; a driver's lingering socket must not keep the
// process (a stopping daemon above all) from exiting.
setTimeout(() => process.exit(code), 1000).unref();
