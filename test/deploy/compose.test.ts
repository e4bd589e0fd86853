import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ConfigError, loadConfig, type Config } from '../../src/config';
import { SEARCH_ATTRIBUTES } from '../../src/shared/flow';

/**
 * Static checks of the deployment files (docker-compose.yml, Dockerfile, .dockerignore): there is
 * no Docker engine where this suite runs, so everything `docker compose up` would trip over is
 * checked here instead. Every check also runs against a deliberately broken copy to prove it bites.
 */

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** What the checks look at; mutations produce broken copies of it. */
interface Ctx {
  compose: Compose;
  dockerfile: string;
  dockerignore: string;
}

type Env = Record<string, string>;
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  container_name?: string;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Env | string[];
  ports?: (string | number | { target: number; published?: string | number; host_ip?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  volumes?: (string | { source?: string })[];
  deploy?: { replicas?: number };
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** The values the checks interpolate `${VAR…}` with: the secrets an operator must supply. */
const OPERATOR_ENV: Env = { JWT_SECRET: 'j'.repeat(64), ENCRYPTION_KEY: 'ab'.repeat(32) };

/**
 * Compose's variable interpolation: `$$` → `$`, `${V}`, `${V:-default}`, `${V-default}`, and
 * `${V:?message}` / `${V?message}`, which refuse to start when V is missing.
 */
function interpolate(value: string, env: Env): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (
      match,
      braced: string | undefined,
      op: string | undefined,
      arg: string | undefined,
      bare: string | undefined,
    ) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare) as string;
      const v = env[name];
      const missing = op?.startsWith(':') ? v === undefined || v === '' : v === undefined;
      if (op?.endsWith('?') && missing) throw new Error(`required variable ${name} is missing: ${arg}`);
      if (op?.endsWith('-') && missing) return arg ?? '';
      return v ?? '';
    },
  );
}

/** A service's environment as written (uninterpolated), whichever syntax the file uses. */
function rawEnv(svc: Service): Env {
  const e = svc.environment ?? {};
  if (!Array.isArray(e)) return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v ?? '')]));
  return Object.fromEntries(
    e.map((line) => {
      const i = line.indexOf('=');
      return i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 1)];
    }),
  );
}

function env(svc: Service, operatorEnv: Env = OPERATOR_ENV): Env {
  return Object.fromEntries(Object.entries(rawEnv(svc)).map(([k, v]) => [k, interpolate(v, operatorEnv)]));
}

function dependsOn(svc: Service): Record<string, string> {
  const d = svc.depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([n, v]) => [n, v?.condition ?? 'service_started']));
}

/** Published ports as `{host, container}` (host `undefined` when Docker picks one). */
function published(svc: Service): { ip?: string; host?: number; container: number }[] {
  return (svc.ports ?? []).map((p) => {
    if (typeof p === 'object') {
      return {
        ip: p.host_ip,
        host: p.published === undefined ? undefined : Number(p.published),
        container: Number(p.target),
      };
    }
    const parts = interpolate(String(p), OPERATOR_ENV)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const container = Number(parts.pop());
    const host = parts.length ? Number(parts.pop()) : undefined;
    return { ip: parts.pop(), host, container };
  });
}

/** `src/config.ts`'s view of a service's environment; an invalid one fails the check. */
function config(ctx: Ctx, name: string, operatorEnv: Env = OPERATOR_ENV): Config {
  try {
    return loadConfig(env(service(ctx, name), operatorEnv));
  } catch (err) {
    if (err instanceof ConfigError) assert.fail(`${name}: ${err.message}`);
    throw err;
  }
}

function service(ctx: Ctx, name: string): Service {
  const svc = ctx.compose.services?.[name];
  assert.ok(svc, `service "${name}" is missing`);
  return svc;
}

