import { OUTBOX_SCHEMA_VERSION, SCHEMA_REGISTRY_TABLE } from '../../core/schema-version.js';
import type { TableLayout } from './layout.js';

/**
 * The schema version of each txbox table is a row of `txbox_schema` (table name, version), in the
 * table's own schema: a table COMMENT would do for PostgreSQL and MySQL but SQLite has none, and
 * users' own ALTERs rewrite comments; a row reads the same way in every dialect.
 */
export function registryTable(l: TableLayout): string {
  // The layout's table is `<schema>.<table>` or `<table>`, quoted: the registry sits beside it.
  return l.table.slice(0, l.table.length - l.quote(l.bareTable).length) + l.quote(SCHEMA_REGISTRY_TABLE);
}

/** `'name'`: identifiers are checked to letters, digits and `_` (layout.ts), so they are safe as literals. */
export const literal = (name: string) => `'${name}'`;

/** The bare names of the outbox columns a layout expects. */
export const columnNames = (l: TableLayout): string[] => Object.values(l.c).map((q) => q.slice(1, -1));

/** The partial indexes of PostgreSQL and SQLite (see indexes.ts), by name. */
export const partialIndexNames = (l: TableLayout): string[] => ['id', 'pending', 'key', 'dedup', 'processed', 'dead'].map((s) => l.derived(s));

/** An add-only change that brings a table from `to - 1` to version `to`. */
export interface UpgradeStep {
  readonly to: number;
  readonly statements: (l: TableLayout) => string[];
}

/** The statements taking a table from version `from` to the current one, in order. */
export function upgradeStatements(steps: readonly UpgradeStep[], l: TableLayout, from: number): string[] {
  return steps.filter((s) => s.to > from && s.to <= OUTBOX_SCHEMA_VERSION).flatMap((s) => s.statements(l));
}
