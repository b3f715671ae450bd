import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Producer } from 'txbox';
import { CliError } from '../../exit.js';
import type { TransportOf } from '../transport-schema.js';
import type { OpenedTransport } from './opened.js';

/** A producer the user wrote: the named export of a module, a function or an object with `produce` (and maybe `close`). */
export async function openModule(t: TransportOf<'module'>, configDir: string, field: string): Promise<OpenedTransport> {
  const href = pathToFileURL(resolve(configDir, t.path)).href;
  let module: Record<string, unknown>;
  try {
    module = (await import(href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`${field}.path: cannot import ${t.path}: ${(error as Error).message}`);
  }
  const producer = module[t.export] as Producer;
  if (typeof producer !== 'function' && typeof (producer as { produce?: unknown } | undefined)?.produce !== 'function') {
    throw new CliError(`${field}.export: ${t.path} exports no producer named ${JSON.stringify(t.export)} (a function, or an object with produce())`);
  }
  const close = (producer as { close?: () => unknown }).close;
  return { producer, system: 'module', close: async () => void (await close?.call(producer)) };
}
