import mysql from 'mysql2/promise';
import { MYSQL_URL, uniqueName } from './env.js';

/**
 * Test databases on the MySQL/MariaDB server: `create()` makes a fresh one with a pool on it;
 * `dropAll()` drops every database made and ends every pool.
 */
export function mysqlTestDatabases(options: mysql.PoolOptions = {}, onPool?: (pool: mysql.Pool) => void) {
  const pools: mysql.Pool[] = [];
  const databases: string[] = [];
  const pool = (database?: string) => {
    const url = new URL(MYSQL_URL);
    if (database) url.pathname = `/${database}`;
    const made = mysql.createPool({ uri: url.toString(), connectionLimit: 8, maxIdle: 1, idleTimeout: 3000, ...options });
    onPool?.(made);
    pools.push(made);
    return made;
  };
  const admin = pool();
  return {
    pool,
    async create(): Promise<{ name: string; pool: mysql.Pool }> {
      const name = uniqueName('txbox');
      await admin.query(`CREATE DATABASE \`${name}\``);
      databases.push(name);
      return { name, pool: pool(name) };
    },
    async dropAll(): Promise<void> {
      for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await Promise.all(pools.map((p) => p.end()));
    },
  };
}
