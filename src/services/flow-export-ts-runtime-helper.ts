/**
 * The shape of one runtime helper of an exported TypeScript workflow (flow-export-ts-runtime*.ts).
 */

/** One helper: its code, the helpers it calls and what it imports from `@temporalio/workflow`. */
export interface Helper {
  /** Its TypeScript source, as the exported file carries it. */
  code: string;
  /** The helpers its code calls (emitted with it). */
  uses?: string[];
  /** What it imports from `@temporalio/workflow` (`type X` for a type). */
  imports?: string[];
  /** Needs `import jsonata from 'jsonata'`. */
  jsonata?: boolean;
}
