import { z } from 'zod';

const TEMPLATE = /\{\{[\s\S]*?\}\}/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string holds at least one `{{ }}` template. */
export function isTemplate(value: string): boolean {
  return TEMPLATE.test(value);
}

/** Whether a string is a UUID (any version). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** A string that must contain a `{{ }}` template (its value is only known at run time). */
export const templateString = z
  .string()
  .refine(isTemplate, { message: 'Must be a {{ }} template' })
  .describe('A {{ }} template');

/** A bare JSONata expression (no `{{ }}`). */
export const expression = z.string().trim().min(1, 'Expression is required').describe('Bare JSONata expression');

/** A timeout in milliseconds (positive integer). */
export const timeoutMs = z.number().int().positive().describe('Milliseconds');

/** A non-negative integer, or a template that renders to one at run time. */
export function intOrTemplate(min: number, message: string) {
  return z.union([z.number().int().min(min), templateString], { errorMap: () => ({ message }) });
}
