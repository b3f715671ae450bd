// Keeps the architecture honest: the core knows no store, transport or CLI, and no library code
// imports a database or broker driver (users pass their own; only type imports are allowed).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// Drivers, ORMs and frameworks: the user's, passed in; library code may only import their types
// (a subpath import counts too). The NestJS module is built from factory providers, with no
// decorator, so it needs no Nest code at run time: it then works with any Nest version and from
// the CommonJS build under Jest.
const DRIVERS = [
  'pg', 'better-sqlite3', '@electric-sql/pglite', 'mysql2', 'mariadb', 'amqplib', 'ioredis', 'redis', 'mqtt', 'nats', '@nats-io/transport-node', '@nats-io/jetstream',
  'typeorm', '@mikro-orm/core', '@mikro-orm/knex', '@mikro-orm/postgresql', '@mikro-orm/mysql', '@prisma/client', '@prisma/adapter-pg', '@prisma/adapter-mariadb',
  'kysely', 'knex', 'drizzle-orm', 'postgres',
  '@nestjs/common', '@nestjs/core', 'nestjs-cls', '@nestjs-cls/transactional',
];
const isDriver = (spec) => DRIVERS.some((d) => spec === d || spec.startsWith(`${d}/`));
const files = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
const problems = [];

for (const file of files('src').filter((f) => f.endsWith('.ts'))) {
  const source = readFileSync(file, 'utf8');
  for (const [, typeOnly, spec] of source.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
    if (file.startsWith(join('src', 'core')) && /^\.\.\/(stores|transports|cli|testing)\b/.test(spec)) {
      problems.push(`${file}: the core must not import ${spec}`);
    }
    if (!typeOnly && !file.startsWith(join('src', 'cli')) && isDriver(spec)) {
      problems.push(`${file}: library code must not import the driver ${spec} (declare a structural type)`);
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('layers ok');
