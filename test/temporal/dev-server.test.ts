import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Client, type Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { SEARCH_ATTRIBUTES } from '../../src/shared/flow';
import { findTemporalCli, temporalCliScriptPath } from '../../src/temporal/cli';
import { connectTemporal } from '../../src/temporal/connection';
import { getFreePort, isPortFree, PortInUseError, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { getTestTemporal, uniqueTaskQueue } from '../helpers/temporal-env';
import { until } from '../helpers/wait';
import * as activities from '../../bench/activities/noop';
import type { chain } from '../../bench/workflows/chain';

const run = promisify(execFile);
const chainWorkflowsPath = require.resolve('../../bench/workflows/chain');

/** The SDK's enum value for a type name as SEARCH_ATTRIBUTES spells it (`KeywordList` → KEYWORD_LIST). */
function indexedType(type: string) {
  const name = type.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() as SearchAttributeType;
  return encodeSearchAttributeIndexedValueType(name);
}

async function customSearchAttributes(connection: Connection, namespace = 'default') {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return customAttributes ?? {};
}

/** Runs `chain(n)` on a fresh worker and returns the workflow id and its result. */
async function runChain(address: string, client: Client, n: number): Promise<{ workflowId: string; result: number[] }> {
  const nativeConnection = await NativeConnection.connect({ address });
  try {
    const taskQueue = uniqueTaskQueue('dev-server');
    const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowsPath: chainWorkflowsPath, activities });
    const workflowId = `chain-${taskQueue}`;
    const result = await worker.runUntil(
      client.workflow.execute<typeof chain>('chain', { taskQueue, workflowId, args: [n] }),
    );
    return { workflowId, result };
  } finally {
    await nativeConnection.close();
  }
}

describe('scripts/temporal-cli.sh', () => {
  it('prints the absolute path of an executable Temporal CLI v1.5.1', async () => {
    const { stdout } = await run('bash', [temporalCliScriptPath()]);
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'stdout holds only the path');
    const cliPath = lines[0];
    assert.ok(path.isAbsolute(cliPath), cliPath);
    fs.accessSync(cliPath, fs.constants.X_OK);
    const version = await run(cliPath, ['--version']);
    assert.match(version.stdout, /^temporal version (1\.5\.1|0\.0\.0-DEV \(Server 1\.29\.)/);
    assert.equal(await findTemporalCli({ temporal: {} }), cliPath);
  });

  it('fails with one line explaining how to install when neither the CLI nor go exists', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-temporal-'));
    const err = await run('/bin/bash', [temporalCliScriptPath()], { env: { PATH: empty, HOME: empty } })
      .then(
        () => assert.fail('expected exit 1'),
        (e: { code: number; stdout: string; stderr: string }) => e,
      )
      .finally(() => fs.rmSync(empty, { recursive: true, force: true }));
    assert.equal(err.code, 1);
    assert.equal(err.stdout, '');
    const lines = err.stderr.trim().split('\n');
    assert.equal(lines.length, 1, err.stderr);
    assert.match(lines[0], /go install github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1/);
  });

  it('honours an explicit CLI path from the config and rejects a missing one', async () => {
    assert.equal(await findTemporalCli({ temporal: { cliPath: '/bin/true' } }), '/bin/true');
    await assert.rejects(findTemporalCli({ temporal: { cliPath: '/nonexistent/temporal' } }), /not an executable/);
  });
});

