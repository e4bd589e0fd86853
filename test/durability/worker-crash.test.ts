/**
 * Durability: runs survive a worker process that is SIGKILLed mid-activity, mid-timer and while
 * waiting for an approval, and a Temporal server restarted on its file-backed database.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createNodeServices } from '../../src/nodes/node-services';
import { RUN_FLOW, type RunFlowResult, type RunStatus } from '../../src/shared/flow';
import { findTemporalCli } from '../../src/temporal/cli';
import { connectTemporal } from '../../src/temporal/connection';
import { getFreePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { createWorker } from '../../src/worker/create-worker';
import { chain, startFlow } from '../helpers/engine';
import { getTestTemporal, uniqueTaskQueue } from '../helpers/temporal-env';
import { until } from '../helpers/wait';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));


/** Polls the status query until `reached` holds; fails with the last status after `timeoutMs`. */
async function waitForStatus(
  h: WorkflowHandle,
  reached: (s: RunStatus) => boolean,
  timeoutMs = 30_000,
): Promise<RunStatus> {
  let last: RunStatus | undefined;
  return until(
    async () => {
      last = await h.query<RunStatus>(RUN_FLOW.statusQuery);
      return reached(last) && last;
    },
    () => `run ${h.workflowId} to reach the expected state; last status: ${JSON.stringify(last)}`,
    timeoutMs,
  );
}

const stepOf = (r: { steps: RunFlowResult['steps'] }, id: string) => r.steps.find((s) => s.node_id === id);

