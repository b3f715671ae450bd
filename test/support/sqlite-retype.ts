import type Database from 'better-sqlite3';

/**
 * Gives a column of a SQLite table another declared type, as a user's hand-made migration would:
 * SQLite has no ALTER COLUMN, so the table is made again from its own CREATE statement with the
 * type replaced, its rows copied and its indexes recreated.
 */
export function retypeSqliteColumn(db: Database.Database, table: string, column: string, type: string): void {
  const objects = db.prepare(`SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL`).all(table) as { type: string; sql: string }[];
  const create = objects.find((o) => o.type === 'table')!.sql;
  const declaration = new RegExp(`("?${column}"?\\s+)[A-Za-z]+`);
  if (!declaration.test(create)) throw new Error(`no column ${column} in ${create}`);
  const retyped = create.replace(/^CREATE TABLE (IF NOT EXISTS )?"?[A-Za-z0-9_]+"?/, `CREATE TABLE "${table}_retyped"`).replace(declaration, `$1${type}`);
  db.transaction(() => {
    db.exec(retyped);
    db.exec(`INSERT INTO "${table}_retyped" SELECT * FROM "${table}"; DROP TABLE "${table}"; ALTER TABLE "${table}_retyped" RENAME TO "${table}";`);
    for (const index of objects.filter((o) => o.type === 'index')) db.exec(index.sql);
  })();
}
