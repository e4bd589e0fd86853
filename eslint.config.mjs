// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

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

/** A node type builds on src/nodes (net/, credentials, schema helpers), never on another node type. */
const standAloneNodeTypes = {
  files: ['src/nodes/types/**/*.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: '^\\./|/types/',
            message: 'A node type must not import another node type: move what they share to src/nodes/ (e.g. net/).',
          },
        ],
      },
    ],
  },
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', '.tmp/**', 'test/fixtures/**'] },
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
  standAloneNodeTypes,
);
