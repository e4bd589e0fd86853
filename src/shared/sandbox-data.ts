/**
 * The data boundary of the expression sandbox. Expressions only ever see copies of the context
 * made of JSON values (objects with a null prototype, so no inherited `constructor` or
 * `__proto__`), and callers only ever get back JSON values (JSONata function objects and host
 * functions are dropped), so nothing host-side crosses in either direction.
 */

/** Deepest nesting copied; deeper means a circular reference in practice. */
export const MAX_DEPTH = 1000;

/**
 * Counts the values copied into (or out of) the sandbox, a string weighing one value per 256
 * characters; `over()` is called once the count passes `max`.
 */
export interface CopyMeter {
  count: number;
  max: number;
  over(): never;
}

// `__proto__` could re-parent a copy; the `_jsonata_*` markers would make data look like a function to JSONata.
function isDroppedKey(key: string): boolean {
  return key.startsWith('_') && (key === '__proto__' || key === '_jsonata_function' || key === '_jsonata_lambda');
}

/**
 * Deep copy of `value` as JSON data for expressions to read: objects get a null prototype,
 * `toJSON` is honoured (Dates become ISO strings), functions, symbols and `undefined` properties
 * are dropped (`null` in arrays), non-finite numbers become `null`, bigints become strings, and
 * the keys `__proto__`, `_jsonata_function` and `_jsonata_lambda` are dropped.
 * Throws a TypeError on circular references (nesting deeper than {@link MAX_DEPTH}).
 */
export function toSandboxData(value: unknown, meter?: CopyMeter): unknown {
  return copy(value, true, 0, meter);
}

/**
 * Deep copy of an expression's result as ordinary JSON data (plain objects and arrays; sequence
 * flags gone); JSONata functions and lambdas become `undefined` (`null` inside arrays), as in JSON.
 */
export function toPlainData(value: unknown, meter?: CopyMeter): unknown {
  return copy(value, false, 0, meter);
}

/**
 * A read-only root object for evaluation whose top-level keys are the context's keys, each copied
 * with {@link toSandboxData} only when an expression first reads it (then reused for the root's
 * lifetime): a template that reads `item` does not pay for copying a large upstream output.
 */
export function createSandboxRoot(context: Record<string, unknown>, meter?: CopyMeter): Record<string, unknown> {
  const keys = Object.keys(context).filter((key) => !isDroppedKey(key));
  const allowed = new Set<string | symbol>(keys);
  const copies = new Map<string | symbol, unknown>();
  const read = (key: string | symbol): unknown => {
    if (!allowed.has(key)) return undefined;
    if (!copies.has(key)) copies.set(key, toSandboxData(context[key as string], meter));
    return copies.get(key);
  };
  return new Proxy(Object.create(null) as Record<string, unknown>, {
    get: (_target, key) => read(key),
    has: (_target, key) => allowed.has(key),
    ownKeys: () => [...keys],
    getOwnPropertyDescriptor: (_target, key) =>
      allowed.has(key) ? { value: read(key), enumerable: true, configurable: true, writable: false } : undefined,
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
    setPrototypeOf: () => false,
  });
}

function copy(value: unknown, sandbox: boolean, depth: number, meter: CopyMeter | undefined): unknown {
  if (meter && (meter.count += typeof value === 'string' ? 1 + (value.length >> 8) : 1) > meter.max) meter.over();
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value.toString();
    case 'object':
      if (value === null) return null;
      break;
    default:
      return undefined;
  }
  const source = value as Record<string, unknown>;
  if (!sandbox && (source._jsonata_function === true || source._jsonata_lambda === true)) return undefined;
  if (depth >= MAX_DEPTH) throw new TypeError(`the value is nested deeper than ${MAX_DEPTH} levels (circular?)`);
  if (typeof source.toJSON === 'function' && !Array.isArray(source)) return copy(source.toJSON(), sandbox, depth + 1, meter);
  return Array.isArray(source) ? copyArray(source, sandbox, depth + 1, meter) : copyObject(source, sandbox, depth + 1, meter);
}

function copyArray(source: unknown[], sandbox: boolean, depth: number, meter: CopyMeter | undefined): unknown[] {
  const result = new Array<unknown>(source.length);
  for (let i = 0; i < source.length; i++) result[i] = copy(source[i], sandbox, depth, meter) ?? null;
  return result;
}

function copyObject(
  source: Record<string, unknown>,
  sandbox: boolean,
  depth: number,
  meter: CopyMeter | undefined,
): Record<string, unknown> {
  const result: Record<string, unknown> = sandbox ? Object.create(null) : {};
  for (const key of Object.keys(source)) {
    if (isDroppedKey(key)) continue;
    const item = copy(source[key], sandbox, depth, meter);
    if (item !== undefined) result[key] = item;
  }
  return result;
}
