import { checkExpression, checkTemplates, referencedRoots } from '../shared/expressions';
import { splitTemplate } from '../shared/template-syntax';
import { simpleExpressionRoots } from './simple-expression';

/** Syntax problems of one string and the context roots it reads (when it has no problem). */
export interface StringCheck {
  problems: string[];
  roots: string[];
}

/** Strings whose check is remembered (at least half of these); flows are validated again and again while edited. */
const CACHE_CAPACITY = 20_000;
/** Longer strings are checked every time rather than kept in memory. */
const MAX_CACHED_LENGTH = 4_096;

// Two generations instead of an LRU: evicting one key at a time from a Map's front leaves holes
// that every later eviction scans over.
let recent = new Map<string, StringCheck>();
let older = new Map<string, StringCheck>();

function remembered(key: string, compute: () => StringCheck): StringCheck {
  const hit = recent.get(key);
  if (hit) return hit;
  const old = older.get(key);
  if (old) {
    recent.set(key, old);
    return old;
  }
  const result = compute();
  if (key.length <= MAX_CACHED_LENGTH) {
    if (recent.size >= CACHE_CAPACITY / 2) {
      older = recent;
      recent = new Map();
    }
    recent.set(key, result);
  }
  return result;
}

/** Checks the `{{ }}` templates of one string (which contains `{{`). */
export function checkTemplateString(text: string): StringCheck {
  return remembered(`t${text}`, () => {
    const split = splitTemplate(text);
    if (split.unclosedAt === undefined) {
      const roots: string[] = [];
      for (const part of split.parts) {
        if (part.kind !== 'expression') continue;
        const partRoots = simpleExpressionRoots(part.source);
        if (!partRoots) return slowTemplate(text);
        roots.push(...partRoots);
      }
      return { problems: [], roots };
    }
    return slowTemplate(text);
  });
}

function slowTemplate(text: string): StringCheck {
  const problems = checkTemplates(text).map((p) => p.message);
  return { problems, roots: problems.length === 0 ? referencedRoots(text) : [] };
}

/** Checks one bare JSONata expression. */
export function checkExpressionString(expression: string): StringCheck {
  return remembered(`e${expression}`, () => {
    const roots = simpleExpressionRoots(expression);
    if (roots) return { problems: [], roots };
    const problem = checkExpression(expression);
    return problem ? { problems: [problem], roots: [] } : { problems: [], roots: referencedRoots(expression) };
  });
}
