import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createLogger } from '../../src/logger';
import { createLoginThrottle, unknownAccountKey } from '../../src/api/auth/login-throttle';
import { errorHandler } from '../../src/api/middleware/error-handler';
import { createRateLimiter, SlidingWindowCounter } from '../../src/api/middleware/rate-limit';

describe('SlidingWindowCounter', () => {
  it('allows `limit` hits per window and refuses the rest without counting them', () => {
    let t = 60_000; // start of a window
    const c = new SlidingWindowCounter(3, 60_000, () => t);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => c.hit('k').allowed),
      [true, true, true, false, false],
    );
    const s = c.peek('k');
    assert.equal(s.remaining, 0);
    assert.equal(s.resetAtMs, 120_000);
    // Full window: wait until it ends, then until its weight has decayed by one hit (1/3 of a window).
    assert.equal(s.retryAfterMs, 60_000 + 20_000);
    assert.ok(c.hit('other').allowed, 'keys are independent');
    t = 120_000 + 20_000;
    assert.ok(c.peek('k').allowed);
  });

  it("weights the previous window's hits by their remaining overlap", () => {
    let t = 0;
    const c = new SlidingWindowCounter(4, 1000, () => t);
    for (let i = 0; i < 4; i++) c.hit('k');
    t = 1500; // half of the previous window still overlaps: 2 hits count
    const s = c.hit('k');
    assert.ok(s.allowed);
    assert.equal(s.remaining, 1);
    assert.ok(c.hit('k').allowed);
    const refused = c.hit('k');
    assert.equal(refused.allowed, false);
    // 2 in this window + 4 × overlap must drop to 1: overlap 1/4, i.e. at 1750.
    assert.equal(refused.retryAfterMs, 250);
    t = 1750;
    assert.ok(c.hit('k').allowed);
  });

  it('drops buckets of windows that have passed', () => {
    let t = 0;
    const c = new SlidingWindowCounter(10, 1000, () => t);
    for (let i = 0; i < 100; i++) c.hit(`k${i}`);
    assert.equal(c.size, 100);
    t = 1000;
    c.hit('x');
    assert.equal(c.size, 101); // the previous window is still weighted in
    t = 2000;
    c.hit('x');
    assert.equal(c.size, 2); // only x remains, in both windows
    t = 10_000;
    c.hit('y');
    assert.equal(c.size, 1);
  });

  it('forgets a key on reset', () => {
    const c = new SlidingWindowCounter(1, 1000, () => 0);
    c.hit('k');
    assert.equal(c.hit('k').allowed, false);
    c.reset('k');
    assert.equal(c.hit('k').allowed, true);
  });
});

describe('login throttle', () => {
  it('blocks an account after 5 failures from any addresses for the window, and a success clears it', () => {
    let t = 0;
    const throttle = createLoginThrottle({ now: () => t });
    for (const ip of ['1.2.3.4', '1.2.3.4', '5.6.7.8', '5.6.7.8', '9.9.9.9']) {
      assert.equal(throttle.retryAfterMs('user:bob', ip), 0);
      throttle.recordFailure('user:bob', ip);
    }
    assert.ok(throttle.retryAfterMs('user:bob', '1.2.3.4') > 14 * 60_000);
    assert.ok(throttle.retryAfterMs('user:bob', '10.0.0.1') > 14 * 60_000, 'the account is blocked from every address');
    assert.equal(throttle.retryAfterMs('user:alice', '1.2.3.4'), 0, 'another account is not blocked');
    t = 15 * 60_000 + 3 * 60_000;
    assert.equal(throttle.retryAfterMs('user:bob', '1.2.3.4'), 0);
    for (let i = 0; i < 5; i++) throttle.recordFailure('user:bob', '7.7.7.7');
    assert.ok(throttle.retryAfterMs('user:bob', '7.7.7.7') > 0);
    throttle.recordSuccess('user:bob');
    assert.equal(throttle.retryAfterMs('user:bob', '7.7.7.7'), 0);
  });

  it('blocks an address after 20 failures whatever the accounts, and a success does not clear it', () => {
    const throttle = createLoginThrottle({ now: () => 0 });
    for (let i = 0; i < 20; i++) {
      assert.equal(throttle.addressRetryAfterMs('1.2.3.4'), 0);
      throttle.recordFailure(unknownAccountKey(`name${i}`), '1.2.3.4');
    }
    assert.ok(throttle.addressRetryAfterMs('1.2.3.4') > 0);
    assert.ok(throttle.retryAfterMs('user:carol', '1.2.3.4') > 0, 'a fresh account from that address is blocked too');
    assert.equal(throttle.retryAfterMs('user:carol', '5.6.7.8'), 0);
    throttle.recordSuccess('user:carol');
    assert.ok(throttle.addressRetryAfterMs('1.2.3.4') > 0);
    assert.equal(unknownAccountKey(' Bob '), unknownAccountKey('BOB'), 'unknown names are compared case-insensitively');
  });
});

describe('createRateLimiter middleware', () => {
  let url: string;
  let close: () => Promise<void>;
  let t = 1_000_020_000;

  before(async () => {
    const app = express();
    const limiter = createRateLimiter({
      limit: 2,
      windowMs: 60_000,
      key: (req) => String(req.headers['x-client'] ?? 'anon'),
      now: () => t,
    });
    app.use(limiter);
    app.get('/x', (_req, res) => res.json({ ok: true }));
    app.use(errorHandler(createLogger('silent')));
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
    close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  });
  after(() => close());

  it('sets X-RateLimit headers on every response and answers 429 with Retry-After when exceeded', async () => {
    const get = () => fetch(url, { headers: { 'x-client': 'a' } });
    const first = await get();
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-ratelimit-limit'), '2');
    assert.equal(first.headers.get('x-ratelimit-remaining'), '1');
    assert.equal(first.headers.get('x-ratelimit-reset'), String(Math.ceil(1_000_080_000 / 1000)));
    assert.equal(first.headers.get('retry-after'), null);
    const second = await get();
    assert.equal(second.status, 200);
    assert.equal(second.headers.get('x-ratelimit-remaining'), '0');

    const third = await get();
    assert.equal(third.status, 429);
    assert.equal(third.headers.get('x-ratelimit-limit'), '2');
    assert.equal(third.headers.get('x-ratelimit-remaining'), '0');
    assert.equal(third.headers.get('retry-after'), String(60 + 30)); // 60 s to the window's end + half a window of decay
    const body = (await third.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'RATE_LIMITED');

    assert.equal(
      (await fetch(url, { headers: { 'x-client': 'b' } })).status,
      200,
      'other keys are unaffected',
    );
    t += 90_000;
    assert.equal((await get()).status, 200);
  });
});