describe('durability', function () {
  this.timeout(120_000);

  describe('a worker process killed with SIGKILL', () => {
    const children: WorkerProcess[] = [];
    let client: Client;
    let activity: WorkflowHandle;
    let timer: WorkflowHandle;
    let approval: WorkflowHandle;
    let firstTaskApproval: WorkflowHandle;
    let killedAt: number;

    /** start → …before → approval `ok` → `yes` (approved) / `no` (rejected). */
    const approvalFlow = (before: { id: string; type: string; data?: unknown }[]) => {
      const path = ['start', ...before.map((n) => n.id), 'ok'];
      return {
        nodes: [
          { id: 'start', type: 'start' },
          ...before,
          { id: 'ok', type: 'approval', data: { title: 'Ship it?', approvers: ['alice'] } },
          { id: 'yes', type: 'transform', data: { expression: '"shipped by " & ok.result.decided_by' } },
          { id: 'no', type: 'noop', data: { value: 'cancelled' } },
        ],
        edges: [
          ...path.slice(1).map((target, i) => ({ source: path[i], target })),
          { source: 'ok', target: 'yes', source_handle: 'approved' },
          { source: 'ok', target: 'no', source_handle: 'rejected' },
        ],
      };
    };
    const approve = (h: WorkflowHandle) =>
      h.executeUpdate(RUN_FLOW.approveUpdate, {
        args: [
          {
            node_id: 'ok',
            decision: 'approve',
            comment: 'after the crash',
            user: { id: 'u1', username: 'alice' },
          },
        ],
      });

    // One crash for every case: start the runs, wait until each is mid-way, SIGKILL the worker, start another.
    before(async function () {
      this.timeout(120_000);
      const t = await getTestTemporal();
      client = t.client;
      const taskQueue = uniqueTaskQueue('crash');
      const first = spawnWorkerProcess({ address: t.address, taskQueue, namespace: t.namespace });
      // Bundles while the first one runs and polls only once released, so the crash window stays short.
      const second = spawnWorkerProcess({
        address: t.address,
        taskQueue,
        namespace: t.namespace,
        hold: true,
      });
      children.push(first, second);
      await first.ready;

      activity = await startFlow(
        client,
        taskQueue,
        chain(
          [
            { id: 'before', type: 'noop', data: { value: 'a' } },
            // Its start-to-close timeout is what lets Temporal notice the dead worker and retry.
            {
              id: 'work',
              type: 'noop',
              data: { value: '{{ before.result }}-worked', delay_ms: 4000 },
              timeout_ms: 6000,
              retry: { max_attempts: 3, initial_interval_ms: 200 },
            },
            { id: 'after', type: 'transform', data: { expression: 'work.result & "-after"' } },
          ],
          '{{ after.result }}',
        ),
      );
      timer = await startFlow(
        client,
        taskQueue,
        chain(
          [
            { id: 'first', type: 'noop', data: { value: 1 } },
            { id: 'wait', type: 'delay', data: { duration_ms: 4000 } },
            { id: 'second', type: 'noop', data: { value: 2 } },
          ],
          { sum: '{{ first.result + second.result }}', waited: '{{ wait.result.waited_ms }}' },
        ),
      );
      approval = await startFlow(
        client,
        taskQueue,
        approvalFlow([{ id: 'prepare', type: 'noop', data: { value: 'ready' } }]),
      );
      firstTaskApproval = await startFlow(client, taskQueue, approvalFlow([]));

      await waitForStatus(
        activity,
        (s) => s.current_nodes.includes('work') && stepOf(s, 'work')?.status === 'running',
      );
      // The status says "scheduled"; the server's view proves a worker actually picked the activity up.
      await until(
        async () => ((await activity.describe()).raw.pendingActivities ?? []).some((a) => a.activityId === 'work' && a.lastStartedTime),
        'the work activity to start',
        10_000,
      );
      await waitForStatus(
        timer,
        (s) => s.waiting_for?.some((w) => w.kind === 'delay' && w.node_id === 'wait') ?? false,
      );
      const isWaitingForApproval = (s: RunStatus) =>
        s.waiting_for?.some((w) => w.kind === 'approval' && w.node_id === 'ok') ?? false;
      await waitForStatus(approval, isWaitingForApproval);
      await waitForStatus(firstTaskApproval, isWaitingForApproval);

      killedAt = Date.now();
      await first.kill('SIGKILL');
      assert.equal(first.child.signalCode, 'SIGKILL');

      await second.bundled;
      second.release();
      await second.ready;
    });

    after(async () => {
      await Promise.all(children.map((c) => c.kill()));
    });

    it('retries the activity that was running on the new worker once its start-to-close timeout expires', async () => {
      const r = (await activity.result()) as RunFlowResult;
      assert.equal(r.status, 'completed');
      assert.equal(r.output, 'a-worked-after');
      const work = stepOf(r, 'work');
      assert.ok(
        (work?.attempt ?? 0) >= 2,
        `work should have been retried after the crash, attempt ${work?.attempt}`,
      );
      assert.deepEqual(work?.output, { result: 'a-worked' });
      assert.equal(stepOf(r, 'before')?.attempt, 1, 'nodes finished before the crash are not redone');
    });

    it('fires a timer that was pending during the crash and carries on', async () => {
      const r = (await timer.result()) as RunFlowResult;
      assert.equal(r.status, 'completed');
      const out = r.output as { sum: number; waited: number };
      assert.equal(out.sum, 3);
      assert.ok(out.waited >= 4000, `waited ${out.waited} ms`);
      const fired = (await timer.fetchHistory()).events?.find((e) => e.timerFiredEventAttributes);
      assert.ok(fired?.eventTime, 'timer fired event in history');
      assert.ok(tsToMs(fired.eventTime) > killedAt, 'the timer was still pending when the worker died');
    });

    it('takes an approval update on the new worker and follows the approved port', async () => {
      const decision = (await approve(approval)) as { decision: string };
      assert.equal(decision.decision, 'approved');
      const r = (await approval.result()) as RunFlowResult;
      assert.equal(r.status, 'completed');
      assert.equal(r.output, 'shipped by alice');
      assert.equal(stepOf(r, 'no')?.status, 'skipped');
      assert.equal((stepOf(r, 'ok')?.output as any).result.comment, 'after the crash');
    });

    // Interpreter bug (open): when a run reached its approval node in its first workflow task, the new worker
    // receives the update in the same activation that starts the workflow; the SDK runs the validator as soon as
    // runFlow registers the handler, before the graph runner has re-entered the approval node, so it is rejected
    // as NotWaiting. A second attempt succeeds. See docs/engine.md, "Known issues".
    it('takes an approval update for a run that reached the approval in its first workflow task', async () => {
      const decision = (await approve(firstTaskApproval)) as { decision: string };
      assert.equal(decision.decision, 'approved');
      const r = (await firstTaskApproval.result()) as RunFlowResult;
      assert.equal(r.output, 'shipped by alice');
    });
  });

  describe('a Temporal dev server restarted on its database file', () => {
    let dir: string;
    let server: DevServer | undefined;
    let native: NativeConnection | undefined;
    let conn: Connection | undefined;
    let worker: Worker | undefined;
    let running: Promise<void> | undefined;

    async function connect(address: string, taskQueue: string): Promise<Client> {
      native = await NativeConnection.connect({ address });
      const c = await connectTemporal(address, 'default');
      conn = c.connection;
      worker = await createWorker({
        connection: native,
        namespace: 'default',
        taskQueue,
        services: createNodeServices({ httpAllowedHosts: ['127.0.0.1', 'localhost'] }),
        logSink: { async write() {} },
        async prepareSubFlow() {
          throw new Error('no sub-flows here');
        },
      });
      running = worker.run();
      return c.client;
    }

    async function disconnect(): Promise<void> {
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      await running?.catch(() => undefined);
      await native?.close().catch(() => undefined);
      await conn?.close().catch(() => undefined);
      worker = running = native = conn = undefined;
    }

    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-restart-'));
    });
    after(async () => {
      await disconnect();
      await server?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('completes a run whose timer was pending while the server was down', async () => {
      const cliPath = await findTemporalCli({ temporal: {} });
      const port = await getFreePort();
      const dbFile = path.join(dir, 'temporal.db');
      const serverOpts = { cliPath, port, dbFile, headless: true, namespace: 'default' };
      const taskQueue = uniqueTaskQueue('restart');

      server = await startDevServer(serverOpts);
      let client = await connect(server.address, taskQueue);
      const started = await startFlow(
        client,
        taskQueue,
        chain(
          [
            { id: 'wait', type: 'delay', data: { duration_ms: 3000 } },
            { id: 'after', type: 'noop', data: { value: '{{ input.name }} survived' } },
          ],
          { message: '{{ after.result }}', waited: '{{ wait.result.waited_ms }}' },
        ),
        { name: 'run' },
      );
      const { workflowId, firstExecutionRunId: runId } = started;
      await waitForStatus(started, (s) => s.waiting_for?.some((w) => w.kind === 'delay') ?? false);

      const downAt = Date.now();
      await disconnect();
      await server.stop();
      assert.ok(fs.statSync(dbFile).size > 0, 'the server kept its state in the db file');
      // Stay down past the timer's due time, so it fires only after the restart.
      await sleep(Math.max(0, 3500 - (Date.now() - downAt)));

      server = await startDevServer(serverOpts);
      client = await connect(server.address, taskQueue);
      const handle = client.workflow.getHandle(workflowId, runId);
      const r = (await handle.result()) as RunFlowResult;
      assert.equal(r.status, 'completed');
      const out = r.output as { message: string; waited: number };
      assert.equal(out.message, 'run survived');
      assert.ok(out.waited >= 3000, `waited ${out.waited} ms`);
      assert.equal((await handle.describe()).runId, runId, 'the same run, not a new one');
    });
  });
});
