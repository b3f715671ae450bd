import type { DeliveryCheck } from '../src/testing/index.js';

export interface DemoSummary extends Omit<DeliveryCheck, 'phantoms'> {
  database: string;
  written: number;
  delivered: number;
  phantoms: number;
  messagesPerSecond: number;
  elapsedMs: number;
  latencyMs: { p50: number; p99: number; max: number };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

const round = (n: number) => Math.round(n * 100) / 100;

export function latencySummary(latencies: number[]): DemoSummary['latencyMs'] {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0) };
}

export function printSummary(s: DemoSummary, out: NodeJS.WritableStream): void {
  const ok = s.lost === 0 && s.outOfOrder === 0 && s.phantoms === 0;
  const rows: [string, string | number][] = [
    ['database', s.database],
    ['written', s.written],
    ['delivered', s.delivered],
    ['lost', s.lost],
    ['duplicated', s.duplicates],
    ['out of order', s.outOfOrder],
    ['messages/s', Math.round(s.messagesPerSecond)],
    ['latency p50', `${s.latencyMs.p50} ms`],
    ['latency p99', `${s.latencyMs.p99} ms`],
    ['elapsed', `${(s.elapsedMs / 1000).toFixed(2)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  out.write(`\n${ok ? 'Every order message delivered, in order per customer.' : 'PROBLEM: see lost / out of order.'}\n`);
  for (const [k, v] of rows) out.write(`  ${k.padEnd(width)}  ${v}\n`);
}