describe('startDevServer', function () {
  this.timeout(45_000);
  let cliPath: string;
  let dir: string;
  let dbFile: string;
  let port: number;
  let server: DevServer | undefined;
  let connection: Connection | undefined;

  before(async () => {
    cliPath = await findTemporalCli({ temporal: {} });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-dev-'));
    dbFile = path.join(dir, 'temporal.sqlite');
    port = await getFreePort();
  });

  after(async () => {
    await connection?.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps finished workflows and search attributes across a restart on the same db file', async () => {
    server = await startDevServer({ cliPath, port, headless: true, dbFile, namespace: 'default' });
    assert.equal(server.address, `127.0.0.1:${port}`);
    assert.equal(server.uiUrl, undefined);
    assert.ok(fs.existsSync(dbFile), 'state is file-backed');

    let temporal = await connectTemporal(server.address, 'default');
    connection = temporal.connection;
    const registered = await customSearchAttributes(connection);
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
      assert.equal(registered[name], indexedType(type), `search attribute ${name}`);
    }

    const { workflowId, result } = await runChain(server.address, temporal.client, 3);
    assert.equal(result.length, 3);
    assert.ok(result.every((t, i) => i === 0 || t >= result[i - 1]), 'activities ran in order');

    // Simulates a db written before a search attribute existed: a restart must register it again.
    await connection.operatorService.removeSearchAttributes({ namespace: 'default', searchAttributes: ['TriggerType'] });
    assert.equal((await customSearchAttributes(connection)).TriggerType, undefined);

    await connection.close();
    connection = undefined;
    await server.stop();
    server = undefined;
    assert.ok(await isPortFree(port), 'the port is released after stop()');

    const metricsPort = await getFreePort();
    server = await startDevServer({ cliPath, port, headless: true, dbFile, namespace: 'default', metricsPort });
    // Benchmarks read what the server did per run from its Prometheus metrics.
    await until(
      async () => /^persistence_requests\{/m.test(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()),
      'the dev server serves its metrics',
    );
    temporal = await connectTemporal(server.address, 'default');
    connection = temporal.connection;
    const handle = temporal.client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    assert.equal(description.status.name, 'COMPLETED');
    assert.deepEqual(await handle.result(), result);
    assert.equal((await customSearchAttributes(connection)).TriggerType, indexedType(SEARCH_ATTRIBUTES.TriggerType));
  });

  it('refuses to start a second server on a port that is in use', async () => {
    assert.ok(server, 'the first server is still running');
    const started = Date.now();
    await assert.rejects(startDevServer({ cliPath, port, headless: true, namespace: 'default' }), (err: Error) => {
      assert.ok(err instanceof PortInUseError);
      assert.match(err.message, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
      return true;
    });
    assert.ok(Date.now() - started < 5_000, 'fails fast');
    // The running server is unaffected.
    assert.equal((await connection!.workflowService.getSystemInfo({})).serverVersion !== undefined, true);
  });
});

describe('shared test Temporal environment', function () {
  this.timeout(30_000);

  it('serves a client, a worker connection and the platform search attributes', async () => {
    const env = await getTestTemporal();
    assert.equal(await getTestTemporal(), env, 'one environment per run');
    assert.notEqual(uniqueTaskQueue('x'), uniqueTaskQueue('x'));

    const taskQueue = uniqueTaskQueue('shared-env');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      workflowsPath: chainWorkflowsPath,
      activities,
    });
    const flowId = `flow-${taskQueue}`;
    const workflowId = `shared-${taskQueue}`;
    const result = await worker.runUntil(
      env.client.workflow.execute<typeof chain>('chain', {
        taskQueue,
        workflowId,
        args: [2],
        typedSearchAttributes: [
          { key: defineSearchAttributeKey('FlowId', SearchAttributeType.KEYWORD), value: flowId },
          { key: defineSearchAttributeKey('FlowVersion', SearchAttributeType.INT), value: 3 },
        ],
      }),
    );
    assert.equal(result.length, 2);

    // Visibility is eventually consistent: poll briefly for the search-attribute query.
    const found = await until(
      async () => {
        const ids: string[] = [];
        for await (const wf of env.client.workflow.list({ query: `FlowId = "${flowId}" AND FlowVersion = 3` })) {
          ids.push(wf.workflowId);
        }
        return ids.length ? ids : undefined;
      },
      'the run to be listed by its search attributes',
      10_000,
    );
    assert.deepEqual(found, [workflowId]);
  });
});
