import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { DashResponse } from './request.js';

const require = createRequire(import.meta.url);
const own = (name: string) => fileURLToPath(new URL(`../assets/${name}`, import.meta.url));

/**
 * Everything a page loads, served by the dashboard itself: uPlot from the installed package
 * (node_modules/uplot/dist), and the dashboard's stylesheet and chart script. Nothing comes from
 * a CDN, so the dashboard works offline and under a strict Content-Security-Policy.
 */
const FILES: Record<string, { path: () => string; type: string }> = {
  'uPlot.iife.min.js': { path: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { path: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'chart.js': { path: () => own('chart.js'), type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { path: () => own('dashboard.css'), type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Promise<Uint8Array>>();

/** The asset named, or null when there is none by that name. */
export async function asset(name: string): Promise<DashResponse | null> {
  const file = Object.hasOwn(FILES, name) ? FILES[name]! : undefined;
  if (!file) return null;
  let body = cache.get(name);
  if (!body) cache.set(name, (body = readFile(file.path())));
  return { status: 200, headers: { 'content-type': file.type, 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }, body: await body };
}
