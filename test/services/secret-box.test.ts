import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSecretBox, SecretBoxError } from '../../src/services/secret-box';

describe('secret box (AES-256-GCM at rest)', () => {
  const key = randomBytes(32);
  const box = createSecretBox(key);

  it('seals and opens any JSON value, with a fresh nonce every time', () => {
    const secret = { api_key: 'sk-live-canary', nested: [1, 'two'] };
    const a = box.seal(secret);
    const b = box.seal(secret);
    assert.notEqual(a, b);
    assert.ok(!a.includes('canary'));
    assert.deepEqual(box.open(a), secret);
    assert.ok(box.isCurrent(a));
  });

  it('refuses altered values and values sealed under an unknown key', () => {
    const sealed = box.seal('x');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[4], 'base64url');
    flipped[0] ^= 1;
    parts[4] = flipped.toString('base64url');
    assert.throws(() => box.open(parts.join('.')), SecretBoxError);
    assert.throws(() => createSecretBox(randomBytes(32)).open(sealed), SecretBoxError);
    assert.throws(() => box.open('garbage'), SecretBoxError);
  });

  it('opens values under the previous key during a rotation, and says which are not current', () => {
    const next = randomBytes(32);
    const rotated = createSecretBox(next, key);
    const old = box.seal({ password: 'p' });
    assert.deepEqual(rotated.open(old), { password: 'p' });
    assert.equal(rotated.isCurrent(old), false);
    assert.equal(rotated.isCurrent(rotated.seal('y')), true);
  });
});
