// Address rules of the outbound guard, without any network traffic.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blockReason, checkLiteralHost, guardedLookup, parseAllowRule } from '../src/delivery/ssrf-guard.ts';

const closed = parseAllowRule('');

describe('outbound guard rules', () => {
  test('private, loopback, link-local, CGNAT, multicast, unspecified and IPv6 equivalents are refused', () => {
    for (const ip of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '224.0.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::7f00:1', '::2', '::100', '::ffff']) {
      assert.match(blockReason(ip, closed) ?? '', /range/, ip);
    }
  });

  test('public addresses pass', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(blockReason(ip, closed), null, ip);
  });

  test('an allow list opens only its ranges; true opens everything', () => {
    const rule = parseAllowRule('127.0.0.1/32, 10.1.0.0/16');
    assert.equal(blockReason('127.0.0.1', rule), null);
    assert.equal(blockReason('10.1.2.3', rule), null);
    assert.notEqual(blockReason('10.2.0.1', rule), null);
    assert.notEqual(blockReason('127.0.0.2', rule), null);
    assert.equal(blockReason('169.254.169.254', parseAllowRule('true')), null);
    assert.throws(() => parseAllowRule('not-a-cidr'), /HOOKRELAY_ALLOW_PRIVATE_TARGETS/);
  });

  test('IP-literal hosts are checked, names are left to the lookup', () => {
    assert.notEqual(checkLiteralHost('[::1]', closed), null);
    assert.notEqual(checkLiteralHost('127.0.0.1', closed), null);
    assert.equal(checkLiteralHost('example.com', closed), null);
  });

  test('a name that resolves to loopback is refused by the lookup, without telling the address or its range', async () => {
    const lookup = guardedLookup(closed);
    const err = await new Promise<Error | null>((resolve) => lookup('localhost', {}, (e) => resolve(e)));
    assert.ok(err, 'lookup must fail');
    assert.match(err!.message, /^localhost resolves to an address that outbound delivery may not reach/);
    // Webhook users read it: it must not map internal names to addresses.
    assert.doesNotMatch(err!.message, /127\.0\.0\.1|::1|loopback range/);
  });
});
