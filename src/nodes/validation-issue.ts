import { type z } from 'zod';
import { didYouMean } from '../shared/did-you-mean';

/** One problem found in a flow, located by a path such as `nodes[2].data.url` or `edges[0].target`. */
export interface ValidationIssue {
  path: string;
  code: string;
  message: string;
}

/** Every problem of a flow at once; `valid` is false when there is at least one error. */
export interface ValidationResult {
  valid: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
}

/** Thrown when an invalid flow is compiled or stored; carries every error. */
export class FlowValidationError extends Error {
  constructor(
    readonly errors: ValidationIssue[],
    readonly warnings: ValidationIssue[] = [],
  ) {
    super(`Invalid flow: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    this.name = 'FlowValidationError';
  }
}

/** Records an issue. */
export type Report = (path: string, code: string, message: string) => void;

// Same spelling as checkTemplates' paths: `headers.Content-Type`, `values["two words"]`.
const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** `base.key`, `base[3]` or `base["odd key"]`. */
export function keyPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (!IDENTIFIER.test(key)) return `${base}[${JSON.stringify(key)}]`;
  return base ? `${base}.${key}` : key;
}

/** `base` followed by each segment of a (zod) path. */
export function joinPath(base: string, segments: readonly (string | number)[]): string {
  let path = base;
  for (const segment of segments) path = keyPath(path, segment);
  return path;
}

/**
 * Reports each zod issue at its own path; an unknown key is reported at the key's path, with the
 * closest of `knownKeys` (the fields of the object at `base`) when it looks like a typo of one.
 */
export function reportZod(zodError: z.ZodError, base: string, code: string, report: Report, knownKeys?: readonly string[]): void {
  for (const issue of zodError.issues) {
    if (issue.code === 'unrecognized_keys') {
      const hint = (key: string) => (knownKeys && issue.path.length === 0 ? didYouMean(key, knownKeys) : '');
      for (const key of issue.keys) report(joinPath(base, [...issue.path, key]), code, `Unknown field "${key}"${hint(key)}`);
    } else {
      report(joinPath(base, issue.path), code, issue.message);
    }
  }
}
