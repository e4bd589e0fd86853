/**
 * Runs the same code in several child processes at (nearly) the same instant, to test what happens
 * when several starters — an API and a worker, say — race on one fresh database or data directory.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** What one child reported: its JSON result, or the error it failed with. */
export type ChildOutcome = { ok: true; value: unknown } | { ok: false; error: string };

/** Options of {@link raceInChildren}. */
export interface RaceOptions {
  /** Body of an async function each child runs before it reports ready (warm-up); its result is `prepared`. */
  setup?: string;
  timeoutMs?: number;
}

/**
 * Starts `count` Node processes (with tsx, from the repository root), waits until every one has
 * loaded and run `setup`, then releases them together. `body` is the body of an async function run
 * in each; it may `require` the sources by path relative to the repository root
 * (`require('./src/config')`) and reads `index` (0…count-1) and `prepared`. Its return value must
 * be JSON.
 */
export async function raceInChildren(count: number, body: string, options: RaceOptions = {}): Promise<ChildOutcome[]> {
  const script = `
process.chdir(${JSON.stringify(ROOT)});
const index = Number(process.argv[1]);
const fail = (err) => process.stdout.write('error ' + JSON.stringify(String(err && err.stack || err)) + '\\n', () => process.exit(1));
(async () => { ${options.setup ?? ''} })().then((prepared) => {
  const run = async () => { ${body} };
  process.stdin.once('data', () => {
    run().then((value) => process.stdout.write('result ' + JSON.stringify(value) + '\\n', () => process.exit(0)), fail);
  });
  process.stdout.write('ready\\n');
}, fail);
`;
  const children = Array.from({ length: count }, (_, i) =>
    spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script, String(i)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  const outputs = children.map(() => ({ stdout: '', stderr: '' }));
  const ready = children.map(
    (child, i) =>
      new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          outputs[i].stdout += chunk.toString();
          if (outputs[i].stdout.includes('ready\n')) resolve();
        });
        child.stderr!.on('data', (chunk: Buffer) => (outputs[i].stderr += chunk.toString()));
        child.once('exit', (code) => reject(new Error(`child ${i} exited (${code}) before it was ready: ${outputs[i].stderr}`)));
      }),
  );
  const exited = children.map((child) => new Promise<void>((resolve) => child.once('exit', () => resolve())));
  const timer = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), options.timeoutMs ?? 60_000);
  try {
    await Promise.all(ready);
    for (const child of children) child.stdin!.write('go\n');
    await Promise.all(exited);
  } finally {
    clearTimeout(timer);
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
  return outputs.map(({ stdout, stderr }) => {
    const line = stdout.split('\n').find((l) => l.startsWith('result ') || l.startsWith('error '));
    if (line?.startsWith('result ')) return { ok: true, value: JSON.parse(line.slice(7)) };
    return { ok: false, error: line ? (JSON.parse(line.slice(6)) as string) : `no result; stderr: ${stderr}` };
  });
}
