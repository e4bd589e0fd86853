/**
 * The cron syntax a flow's trigger may use. Every accepted expression is also accepted by Temporal
 * (test/api/schedules.test.ts creates a Schedule with each); each refused one is either refused by
 * Temporal too or read by it differently from a crontab (docs/api-schedules.md).
 */
import assert from 'node:assert/strict';
import { canonicalTimeZone, cronProblem, timeZoneProblem } from '../../src/services/schedule-cron';
import { ACCEPTED_CRON } from '../fixtures/cron-expressions';

describe('cron triggers: accepted syntax', () => {
  it('accepts the five standard fields, names, ranges, steps, lists and the shorthands', () => {
    for (const e of ACCEPTED_CRON) {
      assert.equal(cronProblem(e), undefined, e);
    }
  });

  it('refuses, saying why, what Temporal refuses or would read differently from a crontab', () => {
    const cases: [string, RegExp][] = [
      ['', /required/],
      ['nonsense', /five fields.*has 1/],
      ['* * * *', /five fields/],
      // Six fields are seconds-first in some tools and year-last in Temporal: neither is guessed.
      ['0 0 * * * 2030', /five fields.*has 6/],
      ['60 * * * *', /minute 60 is out of range 0-59/],
      ['* 24 * * *', /hour 24 is out of range 0-23/],
      ['* * 0 * *', /day of month 0 is out of range 1-31/],
      ['* * * 13 *', /month 13 is out of range 1-12/],
      ['* * * * 8', /day of week 8 is out of range 0-7/],
      ['0 0 L * *', /day of month "L" is not a number/],
      ['0 0 ? * *', /day of month "\?" is not a number/],
      ['0 0 * * 5-1', /ends before it starts/],
      ['*/0 * * * *', /step "0"/],
      // Temporal reads "#" as a comment: "1#2" would be every Monday, not the second one.
      ['0 0 * * 1#2', /"#" is not supported/],
      // Temporal runs only when both day fields match; a crontab when either does.
      ['0 9 1 * 1', /day of month or day of week, not both/],
      ['CRON_TZ=Europe/Paris 0 9 * * *', /trigger\.timezone/],
      ['@fortnightly', /unknown shorthand "@fortnightly"/],
      ['@every 15', /@every <interval>/],
      ['@every 1w', /@every <interval>/],
      ['@every 30s', /too often: at least 1m/],
      ['@every 1h/2h', /offset 2h must be shorter than the interval 1h/],
    ];
    for (const [e, message] of cases) assert.match(cronProblem(e) ?? 'accepted', message, e);
    assert.match(cronProblem(undefined) ?? '', /required/);
  });

  it('accepts IANA time zones in any case and gives Temporal their canonical spelling', () => {
    for (const tz of ['UTC', 'Europe/Paris', 'europe/paris', 'America/New_York', 'US/Pacific', 'Etc/GMT+5']) assert.equal(timeZoneProblem(tz), undefined, tz);
    for (const tz of ['Mars/Olympus', '', 'Local', '+02:00', 42]) assert.match(timeZoneProblem(tz) ?? 'accepted', /unknown time zone/, String(tz));
    assert.equal(canonicalTimeZone('europe/paris'), 'Europe/Paris');
    assert.equal(canonicalTimeZone('utc'), 'UTC');
    assert.equal(canonicalTimeZone('Mars/Olympus'), undefined);
  });
});
