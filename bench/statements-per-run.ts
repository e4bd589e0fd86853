/**
 * How many SQL statements one run costs the platform: the 3-node flow of `bench/user-e2e.ts`
 * (start → noop → end), `execute {wait: true}` through the API, with the worker in the API's
 * process (the tests' platform: SQLite, or Postgres with TEST_DATABASE_URL; the tests' Temporal).
 * Counts every statement knex sends (API and worker) by its first words.
 *
 *   npx tsx bench/statements-per-run.ts [runs]      # default 30
 *
 * A count, not a timing: it does not depend on the host. Results: docs/benchmarks.md, "What a
 * user gets", session 7.
 */
import { startTestPlatform } from '../test/helpers/platform';
import { threeNodeFlow } from './measure';

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 30);
  const tp = await startTestPlatform();
  try {
    const { token } = await tp.login('bench');
    const flow = await tp.api('POST', '/api/v1/workflows', threeNodeFlow('3 nodes'), token);
    const execute = (n: number) => tp.api('POST', `/api/v1/workflows/${flow.body.id}/execute`, { input_data: { n }, wait: true }, token);
    for (let i = 0; i < 5; i++) await execute(i); // warm-up
    await new Promise((r) => setTimeout(r, 300));
    const counts = new Map<string, number>();
    let total = 0;
    tp.platform.db.on('query', (q: { sql: string }) => {
      const key = String(q.sql).replace(/\s+/g, ' ').slice(0, 60);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      total++;
    });
    for (let i = 0; i < runs; i++) {
      const r = await execute(i);
      if (r.status !== 200) throw new Error(`execute: ${r.status} ${JSON.stringify(r.body)}`);
    }
    // The last run's batched writes (node logs, the run index) land within 20 ms.
    await new Promise((r) => setTimeout(r, 300));
    console.log(`${runs} runs of the 3-node flow: ${(total / runs).toFixed(2)} statements per run (API and worker)`);
    for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`${(v / runs).toFixed(2).padStart(6)}  ${k}`);
  } finally {
    await tp.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
