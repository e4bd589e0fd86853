/**
 * Data source fixtures: the data source service over a fresh SQLite store, throw-away databases
 * on the test Postgres (TEST_DATABASE_URL) and MariaDB (TEST_MYSQL_URL, from .ci/mariadb.sh)
 * servers, and SQLite files inside a DATA_DIR.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import knex from 'knex';
import mysql from 'mysql2/promise';
import type { CredentialProvider } from '../../src/nodes/credentials';
import { createDataSourceService, type DataSourceService } from '../../src/services/data-sources/data-source-service';
import { createSecretBox } from '../../src/services/secret-box';
import { createRepos, migrateLatest, type Repos } from '../../src/storage';
import { createSqliteTestDb, testDatabaseUrl, type TestDb } from './db';

/** The MariaDB/MySQL server tests may use (tests may read process.env; the application may not). */
export function testMysqlUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = env.TEST_MYSQL_URL;
  return url && /^mysql:\/\//.test(url) ? url : undefined;
}

export { testDatabaseUrl };

/** A database server's settings as a data source's `config` takes them. */
export interface ServerConfig {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
}

function configOf(url: URL, database: string, defaultPort: number): ServerConfig {
  return {
    host: url.hostname,
    port: Number(url.port || defaultPort),
    database,
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

/** A fresh database on the test Postgres server, with a `run(sql)` to set it up, dropped by `destroy`. */
export async function createPgSourceDb(baseUrl: string): Promise<{ config: ServerConfig; run(sql: string): Promise<unknown>; destroy(): Promise<void> }> {
  const name = `flows_ds_${randomBytes(6).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: baseUrl, pool: { min: 0, max: 1 } });
  await admin.raw('create database ??', [name]);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const db = knex({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 1 } });
  return {
    config: configOf(url, name, 5432),
    run: (sql) => db.raw(sql),
    async destroy() {
      await db.destroy();
      await admin.raw('drop database if exists ?? with (force)', [name]).catch(() => undefined);
      await admin.destroy();
    },
  };
}

/** A fresh database on the test MariaDB server (the user may create `flows*` databases). */
export async function createMysqlSourceDb(baseUrl: string): Promise<{ config: ServerConfig; run(sql: string): Promise<unknown>; destroy(): Promise<void> }> {
  const url = new URL(baseUrl);
  const name = `flows_ds_${randomBytes(6).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: baseUrl });
  await admin.query(`CREATE DATABASE \`${name}\``);
  return {
    config: configOf(url, name, 3306),
    // A connection per call: none stays open on the database (tests count the platform's own).
    async run(sql) {
      const conn = await mysql.createConnection({ uri: baseUrl, database: name });
      try {
        return await conn.query(sql);
      } finally {
        await conn.end();
      }
    },
    async destroy() {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => undefined);
      await admin.end();
    },
  };
}

/** The data source service over a fresh SQLite store, with its own DATA_DIR. */
export interface ServiceFixture {
  service: DataSourceService;
  repos: Repos;
  dataDir: string;
  /** Writes a SQLite file into DATA_DIR/data-sources/ with `sql` run on it; returns its name. */
  sqliteFile(name: string, sql: string): string;
  stop(): Promise<void>;
}

/** Starts a {@link ServiceFixture}; `allowedHosts` default: loopback. */
export async function startDataSourceService(
  options: { allowedHosts?: string[]; credentials?: CredentialProvider } = {},
): Promise<ServiceFixture> {
  const store: TestDb = await createSqliteTestDb();
  await migrateLatest(store.db);
  const repos = createRepos(store.db);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-ds-'));
  fs.mkdirSync(path.join(dataDir, 'data-sources'));
  const service = createDataSourceService({
    repos,
    box: createSecretBox(Buffer.alloc(32, 7)),
    allowedHosts: options.allowedHosts ?? ['127.0.0.1', 'localhost'],
    dataDir,
    credentials: options.credentials,
  });
  return {
    service,
    repos,
    dataDir,
    sqliteFile: (name, sql) => writeSqliteFile(dataDir, name, sql),
    async stop() {
      await service.close();
      await store.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Writes a SQLite file into `<dataDir>/data-sources/` with `sql` run on it. */
export function writeSqliteFile(dataDir: string, name: string, sql: string): string {
  fs.mkdirSync(path.join(dataDir, 'data-sources'), { recursive: true });
  const db = new Database(path.join(dataDir, 'data-sources', name));
  db.exec(sql);
  db.close();
  return name;
}
