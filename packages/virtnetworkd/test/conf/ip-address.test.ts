/** Address arithmetic behind the subnet checks, and the name rules for networks and bridges. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '@tsvirt/common';
import {
  addressToBigInt,
  assertSafeNetworkName,
  assertValidBridgeName,
  canonicalAddress,
  inSubnet,
  netmaskToPrefix,
} from '../../src/conf/index.js';
import { expectNetworkError } from './network-fixtures.js';

test('IPv4 and IPv6 (with ::, and an IPv4 tail) become the same integers as their long forms', () => {
  assert.is(addressToBigInt('192.168.1.2'), 0xc0a80102n);
  assert.is(addressToBigInt('2001:db8::1'), addressToBigInt('2001:db8:0:0:0:0:0:1'));
  assert.is(addressToBigInt('::ffff:10.0.0.1'), 0xffff0a000001n);
  assert.is(addressToBigInt('::'), 0n);
});

test('subnet membership at the edges of the prefix', () => {
  assert.ok(inSubnet('192.168.1.255', '192.168.1.1', 24, 'ipv4'));
  assert.not.ok(inSubnet('192.168.2.0', '192.168.1.1', 24, 'ipv4'));
  assert.ok(inSubnet('fd00:dead:beef::ffff', 'fd00:dead:beef::1', 64, 'ipv6'));
  assert.not.ok(inSubnet('fd00:dead:bef0::1', 'fd00:dead:beef::1', 64, 'ipv6'));
  assert.ok(inSubnet('10.0.0.1', '10.0.0.1', 32, 'ipv4'));
});

test('netmasks: contiguous ones only', () => {
  assert.is(netmaskToPrefix('255.255.255.0'), 24);
  assert.is(netmaskToPrefix('255.255.255.255'), 32);
  assert.is(netmaskToPrefix('255.255.128.0'), 17);
  assert.is(netmaskToPrefix('255.0.255.0'), undefined);
});

test('IPv6 is printed lower-case and compressed as libvirt does; IPv4 unchanged', () => {
  assert.is(canonicalAddress('FD00:DEAD:BEEF:0000::1'), 'fd00:dead:beef::1');
  assert.is(canonicalAddress('2001:0db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.is(canonicalAddress('10.0.0.1'), '10.0.0.1');
});

test('bridge names: IFNAMSIZ and the characters the kernel refuses', () => {
  assertValidBridgeName('virbr0');
  assertValidBridgeName('a23456789012345');
  for (const bad of ['br 0', 'br/0', 'br:0', '.', '..', 'br\t0', '']) {
    expectNetworkError(
      () => assertValidBridgeName(bad),
      ErrorCode.XML_ERROR,
      `invalid bridge name '${bad.replace('\t', '\\x09')}'`,
    );
  }
  expectNetworkError(
    () => assertValidBridgeName('a234567890123456'),
    ErrorCode.XML_ERROR,
    "bridge name 'a234567890123456' is 16 bytes long, more than 15",
  );
});

test('network names are file names', () => {
  assertSafeNetworkName('default');
  assertSafeNetworkName('a.b-c_d');
  expectNetworkError(() => assertSafeNetworkName(''), ErrorCode.INVALID_ARG, 'network name must not be empty');
  expectNetworkError(
    () => assertSafeNetworkName('x'.repeat(252)),
    ErrorCode.INVALID_ARG,
    `network name '${'x'.repeat(252)}' is 252 bytes long, more than 251`,
  );
  expectNetworkError(
    () => assertSafeNetworkName('a\0b'),
    ErrorCode.INVALID_ARG,
    "network name 'a\\x00b' cannot contain control characters",
  );
});

test.run();
