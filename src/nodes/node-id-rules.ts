/* What a node id may be, and the names of the run context that are not node ids. */

/** Node ids: letters, digits, `_` and `-`, 1 to 64 characters. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Ids a node may not have although they fit {@link NODE_ID_PATTERN}: node outputs are kept in plain
 * objects keyed by id, where `__proto__` would replace the prototype instead of holding the
 * output, and `constructor` / `prototype` read as inherited values before the node has run.
 */
export const RESERVED_NODE_IDS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Roots of the run context that are not node ids. */
export const RESERVED_CONTEXT_NAMES: ReadonlySet<string> = new Set(['trigger', 'input', 'prev', 'execution', 'vars', 'item', 'index']);
