import type { z } from 'zod';

/** `{ "a.b[2]": "message" }` from zod issues: the `details` of a validation error. */
export function issuesToDetails(issues: z.ZodIssue[], prefix = ''): Record<string, string> {
  const details: Record<string, string> = {};
  for (const i of issues) {
    let path = prefix;
    for (const p of i.path) path += typeof p === 'number' ? `[${p}]` : path ? `.${p}` : p;
    details[path || '(root)'] ??= i.message;
  }
  return details;
}
