import assert from 'node:assert/strict';
import { type LookupAddress } from 'node:dns';
import { NodeError } from '../../src/nodes/node-definition';
import { assertHostAllowed, blockedReason, createGuardedLookup } from '../../src/nodes/net/address-guard';

function lookup(
  host: string,
  allowed: string[],
  all = true,
): Promise<LookupAddress[] | { address: string; family?: number }> {
  return new Promise((resolve, reject) => {
    createGuardedLookup(allowed)(host, { all }, (err, address, family) => {
      if (err) reject(err);
      else resolve(Array.isArray(address) ? address : { address, family });
    });
  });
}

function assertBlocked(err: unknown, ...mentions: string[]): true {
  assert.ok(err instanceof NodeError, `expected a NodeError, got ${String(err)}`);
  assert.equal(err.options.retryable, false);
  assert.equal(err.options.type, 'AddressBlocked');
  for (const m of mentions) assert.match(err.message, new RegExp(m.replace(/[.[\]]/g, '\\$&')));
  assert.match(err.message, /HTTP_ALLOWED_HOSTS/);
  return true;
}

describe('address guard', () => {
  describe('blockedReason', () => {
    const blocked = {
      'private 10/8': '10.1.2.3',
      'private 172.16/12': '172.31.255.1',
      'private 192.168/16': '192.168.1.1',
      'unique local fc00::/7': 'fc00::1',
      'AWS metadata over IPv6': 'fd00:ec2::254',
      loopback: '127.0.0.1',
      'loopback 127/8': '127.255.0.9',
      'IPv6 loopback': '::1',
      'cloud metadata': '169.254.169.254',
      'IPv6 link-local': 'fe80::1',
      'IPv6 link-local with zone': 'fe80::1%eth0',
      unspecified: '0.0.0.0',
      'IPv6 unspecified': '::',
      CGNAT: '100.64.0.1',
      multicast: '224.0.0.1',
      'IPv6 multicast': 'ff02::1',
      broadcast: '255.255.255.255',
      reserved: '240.0.0.1',
      'IPv4-mapped loopback': '::ffff:127.0.0.1',
      'IPv4-mapped loopback (hex)': '::ffff:7f00:1',
      'IPv4-mapped metadata': '::ffff:169.254.169.254',
      'IPv4-mapped private': '::ffff:10.0.0.1',
      'IPv4-compatible loopback': '::127.0.0.1',
      'NAT64 metadata': '64:ff9b::a9fe:a9fe',
      '6to4 loopback': '2002:7f00:1::1',
    };
    for (const [name, ip] of Object.entries(blocked)) {
      it(`refuses ${name} (${ip})`, () => assert.ok(blockedReason(ip)));
    }
    for (const ip of [
      '93.184.216.34',
      '8.8.8.8',
      '2606:4700:4700::1111',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
    ]) {
      it(`lets the public address ${ip} through`, () => assert.equal(blockedReason(ip), null));
    }
  });

  describe('assertHostAllowed', () => {
    it('allows public http(s) URLs and returns them parsed', () => {
      assert.equal(assertHostAllowed('https://93.184.216.34/x', []).pathname, '/x');
      assert.equal(assertHostAllowed('http://example.test/', []).hostname, 'example.test');
    });

    it('refuses other schemes and bad URLs, non-retryably', () => {
      for (const url of ['ftp://example.test/', 'file:///etc/passwd', 'gopher://127.0.0.1/', 'not a url']) {
        assert.throws(
          () => assertHostAllowed(url, ['*']),
          (err: unknown) =>
            err instanceof NodeError && err.options.retryable === false && err.options.type === 'InvalidUrl',
        );
      }
    });

    it('refuses private IP literals, whatever their spelling, and says how to allow them', () => {
      assert.throws(
        () => assertHostAllowed('http://127.0.0.1:8080/', []),
        (e) => assertBlocked(e, '127.0.0.1'),
      );
      assert.throws(
        () => assertHostAllowed('http://169.254.169.254/latest/meta-data/', []),
        (e) => assertBlocked(e, '169.254.169.254'),
      );
      assert.throws(
        () => assertHostAllowed('http://[::ffff:127.0.0.1]/', []),
        (e) => assertBlocked(e),
      );
      assert.throws(
        () => assertHostAllowed('http://[::1]/', []),
        (e) => assertBlocked(e, '::1'),
      );
      assert.throws(
        () => assertHostAllowed('http://2130706433/', []),
        (e) => assertBlocked(e, '127.0.0.1'),
      );
      assert.throws(
        () => assertHostAllowed('http://0x7f.1/', []),
        (e) => assertBlocked(e, '127.0.0.1'),
      );
      assert.throws(
        () => assertHostAllowed('http://0/', []),
        (e) => assertBlocked(e, '0.0.0.0'),
      );
    });

    it('allows what HTTP_ALLOWED_HOSTS lists: IPs, CIDRs, mapped forms, "*"', () => {
      assertHostAllowed('http://127.0.0.1:1/', ['127.0.0.1']);
      assertHostAllowed('http://10.9.8.7/', ['10.0.0.0/8']);
      assertHostAllowed('http://[::ffff:10.9.8.7]/', ['10.0.0.0/8']);
      assertHostAllowed('http://127.0.0.1/', ['::ffff:127.0.0.1']);
      assertHostAllowed('http://[fd00::1]/', ['fd00::/8']);
      assertHostAllowed('http://192.168.0.5/', ['*']);
      assert.throws(
        () => assertHostAllowed('http://172.16.0.1/', ['10.0.0.0/8', 'example.test']),
        (e) => assertBlocked(e),
      );
    });
  });

  describe('createGuardedLookup', () => {
    it('refuses a name that resolves to a private address, naming host and address', async () => {
      await assert.rejects(lookup('localhost', []), (e) => assertBlocked(e, 'localhost', '127.0.0.1|::1'));
    });

    it('allows it when the name or its address is listed', async () => {
      const byName = (await lookup('localhost', ['localhost'])) as LookupAddress[];
      assert.ok(byName.length >= 1);
      const byCidr = (await lookup('localhost', ['127.0.0.0/8'])) as LookupAddress[];
      assert.deepEqual(
        byCidr.map((a) => a.address),
        ['127.0.0.1'],
        'only the allowed address is handed to the connect',
      );
      const single = await lookup('localhost', ['127.0.0.1'], false);
      assert.deepEqual(single, { address: '127.0.0.1', family: 4 });
    });

    it('passes DNS failures through as they are', async () => {
      await assert.rejects(lookup('does-not-exist.invalid', []), (err: NodeJS.ErrnoException) => {
        assert.ok(!(err instanceof NodeError));
        assert.match(String(err.code), /ENOTFOUND|EAI_AGAIN/);
        return true;
      });
    });
  });
});
