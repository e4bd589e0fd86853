/**
 * The one Temporal environment shared by the whole mocha run. The dev server is started lazily on
 * the first `getTestTemporal()` call (so tests that never touch Temporal pay nothing) and stopped by
 * the root `afterAll` hook in test/setup.ts. Importing this module also quiets the Temporal SDK's
 * console logger (warnings only) for the run. Set `TEMPORAL_TEST_ADDRESS=host:port` to use an
 * already running server instead (`TEMPORAL_TEST_NAMESPACE` picks its namespace, default `default`).
 */
import { randomUUID } from 'node:crypto';
import type { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { findTemporalCli } from '../../src/temporal/cli';
import { connectTemporal } from '../../src/temporal/connection';
import { ensureSearchAttributes, getFreePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { onRunEnd } from './run-teardown';

/** Everything a test needs to talk to the shared Temporal server. */
export interface TestTemporal {
  address: string;
  namespace: string;
  /** Client-side gRPC connection (`@temporalio/client`). */
  connection: Connection;
  client: Client;
  /** Worker-side connection: pass it to `Worker.create({ connection: nativeConnection, ... })`. */
  nativeConnection: NativeConnection;
}

/** Test-only environment knobs (tests may read process.env; the application may not). */
export function testTemporalEnv(env: NodeJS.ProcessEnv = process.env): { address?: string; namespace: string } {
  return { address: env.TEMPORAL_TEST_ADDRESS || undefined, namespace: env.TEMPORAL_TEST_NAMESPACE || 'default' };
}

let shared: Promise<TestTemporal> | undefined;
let server: DevServer | undefined;

try {
  // Workers would otherwise log bundling, every state change and (SDK ≥ 1.14) every failed run to the console.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // A runtime already exists (a test installed its own): keep it.
}

/**
 * Starts the shared dev server on a free port, up to three times: in one CI run its first start
 * exited with a Go panic during start-up (a port it opens besides the gRPC one may have been taken
 * between choosing and binding), failing the suite that happened to start it.
 */
async function startSharedServer(cliPath: string, namespace: string): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServer({ cliPath, port: await getFreePort(), headless: true, namespace });
    } catch (err) {
      if (attempt >= 3 || !/exited during start-up/.test(String(err))) throw err;
    }
  }
}

async function start(): Promise<TestTemporal> {
  const { address: external, namespace } = testTemporalEnv();
  let address = external;
  if (!address) {
    const cliPath = await findTemporalCli({ temporal: {} });
    server = await startSharedServer(cliPath, namespace);
    address = server.address;
  }
  const { connection, client } = await connectTemporal(address, namespace);
  if (external) await ensureSearchAttributes(connection, namespace);
  const nativeConnection = await NativeConnection.connect({ address });
  return { address, namespace, connection, client, nativeConnection };
}

/** Returns the shared Temporal environment, starting the dev server on first use. */
export function getTestTemporal(): Promise<TestTemporal> {
  shared ??= start().catch((err) => {
    shared = undefined;
    throw err;
  });
  return shared;
}

/** A task queue no other test uses, so workers of different tests never steal each other's tasks. */
export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

/** Closes the connections and stops the dev server if this run started one. Runs after the last test. */
export async function stopTestTemporal(): Promise<void> {
  const pending = shared;
  shared = undefined;
  if (pending) {
    const env = await pending.catch(() => undefined);
    await env?.nativeConnection.close().catch(() => undefined);
    await env?.connection.close().catch(() => undefined);
  }
  const running = server;
  server = undefined;
  await running?.stop();
}

onRunEnd(stopTestTemporal);
