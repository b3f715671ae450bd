/**
 * The outbox table as schema version 1 made it, frozen as text: the upgrade tests build a
 * version-1 table with it, so they keep testing the upgrade from what users' databases really
 * hold once the library's own DDL has moved on. `recorded` adds the registry row version 1 wrote;
 * without it the table is as txbox 0.1 left it (no version recorded).
 */

export function postgresV1(schema: string, table = 'txbox_outbox', recorded = false): string {
  const t = `"${schema}"."${table}"`;
  const pending = `"processed_at" IS NULL AND "dead_at" IS NULL`;
  return `CREATE SCHEMA IF NOT EXISTS "${schema}";
CREATE TABLE IF NOT EXISTS ${t} (
  "position" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "id" uuid NOT NULL,
  "topic" text NOT NULL,
  "key" text,
  "payload" bytea NOT NULL,
  "content_type" text NOT NULL,
  "headers" text,
  "dedup_key" text,
  "created_at" timestamptz NOT NULL DEFAULT now(),
  "available_at" timestamptz NOT NULL DEFAULT now(),
  "attempts" integer NOT NULL DEFAULT 0,
  "last_error" text,
  "lease_token" uuid,
  "lease_until" timestamptz,
  "processed_at" timestamptz,
  "dead_at" timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS "${table}_id" ON ${t} ("id");
CREATE INDEX IF NOT EXISTS "${table}_pending" ON ${t} ("position") WHERE ${pending};
CREATE INDEX IF NOT EXISTS "${table}_key" ON ${t} ("key", "position") WHERE "key" IS NOT NULL AND ${pending};
CREATE UNIQUE INDEX IF NOT EXISTS "${table}_dedup" ON ${t} ("dedup_key") WHERE "dedup_key" IS NOT NULL AND ${pending};
CREATE INDEX IF NOT EXISTS "${table}_processed" ON ${t} ("processed_at") WHERE "processed_at" IS NOT NULL;
CREATE INDEX IF NOT EXISTS "${table}_dead" ON ${t} ("position") WHERE "dead_at" IS NOT NULL;
${recorded ? `CREATE TABLE IF NOT EXISTS "${schema}"."txbox_schema" (
  table_name text PRIMARY KEY,
  version integer NOT NULL,
  migrated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO "${schema}"."txbox_schema" (table_name, version) VALUES ('${table}', 1);` : ''}`;
}

export function sqliteV1(table = 'txbox_outbox', recorded = false): string {
  const t = `"${table}"`;
  const pending = `"processed_at" IS NULL AND "dead_at" IS NULL`;
  return `CREATE TABLE IF NOT EXISTS ${t} (
  "position" INTEGER PRIMARY KEY AUTOINCREMENT,
  "id" TEXT NOT NULL,
  "topic" TEXT NOT NULL,
  "key" TEXT,
  "payload" BLOB NOT NULL,
  "content_type" TEXT NOT NULL,
  "headers" TEXT,
  "dedup_key" TEXT,
  "created_at" INTEGER NOT NULL CHECK (typeof("created_at") = 'integer'),
  "available_at" INTEGER NOT NULL CHECK (typeof("available_at") = 'integer'),
  "attempts" INTEGER NOT NULL DEFAULT 0,
  "last_error" TEXT,
  "lease_token" TEXT,
  "lease_until" INTEGER,
  "processed_at" INTEGER,
  "dead_at" INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS "${table}_id" ON ${t} ("id");
CREATE INDEX IF NOT EXISTS "${table}_pending" ON ${t} ("position") WHERE ${pending};
CREATE INDEX IF NOT EXISTS "${table}_key" ON ${t} ("key", "position") WHERE "key" IS NOT NULL AND ${pending};
CREATE UNIQUE INDEX IF NOT EXISTS "${table}_dedup" ON ${t} ("dedup_key") WHERE "dedup_key" IS NOT NULL AND ${pending};
CREATE INDEX IF NOT EXISTS "${table}_processed" ON ${t} ("processed_at") WHERE "processed_at" IS NOT NULL;
CREATE INDEX IF NOT EXISTS "${table}_dead" ON ${t} ("position") WHERE "dead_at" IS NOT NULL;
${recorded ? `CREATE TABLE IF NOT EXISTS "txbox_schema" (
  table_name TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  migrated_at INTEGER NOT NULL
);
INSERT INTO "txbox_schema" (table_name, version, migrated_at) VALUES ('${table}', 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000);` : ''}`;
}

/** MySQL runs one statement at a time: the table, then (recorded) the registry and its row. */
export function mysqlV1(table = 'txbox_outbox', recorded = false): string[] {
  const ascii = 'CHARACTER SET ascii COLLATE ascii_bin';
  const create = `CREATE TABLE IF NOT EXISTS \`${table}\` (
  \`position\` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  \`id\` CHAR(36) ${ascii} NOT NULL,
  \`topic\` VARCHAR(255) NOT NULL,
  \`key\` VARCHAR(255) NULL,
  \`payload\` LONGBLOB NOT NULL,
  \`content_type\` VARCHAR(255) NOT NULL,
  \`headers\` MEDIUMTEXT NULL,
  \`dedup_key\` VARCHAR(255) NULL,
  \`created_at\` DATETIME(6) NOT NULL,
  \`available_at\` DATETIME(6) NOT NULL,
  \`attempts\` INT NOT NULL DEFAULT 0,
  \`last_error\` TEXT NULL,
  \`lease_token\` CHAR(36) ${ascii} NULL,
  \`lease_until\` DATETIME(6) NULL,
  \`processed_at\` DATETIME(6) NULL,
  \`dead_at\` DATETIME(6) NULL,
  \`pending_dedup_key\` VARBINARY(1020) AS (CASE WHEN \`processed_at\` IS NULL AND \`dead_at\` IS NULL THEN \`dedup_key\` END) STORED,
  PRIMARY KEY (\`position\`),
  UNIQUE KEY \`txbox_id\` (\`id\`),
  UNIQUE KEY \`txbox_dedup\` (\`pending_dedup_key\`),
  KEY \`txbox_pending\` (\`processed_at\`, \`dead_at\`, \`position\`),
  KEY \`txbox_key\` (\`key\`, \`processed_at\`, \`dead_at\`, \`position\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
  if (!recorded) return [create];
  return [
    create,
    `CREATE TABLE IF NOT EXISTS \`txbox_schema\` (
  table_name VARCHAR(64) ${ascii} NOT NULL PRIMARY KEY,
  version INT NOT NULL,
  migrated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB`,
    `INSERT INTO \`txbox_schema\` (table_name, version, migrated_at) VALUES ('${table}', 1, UTC_TIMESTAMP(6))`,
  ];
}
