// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/**
 * Layers point down: api → services → (storage, temporal, nodes) → shared; activities → nodes →
 * shared. A pattern matches a relative import that climbs into a layer's folder (`../services/x`,
 * `../../src/api/x`), type imports included: a type import is a dependency too.
 */
const intoLayer = (/** @type {string[]} */ dirs, /** @type {string} */ message) => ({
  regex: `^(\\.\\./)+(src/)?(${dirs.join('|')})(/|$)`,
  message,
});
const noServicesOrApi = intoLayer(['services', 'api'], 'Layers point down (api → services → storage/temporal/nodes → shared): this code cannot import services or the API.');
const noApi = intoLayer(['api'], 'Services cannot import from the API: move what both need to src/shared (or src/services).');
const noStorage = intoLayer(['storage'], 'Node types run in activities without a database: take what they need through NodeServices, not src/storage.');

/**
 * Code that enters the Temporal workflow bundle (workflows/ and src/shared/) must be deterministic
 * and sandbox-safe: no Node built-ins, no Temporal client/worker/activity packages, no database
 * drivers, and only type imports from activity code.
 */
const bundleSafe = {
  files: ['workflows/**/*.ts', 'src/shared/**/*.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: nodeBuiltins.map((name) => ({ name, message: 'Node built-ins cannot enter the workflow bundle.' })),
        patterns: [
          {
            group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing'],
            message: 'Only @temporalio/workflow and @temporalio/common may be imported by workflow code.',
          },
          { group: ['knex', 'pg', 'better-sqlite3', 'express', 'pino', 'pino-*'], message: 'I/O libraries cannot enter the workflow bundle.' },
          {
            group: ['**/activities', '**/activities/**', '**/src/nodes/**', '**/src/storage/**', '**/src/api/**', '**/src/temporal/**', '**/src/worker/**', '**/src/config', '**/src/logger'],
            allowTypeImports: true,
            message: 'Workflow code may import only types from activities and other Node-side code.',
          },
          // Not even types: workflows and src/shared sit below the services and the API.
          noServicesOrApi,
        ],
      },
    ],
    'no-restricted-globals': [
      'error',
      { name: 'process', message: 'No process in workflow code.' },
      { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
      { name: 'setInterval', message: 'Use sleep() from @temporalio/workflow.' },
      { name: 'fetch', message: 'No I/O in workflow code: use an activity.' },
    ],
    'no-console': 'error',
  },
};

/**
 * The layer rules outside the bundle. ESLint keeps only the last `no-restricted-imports` that
 * matches a file, so each block lists every pattern its files obey (src/shared's are in bundleSafe).
 */
const layers = [
  { files: ['src/storage/**/*.ts', 'src/temporal/**/*.ts', 'activities/**/*.ts'], patterns: [noServicesOrApi] },
  { files: ['src/services/**/*.ts'], patterns: [noApi] },
  { files: ['src/nodes/**/*.ts'], patterns: [noServicesOrApi, noStorage] },
  {
    // A node type builds on src/nodes (net/, credentials, schema helpers), never on another node type.
    files: ['src/nodes/types/**/*.ts'],
    patterns: [
      noServicesOrApi,
      noStorage,
      {
        regex: '^\\./|/types/',
        message: 'A node type must not import another node type: move what they share to src/nodes/ (e.g. net/).',
      },
    ],
  },
].map(({ files, patterns }) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } }));

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', '.tmp/**', 'test/fixtures/**/*.json'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly', setImmediate: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  bundleSafe,
  ...layers,
);
