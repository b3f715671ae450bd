#!/usr/bin/env node
// The txbox library ships no command-line dependencies: the CLI is the @txbox/cli package. This
// bin runs it when it is installed, and says how to install it when it is not.
try {
  await import('@txbox/cli');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('@txbox/cli')) throw error;
  console.error('txbox: the command line is the @txbox/cli package, which is not installed here.\n  npm install --save-dev @txbox/cli   (then: npx txbox --help)\n  or run it once: npx @txbox/cli --help');
  process.exitCode = 1;
}
