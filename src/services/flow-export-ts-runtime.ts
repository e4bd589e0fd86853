/**
 * The helpers an exported TypeScript workflow carries at its end (docs/export-typescript.md): the
 * platform's conventions for expressions, node outputs, node activities, approvals, events, loops
 * and sub-flows, written as plain workflow code. Each is emitted only when the flow uses it, with
 * the helpers and `@temporalio/workflow` imports it needs; the helpers themselves are in
 * flow-export-ts-runtime-*.ts, by what they do.
 */
import { ACTIVITY_HELPERS } from './flow-export-ts-runtime-activities';
import { CONTEXT_HELPERS } from './flow-export-ts-runtime-context';
import { CONTROL_HELPERS } from './flow-export-ts-runtime-control';
import { EXPRESSION_HELPERS } from './flow-export-ts-runtime-expressions';
import type { Helper } from './flow-export-ts-runtime-helper';
import { RESULT_HELPERS } from './flow-export-ts-runtime-results';
import { WAIT_HELPERS } from './flow-export-ts-runtime-waits';

/** Every helper by name, in the order the exported file carries them. */
const HELPERS = {
  ...CONTEXT_HELPERS,
  ...EXPRESSION_HELPERS,
  ...RESULT_HELPERS,
  ...ACTIVITY_HELPERS,
  ...WAIT_HELPERS,
  ...CONTROL_HELPERS,
};

/** The name of a helper. */
export type HelperName = keyof typeof HELPERS;

/** The helpers to emit: `wanted` and everything they use, in a stable order. */
export function helperCode(wanted: Iterable<HelperName>): { code: string[]; imports: string[]; jsonata: boolean } {
  const all = new Set<HelperName>();
  const add = (name: HelperName) => {
    if (all.has(name)) return;
    all.add(name);
    for (const dep of (HELPERS[name] as Helper).uses ?? []) add(dep as HelperName);
  };
  for (const name of wanted) add(name);
  const names = (Object.keys(HELPERS) as HelperName[]).filter((n) => all.has(n));
  const imports = new Set<string>();
  for (const n of names) for (const i of (HELPERS[n] as Helper).imports ?? []) imports.add(i);
  return {
    code: names.map((n) => HELPERS[n].code),
    imports: [...imports].sort((a, b) => a.replace('type ', '').localeCompare(b.replace('type ', ''))),
    jsonata: names.some((n) => (HELPERS[n] as Helper).jsonata),
  };
}
