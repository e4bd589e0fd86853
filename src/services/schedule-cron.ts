/**
 * What a cron trigger may say (docs/api-schedules.md): the five standard cron fields or a
 * shorthand, checked here so a flow is refused at save time instead of its Temporal Schedule
 * failing later. It is the part of Temporal's cron syntax that means the same as in a crontab;
 * what Temporal would read differently is refused with a message saying why.
 */

const SHORTHANDS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const FULL_MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FULL_DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

interface Field {
  name: string;
  min: number;
  max: number;
  /** Names for values (`jan` = 1, `sun` = 0), case-insensitive. */
  names?: Record<string, number>;
}

const named = (lists: string[][], first: number) =>
  Object.fromEntries(lists.flatMap((list) => list.map((n, i) => [n, i + first] as const)));

const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: named([MONTHS, FULL_MONTHS], 1) },
  // 7 is Sunday too, as in most crons (and in Temporal's).
  { name: 'day of week', min: 0, max: 7, names: named([DAYS, FULL_DAYS], 0) },
];

/** The shortest `@every` interval: one minute, the finest a five-field cron can say. */
const MIN_EVERY_S = 60;
const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds of a Temporal `@every` duration (`15m`, `1h30m`, `1d`), undefined when malformed. */
function durationSeconds(text: string): number | undefined {
  if (!/^(\d{1,6}[smhd])+$/.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([smhd])/g)) total += Number(n) * UNIT_S[unit];
  return total;
}

function everyProblem(rest: string): string | undefined {
  const [interval, phase, extra] = rest.split('/');
  const every = durationSeconds(interval);
  const hint = 'write @every <interval>[/<offset>] with whole numbers and units s, m, h or d, such as @every 15m or @every 1h/5m';
  if (every === undefined || extra !== undefined) return hint;
  if (every < MIN_EVERY_S) return `@every ${interval} is too often: at least 1m`;
  if (phase === undefined) return undefined;
  const offset = durationSeconds(phase);
  if (offset === undefined) return hint;
  if (offset >= every) return `the offset ${phase} must be shorter than the interval ${interval}`;
  return undefined;
}

function valueOf(field: Field, text: string): number | string {
  const lower = text.toLowerCase();
  if (field.names && lower in field.names) return field.names[lower];
  if (!/^\d{1,2}$/.test(text)) return `${field.name} "${text}" is not a number${field.names ? ' or a name' : ''} (${field.min}-${field.max})`;
  const n = Number(text);
  if (n < field.min || n > field.max) return `${field.name} ${n} is out of range ${field.min}-${field.max}`;
  return n;
}

function fieldProblem(field: Field, text: string): string | undefined {
  for (const item of text.split(',')) {
    const m = /^([^/-]+)(?:-([^/]+))?(?:\/(.+))?$/.exec(item);
    if (!m) return `${field.name} "${item}" is not a value, a range (a-b) or a step (*/n)`;
    const [, from, to, step] = m;
    if (step !== undefined && !/^[1-9]\d{0,2}$/.test(step)) return `${field.name} step "${step}" must be a whole number from 1`;
    if (from === '*') {
      if (to !== undefined) return `${field.name} "${item}": * cannot start a range`;
      continue;
    }
    const start = valueOf(field, from);
    if (typeof start === 'string') return start;
    if (to === undefined) continue;
    const end = valueOf(field, to);
    if (typeof end === 'string') return end;
    if (end < start) return `${field.name} range ${from}-${to} ends before it starts`;
  }
  return undefined;
}

/**
 * Why `expression` is not a cron schedule the platform accepts, or undefined when it is one:
 * five fields (minute, hour, day of month, month, day of week; each a list of `*`, numbers, names
 * or `a-b` ranges, any of them with a `/n` step), `@hourly`, `@daily` / `@midnight`, `@weekly`,
 * `@monthly`, `@yearly` / `@annually`, or `@every <interval>[/<offset>]`.
 */
export function cronProblem(expression: unknown): string | undefined {
  if (typeof expression !== 'string' || !expression.trim()) return 'a cron expression is required, such as "0 9 * * MON-FRI" or "@daily"';
  const text = expression.trim();
  if (/^(CRON_)?TZ=/i.test(text)) return 'set the time zone in trigger.timezone, not in the expression';
  // Temporal reads "#" as the start of a comment, so Quartz's "1#2" (second Monday) would mean every Monday.
  if (text.includes('#')) return '"#" is not supported (no comments, no nth weekday)';
  if (text.startsWith('@')) {
    if (SHORTHANDS.has(text)) return undefined;
    const every = /^@every\s+(\S+)$/.exec(text);
    if (every) return everyProblem(every[1]);
    return `unknown shorthand "${text.split(/\s/)[0]}": use @hourly, @daily, @weekly, @monthly, @yearly or @every <interval>`;
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5) {
    return `a cron expression has five fields (minute hour day-of-month month day-of-week), this one has ${fields.length}`;
  }
  for (let i = 0; i < FIELDS.length; i++) {
    const problem = fieldProblem(FIELDS[i], fields[i]);
    if (problem) return problem;
  }
  // Crontabs run when either day field matches; Temporal runs only when both do.
  if (fields[2] !== '*' && fields[4] !== '*') {
    return 'set day of month or day of week, not both (a crontab runs when either matches, Temporal only when both do)';
  }
  return undefined;
}

/** Why `timeZone` is not an IANA time zone name, or undefined when it is one. */
export function timeZoneProblem(timeZone: unknown): string | undefined {
  if (typeof timeZone === 'string' && timeZone.trim() && canonicalTimeZone(timeZone)) return undefined;
  return `unknown time zone ${JSON.stringify(timeZone)}: use an IANA name such as "Europe/Paris" or "UTC"`;
}

/**
 * The canonical spelling of an IANA time zone (`europe/paris` → `Europe/Paris`), undefined when
 * the name is unknown. Temporal's own lookup is case-sensitive, so the Schedule gets this spelling.
 */
export function canonicalTimeZone(timeZone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}
