/**
 * The real Express application over stub services, for tests that need its routes and middleware
 * but never reach a service (route table, OpenAPI document, Swagger UI): no database, no Temporal.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { createApp } from '../../src/api/app';
import type { AppDeps } from '../../src/api/app-deps';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';

/** A stub application listening on loopback. */
export interface StubApp {
  app: Express;
  url: string;
  close(): Promise<void>;
}

const unused = new Proxy(
  {},
  {
    get(_t, prop) {
      throw new Error(`stub app: a route reached a service (${String(prop)})`);
    },
  },
);

/** Builds the application with stub services; `listen` also serves it on an ephemeral port. */
export function createStubApp(): Express {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: path.join(os.tmpdir(), 'flows-stub-app'),
    JWT_SECRET: 'stub-app-secret-stub-app-secret-stub-app',
    ENCRYPTION_KEY: '0'.repeat(64),
    LOG_LEVEL: 'silent',
  });
  return createApp({
    config,
    logger: createLogger('silent'),
    repos: unused as AppDeps['repos'],
    flows: unused as AppDeps['flows'],
    runs: unused as AppDeps['runs'],
    schedules: unused as AppDeps['schedules'],
    webhooks: unused as AppDeps['webhooks'],
    approvalLinks: unused as AppDeps['approvalLinks'],
    events: unused as AppDeps['events'],
    hooks: unused as AppDeps['hooks'],
    tools: unused as AppDeps['tools'],
    dataSources: unused as AppDeps['dataSources'],
    credentials: unused as AppDeps['credentials'],
    audit: unused as AppDeps['audit'],
    monitoring: unused as AppDeps['monitoring'],
    batch: unused as AppDeps['batch'],
    health: async () => ({ database: { status: 'ok' }, temporal: { status: 'ok' } }),
  });
}

/** {@link createStubApp}, listening on 127.0.0.1. */
export async function listenStubApp(): Promise<StubApp> {
  const app = createStubApp();
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    app,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
