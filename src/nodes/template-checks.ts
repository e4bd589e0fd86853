import { checkExpression, checkTemplates, referencedRoots } from '../shared/expressions';
import { splitTemplate } from '../shared/template-syntax';

/** Syntax problems of one string and the context roots it reads (when it has no problem). */
export interface StringCheck {
  problems: string[];
  roots: string[];
}

/** Strings whose check is remembered; flows are validated again and again while edited. */
const CACHE_CAPACITY = 20_000;
/** Longer strings are checked every time rather than kept in memory. */
const MAX_CACHED_LENGTH = 4_096;

const cache = new Map<string, StringCheck>();

// A dotted path of plain names (`fetch.result.items`) always parses and reads only its first name;
// it is most templates, and JSONata's parser costs ~0.2 ms per expression, so skip it for those.
const SIMPLE_PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const KEYWORDS = new Set(['and', 'or', 'in', 'true', 'false', 'null', 'function']);

function simpleRoot(source: string): string | undefined {
  if (!SIMPLE_PATH.test(source)) return undefined;
  const names = source.split('.');
  return names.some((name) => KEYWORDS.has(name)) ? undefined : names[0];
}

function remembered(key: string, compute: () => StringCheck): StringCheck {
  const hit = cache.get(key);
  if (hit) return hit;
  const result = compute();
  if (key.length <= MAX_CACHED_LENGTH) {
    if (cache.size >= CACHE_CAPACITY) cache.delete(cache.keys().next().value as string);
    cache.set(key, result);
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
        const root = simpleRoot(part.source);
        if (root === undefined) return slowTemplate(text);
        roots.push(root);
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
    const root = simpleRoot(expression.trim());
    if (root !== undefined) return { problems: [], roots: [root] };
    const problem = checkExpression(expression);
    return problem ? { problems: [problem], roots: [] } : { problems: [], roots: referencedRoots(expression) };
  });
}
