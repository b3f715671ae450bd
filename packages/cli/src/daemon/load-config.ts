import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { CliError, usageError } from '../exit.js';
import { configSchema, type DaemonConfig } from './config-schema.js';

export interface LoadedConfig {
  readonly config: DaemonConfig;
  /** Where module paths are resolved from. */
  readonly dir: string;
}

/** `outboxes[0].store.url` */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('') || '(config)';
}

/**
 * Replaces `${NAME}` (and `${NAME:-fallback}`) in every string with the environment's value, so
 * secrets and URLs stay out of the file; `$${` is a literal `${`. An unset variable with no
 * fallback is an error naming the field.
 */
export function interpolate(value: unknown, env: NodeJS.ProcessEnv, path: PropertyKey[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (whole, name: string, fallback: string | undefined) => {
      if (whole.startsWith('$$')) return whole.slice(1);
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      throw usageError(`config ${fieldPath(path)}: environment variable ${name} is not set`);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, [...path, k])]));
  }
  return value;
}

/** One line per problem, each naming its field. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `${fieldPath([...issue.path, k])}: unknown key`).join('\n');
      return `${fieldPath(issue.path)}: ${issue.message}`;
    })
    .join('\n');
}

export function validateConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  const parsed = configSchema.safeParse(interpolate(raw, env));
  if (!parsed.success) throw usageError(`invalid configuration:\n${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** Reads `txbox.config.json` or a `.mjs`/`.js` module whose default export is the configuration (or a function returning it). */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const path = resolve(file);
  let raw: unknown;
  try {
    if (extname(path) === '.json') {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } else {
      // A query string makes each reload import the file afresh instead of the cached module.
      const module = (await import(`${pathToFileURL(path).href}?reload=${Date.now()}`)) as { default?: unknown };
      raw = typeof module.default === 'function' ? await (module.default as () => unknown)() : module.default;
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw usageError(`cannot read the configuration ${file}: ${(error as Error).message}`);
  }
  return { config: validateConfig(raw, env), dir: resolve(path, '..') };
}