/** Names in `src/config.ts`'s zod env schema (read as text: the schema is not exported). */
function configKeys(): Set<string> {
  const src = read('src/config.ts');
  const body = /const envSchema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(src)?.[1];
  assert.ok(body, 'envSchema not found in src/config.ts');
  return new Set([...body.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]));
}

/** Dockerfile instructions (continuations joined), split into build stages. */
function dockerStages(
  text: string,
): { from: string; name?: string; instr: { op: string; args: string }[] }[] {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: ReturnType<typeof dockerStages> = [];
  for (const line of lines) {
    const [, op, args] = /^(\S+)\s*(.*)$/.exec(line) as RegExpExecArray;
    if (op.toUpperCase() === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(args) as RegExpExecArray;
      stages.push({ from: m[1], name: m[2], instr: [] });
    } else {
      assert.ok(stages.length, `${op} before FROM`);
      stages[stages.length - 1].instr.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

const APP = ['api', 'worker'] as const;
const REQUIRED_SERVICES = ['postgres', 'temporal', 'temporal-admin-tools', 'temporal-ui', 'api', 'worker'];
const SECRETS = ['JWT_SECRET', 'ENCRYPTION_KEY'];

/** Every check, by name; each throws (assert) when the deployment files are broken in its way. */
const checks: Record<string, (ctx: Ctx) => void> = {
  'all services of the stack exist'(ctx) {
    for (const name of REQUIRED_SERVICES) service(ctx, name);
  },

  'every depends_on target exists, and every health condition has a healthcheck to wait for'(ctx) {
    for (const [name, svc] of Object.entries(ctx.compose.services)) {
      for (const [target, condition] of Object.entries(dependsOn(svc))) {
        const dep = ctx.compose.services[target];
        assert.ok(dep, `${name} depends on unknown service "${target}"`);
        if (condition === 'service_healthy')
          assert.ok(
            dep.healthcheck?.test,
            `${name} waits for ${target} to be healthy, but it has no healthcheck`,
          );
      }
    }
  },

  'startup order: postgres healthy → temporal → search attributes → api healthy → workers'(ctx) {
    assert.equal(
      dependsOn(service(ctx, 'temporal')).postgres,
      'service_healthy',
      'temporal must wait for a healthy postgres',
    );
    assert.ok(
      dependsOn(service(ctx, 'temporal-admin-tools')).temporal,
      'temporal-admin-tools must depend on temporal',
    );
    const api = dependsOn(service(ctx, 'api'));
    assert.equal(api.postgres, 'service_healthy', 'api must wait for a healthy postgres');
    assert.equal(
      api['temporal-admin-tools'],
      'service_completed_successfully',
      'api must wait for the search attributes',
    );
    const worker = dependsOn(service(ctx, 'worker'));
    assert.ok(worker.temporal, 'worker must depend on temporal');
    assert.equal(
      worker['temporal-admin-tools'],
      'service_completed_successfully',
      'worker must wait for the search attributes',
    );
    assert.equal(worker.api, 'service_healthy', 'worker must wait for the api (it runs the migrations)');
  },

  'named volumes are declared, and postgres keeps its data in one'(ctx) {
    const declared = Object.keys(ctx.compose.volumes ?? {});
    for (const [name, svc] of Object.entries(ctx.compose.services)) {
      for (const v of svc.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0] : (v.source ?? '');
        if (/^[A-Za-z0-9][\w.-]*$/.test(source))
          assert.ok(declared.includes(source), `${name} uses undeclared volume "${source}"`);
      }
    }
    const pg = service(ctx, 'postgres').volumes ?? [];
    assert.ok(
      pg.some((v) => (typeof v === 'string' ? v : JSON.stringify(v)).includes('/var/lib/postgresql/data')),
      'postgres data must be on a volume',
    );
  },

  'images are pinned (Temporal server on 1.29.x)'(ctx) {
    for (const [name, svc] of Object.entries(ctx.compose.services)) {
      if (svc.build) continue;
      assert.match(
        svc.image ?? '',
        /^[^:]+:(?!latest$)[\w.-]*\d[\w.-]*$/,
        `${name} image must be pinned to a version tag`,
      );
    }
    assert.match(service(ctx, 'temporal').image ?? '', /^temporalio\/auto-setup:1\.29\.\d+$/);
    assert.match(service(ctx, 'temporal-admin-tools').image ?? '', /^temporalio\/admin-tools:/);
    assert.match(service(ctx, 'temporal-ui').image ?? '', /^temporalio\/ui:/);
    assert.match(service(ctx, 'postgres').image ?? '', /^postgres:16(\.|$|-)/);
  },

  'postgres has a healthcheck and creates the app database'(ctx) {
    const pg = service(ctx, 'postgres');
    assert.match(JSON.stringify(pg.healthcheck?.test ?? ''), /pg_isready/);
    assert.equal(env(pg).POSTGRES_DB, 'flows');
  },

  'temporal runs on the postgres service with the postgres credentials'(ctx) {
    const t = env(service(ctx, 'temporal'));
    const pg = env(service(ctx, 'postgres'));
    assert.equal(t.DB, 'postgres12');
    assert.ok(
      ctx.compose.services[t.POSTGRES_SEEDS],
      `POSTGRES_SEEDS "${t.POSTGRES_SEEDS}" is not a service`,
    );
    assert.equal(t.POSTGRES_SEEDS, 'postgres');
    assert.equal(t.DB_PORT, '5432');
    assert.equal(t.POSTGRES_USER, pg.POSTGRES_USER ?? 'postgres');
    assert.equal(t.POSTGRES_PWD, pg.POSTGRES_PASSWORD);
    assert.ok(
      published(service(ctx, 'temporal')).some((p) => p.container === 7233),
      'temporal frontend port 7233',
    );
  },

  'api publishes 8037 and listens on all interfaces; temporal-ui publishes its port'(ctx) {
    const api = service(ctx, 'api');
    assert.ok(
      published(api).some((p) => p.host === 8037 && p.container === 8037),
      'api must publish 8037:8037',
    );
    const e = env(api);
    assert.equal(e.PORT ?? '8037', '8037', 'api PORT must be the published container port');
    assert.ok(
      ['0.0.0.0', '::'].includes(e.HOST),
      'api HOST must be 0.0.0.0, or the published port reaches nothing',
    );
    const ui = service(ctx, 'temporal-ui');
    assert.ok(
      published(ui).some((p) => p.container === 8080 && p.host),
      'temporal-ui must publish 8080',
    );
    assert.equal(env(ui).TEMPORAL_ADDRESS, 'temporal:7233');
  },

  'api has a healthcheck on GET /health'(ctx) {
    const test = JSON.stringify(service(ctx, 'api').healthcheck?.test ?? '');
    assert.match(test, /:8037\/health\b/);
  },

  'api runs the API only and worker the worker only'(ctx) {
    const api = config(ctx, 'api');
    assert.deepEqual([api.runApi, api.runWorker], [true, false], 'api: RUN_WORKER=false');
    const worker = config(ctx, 'worker');
    assert.deepEqual([worker.runApi, worker.runWorker], [false, true], 'worker: RUN_API=false');
  },

  'worker is scalable: no published ports, no container_name, built like the api'(ctx) {
    const w = service(ctx, 'worker');
    assert.equal(w.ports?.length ?? 0, 0, 'worker must not publish ports (they would clash when scaled)');
    assert.equal(
      w.container_name,
      undefined,
      'worker must not have a container_name (scaling needs unique names)',
    );
    const api = service(ctx, 'api');
    assert.deepEqual(
      [w.build, w.image, w.command],
      [api.build, api.image, api.command],
      'worker and api run the same image',
    );
    assert.ok(api.build, 'api is built from the repository');
    const build = typeof api.build === 'string' ? { context: api.build } : api.build;
    assert.equal(path.resolve(ROOT, build.context ?? '.'), ROOT);
    assert.equal(build.dockerfile ?? 'Dockerfile', 'Dockerfile');
  },

  'api and worker share DATABASE_URL and TEMPORAL_ADDRESS, pointing at postgres:5432 and temporal:7233'(ctx) {
    const [api, worker] = APP.map((n) => env(service(ctx, n)));
    for (const key of [
      'DATABASE_URL',
      'TEMPORAL_ADDRESS',
      'TEMPORAL_NAMESPACE',
      'TEMPORAL_TASK_QUEUE',
      ...SECRETS,
    ]) {
      assert.equal(worker[key], api[key], `api and worker must agree on ${key}`);
    }
    const pg = env(service(ctx, 'postgres'));
    const db = new URL(api.DATABASE_URL);
    assert.match(db.protocol, /^postgres(ql)?:$/);
    assert.ok(ctx.compose.services[db.hostname], `DATABASE_URL host "${db.hostname}" is not a service`);
    assert.equal(`${db.hostname}:${db.port || '5432'}`, 'postgres:5432');
    assert.equal(db.pathname, `/${pg.POSTGRES_DB}`, 'DATABASE_URL must name the database postgres creates');
    assert.equal(decodeURIComponent(db.username), pg.POSTGRES_USER ?? 'postgres');
    assert.equal(decodeURIComponent(db.password), pg.POSTGRES_PASSWORD);
    const [host, port] = api.TEMPORAL_ADDRESS.split(':');
    assert.ok(ctx.compose.services[host], `TEMPORAL_ADDRESS host "${host}" is not a service`);
    assert.equal(`${host}:${port}`, 'temporal:7233');
  },

  'TEMPORAL_UI_URL points at the published temporal-ui port'(ctx) {
    const url = new URL(env(service(ctx, 'api')).TEMPORAL_UI_URL);
    assert.ok(['localhost', '127.0.0.1'].includes(url.hostname));
    const port = Number(url.port || 80);
    assert.ok(
      published(service(ctx, 'temporal-ui')).some((p) => p.host === port && p.container === 8080),
      `TEMPORAL_UI_URL port ${port} is not where temporal-ui is published`,
    );
  },

  'every variable the api and worker set is one src/config.ts reads, and it validates'(ctx) {
    const known = configKeys();
    assert.ok(known.has('DATABASE_URL') && known.has('RUN_API'), 'could not read the env schema');
    for (const name of APP) {
      for (const key of Object.keys(rawEnv(service(ctx, name)))) {
        assert.ok(known.has(key), `${name} sets ${key}, which src/config.ts does not read`);
      }
      const cfg = config(ctx, name);
      assert.equal(cfg.env, 'production', `${name} must run with NODE_ENV=production`);
      assert.equal(cfg.database.client, 'pg', `${name} must use Postgres`);
      assert.equal(cfg.temporal.address, 'temporal:7233');
    }
    for (const stage of dockerStages(ctx.dockerfile)) {
      for (const { op, args } of stage.instr.filter((i) => i.op === 'ENV')) {
        for (const [, key] of args.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)) {
          assert.ok(known.has(key), `Dockerfile ${op} sets ${key}, which src/config.ts does not read`);
        }
      }
    }
  },

  'JWT_SECRET and ENCRYPTION_KEY are required with ${VAR:?message}'(ctx) {
    for (const name of APP) {
      const raw = rawEnv(service(ctx, name));
      for (const key of SECRETS) {
        assert.match(
          raw[key] ?? '',
          new RegExp(`^\\$\\{${key}:\\?[^}]+\\}$`),
          `${name}.${key} must be \${${key}:?message}`,
        );
        const without = { ...OPERATOR_ENV };
        delete without[key];
        assert.throws(() => env(service(ctx, name), without), /required variable/);
      }
    }
  },

  'admin-tools registers exactly SEARCH_ATTRIBUTES in the namespace the app uses, idempotently'(ctx) {
    const job = service(ctx, 'temporal-admin-tools');
    const e = env(job);
    const registered = Object.fromEntries(
      (e.SEARCH_ATTRIBUTES ?? '')
        .split(/\s+/)
        .filter(Boolean)
        .map((pair) => pair.split('=')),
    );
    assert.deepEqual(registered, { ...SEARCH_ATTRIBUTES }, 'SEARCH_ATTRIBUTES must match src/shared/flow.ts');
    const script = interpolate([job.entrypoint, job.command].flat().join('\n'), OPERATOR_ENV);
    assert.match(script, /\$SEARCH_ATTRIBUTES\b/, 'the job must loop over $SEARCH_ATTRIBUTES');
    assert.match(script, /temporal operator search-attribute create\b/);
    assert.match(script, /--namespace "?\$TEMPORAL_NAMESPACE/);
    assert.match(script, /temporal operator namespace describe\b/, 'the job must wait for the namespace');
    assert.match(script, /already exist/i, 'an attribute that already exists must not fail the job');
    assert.equal(e.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(e.TEMPORAL_NAMESPACE, env(service(ctx, 'api')).TEMPORAL_NAMESPACE ?? 'default');
    assert.equal(env(service(ctx, 'temporal')).DEFAULT_NAMESPACE ?? 'default', e.TEMPORAL_NAMESPACE);
  },

  'Dockerfile: multi-stage node:20-bookworm-slim build with native toolchain, npm ci, build, prune'(ctx) {
    const stages = dockerStages(ctx.dockerfile);
    assert.ok(stages.length >= 2, 'the Dockerfile must be multi-stage');
    for (const s of stages) assert.equal(s.from, 'node:20-bookworm-slim');
    const runs = stages.flatMap((s) => s.instr.filter((i) => i.op === 'RUN').map((i) => i.args)).join('\n');
    for (const tool of ['python3', 'make', 'g++'])
      assert.ok(runs.split(/\s+/).includes(tool), `install ${tool}`);
    assert.match(runs, /\bnpm ci\b/);
    assert.match(runs, /\bnpm run build\b/);
    assert.match(runs, /\bnpm (prune --omit=dev|prune --production|ci --omit=dev)/);
    assert.match(JSON.parse(read('package.json')).scripts.build, /tsc -p tsconfig\.build\.json/);
  },

  'Dockerfile: final stage runs as non-root, exposes 8037 and starts dist/src/main.js ↔ src/main.ts'(ctx) {
    const final = dockerStages(ctx.dockerfile).at(-1)!;
    const last = (op: string) => final.instr.filter((i) => i.op === op).at(-1)?.args;
    const user = last('USER');
    assert.ok(user && !/^(root|0)(:|$)/.test(user), 'the final stage must switch to a non-root USER');
    assert.equal(last('EXPOSE'), '8037');
    const cmd = JSON.parse(last('CMD') ?? 'null') as string[];
    assert.ok(Array.isArray(cmd), 'CMD must be exec form');
    assert.equal(cmd[0], 'node');
    // tsc maps <rootDir>/x.ts to <outDir>/x.js.
    const base = JSON.parse(read('tsconfig.json')).compilerOptions;
    const build = JSON.parse(read('tsconfig.build.json'));
    const { outDir, rootDir } = { ...base, ...build.compilerOptions };
    const rel = path.relative(path.resolve(ROOT, outDir), path.resolve(ROOT, cmd[1]));
    assert.ok(
      !rel.startsWith('..') && rel.endsWith('.js'),
      `${cmd[1]} is not a file tsc emits into ${outDir}`,
    );
    const source = path.join(path.relative(ROOT, path.resolve(ROOT, rootDir)), rel.replace(/\.js$/, '.ts'));
    assert.equal(source, path.join('src', 'main.ts'));
    assert.ok(
      build.include.some((dir: string) => source.startsWith(`${dir}/`)),
      `${source} is not built by tsconfig.build.json`,
    );
    assert.ok(fs.existsSync(path.join(ROOT, source)), `${source} does not exist`);
  },

  'Dockerfile copies only what exists and .dockerignore keeps out node_modules, data, dist, .git'(ctx) {
    const ignored = ctx.dockerignore
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const entry of ['node_modules', 'data', 'dist', '.git']) {
      assert.ok(
        ignored.some((l) => l.replace(/^\/|\/$/g, '') === entry),
        `.dockerignore must exclude ${entry}`,
      );
    }
    for (const s of dockerStages(ctx.dockerfile)) {
      for (const { args } of s.instr.filter((i) => i.op === 'COPY' && !/--from=/.test(i.args))) {
        const parts = args.split(/\s+/).filter((a) => !a.startsWith('--'));
        for (const src of parts.slice(0, -1)) {
          assert.ok(fs.existsSync(path.join(ROOT, src)), `COPY ${src}: not in the repository`);
          assert.ok(!ignored.includes(src.replace(/^\.\//, '')), `COPY ${src}: excluded by .dockerignore`);
        }
      }
    }
  },
};

/** Ways to break the files, each with the check that must then fail. */
const mutations: { name: string; check: string; mutate: (ctx: Ctx) => void }[] = [
  {
    name: 'remove the worker',
    check: 'all services of the stack exist',
    mutate: (c) => delete c.compose.services.worker,
  },
  {
    name: 'depend on a misspelt service',
    check: 'every depends_on target exists, and every health condition has a healthcheck to wait for',
    mutate: (c) => (c.compose.services.worker.depends_on = { temporl: { condition: 'service_started' } }),
  },
  {
    name: 'wait for a healthy temporal, which has no healthcheck',
    check: 'every depends_on target exists, and every health condition has a healthcheck to wait for',
    mutate: (c) =>
      (c.compose.services['temporal-ui'].depends_on = { temporal: { condition: 'service_healthy' } }),
  },
  {
    name: 'start the worker without waiting for the admin job',
    check: 'startup order: postgres healthy → temporal → search attributes → api healthy → workers',
    mutate: (c) =>
      delete (c.compose.services.worker.depends_on as Record<string, unknown>)['temporal-admin-tools'],
  },
  {
    name: 'use an undeclared volume',
    check: 'named volumes are declared, and postgres keeps its data in one',
    mutate: (c) => delete c.compose.volumes,
  },
  {
    name: 'temporal on latest',
    check: 'images are pinned (Temporal server on 1.29.x)',
    mutate: (c) => (c.compose.services.temporal.image = 'temporalio/auto-setup:latest'),
  },
  {
    name: 'temporal 1.28',
    check: 'images are pinned (Temporal server on 1.29.x)',
    mutate: (c) => (c.compose.services.temporal.image = 'temporalio/auto-setup:1.28.1'),
  },
  {
    name: 'untagged ui',
    check: 'images are pinned (Temporal server on 1.29.x)',
    mutate: (c) => (c.compose.services['temporal-ui'].image = 'temporalio/ui'),
  },
  {
    name: 'postgres without healthcheck',
    check: 'postgres has a healthcheck and creates the app database',
    mutate: (c) => delete c.compose.services.postgres.healthcheck,
  },
  {
    name: 'temporal pointed at a missing host',
    check: 'temporal runs on the postgres service with the postgres credentials',
    mutate: (c) => ((c.compose.services.temporal.environment as Env).POSTGRES_SEEDS = 'db'),
  },
  {
    name: 'temporal with the wrong password',
    check: 'temporal runs on the postgres service with the postgres credentials',
    mutate: (c) => ((c.compose.services.temporal.environment as Env).POSTGRES_PWD = 'nope'),
  },
  {
    name: 'api not published',
    check: 'api publishes 8037 and listens on all interfaces; temporal-ui publishes its port',
    mutate: (c) => delete c.compose.services.api.ports,
  },
  {
    name: 'api listening on loopback',
    check: 'api publishes 8037 and listens on all interfaces; temporal-ui publishes its port',
    mutate: (c) => ((c.compose.services.api.environment as Env).HOST = '127.0.0.1'),
  },
  {
    name: 'temporal-ui not published',
    check: 'api publishes 8037 and listens on all interfaces; temporal-ui publishes its port',
    mutate: (c) => delete c.compose.services['temporal-ui'].ports,
  },
  {
    name: 'api without healthcheck',
    check: 'api has a healthcheck on GET /health',
    mutate: (c) => delete c.compose.services.api.healthcheck,
  },
  {
    name: 'api also runs a worker',
    check: 'api runs the API only and worker the worker only',
    mutate: (c) => ((c.compose.services.api.environment as Env).RUN_WORKER = 'true'),
  },
  {
    name: 'worker publishes a port',
    check: 'worker is scalable: no published ports, no container_name, built like the api',
    mutate: (c) => (c.compose.services.worker.ports = ['9000:9000']),
  },
  {
    name: 'worker has a container_name',
    check: 'worker is scalable: no published ports, no container_name, built like the api',
    mutate: (c) => (c.compose.services.worker.container_name = 'worker'),
  },
  {
    name: 'worker on a different database',
    check:
      'api and worker share DATABASE_URL and TEMPORAL_ADDRESS, pointing at postgres:5432 and temporal:7233',
    mutate: (c) =>
      ((c.compose.services.worker.environment as Env).DATABASE_URL =
        'postgres://postgres:flows@postgres:5432/other'),
  },
  {
    name: 'both on the wrong postgres port',
    check:
      'api and worker share DATABASE_URL and TEMPORAL_ADDRESS, pointing at postgres:5432 and temporal:7233',
    mutate: (c) => {
      for (const n of APP)
        (c.compose.services[n].environment as Env).DATABASE_URL =
          'postgres://postgres:flows@postgres:5433/flows';
    },
  },
  {
    name: 'both on a Temporal host that is not a service',
    check:
      'api and worker share DATABASE_URL and TEMPORAL_ADDRESS, pointing at postgres:5432 and temporal:7233',
    mutate: (c) => {
      for (const n of APP)
        (c.compose.services[n].environment as Env).TEMPORAL_ADDRESS = 'temporal-server:7233';
    },
  },
  {
    name: 'UI published elsewhere than TEMPORAL_UI_URL',
    check: 'TEMPORAL_UI_URL points at the published temporal-ui port',
    mutate: (c) => (c.compose.services['temporal-ui'].ports = ['127.0.0.1:8088:8080']),
  },
  {
    name: 'an env var config.ts does not know',
    check: 'every variable the api and worker set is one src/config.ts reads, and it validates',
    mutate: (c) => ((c.compose.services.worker.environment as Env).TEMPORAL_HOST = 'temporal'),
  },
  {
    name: 'an invalid TEMPORAL_ADDRESS',
    check: 'every variable the api and worker set is one src/config.ts reads, and it validates',
    mutate: (c) => ((c.compose.services.api.environment as Env).TEMPORAL_ADDRESS = 'temporal'),
  },
  {
    name: 'a secret with a default',
    check: 'JWT_SECRET and ENCRYPTION_KEY are required with ${VAR:?message}',
    mutate: (c) => ((c.compose.services.worker.environment as Env).JWT_SECRET = '${JWT_SECRET:-changeme}'),
  },
  {
    name: 'a search attribute missing',
    check: 'admin-tools registers exactly SEARCH_ATTRIBUTES in the namespace the app uses, idempotently',
    mutate: (c) =>
      ((c.compose.services['temporal-admin-tools'].environment as Env).SEARCH_ATTRIBUTES =
        'FlowId=Keyword FlowVersion=Int OwnerId=Keyword'),
  },
  {
    name: 'a search attribute with the wrong type',
    check: 'admin-tools registers exactly SEARCH_ATTRIBUTES in the namespace the app uses, idempotently',
    mutate: (c) =>
      ((c.compose.services['temporal-admin-tools'].environment as Env).SEARCH_ATTRIBUTES =
        'FlowId=Keyword FlowVersion=Keyword OwnerId=Keyword TriggerType=Keyword'),
  },
  {
    name: 'a job that fails on "already exists"',
    check: 'admin-tools registers exactly SEARCH_ATTRIBUTES in the namespace the app uses, idempotently',
    mutate: (c) => {
      const job = c.compose.services['temporal-admin-tools'];
      job.command = [String([job.command].flat()[0]).replace(/already exist/gi, 'xx')];
    },
  },
  {
    name: 'a single-stage alpine image',
    check: 'Dockerfile: multi-stage node:20-bookworm-slim build with native toolchain, npm ci, build, prune',
    mutate: (c) => (c.dockerfile = c.dockerfile.replace(/node:20-bookworm-slim/g, 'node:20-alpine')),
  },
  {
    name: 'dev dependencies kept',
    check: 'Dockerfile: multi-stage node:20-bookworm-slim build with native toolchain, npm ci, build, prune',
    mutate: (c) => (c.dockerfile = c.dockerfile.replace(/npm prune --omit=dev/, 'true')),
  },
  {
    name: 'running as root',
    check: 'Dockerfile: final stage runs as non-root, exposes 8037 and starts dist/src/main.js ↔ src/main.ts',
    mutate: (c) => (c.dockerfile = c.dockerfile.replace(/^USER .*$/m, '')),
  },
  {
    name: 'CMD pointing at a file tsc does not emit',
    check: 'Dockerfile: final stage runs as non-root, exposes 8037 and starts dist/src/main.js ↔ src/main.ts',
    mutate: (c) => (c.dockerfile = c.dockerfile.replace('dist/src/main.js', 'dist/main.js')),
  },
  {
    name: 'node_modules in the build context',
    check: 'Dockerfile copies only what exists and .dockerignore keeps out node_modules, data, dist, .git',
    mutate: (c) => (c.dockerignore = c.dockerignore.replace(/^node_modules$/m, '')),
  },
  {
    name: 'src ignored',
    check: 'Dockerfile copies only what exists and .dockerignore keeps out node_modules, data, dist, .git',
    mutate: (c) => (c.dockerignore += '\nsrc\n'),
  },
];

function loadCtx(): Ctx {
  return {
    // `merge: true`: compose honours YAML merge keys (`<<: *app`).
    compose: parse(read('docker-compose.yml'), { merge: true }) as Compose,
    dockerfile: read('Dockerfile'),
    dockerignore: read('.dockerignore'),
  };
}

describe('deployment: docker-compose.yml, Dockerfile, .dockerignore', () => {
  for (const [name, check] of Object.entries(checks)) {
    it(name, () => check(loadCtx()));
  }

  describe('each check fails when the files are broken its way', () => {
    for (const m of mutations) {
      it(`${m.name} → "${m.check}" fails`, function () {
        const check = checks[m.check];
        assert.ok(check, `no check named "${m.check}"`);
        // A check that already fails on the real files proves nothing here (its own test reports it).
        try {
          check(loadCtx());
        } catch {
          this.skip();
        }
        const ctx = loadCtx();
        m.mutate(ctx);
        assert.throws(() => check(ctx), assert.AssertionError);
      });
    }

    it('every check is covered by at least one mutation', () => {
      const covered = new Set(mutations.map((m) => m.check));
      assert.deepEqual(
        Object.keys(checks).filter((c) => !covered.has(c)),
        [],
      );
    });
  });
});
